#include "element_messages.hpp"

#include "field_checks.hpp"

#include <profo/sdk/course_values.hpp>

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

sdk::OutAction text_action(const nlohmann::json& spec, std::string text) {
    sdk::OutAction action;
    action.kind = sdk::OutAction::Kind::text;
    action.text = std::move(text);
    action.parse_mode = parse_mode_of(spec);
    action.link_preview = link_preview_of(spec);
    return action;
}

sdk::OutAction text_action(const nlohmann::json& spec, std::string text,
                           const std::vector<std::string>& buttons) {
    sdk::OutAction action = text_action(spec, std::move(text));
    for (const auto& label : buttons) action.buttons.push_back({label, {}});
    return action;
}

void send_media(sdk::ElementContext& ctx) {
    std::vector<std::string> urls = media_of(ctx.spec());
    if (urls.empty()) return;
    sdk::OutAction action;
    action.kind = sdk::OutAction::Kind::media;
    action.media = std::move(urls);
    ctx.send(action);
}

void send_text(sdk::ElementContext& ctx, const std::optional<std::string>& text) {
    if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) return;
    ctx.send(text_action(ctx.spec(), *text));
}

void record_press(sdk::ElementContext& ctx, int index, const std::string& label) {
    ctx.record("user", {{"button", index}, {"text", label}});
}

}  // namespace profo::elements
