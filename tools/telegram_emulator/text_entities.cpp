#include "text_entities.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <vector>

namespace profo::telegram_emulator {
namespace {

using nlohmann::json;

// Both parsers mirror TDLib's byte-level scanners, which read past the end as
// NUL; `at` gives the same view without reading out of bounds.
struct Cursor {
    std::string_view s;
    char at(std::size_t i) const { return i < s.size() ? s[i] : '\0'; }
};

bool is_space_or_end(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == '\v' || c == '\f';
}

bool is_first_code_unit(unsigned char c) {
    return (c & 0xC0) != 0x80;
}

// UTF-16 units a UTF-8 lead byte stands for (4-byte sequences are surrogate pairs).
int utf16_units_of_lead(unsigned char c) {
    return c >= 0xF0 ? 2 : 1;
}

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

std::string lowered(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The Bot API knows every numeric entity but only four named ones; anything
// else after '&' stays literal text. Returns the code point and moves `i` past
// the ';', or 0 when there is no entity here.
std::uint32_t decode_html_entity(std::string_view s, std::size_t& i) {
    std::size_t j = i + 1;
    std::uint32_t code = 0;
    if (j < s.size() && s[j] == '#') {
        ++j;
        const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
        if (hex) ++j;
        const std::size_t digits_begin = j;
        while (j < s.size()) {
            const char c = s[j];
            int digit = -1;
            if (c >= '0' && c <= '9')
                digit = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            if (digit < 0) break;
            code = code * (hex ? 16 : 10) + static_cast<std::uint32_t>(digit);
            if (code >= 0x10FFFF) return 0;  // as TDLib: U+10FFFF itself is refused too
            ++j;
        }
        // TDLib reads at most 9 characters after the '&' as a numeric reference.
        if (j == digits_begin || code == 0 || j - i >= 10) return 0;
    } else {
        const std::size_t name_begin = j;
        while (j < s.size() && is_alnum(s[j])) ++j;
        const auto name = s.substr(name_begin, j - name_begin);
        if (name == "lt")
            code = '<';
        else if (name == "gt")
            code = '>';
        else if (name == "amp")
            code = '&';
        else if (name == "quot")
            code = '"';
        else
            return 0;
    }
    if (j >= s.size() || s[j] != ';') return 0;
    i = j + 1;
    return code;
}

json entity(std::string_view type, std::int64_t offset, std::int64_t length) {
    return json{{"offset", offset}, {"length", length}, {"type", type}};
}

// Telegram accepts links without a scheme (it adds http://) and a few
// app schemes; anything with spaces or an unknown scheme yields no entity.
std::string checked_link(std::string_view url) {
    while (!url.empty() && is_space_or_end(url.front())) url.remove_prefix(1);
    while (!url.empty() && is_space_or_end(url.back())) url.remove_suffix(1);
    if (url.empty() || url.find(' ') != std::string_view::npos) return {};
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return "http://" + std::string(url);
    const auto scheme = lowered(url.substr(0, scheme_end));
    if (scheme == "http" || scheme == "https" || scheme == "tg" || scheme == "ton" || scheme == "tonsite")
        return std::string(url);
    return {};
}

// tg://user?id=N makes a text_mention instead of a text_link.
std::int64_t link_user_id(std::string_view url) {
    constexpr std::string_view prefix = "tg://user?id=";
    if (url.size() <= prefix.size() || lowered(url.substr(0, prefix.size())) != prefix) return 0;
    std::int64_t id = 0;
    for (char c : url.substr(prefix.size())) {
        if (c < '0' || c > '9') return 0;
        id = id * 10 + (c - '0');
        if (id > (std::int64_t{1} << 53)) return 0;
    }
    return id;
}

json link_entity(std::int64_t offset, std::int64_t length, const std::string& url) {
    if (const auto user = link_user_id(url); user != 0) {
        auto e = entity("text_mention", offset, length);
        e["user"] = json{{"id", user}, {"is_bot", false}, {"first_name", ""}};
        return e;
    }
    auto checked = checked_link(url);
    if (checked.empty()) return nullptr;
    auto e = entity("text_link", offset, length);
    e["url"] = checked;
    return e;
}

void sort_entities(json& entities) {
    std::stable_sort(entities.begin(), entities.end(), [](const json& a, const json& b) {
        const auto ao = a["offset"].get<std::int64_t>(), bo = b["offset"].get<std::int64_t>();
        if (ao != bo) return ao < bo;
        return a["length"].get<std::int64_t>() > b["length"].get<std::int64_t>();
    });
}

EntityParseResult failure(std::string message) {
    EntityParseResult r;
    r.error = std::move(message);
    return r;
}

struct HtmlOpenTag {
    std::string name;
    std::string argument;
    std::int64_t utf16_offset;
    std::size_t output_begin;
};

bool is_supported_html_tag(const std::string& t) {
    static const char* const kTags[] = {"a",       "b",    "strong", "i",    "em",         "s",
                                        "strike",  "del",  "u",      "ins",  "tg-spoiler", "tg-emoji",
                                        "tg-time", "span", "pre",    "code", "blockquote"};
    return std::any_of(std::begin(kTags), std::end(kTags), [&](const char* k) { return t == k; });
}

}  // namespace

std::size_t utf16_length(std::string_view utf8) {
    std::size_t n = 0;
    for (char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_first_code_unit(c)) n += static_cast<std::size_t>(utf16_units_of_lead(c));
    }
    return n;
}

bool is_valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = 0;
        std::uint32_t code = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            code = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            code = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            code = c & 0x07;
        } else {
            return false;
        }
        if (i + len > text.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto d = static_cast<unsigned char>(text[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            code = (code << 6) | (d & 0x3F);
        }
        const std::uint32_t min_code = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

bool is_blank(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return is_space_or_end(c); });
}

