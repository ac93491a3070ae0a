#include "course/element_id.hpp"

#include <profo/sdk/text.hpp>

#include <locale.h>
#include <clocale>
#include <cstdio>
#include <cwctype>
#include <vector>

namespace profo::host {

namespace {

// UTF-8 to code points; the text was checked to be valid UTF-8.
std::vector<char32_t> code_points(std::string_view text) {
    std::vector<char32_t> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const int length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        char32_t c = length == 1 ? lead : lead & (0x7F >> length);
        for (int k = 1; k < length; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        out.push_back(c);
        i += static_cast<std::size_t>(length);
    }
    return out;
}

// glibc's built-in C.UTF-8 classifies every script by the Unicode data.
locale_t unicode_ctype() {
    static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    return locale;
}

bool letter_or_digit(char32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const locale_t locale = unicode_ctype();
    return locale != static_cast<locale_t>(nullptr) && iswalnum_l(static_cast<wint_t>(c), locale) != 0;
}

enum class Script { other, latin, greek, cyrillic };

// Only the scripts whose letters look alike.
Script script_of(char32_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x1E00 && c <= 0x1EFF))
        return Script::latin;
    if ((c >= 0x370 && c <= 0x3FF) || (c >= 0x1F00 && c <= 0x1FFF)) return Script::greek;
    if ((c >= 0x400 && c <= 0x52F) || (c >= 0x1C80 && c <= 0x1C8F) || (c >= 0x2DE0 && c <= 0x2DFF) ||
        (c >= 0xA640 && c <= 0xA69F))
        return Script::cyrillic;
    return Script::other;
}

const char* script_name(Script s) {
    switch (s) {
        case Script::latin: return "Latin";
        case Script::greek: return "Greek";
        case Script::cyrillic: return "Cyrillic";
        case Script::other: break;
    }
    return "other";
}

std::string utf8_of(char32_t c) {
    std::string out;
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
    return out;
}

std::string code_point_name(char32_t c) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
    return hex;
}

}  // namespace

std::string element_id_problem(std::string_view id) {
    if (id.empty()) return "it is empty";
    if (!sdk::valid_utf8(id)) return "it is not valid UTF-8";
    const auto characters = code_points(id);
    if (characters.size() > kMaxElementIdCharacters)
        return "it has " + std::to_string(characters.size()) + " characters";
    for (std::size_t i = 0; i < characters.size(); ++i) {
        const char32_t c = characters[i];
        if (c == '_' || c == '.' || c == '-' || letter_or_digit(c)) continue;
        return "character " + std::to_string(i + 1) + " ('" + utf8_of(c) + "', " + code_point_name(c) +
               ") is not allowed";
    }
    return {};
}

std::optional<std::string> mixed_script_warning(std::string_view id) {
    if (!sdk::valid_utf8(id)) return std::nullopt;
    const auto characters = code_points(id);
    Script first = Script::other;
    for (std::size_t i = 0; i < characters.size(); ++i) {
        const Script s = script_of(characters[i]);
        if (s == Script::other) continue;
        if (first == Script::other) {
            first = s;
            continue;
        }
        if (s != first)
            return "the element id mixes " + std::string(script_name(first)) + " and " + script_name(s) +
                   " letters: '" + utf8_of(characters[i]) + "' (" + code_point_name(characters[i]) + ", " +
                   script_name(s) + ") at position " + std::to_string(i + 1) +
                   " is probably a typo for a look-alike " + script_name(first) + " letter";
    }
    return std::nullopt;
}

}  // namespace profo::host
