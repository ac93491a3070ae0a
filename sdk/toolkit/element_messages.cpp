#include <profo/sdk/toolkit/element_messages.hpp>

#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/course_values.hpp>
#include <profo/sdk/text.hpp>

#include <algorithm>
#include <cctype>

namespace profo::elements {

std::optional<std::string> canonical_parse_mode(std::string_view written) {
    std::string lower(written);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "html" || lower == "html!") return "HTML";
    if (lower == "markdown") return "MARKDOWN";
    if (lower == "markdownv2") return "MarkdownV2";
    return std::nullopt;
}

std::string parse_mode_of(const nlohmann::json& spec) {
    const nlohmann::json* mode = field_value(spec, "parse_mode");
    if (mode != nullptr && mode->is_string()) {
        if (auto canonical = canonical_parse_mode(mode->get<std::string>())) return *canonical;
    }
    return "MARKDOWN";
}

bool link_preview_of(const nlohmann::json& spec) {
    const nlohmann::json* flag = field_value(spec, "link_preview");
    if (flag == nullptr) return true;
    return sdk::truthy(*flag).value_or(true);
}

std::vector<std::string> media_of(const nlohmann::json& spec) {
    std::vector<std::string> urls;
    const nlohmann::json* media = field_value(spec, "media");
    if (media == nullptr || !media->is_array()) return urls;
    for (const auto& url : *media)
        if (url.is_string() && !url.get<std::string>().empty()) urls.push_back(url.get<std::string>());
    return urls;
}

MessageStyle message_style(const nlohmann::json& spec) {
    return {parse_mode_of(spec), link_preview_of(spec), media_of(spec)};
}

sdk::OutAction text_action(const MessageStyle& style, std::string text) {
    sdk::OutAction action;
    action.kind = sdk::OutAction::Kind::text;
    action.text = std::move(text);
    action.parse_mode = style.parse_mode;
    action.link_preview = style.link_preview;
    return action;
}

sdk::OutAction text_action(const MessageStyle& style, std::string text,
                           const std::vector<std::string>& buttons) {
    sdk::OutAction action = text_action(style, std::move(text));
    for (const auto& label : buttons) action.buttons.push_back({label, {}});
    return action;
}

void send_media(sdk::ElementContext& ctx, const MessageStyle& style) {
    if (style.media.empty()) return;
    sdk::OutAction action;
    action.kind = sdk::OutAction::Kind::media;
    action.media = style.media;
    ctx.send(action);
}

void send_text(sdk::ElementContext& ctx, const MessageStyle& style, const std::optional<std::string>& text) {
    if (!text || sdk::trim(*text).empty()) return;
    ctx.send(text_action(style, *text));
}

void record_press(sdk::ElementContext& ctx, int index, const std::string& label) {
    ctx.record("user", {{"button", index}, {"text", label}});
}

}  // namespace profo::elements
