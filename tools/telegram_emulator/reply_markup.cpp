#include "reply_markup.h"

#include "bot_api_error.h"

namespace profo::telegram_emulator {

using nlohmann::json;

namespace {

BotApiError button_error(const std::string& why) {
    return bad_request("Can't parse inline keyboard button: " + why);
}

}  // namespace

ReplyMarkup parse_reply_markup(const json& markup) {
    ReplyMarkup r;
    if (markup.is_null()) return r;
    if (!markup.is_object()) throw bad_request("Object expected as reply markup");
    if (markup.contains("inline_keyboard")) {
        const auto& rows = markup["inline_keyboard"];
        if (!rows.is_array())
            throw bad_request("Field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array");
        for (const auto& row : rows) {
            if (!row.is_array())
                throw bad_request(
                    "Field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays");
            for (const auto& button : row) {
                if (!button.is_object()) throw bad_request("InlineKeyboardButton must be an Object");
                if (!button.contains("text") || !button["text"].is_string())
                    throw button_error("Field \"text\" must be of type String");
                static const char* const kActions[] = {"callback_data",
                                                       "url",
                                                       "web_app",
                                                       "login_url",
                                                       "switch_inline_query",
                                                       "switch_inline_query_current_chat",
                                                       "switch_inline_query_chosen_chat",
                                                       "copy_text",
                                                       "callback_game",
                                                       "pay"};
                bool has_action = false;
                for (const char* a : kActions) has_action = has_action || button.contains(a);
                if (!has_action) throw button_error("Text buttons are unallowed in the inline keyboard");
                if (button.contains("callback_data") && !button["callback_data"].is_string())
                    throw button_error("Field \"callback_data\" must be of type String");
                if (button.contains("web_app") &&
                    (!button["web_app"].is_object() || !button["web_app"].contains("url")))
                    throw button_error("Field \"url\" must be of type String");
            }
        }
        r.inline_keyboard = markup;
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
