// Mini App initData as the Telegram client hands it to a Mini App it opens:
// a query string of fields signed with the bot's token (Telegram's "Validating
// data received via the Mini App"), so the bot's backend can trust `user`.
#pragma once

#include <map>
#include <string>

namespace profo::telegram_emulator {

// `fields` without `hash`; returns them URL-encoded in key order with
// hash = hex(HMAC_SHA256(HMAC_SHA256("WebAppData", token), data-check-string)).
std::string signed_init_data(const std::map<std::string, std::string>& fields, const std::string& bot_token);

}  // namespace profo::telegram_emulator
