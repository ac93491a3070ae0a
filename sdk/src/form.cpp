#include <profo/sdk/form.hpp>

#include <stdexcept>

namespace profo::sdk {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string form_decode(std::string_view text) {
    auto decoded = percent_decode(text, /*plus_is_space=*/true);
    if (!decoded) throw std::invalid_argument("broken %-escape");
    return std::move(*decoded);
}

std::map<std::string, std::string> parse_form(std::string_view text) {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('&', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view pair = text.substr(pos, end - pos);
        if (!pair.empty()) {
            const std::size_t eq = pair.find('=');
            std::string key = form_decode(pair.substr(0, eq));
            std::string value =
                eq == std::string_view::npos ? std::string{} : form_decode(pair.substr(eq + 1));
            if (!out.emplace(std::move(key), std::move(value)).second)
                throw std::invalid_argument("a field appears twice");
        }
        pos = end + 1;
    }
    return out;
}

}  // namespace profo::sdk
