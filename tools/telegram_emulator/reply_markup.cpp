#include "reply_markup.h"

#include "bot_api_error.h"

#include <optional>
#include <string>
#include <string_view>

namespace profo::telegram_emulator {

using nlohmann::json;

namespace {

BotApiError button_error(const std::string& why) {
    return bad_request("Can't parse inline keyboard button: " + why);
}

// A string field as the Bot API server reads one: a number stands for its
// digits (TDLib's JSON reader converts it), anything else is refused.
std::optional<std::string> string_field(const json& object, const char* name) {
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    throw button_error(std::string("Field \"") + name + "\" must be of type String");
}

// The button as Telegram keeps it: its text and the one action it has,
// without keys Telegram does not know.
json read_button(const json& button) {
    if (!button.is_object()) throw bad_request("InlineKeyboardButton must be an Object");
    const auto text = string_field(button, "text");
    if (!text) throw button_error("Field \"text\" must be of type String");
    json kept{{"text", *text}};
    static const char* const kStringActions[] = {"callback_data", "url", "switch_inline_query",
                                                 "switch_inline_query_current_chat"};
    for (const char* name : kStringActions) {
        auto value = string_field(button, name);
        // An empty callback_data is none (TDLib reads it so); an empty query is a query.
        if (value && !(value->empty() && std::string_view(name) != "switch_inline_query" &&
                       std::string_view(name) != "switch_inline_query_current_chat"))
            kept[name] = std::move(*value);
    }
    if (const auto it = button.find("web_app"); it != button.end() && !it->is_null()) {
        if (!it->is_object() || !it->contains("url") || !(*it)["url"].is_string())
            throw button_error("Field \"url\" must be of type String");
        kept["web_app"] = {{"url", (*it)["url"]}};
    }
    static const char* const kObjectActions[] = {"login_url", "switch_inline_query_chosen_chat", "copy_text",
                                                 "callback_game", "pay"};
    for (const char* name : kObjectActions)
        if (const auto it = button.find(name); it != button.end() && !it->is_null()) kept[name] = *it;
    if (kept.size() == 1) throw button_error("Text buttons are unallowed in the inline keyboard");
    return kept;
}

}  // namespace

ReplyMarkup parse_reply_markup(const json& markup) {
    ReplyMarkup r;
    if (markup.is_null()) return r;
    if (!markup.is_object()) throw bad_request("Object expected as reply markup");
    if (markup.empty()) return r;  // `{}`: no markup, as the Bot API server reads it
    if (markup.contains("inline_keyboard")) {
        const auto& rows = markup["inline_keyboard"];
        if (!rows.is_array())
            throw bad_request("Field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array");
        auto kept = json::array();
        for (const auto& row : rows) {
            if (!row.is_array())
                throw bad_request(
                    "Field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays");
            auto kept_row = json::array();
            for (const auto& button : row) kept_row.push_back(read_button(button));
            if (!kept_row.empty()) kept.push_back(std::move(kept_row));
        }
        // A message without buttons comes back without reply_markup.
        if (!kept.empty()) r.inline_keyboard = json{{"inline_keyboard", std::move(kept)}};
        return r;
    }
    if (markup.contains("keyboard")) {
        if (!markup["keyboard"].is_array())
            throw bad_request("Field \"keyboard\" of the ReplyKeyboardMarkup must be an Array");
    } else if (!markup.contains("remove_keyboard") && !markup.contains("force_reply")) {
        throw bad_request("Can't parse reply keyboard markup JSON object");
    }
    r.other = markup;
    return r;
}

void check_inline_keyboard(const json& inline_keyboard) {
    if (inline_keyboard.is_null()) return;
    for (const auto& row : inline_keyboard["inline_keyboard"]) {
        for (const auto& button : row) {
            if (button.contains("callback_data")) {
                // Bytes, not characters: a Cyrillic letter takes two.
                const auto size = button["callback_data"].get_ref<const std::string&>().size();
                if (size < 1 || size > 64) throw bad_request("BUTTON_DATA_INVALID");
            }
            if (button.contains("url") && button["url"].is_string() &&
                button["url"].get<std::string>().empty())
                throw bad_request("BUTTON_URL_INVALID");
            if (button["text"].get_ref<const std::string&>().empty())
                throw bad_request("BUTTON_TEXT_INVALID");
        }
    }
}

}  // namespace profo::telegram_emulator