EntityParseResult parse_html(std::string_view input) {
    const Cursor t{input};
    EntityParseResult result;
    std::string& out = result.value.text;
    json& entities = result.value.entities;
    std::int64_t utf16 = 0;
    std::vector<HtmlOpenTag> open;

    for (std::size_t i = 0; i < input.size(); ++i) {
        const auto c = static_cast<unsigned char>(input[i]);
        if (c == '&') {
            std::size_t j = i;
            if (const auto code = decode_html_entity(input, j); code != 0) {
                append_utf8(out, code);
                utf16 += code > 0xFFFF ? 2 : 1;
                i = j - 1;
                continue;
            }
        }
        if (c != '<') {
            if (is_first_code_unit(c)) utf16 += utf16_units_of_lead(c);
            out += static_cast<char>(c);
            continue;
        }

        const std::size_t begin = i++;
        if (t.at(i) != '/') {
            while (!is_space_or_end(t.at(i)) && t.at(i) != '>') ++i;
            if (i >= input.size())
                return failure("Unclosed start tag at byte offset " + std::to_string(begin));
            std::string name = lowered(input.substr(begin + 1, i - begin - 1));
            if (!is_supported_html_tag(name))
                return failure("Unsupported start tag \"" + name + "\" at byte offset " +
                               std::to_string(begin));

            std::string argument;
            while (t.at(i) != '>') {
                while (i < input.size() && is_space_or_end(t.at(i))) ++i;
                if (t.at(i) == '>') break;
                const std::size_t attr_begin = i;
                while (!is_space_or_end(t.at(i)) && t.at(i) != '=' && t.at(i) != '>' && t.at(i) != '/' &&
                       t.at(i) != '"' && t.at(i) != '\'')
                    ++i;
                const std::string attr = std::string(input.substr(attr_begin, i - attr_begin));
                if (attr.empty())
                    return failure("Empty attribute name in the tag \"" + name + "\" at byte offset " +
                                   std::to_string(begin));
                while (i < input.size() && is_space_or_end(t.at(i))) ++i;
                if (t.at(i) != '=') {
                    if (i >= input.size())
                        return failure("Unclosed start tag \"" + name + "\" at byte offset " +
                                       std::to_string(begin));
                    if (name == "blockquote" && attr == "expandable") argument = "1";
                    continue;
                }
                ++i;
                while (i < input.size() && is_space_or_end(t.at(i))) ++i;
                if (i >= input.size())
                    return failure("Unclosed start tag \"" + name + "\" at byte offset " +
                                   std::to_string(begin));
                std::string value;
                if (t.at(i) != '\'' && t.at(i) != '"') {
                    const std::size_t token_begin = i;
                    while (is_alnum(t.at(i)) || t.at(i) == '.' || t.at(i) == '-') ++i;
                    value = lowered(input.substr(token_begin, i - token_begin));
                    if (!is_space_or_end(t.at(i)) && t.at(i) != '>')
                        return failure("Unexpected end of name token at byte offset " +
                                       std::to_string(token_begin));
                } else {
                    const char quote = input[i++];
                    while (i < input.size() && input[i] != quote) {
                        if (input[i] == '&') {
                            std::size_t j = i;
                            if (const auto code = decode_html_entity(input, j); code != 0) {
                                append_utf8(value, code);
                                i = j;
                                continue;
                            }
                        }
                        value += input[i++];
                    }
                    if (t.at(i) == quote) ++i;
                }
                if (i >= input.size())
                    return failure("Unclosed start tag at byte offset " + std::to_string(begin));
                if (name == "a" && attr == "href")
                    argument = std::move(value);
                else if (name == "code" && attr == "class" && value.rfind("language-", 0) == 0)
                    argument = value.substr(9);
                else if (name == "span" && attr == "class" && value.rfind("tg-", 0) == 0)
                    argument = value.substr(3);
                else if (name == "tg-emoji" && attr == "emoji-id")
                    argument = std::move(value);
                else if (name == "blockquote" && attr == "expandable")
                    argument = "1";
            }
            if (name == "span" && argument != "spoiler")
                return failure("Tag \"span\" must have class \"tg-spoiler\" at byte offset " +
                               std::to_string(begin));
            open.push_back({std::move(name), std::move(argument), utf16, out.size()});
            continue;
        }

        if (open.empty()) return failure("Unexpected end tag at byte offset " + std::to_string(begin));
        while (!is_space_or_end(t.at(i)) && t.at(i) != '>') ++i;
        const std::string end_name = lowered(input.substr(begin + 2, i - begin - 2));
        while (i < input.size() && is_space_or_end(t.at(i))) ++i;
        if (t.at(i) != '>') return failure("Unclosed end tag at byte offset " + std::to_string(begin));
        HtmlOpenTag& tag = open.back();
        if (!end_name.empty() && end_name != tag.name)
            return failure("Unmatched end tag at byte offset " + std::to_string(begin) + ", expected \"</" +
                           tag.name + ">\", found \"</" + end_name + ">\"");

        if (utf16 > tag.utf16_offset) {
            const auto offset = tag.utf16_offset;
            const auto length = utf16 - offset;
            const auto& n = tag.name;
            if (n == "i" || n == "em")
                entities.push_back(entity("italic", offset, length));
            else if (n == "b" || n == "strong")
                entities.push_back(entity("bold", offset, length));
            else if (n == "s" || n == "strike" || n == "del")
                entities.push_back(entity("strikethrough", offset, length));
            else if (n == "u" || n == "ins")
                entities.push_back(entity("underline", offset, length));
            else if (n == "tg-spoiler" || n == "span")
                entities.push_back(entity("spoiler", offset, length));
            else if (n == "tg-emoji") {
                const auto& id = tag.argument;
                if (id.empty() || id == "0" ||
                    !std::all_of(id.begin(), id.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
                    return failure("Invalid custom emoji identifier specified");
                auto e = entity("custom_emoji", offset, length);
                e["custom_emoji_id"] = id;
                entities.push_back(std::move(e));
            } else if (n == "a") {
                const std::string url = tag.argument.empty() ? out.substr(tag.output_begin) : tag.argument;
                if (auto e = link_entity(offset, length, url); !e.is_null()) entities.push_back(std::move(e));
            } else if (n == "pre") {
                if (!entities.empty() && entities.back()["type"] == "code" &&
                    entities.back()["offset"] == offset && entities.back()["length"] == length &&
                    entities.back().contains("language")) {
                    entities.back()["type"] = "pre";
                } else {
                    entities.push_back(entity("pre", offset, length));
                }
            } else if (n == "code") {
                if (!entities.empty() && entities.back()["type"] == "pre" &&
                    entities.back()["offset"] == offset && entities.back()["length"] == length &&
                    !tag.argument.empty()) {
                    entities.back()["language"] = tag.argument;
                } else {
                    auto e = entity("code", offset, length);
                    if (!tag.argument.empty()) e["language"] = tag.argument;
                    entities.push_back(std::move(e));
                }
            } else if (n == "blockquote") {
                entities.push_back(
                    entity(tag.argument.empty() ? "blockquote" : "expandable_blockquote", offset, length));
            }
            // tg-time without a date gives no entity, as in Telegram.
        }
        open.pop_back();
    }
    if (!open.empty())
        return failure("Can't find end tag corresponding to start tag \"" + open.back().name + "\"");
    // &#55296; decodes to half a surrogate pair: UTF-8 no client can read.
    if (!is_valid_utf8(out))
        return failure(
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units");
    for (auto& e : entities)
        if (e["type"] == "code") e.erase("language");
    sort_entities(entities);
    return result;
}

namespace {

enum class MdType {
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code,
    Pre,
    PreCode,
    TextUrl,
    CustomEmoji,
    BlockQuote
};

// Names as Telegram prints them in "Can't find end of X entity".
const char* md_type_name(MdType t) {
    switch (t) {
        case MdType::Bold: return "Bold";
        case MdType::Italic: return "Italic";
        case MdType::Underline: return "Underline";
        case MdType::Strikethrough: return "Strikethrough";
        case MdType::Spoiler: return "Spoiler";
        case MdType::Code: return "Code";
        case MdType::Pre: return "Pre";
        case MdType::PreCode: return "PreCode";
        case MdType::TextUrl: return "TextUrl";
        case MdType::CustomEmoji: return "CustomEmoji";
        case MdType::BlockQuote: return "BlockQuote";
    }
    return "";
}

const char* md_json_type(MdType t) {
    switch (t) {
        case MdType::Bold: return "bold";
        case MdType::Italic: return "italic";
        case MdType::Underline: return "underline";
        case MdType::Strikethrough: return "strikethrough";
        case MdType::Spoiler: return "spoiler";
        case MdType::Code: return "code";
        case MdType::Pre:
        case MdType::PreCode: return "pre";
        case MdType::TextUrl: return "text_link";
        case MdType::CustomEmoji: return "custom_emoji";
        case MdType::BlockQuote: return "blockquote";
    }
    return "";
}

struct MdOpen {
    MdType type;
    std::string argument;
    std::int64_t utf16_offset;
    std::size_t byte_offset;   // where the markup starts in the input (for errors)
    std::size_t output_begin;  // where the entity's text starts in the output
};

std::string reserved_error(char c) {
    return std::string("Character '") + c + "' is reserved and must be escaped with the preceding '\\'";
}

std::string unclosed_error(const MdOpen& e) {
    return std::string("Can't find end of ") + md_type_name(e.type) + " entity at byte offset " +
           std::to_string(e.byte_offset);
}

// Reads "(url)" right after the closing ']' at i; leaves i on the ')'.
bool read_markdown_url(const Cursor& t, std::size_t& i, std::string& url) {
    i += 2;
    while (i < t.s.size() && t.at(i) != ')') {
        const auto next = static_cast<unsigned char>(t.at(i + 1));
        if (t.at(i) == '\\' && next > 0 && next <= 126) {
            url += static_cast<char>(next);
            i += 2;
            continue;
        }
        url += t.at(i++);
    }
    return t.at(i) == ')';
}

}  // namespace

EntityParseResult parse_markdown_v2(std::string_view input) {
    const Cursor t{input};
    EntityParseResult result;
    std::string& out = result.value.text;
    json& entities = result.value.entities;
    std::int64_t utf16 = 0;
    std::vector<MdOpen> open;
    bool have_blockquote = false;
    bool can_start_blockquote = true;

    for (std::size_t i = 0; i < input.size(); ++i) {
        const auto c = static_cast<unsigned char>(input[i]);
        const auto next = static_cast<unsigned char>(t.at(i + 1));
        if (c == '\\' && next > 0 && next <= 126) {
            ++i;
            ++utf16;
            out += input[i];
            if (input[i] != '\r') can_start_blockquote = input[i] == '\n';
            continue;
        }

        std::string_view reserved = "_*[]()~`>#+-=|{}.!\n";
        if (!open.empty() && (open.back().type == MdType::Code || open.back().type == MdType::Pre ||
                              open.back().type == MdType::PreCode))
            reserved = "`";
        if (reserved.find(static_cast<char>(c)) == std::string_view::npos) {
            if (is_first_code_unit(c)) {
                utf16 += utf16_units_of_lead(c);
                if (c != '\r') can_start_blockquote = false;
            }
            out += static_cast<char>(c);
            continue;
        }

        bool is_end = false;
        if (!open.empty()) {
            if (have_blockquote && c == '\n' && (i + 1 == input.size() || t.at(i + 1) != '>')) {
                is_end = true;
            } else {
                switch (open.back().type) {
                    case MdType::Bold: is_end = c == '*'; break;
                    case MdType::Italic: is_end = c == '_' && t.at(i + 1) != '_'; break;
                    case MdType::Code: is_end = c == '`'; break;
                    case MdType::Pre:
                    case MdType::PreCode:
                        is_end = c == '`' && t.at(i + 1) == '`' && t.at(i + 2) == '`';
                        break;
                    case MdType::TextUrl: is_end = c == ']'; break;
                    case MdType::Underline: is_end = c == '_' && t.at(i + 1) == '_'; break;
                    case MdType::Strikethrough: is_end = c == '~'; break;
                    case MdType::Spoiler: is_end = c == '|' && t.at(i + 1) == '|'; break;
                    case MdType::CustomEmoji: is_end = c == ']'; break;
                    case MdType::BlockQuote: is_end = false; break;
                }
            }
        }

        if (!is_end) {
            MdType type{};
            std::string argument;
            const std::size_t byte_offset = i;
            switch (c) {
                case '_':
                    if (t.at(i + 1) == '_') {
                        type = MdType::Underline;
                        ++i;
                    } else {
                        type = MdType::Italic;
                    }
                    break;
                case '*': type = MdType::Bold; break;
                case '~': type = MdType::Strikethrough; break;
                case '|':
                    if (t.at(i + 1) != '|') return failure(reserved_error('|'));
                    ++i;
                    type = MdType::Spoiler;
                    break;
                case '[': type = MdType::TextUrl; break;
                case '`':
                    if (t.at(i + 1) == '`' && t.at(i + 2) == '`') {
                        i += 3;
                        type = MdType::Pre;
                        std::size_t language_end = i;
                        while (!is_space_or_end(t.at(language_end)) && t.at(language_end) != '`')
                            ++language_end;
                        if (i != language_end && language_end < input.size() && t.at(language_end) != '`') {
                            type = MdType::PreCode;
                            argument = std::string(input.substr(i, language_end - i));
                            i = language_end;
                        }
                        // One line break after the opening fence is not part of the text.
                        if (t.at(i) == '\n' || t.at(i) == '\r') {
                            if ((t.at(i + 1) == '\n' || t.at(i + 1) == '\r') && t.at(i) != t.at(i + 1))
                                i += 2;
                            else
                                ++i;
                        }
                        --i;
                    } else {
                        type = MdType::Code;
                    }
                    break;
                case '!':
                    if (t.at(i + 1) != '[') return failure(reserved_error('!'));
                    ++i;
                    type = MdType::CustomEmoji;
                    break;
                case '\n':
                    ++utf16;
                    out += '\n';
                    can_start_blockquote = true;
                    continue;
                case '>':
                    if (!can_start_blockquote) return failure(reserved_error('>'));
                    if (have_blockquote) continue;  // a continuation line's marker
                    type = MdType::BlockQuote;
                    have_blockquote = true;
                    break;
                default: return failure(reserved_error(static_cast<char>(c)));
            }
            open.push_back({type, std::move(argument), utf16, byte_offset, out.size()});
            continue;
        }

        MdType type = open.back().type;
        bool expandable = false;
        if (c == '\n' && type != MdType::BlockQuote) {
            // "**>quote||" closes an expandable quote: a spoiler mark right before the line end.
            const auto& top = open.back();
            const bool spoiler_mark =
                type == MdType::Spoiler && (top.byte_offset + 2 == i ||
                                            (top.byte_offset + 3 == i && !out.empty() && out.back() == '\r'));
            if (!spoiler_mark) return failure(unclosed_error(top));
            open.pop_back();
            if (open.back().type != MdType::BlockQuote) return failure(unclosed_error(open.back()));
            type = MdType::BlockQuote;
            expandable = true;
        }
        MdOpen& top = open.back();
        std::string argument = std::move(top.argument);
        bool skip = utf16 == top.utf16_offset;
        std::int64_t mention_user = 0;
        switch (type) {
            case MdType::Bold:
            case MdType::Italic:
            case MdType::Code:
            case MdType::Strikethrough: break;
            case MdType::Underline:
            case MdType::Spoiler: ++i; break;
            case MdType::Pre:
            case MdType::PreCode: i += 2; break;
            case MdType::TextUrl: {
                std::string url;
                if (t.at(i + 1) != '(') {
                    url = out.substr(top.output_begin);
                } else {
                    const std::size_t url_begin = i + 2;
                    if (!read_markdown_url(t, i, url))
                        return failure("Can't find end of a URL at byte offset " + std::to_string(url_begin));
                }
                mention_user = link_user_id(url);
                if (mention_user == 0) {
                    argument = checked_link(url);
                    if (argument.empty()) skip = true;
                }
                break;
            }
            case MdType::CustomEmoji: {
                if (t.at(i + 1) != '(')
                    return failure("The entity must contain a tg://emoji or tg://time URL");
                const std::size_t url_begin = i + 2;
                std::string url;
                if (!read_markdown_url(t, i, url))
                    return failure("Can't find end of a URL at byte offset " + std::to_string(url_begin));
                constexpr std::string_view prefix = "tg://emoji?id=";
                const std::string id = url.rfind(prefix, 0) == 0 ? url.substr(prefix.size()) : std::string();
                if (id.empty() ||
                    !std::all_of(id.begin(), id.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
                    return failure("Invalid tg://emoji or tg://time URL specified");
                argument = id;
                break;
            }
            case MdType::BlockQuote:
                have_blockquote = false;
                out += static_cast<char>(c);
                can_start_blockquote = true;
                ++utf16;
                skip = false;
                break;
        }
        if (!skip) {
            const auto offset = top.utf16_offset;
            const auto length = utf16 - offset;
            json e;
            if (mention_user != 0) {
                e = entity("text_mention", offset, length);
                e["user"] = json{{"id", mention_user}, {"is_bot", false}, {"first_name", ""}};
            } else {
                e = entity(expandable ? "expandable_blockquote" : md_json_type(type), offset, length);
                if (type == MdType::TextUrl) e["url"] = argument;
                if (type == MdType::PreCode) e["language"] = argument;
                if (type == MdType::CustomEmoji) e["custom_emoji_id"] = argument;
            }
            entities.push_back(std::move(e));
        }
        open.pop_back();
    }
    if (have_blockquote && !open.empty()) {
        bool expandable = false;
        if (open.back().type == MdType::Spoiler && open.back().byte_offset + 2 == input.size()) {
            open.pop_back();
            expandable = true;
        }
        if (!open.empty() && open.back().type == MdType::BlockQuote) {
            const auto offset = open.back().utf16_offset;
            if (utf16 != offset)
                entities.push_back(
                    entity(expandable ? "expandable_blockquote" : "blockquote", offset, utf16 - offset));
            open.pop_back();
        }
    }
    if (!open.empty()) return failure(unclosed_error(open.back()));
    sort_entities(entities);
    return result;
}

// Telegram's legacy Markdown: `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````
// (a language may follow the opening marks) and `[text](url)`. Entities do
// not nest: inside one, only its own closing mark counts. '\' escapes the
// four marks outside entities. An entity left open is refused, with the byte
// offset of its opening mark.
EntityParseResult parse_markdown_v1(std::string_view input) {
    EntityParseResult result;
    std::string& out = result.value.text;
    json& entities = result.value.entities;
    std::int64_t utf16 = 0;
    auto take = [&](char c) {
        const auto byte = static_cast<unsigned char>(c);
        if (is_first_code_unit(byte)) utf16 += utf16_units_of_lead(byte);
        out += c;
    };
    const Cursor t{input};
    const auto is_mark = [](char m) { return m == '_' || m == '*' || m == '`' || m == '['; };
    for (std::size_t i = 0; i < input.size(); ++i) {
        const char c = input[i];
        if (c == '\\' && is_mark(t.at(i + 1))) {
            take(input[++i]);
            continue;
        }
        if (!is_mark(c)) {
            take(c);
            continue;
        }
        const std::size_t begin = i;
        const char end_mark = c == '[' ? ']' : c;
        const bool pre = c == '`' && t.at(i + 1) == '`' && t.at(i + 2) == '`';
        ++i;
        std::string language;
        if (pre) {
            i += 2;
            std::size_t end = i;
            while (end < input.size() && !std::isspace(static_cast<unsigned char>(input[end])) &&
                   input[end] != '`')
                ++end;
            if (end != i && end < input.size() && input[end] != '`') {
                language = std::string(input.substr(i, end - i));
                i = end;
            }
            if (t.at(i) == '\n' || t.at(i) == '\r')
                i += (t.at(i + 1) == '\n' || t.at(i + 1) == '\r') && t.at(i) != t.at(i + 1) ? 2 : 1;
        }
        const std::int64_t offset = utf16;
        while (i < input.size() &&
               (input[i] != end_mark || (pre && !(t.at(i + 1) == '`' && t.at(i + 2) == '`'))))
            take(input[i++]);
        if (i >= input.size())
            return failure("Can't find end of the entity starting at byte offset " + std::to_string(begin));
        const std::int64_t length = utf16 - offset;
        if (c == '[') {
            std::string url;
            if (t.at(i + 1) != '(') {
                url = std::string(input.substr(begin + 1, i - begin - 1));
            } else {
                i += 2;
                while (i < input.size() && input[i] != ')') url += input[i++];
            }
            if (length > 0)
                if (auto link = link_entity(offset, length, url); !link.is_null())
                    entities.push_back(std::move(link));
        } else if (length > 0) {
            if (c == '*') {
                entities.push_back(entity("bold", offset, length));
            } else if (c == '_') {
                entities.push_back(entity("italic", offset, length));
            } else if (!pre) {
                entities.push_back(entity("code", offset, length));
            } else {
                auto e = entity("pre", offset, length);
                if (!language.empty()) e["language"] = language;
                entities.push_back(std::move(e));
            }
        }
        if (pre) i += 2;
    }
    sort_entities(entities);
    return result;
}

EntityParseResult parse_formatted(std::string_view text, std::string_view parse_mode) {
    const auto mode = lowered(parse_mode);
    if (mode.empty() || mode == "none") {  // "none" is plain text to the Bot API server
        EntityParseResult r;
        r.value.text = std::string(text);
        return r;
    }
    if (mode == "html") return parse_html(text);
    if (mode == "markdownv2") return parse_markdown_v2(text);
    if (mode == "markdown") return parse_markdown_v1(text);
    return failure("Unsupported parse_mode");
}

}  // namespace profo::telegram_emulator
