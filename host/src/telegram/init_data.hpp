// Telegram Mini App `initData`: the signed query string the Telegram client
// hands a Mini App. Whoever holds the bot token can check that Telegram made
// it for this bot and this user (telegram.md, "Authentication").
#pragma once

#include <profo/sdk/telegram_auth.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace profo::host {

// The sorted `key=value` lines over every field but `hash`.
std::string data_check_string(const std::map<std::string, std::string>& fields);
// hex(HMAC_SHA256(HMAC_SHA256("WebAppData", bot_token), data_check_string)).
std::string init_data_hash(const std::map<std::string, std::string>& fields, std::string_view bot_token);

// Checks signature (constant-time), freshness (`auth_date` at most `max_age`
// old, and not from the future beyond a small clock skew) and that a user is
// named. Throws sdk::SignatureError.
sdk::SignedTelegramData validate_init_data(std::string_view init_data, std::string_view bot_token,
                                           std::chrono::system_clock::time_point now,
                                           std::chrono::seconds max_age);

// Telegram Login Widget data: the same data-check string, keyed by
// SHA256(bot_token) (telegram.md, "Login Widget"); `id` is the user.
std::string login_widget_hash(const std::map<std::string, std::string>& fields, std::string_view bot_token);
sdk::SignedTelegramData validate_login_widget(const std::map<std::string, std::string>& fields,
                                              std::string_view bot_token,
                                              std::chrono::system_clock::time_point now,
                                              std::chrono::seconds max_age);

}  // namespace profo::host
