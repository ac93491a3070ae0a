// Telegram's view of message text: parse_mode parsing (HTML, MarkdownV2, legacy Markdown) into
// plain text plus MessageEntity objects, and lengths counted the way Telegram
// counts them (UTF-16 code units), so limits and entity offsets match exactly.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace profo::telegram_emulator {

// Text after entity parsing. `entities` is a JSON array of MessageEntity.
struct FormattedText {
    std::string text;
    nlohmann::json entities = nlohmann::json::array();
};

// Either the parsed text or the reason, worded as Telegram words it after
// "Bad Request: can't parse entities: ".
struct EntityParseResult {
    FormattedText value;
    std::string error;
    bool ok() const { return error.empty(); }
};

EntityParseResult parse_html(std::string_view text);
EntityParseResult parse_markdown_v2(std::string_view text);
EntityParseResult parse_markdown_v1(std::string_view text);  // parse_mode "Markdown"

// Dispatches on a parse_mode value ("HTML", "MarkdownV2", "" = plain; case-insensitive).
// An unknown mode is an error "Unsupported parse_mode".
EntityParseResult parse_formatted(std::string_view text, std::string_view parse_mode);

std::size_t utf16_length(std::string_view utf8);
bool is_valid_utf8(std::string_view text);

// Telegram trims leading/trailing whitespace before deciding a text is empty.
bool is_blank(std::string_view text);

}  // namespace profo::telegram_emulator
