// Checking what Telegram signed with a bot's token: Mini App initData and
// (2.4) the panel's Login Widget data. The host holds the tokens; plugins ask
// it to check a signature and learn who signed in, never the token itself.
#pragma once

#include <profo/sdk/abi.hpp>
#include <profo/sdk/records.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace profo::sdk {

// Why signed data was refused. The message is safe to show to the client: it
// never contains a token or an expected hash.
class SignatureError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Signed data that passed: every field (URL-decoded, `hash` included) and the
// Telegram user it names.
struct SignedTelegramData {
    std::map<std::string, std::string> fields;
    std::int64_t user_id = 0;
    std::string username;        // empty when the user has none
    std::int64_t auth_date = 0;  // Unix seconds
};

class PROFO_SDK_API TelegramSignatures {
public:
    virtual ~TelegramSignatures() = default;
    // Mini App initData (the query string Telegram.WebApp.initData) made for
    // bot `bot_id` of the account: signature (HMAC-SHA256 keyed by
    // HMAC-SHA256("WebAppData", token), compared in constant time), freshness
    // (`auth_date` at most `max_age` old) and a user. Throws SignatureError;
    // an unknown bot is refused like a wrong signature.
    virtual SignedTelegramData check_web_app_init_data(Id account_id, Id bot_id, std::string_view init_data,
                                                       std::chrono::seconds max_age) const = 0;
    // 2.4: Telegram Login Widget data (the panel's sign-in): every field the
    // widget gave (id, first_name, last_name, username, photo_url,
    // auth_date, hash), signed by the platform's login bot (host config
    // `telegram_login`): HMAC-SHA256 keyed by SHA256(token), compared in
    // constant time; `auth_date` at most `max_age` old. Throws
    // SignatureError, also when no login bot is configured. Replays are the
    // caller's to refuse (PanelAccessStore::remember_telegram_login...).
    virtual SignedTelegramData check_login_widget(const std::map<std::string, std::string>& fields,
                                                  std::chrono::seconds max_age) const = 0;
    // 2.4: the login bot's username (without '@') for the widget's
    // `data-telegram-login`; empty when none is configured.
    virtual std::string login_bot_username() const = 0;
};

}  // namespace profo::sdk
