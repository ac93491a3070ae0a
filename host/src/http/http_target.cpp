#include "http/http_target.hpp"

namespace profo::host {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = hex_value(s[i + 1]);
        const int lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    path.remove_prefix(1);
    for (;;) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

std::optional<RequestTarget> parse_request_target(std::string_view target) {
    const auto question = target.find('?');
    const auto raw_path = target.substr(0, question);
    if (raw_path.empty() || raw_path.front() != '/') return std::nullopt;
    RequestTarget out;
    out.raw_path = std::string(raw_path);
    if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
    auto path = percent_decode(raw_path);
    if (!path) return std::nullopt;
    out.path = std::move(*path);
    for (auto raw : split_path(raw_path)) {
        auto decoded = percent_decode(raw);
        if (!decoded) return std::nullopt;
        out.segments.push_back(std::move(*decoded));
    }
    return out;
}

}  // namespace profo::host
