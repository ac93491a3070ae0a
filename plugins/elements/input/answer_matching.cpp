#include "answer_matching.hpp"

#include <regex>

namespace profo::elements {

namespace {

// Simple case mappings of the scripts course authors use; a code point
// without one maps to itself.
char32_t lower_code_point(char32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // Latin-1 letters, × excluded
    if (c >= 0x100 && c <= 0x17F) {                          // Latin Extended-A: upper/lower pairs
        if (c == 0x130) return 'i';                          // İ
        if (c == 0x178) return 0xFF;                         // Ÿ
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;  // no pair
        const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        return (c % 2 == (odd_upper ? 1u : 0u)) ? c + 1 : c;
    }
    if (c >= 0x370 && c <= 0x3FF) {  // Greek
        if (c == 0x386) return 0x3AC;
        if (c >= 0x388 && c <= 0x38A) return c + 37;
        if (c == 0x38C) return 0x3CC;
        if (c == 0x38E || c == 0x38F) return c + 63;
        if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 32;
        if (c == 0x3C2) return 0x3C3;  // final sigma compares as sigma
        return c;
    }
    if (c >= 0x400 && c <= 0x52F) {  // Cyrillic and Cyrillic Supplement
        if (c <= 0x40F) return c + 80;
        if (c <= 0x42F) return c + 32;
        if (c == 0x4C0) return 0x4CF;
        if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F))
            return c % 2 == 0 ? c + 1 : c;
        if (c >= 0x4C1 && c <= 0x4CE) return c % 2 == 1 ? c + 1 : c;
        return c;
    }
    return c;
}

// Decodes one UTF-8 sequence at `pos`; returns its length, 0 when invalid.
std::size_t decode(std::string_view s, std::size_t pos, char32_t& out) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = byte(pos);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xE  ? 3
                         : (lead >> 3) == 0x1E ? 4
                                               : 0;
    if (length == 0 || pos + length > s.size()) return 0;
    char32_t c = length == 1 ? lead : lead & (0xFF >> (length + 1));
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(pos + i) & 0xC0) != 0x80) return 0;
        c = (c << 6) | (byte(pos + i) & 0x3F);
    }
    out = c;
    return length;
}

void encode(char32_t c, std::string& out) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool matches(const char* pattern, std::string_view text) {
    const std::regex re(pattern);
    return std::regex_match(text.begin(), text.end(), re);
}

}  // namespace

std::string unicode_lower(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        char32_t c = 0;
        const std::size_t length = decode(utf8, pos, c);
        if (length == 0) {
            out += utf8[pos++];
            continue;
        }
        encode(lower_code_point(c), out);
        pos += length;
    }
    return out;
}

std::string_view trim_text(std::string_view text) {
    static constexpr std::string_view kNoBreakSpace = "\xC2\xA0";
    while (true) {
        if (!text.empty() && is_ascii_space(text.front())) {
            text.remove_prefix(1);
        } else if (!text.empty() && is_ascii_space(text.back())) {
            text.remove_suffix(1);
        } else if (text.substr(0, kNoBreakSpace.size()) == kNoBreakSpace) {
            text.remove_prefix(kNoBreakSpace.size());
        } else if (text.size() >= kNoBreakSpace.size() &&
                   text.substr(text.size() - kNoBreakSpace.size()) == kNoBreakSpace) {
            text.remove_suffix(kNoBreakSpace.size());
        } else {
            return text;
        }
    }
}

std::string digits_of(std::string_view text) {
    std::string digits;
    for (char c : text)
        if (c >= '0' && c <= '9') digits += c;
    return digits;
}

std::optional<InputType> input_type_named(std::string_view name) {
    if (name == "text") return InputType::text;
    if (name == "sequence") return InputType::sequence;
    return std::nullopt;
}

bool answer_matches(std::string_view reply, std::string_view correct_answer, InputType type) {
    if (type == InputType::sequence) return digits_of(reply) == digits_of(correct_answer);
    return unicode_lower(trim_text(reply)) == unicode_lower(trim_text(correct_answer));
}

std::optional<ReplyFormat> reply_format_named(std::string_view validate, std::string* error) {
    static constexpr std::string_view kRegexPrefix = "regex:";
    if (validate == "email") return ReplyFormat{ReplyFormat::Kind::email, {}};
    if (validate == "phone") return ReplyFormat{ReplyFormat::Kind::phone, {}};
    if (validate == "number") return ReplyFormat{ReplyFormat::Kind::number, {}};
    if (validate.substr(0, kRegexPrefix.size()) != kRegexPrefix) {
        if (error != nullptr) *error = "not one of email, phone, number, regex:<expression>";
        return std::nullopt;
    }
    ReplyFormat format{ReplyFormat::Kind::regex, std::string(validate.substr(kRegexPrefix.size()))};
    if (format.pattern.empty()) {
        if (error != nullptr) *error = "the regular expression after 'regex:' is empty";
        return std::nullopt;
    }
    try {
        std::regex compiled(format.pattern);
    } catch (const std::regex_error& e) {
        if (error != nullptr) *error = std::string("the regular expression does not compile: ") + e.what();
        return std::nullopt;
    }
    return format;
}

bool reply_fits(const ReplyFormat& format, std::string_view reply) {
    reply = trim_text(reply);
    try {
        switch (format.kind) {
            case ReplyFormat::Kind::email: return matches(R"([^@\s]+@[^@\s]+\.[^@\s.]+)", reply);
            case ReplyFormat::Kind::phone: {
                const std::size_t digits = digits_of(reply).size();
                return digits >= 7 && digits <= 15 && matches(R"(\+?[0-9(][0-9 ()\-.]*[0-9])", reply);
            }
            case ReplyFormat::Kind::number: return matches(R"([-+]?([0-9]+([.,][0-9]*)?|[.,][0-9]+))", reply);
            case ReplyFormat::Kind::regex: {
                const std::regex re(format.pattern);
                return std::regex_match(reply.begin(), reply.end(), re);
            }
        }
    } catch (const std::regex_error&) {
        // Catastrophic backtracking on a long reply: treat it as not fitting
        // rather than failing the student's event.
    }
    return false;
}

}  // namespace profo::elements
