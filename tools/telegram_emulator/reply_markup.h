// reply_markup as the Bot API reads it: inline keyboards (kept on the
// message and returned to the bot) and reply keyboards / remove / force_reply
// (only the student sees them).
#pragma once

#include <nlohmann/json.hpp>

namespace profo::telegram_emulator {

struct ReplyMarkup {
    nlohmann::json inline_keyboard = nullptr;  // InlineKeyboardMarkup or null
    nlohmann::json other = nullptr;  // ReplyKeyboardMarkup / ReplyKeyboardRemove / ForceReply or null
};

// Local shape checks (the Bot API server's own); throws BotApiError.
ReplyMarkup parse_reply_markup(const nlohmann::json& markup);

// Checks Telegram's servers make when the message is sent (e.g.
// BUTTON_DATA_INVALID for callback_data outside 1..64 bytes); throws BotApiError.
void check_inline_keyboard(const nlohmann::json& inline_keyboard);

}  // namespace profo::telegram_emulator
