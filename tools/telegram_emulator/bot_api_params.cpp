#include "bot_api_params.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace profo::telegram_emulator {
namespace {

using nlohmann::json;

std::string lowered(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A header parameter such as boundary=... or name="..." from a Content-Type
// or Content-Disposition value.
std::string header_parameter(std::string_view header, std::string_view name) {
    const auto lower = lowered(header);
    std::size_t pos = 0;
    while ((pos = lower.find(name, pos)) != std::string::npos) {
        const bool starts = pos == 0 || lower[pos - 1] == ';' || lower[pos - 1] == ' ';
        const auto eq = pos + name.size();
        if (starts && eq < lower.size() && lower[eq] == '=') {
            auto value = header.substr(eq + 1);
            if (!value.empty() && value.front() == '"') {
                value.remove_prefix(1);
                return std::string(value.substr(0, value.find('"')));
            }
            return std::string(value.substr(0, value.find(';')));
        }
        pos = eq;
    }
    return {};
}

void parse_multipart(std::string_view body, const std::string& boundary, json& values,
                     std::map<std::string, UploadedFile>& files) {
    const std::string delimiter = "--" + boundary;
    std::size_t pos = body.find(delimiter);
    while (pos != std::string_view::npos) {
        pos += delimiter.size();
        if (body.substr(pos, 2) == "--") return;
        if (body.substr(pos, 2) == "\r\n") pos += 2;
        const auto headers_end = body.find("\r\n\r\n", pos);
        if (headers_end == std::string_view::npos) break;
        const auto headers = body.substr(pos, headers_end - pos);
        const auto content_begin = headers_end + 4;
        const auto next = body.find("\r\n" + delimiter, content_begin);
        if (next == std::string_view::npos) break;
        const auto content = body.substr(content_begin, next - content_begin);

        std::string name, filename, part_type;
        std::size_t line_begin = 0;
        while (line_begin <= headers.size()) {
            auto line_end = headers.find("\r\n", line_begin);
            if (line_end == std::string_view::npos) line_end = headers.size();
            const auto line = headers.substr(line_begin, line_end - line_begin);
            const auto lower = lowered(line);
            if (lower.rfind("content-disposition:", 0) == 0) {
                name = header_parameter(line, "name");
                filename = header_parameter(line, "filename");
            } else if (lower.rfind("content-type:", 0) == 0) {
                auto v = line.substr(13);
                while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
                part_type = std::string(v);
            }
            line_begin = line_end + 2;
        }
        if (!name.empty()) {
            if (!filename.empty() || (!part_type.empty() && lowered(part_type).rfind("text/", 0) != 0)) {
                files[name] = UploadedFile{filename, part_type, content.size()};
            } else {
                values[name] = std::string(content);
            }
        }
        pos = next + 2;
    }
}

}  // namespace

std::string url_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

void parse_urlencoded(std::string_view s, json& into) {
    while (!s.empty()) {
        const auto amp = s.find('&');
        const auto pair = s.substr(0, amp);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            const auto key = url_decode(pair.substr(0, eq));
            const auto value = eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
            if (!key.empty()) into[key] = value;
        }
        if (amp == std::string_view::npos) break;
        s.remove_prefix(amp + 1);
    }
}

BotApiParams BotApiParams::parse(std::string_view content_type, std::string_view body,
                                 std::string_view query) {
    BotApiParams p;
    parse_urlencoded(query, p.values_);
    const auto type = lowered(content_type.substr(0, content_type.find(';')));
    auto trimmed_type = std::string_view(type);
    while (!trimmed_type.empty() && trimmed_type.back() == ' ') trimmed_type.remove_suffix(1);
    if (body.empty()) return p;
    if (trimmed_type == "application/json") {
        auto parsed = json::parse(body, nullptr, false);
        if (parsed.is_discarded()) throw std::invalid_argument("Bad Request: can't parse JSON object");
        if (!parsed.is_object()) throw std::invalid_argument("Bad Request: JSON object expected");
        for (auto& [k, v] : parsed.items()) p.values_[k] = std::move(v);
    } else if (trimmed_type == "multipart/form-data") {
        const auto boundary = header_parameter(content_type, "boundary");
        if (boundary.empty())
            throw std::invalid_argument("Bad Request: can't parse multipart/form-data body");
        parse_multipart(body, boundary, p.values_, p.files_);
    } else {
        // The Bot API reads any other body as a form, which is what curl -d sends.
        parse_urlencoded(body, p.values_);
    }
    return p;
}

bool BotApiParams::has(const std::string& key) const {
    return (values_.contains(key) && !values_[key].is_null()) || files_.count(key) > 0;
}

std::optional<std::string> BotApiParams::string(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

std::optional<std::int64_t> BotApiParams::integer(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end() || it->is_null()) return std::nullopt;
    if (it->is_number_integer()) return it->get<std::int64_t>();
    if (it->is_number_float()) {
        const double d = it->get<double>();
        if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
        throw std::invalid_argument(key);
    }
    if (it->is_string()) {
        auto s = it->get<std::string>();
        while (!s.empty() && s.back() == ' ') s.pop_back();
        std::size_t start = 0;
        while (start < s.size() && s[start] == ' ') ++start;
        if (start == s.size()) return std::nullopt;
        std::int64_t v = 0;
        const auto* first = s.data() + start;
        const auto* last = s.data() + s.size();
        if (*first == '+') ++first;
        const auto [ptr, ec] = std::from_chars(first, last, v);
        if (ec != std::errc() || ptr != last) throw std::invalid_argument(key);
        return v;
    }
    if (it->is_boolean()) return it->get<bool>() ? 1 : 0;
    throw std::invalid_argument(key);
}

std::optional<double> BotApiParams::number(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end() || it->is_null()) return std::nullopt;
    if (it->is_number()) return it->get<double>();
    if (it->is_string()) {
        try {
            return std::stod(it->get<std::string>());
        } catch (const std::exception&) {
            throw std::invalid_argument(key);
        }
    }
    throw std::invalid_argument(key);
}

bool BotApiParams::boolean(const std::string& key, bool fallback) const {
    const auto it = values_.find(key);
    if (it == values_.end() || it->is_null()) return fallback;
    if (it->is_boolean()) return it->get<bool>();
    if (it->is_number()) return it->get<double>() != 0;
    if (it->is_string()) {
        const auto v = lowered(it->get<std::string>());
        return v == "true" || v == "1";
    }
    return fallback;
}

std::optional<json> BotApiParams::json_value(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) return *it;
    const auto& s = it->get_ref<const std::string&>();
    if (s.empty()) return std::nullopt;
    auto parsed = json::parse(s, nullptr, false);
    if (parsed.is_discarded()) throw std::invalid_argument(key);
    return parsed;
}

const UploadedFile* BotApiParams::file(const std::string& key) const {
    const auto it = files_.find(key);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace profo::telegram_emulator
