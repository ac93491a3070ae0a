#include "bot_api_params.h"

#include <profo/sdk/json_input.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace profo::telegram_emulator {
namespace {

// `d` as a 64-bit integer when it is a whole number within their range:
// outside it the cast itself is undefined.
std::optional<std::int64_t> whole_int64(double d) {
    constexpr double kLimit = 9223372036854775808.0;  // 2^63, exact as a double
    if (!(d >= -kLimit && d < kLimit) || d != std::trunc(d)) return std::nullopt;
    return static_cast<std::int64_t>(d);
}

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

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// %XX decoding without '+' as space: what the Bot API server applies to
// Content-Disposition parameters (a form's '+' rule is for form bodies only).
std::string percent_decoded(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

[[noreturn]] void refuse(const char* description) {
    throw std::invalid_argument(description);
}

// The Bot API server answers nothing at all to a multipart body that ends
// before its closing delimiter (it waits for more bytes until the connection
// times out); the emulator says so at once with this wording.
constexpr const char* kUnreadableBody = "Bad Request: can't parse request body";
constexpr std::size_t kMaxBoundaryLength = 70;  // RFC 2046; the server refuses longer ones

// The boundary from a multipart Content-Type, refused in the server's words.
std::string multipart_boundary(std::string_view content_type) {
    const auto at = lowered(content_type).find("boundary");
    if (at == std::string::npos) refuse("Bad Request: boundary not found");
    const auto eq = content_type.find('=', at + 8);
    if (eq == std::string_view::npos) refuse("Bad Request: boundary value not found");
    auto value = content_type.substr(eq + 1);
    value = trimmed(value.substr(0, value.find(';')));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
    if (value.empty() || value.size() > kMaxBoundaryLength) refuse("Bad Request: boundary too big or empty");
    return std::string(value);
}

struct PartHeaders {
    std::string name;
    std::optional<std::string> filename;  // present, even empty, makes the part a file
    std::string content_type = "application/octet-stream";
};

// `form-data; name="x"; filename="a b.txt"`: quoted strings take backslash
// escapes, values are %-decoded, unknown parameters are ignored.
void read_content_disposition(std::string_view value, PartHeaders& part) {
    constexpr std::string_view kFormData = "form-data;";
    if (value.substr(0, kFormData.size()) != kFormData)
        refuse("Bad Request: expected form-data content disposition");
    value.remove_prefix(kFormData.size());
    for (;;) {
        value = trimmed(value);
        const auto eq = value.find('=');
        if (eq == std::string_view::npos) return;
        const auto key = trimmed(value.substr(0, eq));
        value.remove_prefix(eq + 1);
        while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
        std::string raw;
        if (!value.empty() && value.front() == '"') {
            std::size_t i = 1;
            for (;;) {
                if (i == value.size())
                    refuse("Bad Request: unclosed quoted string in Content-Disposition header");
                char c = value[i++];
                if (c == '"') break;
                if (c == '\\') {
                    if (i == value.size())
                        refuse("Bad Request: wrong escape sequence in Content-Disposition header");
                    c = value[i++];
                }
                raw += c;
            }
            value.remove_prefix(i);
            while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
            if (!value.empty()) {
                if (value.front() != ';') refuse("Bad Request: expected ';' in Content-Disposition header");
                value.remove_prefix(1);
            }
        } else {
            const auto semicolon = value.find(';');
            raw = std::string(trimmed(value.substr(0, semicolon)));
            value = semicolon == std::string_view::npos ? std::string_view() : value.substr(semicolon + 1);
        }
        if (key == "name")
            part.name = percent_decoded(raw);
        else if (key == "filename")
            part.filename = percent_decoded(raw);
    }
}

// A part's header block: lines that end in CRLF, folded lines continuing the
// previous one.
PartHeaders read_part_headers(std::string_view block) {
    std::vector<std::pair<std::string, std::string>> headers;
    while (!block.empty()) {
        const auto end = block.find("\r\n");
        const auto line = block.substr(0, end);
        block = end == std::string_view::npos ? std::string_view() : block.substr(end + 2);
        if (!line.empty() && (line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
            headers.back().second += ' ';
            headers.back().second += trimmed(line);
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) refuse("Bad Request: can't parse form data headers");
        headers.emplace_back(lowered(trimmed(line.substr(0, colon))),
                             std::string(trimmed(line.substr(colon + 1))));
    }
    PartHeaders part;
    for (const auto& [name, value] : headers) {
        if (name == "content-disposition")
            read_content_disposition(value, part);
        else if (name == "content-type")
            part.content_type = value;
    }
    return part;
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

void parse_multipart(std::string_view content_type, std::string_view body, json& values,
                     std::map<std::string, UploadedFile>& files) {
    const auto boundary = multipart_boundary(content_type);
    // Every delimiter but the first follows a CRLF that belongs to it, not to
    // the content before it; the first may open the body (after a preamble).
    const std::string delimiter = "\r\n--" + boundary;
    const auto first = body.find(std::string_view(delimiter).substr(2));
    if (first == std::string_view::npos) refuse(kUnreadableBody);
    std::size_t pos = first + delimiter.size() - 2;
    for (;;) {
        if (body.substr(pos, 2) == "--") return;  // the closing delimiter; the epilogue is ignored
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;  // transport padding
        if (body.substr(pos, 2) != "\r\n") refuse(kUnreadableBody);
        pos += 2;
        if (body.substr(pos, 2) == "\r\n") refuse("Bad Request: headers in multipart/form-data are empty");
        const auto headers_end = body.find("\r\n\r\n", pos);
        if (headers_end == std::string_view::npos) refuse(kUnreadableBody);
        const auto part = read_part_headers(body.substr(pos, headers_end + 2 - pos));
        if (part.name.empty()) refuse("Bad Request: field name in multipart/form-data not found");
        const auto content_begin = headers_end + 4;
        const auto next = body.find(delimiter, content_begin);
        if (next == std::string_view::npos) refuse(kUnreadableBody);
        const auto content = body.substr(content_begin, next - content_begin);
        if (part.filename) {
            files[part.name] = UploadedFile{*part.filename, part.content_type, std::string(content)};
        } else if (lowered(part.content_type).rfind("application/x-www-form-urlencoded", 0) == 0) {
            parse_urlencoded(content, values);  // the server reads such a part as more form fields
        } else {
            values[part.name] = std::string(content);
        }
        pos = next + delimiter.size();
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
        auto parsed = profo::sdk::parse_json_input(body);
        if (parsed.is_discarded()) throw std::invalid_argument("Bad Request: can't parse JSON object");
        if (!parsed.is_object()) throw std::invalid_argument("Bad Request: JSON object expected");
        for (auto& [k, v] : parsed.items()) p.values_[k] = std::move(v);
    } else if (trimmed_type == "multipart/form-data") {
        parse_multipart(content_type, body, p.values_, p.files_);
    } else if (trimmed_type == "application/x-www-form-urlencoded") {
        parse_urlencoded(body, p.values_);  // what curl -d sends
    }
    // Any other body (text/plain, or none named) holds no parameters for the
    // Bot API server (TDLib's HttpReader): only the query string counts.
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
        if (const auto n = whole_int64(it->get<double>())) return *n;
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

std::int64_t whole_number_in(const nlohmann::json& value, const std::string& key, std::int64_t least,
                             std::int64_t most) {
    const auto refuse = [&]() -> std::int64_t {
        throw std::invalid_argument(key + " must be a whole number from " + std::to_string(least) + " to " +
                                    std::to_string(most));
    };
    std::int64_t n = 0;
    if (value.is_number_unsigned()) {
        const auto u = value.get<std::uint64_t>();
        if (most < 0 || u > static_cast<std::uint64_t>(most)) return refuse();
        n = static_cast<std::int64_t>(u);
    } else if (value.is_number_integer()) {
        n = value.get<std::int64_t>();
    } else if (value.is_number_float()) {
        const auto whole = whole_int64(value.get<double>());
        if (!whole) return refuse();
        n = *whole;
    } else if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return refuse();
    } else {
        return refuse();
    }
    if (n < least || n > most) return refuse();
    return n;
}

std::chrono::milliseconds control_milliseconds(const nlohmann::json& value, const std::string& key) {
    return std::chrono::milliseconds(whole_number_in(value, key, 0, 86'400'000));
}

std::int64_t BotApiParams::leading_integer(const std::string& key, std::int64_t fallback) const {
    const auto it = values_.find(key);
    if (it == values_.end() || it->is_null()) return fallback;
    const std::string text = it->is_string() ? it->get<std::string>() : it->dump();
    if (text.empty()) return fallback;
    std::string_view digits(text);
    const bool negative = digits.front() == '-';
    if (negative) digits.remove_prefix(1);
    std::int64_t value = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') break;
        if (value > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) break;
        value = value * 10 + (c - '0');
    }
    return negative ? -value : value;
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
    auto parsed = profo::sdk::parse_json_input(s);
    if (parsed.is_discarded()) throw std::invalid_argument(key);
    return parsed;
}

const UploadedFile* BotApiParams::file(const std::string& key) const {
    const auto it = files_.find(key);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace profo::telegram_emulator
