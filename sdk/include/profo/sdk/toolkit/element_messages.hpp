// Element toolkit: what an element sends, built from its fields the same way
// by every type: parse_mode (MARKDOWN when absent, as in the legacy bot),
// link_preview and media, read once at compile time into a MessageStyle.
// Telegram's limits (long texts, captions, albums, Google Drive links) are
// the engine's business, not the element's.
#pragma once

#include <profo/sdk/element.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace profo::elements {

// HTML, MARKDOWN or MarkdownV2 for any accepted spelling of parse_mode
// (case-insensitive; `HTML!`, "dialog replies are HTML", sends as HTML).
std::optional<std::string> canonical_parse_mode(std::string_view written);
std::string parse_mode_of(const nlohmann::json& spec);
bool link_preview_of(const nlohmann::json& spec);
std::vector<std::string> media_of(const nlohmann::json& spec);

// How an element's messages look: part of every ElementSpec that sends text.
struct MessageStyle {
    std::string parse_mode = "MARKDOWN";
    bool link_preview = true;
    std::vector<std::string> media;  // sent before the element's text
};
// Reads parse_mode, link_preview and media (checked by check_common_fields).
MessageStyle message_style(const nlohmann::json& spec);

// A text message in the element's parse mode and preview setting.
sdk::OutAction text_action(const MessageStyle& style, std::string text);
// The same with one button per label.
sdk::OutAction text_action(const MessageStyle& style, std::string text,
                           const std::vector<std::string>& buttons);

// Sends the element's media (if any) as one media action; the text of the
// element goes separately, after it.
void send_media(sdk::ElementContext& ctx, const MessageStyle& style);
// Sends `text` (when present and not blank) in the element's parse mode.
void send_text(sdk::ElementContext& ctx, const MessageStyle& style, const std::optional<std::string>& text);

// The student's press of button `index`, kept in the history as their reply.
void record_press(sdk::ElementContext& ctx, int index, const std::string& label);

}  // namespace profo::elements
