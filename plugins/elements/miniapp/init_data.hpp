// Telegram Mini App `initData`: the signed query string the Telegram client
// hands a Mini App. Whoever holds the bot token can check that Telegram made
// it for this bot and this user (telegram.md, "Authentication").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace profo::elements::miniapp {

// Why an initData was refused; the message is safe to show to the client
// (it never contains the token or the expected hash).
class InitDataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct InitData {
    std::map<std::string, std::string> fields;  // URL-decoded, `hash` included
    std::int64_t user_id = 0;                   // from the `user` JSON field
    std::int64_t auth_date = 0;                 // Unix seconds
};

// application/x-www-form-urlencoded decoding ('+' is a space). Throws
// std::invalid_argument on a broken %-escape.
std::string form_decode(std::string_view text);
// Key/value pairs of a query string, decoded; a repeated key throws std::invalid_argument.
std::map<std::string, std::string> parse_query(std::string_view query);

// The sorted `key=value` lines over every field but `hash`.
std::string data_check_string(const std::map<std::string, std::string>& fields);
// hex(HMAC_SHA256(HMAC_SHA256("WebAppData", bot_token), data_check_string)).
std::string init_data_hash(const std::map<std::string, std::string>& fields, std::string_view bot_token);

// Checks signature (constant-time), freshness (`auth_date` at most `max_age`
// old, and not from the future beyond a small clock skew) and that a user is
// named. Throws InitDataError.
InitData validate_init_data(std::string_view init_data, std::string_view bot_token,
                            std::chrono::system_clock::time_point now, std::chrono::seconds max_age);

}  // namespace profo::elements::miniapp
