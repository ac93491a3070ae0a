#include "course/element_id.hpp"

#include <profo/sdk/text.hpp>

#include <locale.h>
#include <clocale>
#include <cstdio>
#include <cwctype>

namespace profo::host {

namespace {

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

std::string code_point_name(char32_t c) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
    return hex;
}

}  // namespace

std::string element_id_problem(std::string_view id) {
    if (id.empty()) return "it is empty";
    const auto decoded = sdk::code_points(id);
    if (!decoded) return "it is not valid UTF-8";
    const auto& characters = *decoded;
    if (characters.size() > kMaxElementIdCharacters)
        return "it has " + std::to_string(characters.size()) + " characters";
    for (std::size_t i = 0; i < characters.size(); ++i) {
        const char32_t c = characters[i];
        if (c == '_' || c == '.' || c == '-' || letter_or_digit(c)) continue;
        return "character " + std::to_string(i + 1) + " ('" + sdk::utf8_of(c) + "', " + code_point_name(c) +
               ") is not allowed";
    }
    return {};
}

std::optional<std::string> mixed_script_warning(std::string_view id) {
    const auto decoded = sdk::code_points(id);
    if (!decoded) return std::nullopt;
    const auto& characters = *decoded;
    // Words are runs of letters; digits, '_', '.' and '-' part them. A word
    // in another script is a word (Урок_Intro, Quiz_Жизнь_1); a letter of
    // another script inside a word (Test_Сase), or alone where the id's own
    // script is expected (Lesson_1а), is the look-alike typo.
    auto majority = [&](std::size_t from, std::size_t to) {
        std::size_t counts[4] = {};
        for (std::size_t i = from; i < to; ++i) ++counts[static_cast<int>(script_of(characters[i]))];
        Script best = Script::other;
        for (const auto s : {Script::latin, Script::greek, Script::cyrillic})
            if (counts[static_cast<int>(s)] > counts[static_cast<int>(best)] || best == Script::other)
                if (counts[static_cast<int>(s)] > 0) best = s;
        return best;
    };
    const Script id_script = majority(0, characters.size());
    auto warning = [&](Script expected, std::size_t i) {
        const Script s = script_of(characters[i]);
        return "the element id mixes " + std::string(script_name(expected)) + " and " + script_name(s) +
               " letters: '" + sdk::utf8_of(characters[i]) + "' (" + code_point_name(characters[i]) + ", " +
               script_name(s) + ") at position " + std::to_string(i + 1) +
               " is probably a typo for a look-alike " + script_name(expected) + " letter";
    };
    for (std::size_t begin = 0; begin < characters.size();) {
        if (script_of(characters[begin]) == Script::other) {
            ++begin;
            continue;
        }
        std::size_t end = begin;
        while (end < characters.size() && script_of(characters[end]) != Script::other) ++end;
        const Script word_script = majority(begin, end);
        for (std::size_t i = begin; i < end; ++i)
            if (script_of(characters[i]) != word_script) return warning(word_script, i);
        if (end - begin == 1 && word_script != id_script && id_script != Script::other)
            return warning(id_script, begin);
        begin = end;
    }
    return std::nullopt;
}

}  // namespace profo::host
