#include <profo/sdk/text.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

namespace profo::sdk {

namespace {

struct Folding {
    char32_t from;
    std::array<char32_t, 3> to;
};

constexpr Folding kFoldings[] = {
#include "case_folding_table.inc"
};

bool is_continuation(unsigned char byte) {
    return (byte & 0xC0) == 0x80;
}

// Decodes the code point at `pos`; 0 bytes when the sequence is not valid
// UTF-8 (overlong, surrogate, out of range, truncated).
std::size_t decode(std::string_view text, std::size_t pos, char32_t& out) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    char32_t value = 0;
    char32_t minimum = 0;
    if (lead < 0x80) {
        out = lead;
        return 1;
    }
    if ((lead & 0xE0) == 0xC0) {
        length = 2, value = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, value = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, value = lead & 0x07, minimum = 0x10000;
    } else {
        return 0;
    }
    if (pos + length > text.size()) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        if (!is_continuation(byte)) return 0;
        value = (value << 6) | (byte & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
    out = value;
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

const Folding* folding_of(char32_t c) {
    const auto* end = std::end(kFoldings);
    const auto* it = std::lower_bound(std::begin(kFoldings), end, c,
                                      [](const Folding& f, char32_t v) { return f.from < v; });
    return it != end && it->from == c ? it : nullptr;
}

// White_Space in Unicode's PropList.txt.
bool is_white_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

}  // namespace

bool valid_utf8(std::string_view text) {
    char32_t c = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t length = decode(text, pos, c);
        if (length == 0) return false;
        pos += length;
    }
    return true;
}

std::size_t telegram_length(std::string_view utf8) {
    std::size_t units = 0;
    for (const char c : utf8) {
        const auto byte = static_cast<unsigned char>(c);
        if (is_continuation(byte)) continue;
        units += byte >= 0xF0 && byte <= 0xF4 ? 2 : 1;
    }
    return units;
}

std::string fold_case(std::string_view utf8) {
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
        if (const Folding* f = folding_of(c)) {
            for (const char32_t folded : f->to)
                if (folded != 0) encode(folded, out);
        } else {
            out.append(utf8.substr(pos, length));
        }
        pos += length;
    }
    return out;
}

std::string_view trim(std::string_view utf8) {
    // From the front: code point by code point.
    while (!utf8.empty()) {
        char32_t c = 0;
        const std::size_t length = decode(utf8, 0, c);
        if (length == 0 || !is_white_space(c)) break;
        utf8.remove_prefix(length);
    }
    // From the back: find the start of the last code point.
    while (!utf8.empty()) {
        std::size_t start = utf8.size() - 1;
        while (start > 0 && utf8.size() - start < 4 &&
               is_continuation(static_cast<unsigned char>(utf8[start])))
            --start;
        char32_t c = 0;
        const std::size_t length = decode(utf8, start, c);
        if (length == 0 || start + length != utf8.size() || !is_white_space(c)) break;
        utf8.remove_suffix(length);
    }
    return utf8;
}

bool same_answer(std::string_view given, std::string_view expected) {
    return fold_case(trim(given)) == fold_case(trim(expected));
}

std::optional<std::u32string> code_points(std::string_view utf8) {
    std::u32string out;
    for (std::size_t pos = 0; pos < utf8.size();) {
        char32_t c = 0;
        const std::size_t length = decode(utf8, pos, c);
        if (length == 0) return std::nullopt;
        out += c;
        pos += length;
    }
    return out;
}

std::string utf8_of(char32_t c) {
    std::string out;
    encode(c, out);
    return out;
}

}  // namespace profo::sdk
