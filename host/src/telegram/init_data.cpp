#include "telegram/init_data.hpp"

#include <profo/sdk/form.hpp>
#include <profo/sdk/json_input.hpp>

#include <nlohmann/json.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>

namespace profo::host {

namespace {

// Clients' clocks drift; a signature a little "from the future" is normal.
constexpr std::int64_t kAllowedSkewSeconds = 300;

std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::string_view message) {
    std::array<unsigned char, 32> out{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &length);
    return out;
}

std::string hex(const std::array<unsigned char, 32>& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 0xF];
    }
    return out;
}

std::int64_t whole_number(const std::string& text, const char* data, const char* field) {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
        throw sdk::SignatureError(std::string(data) + " " + field + " is not a number");
    return std::stoll(text);
}

}  // namespace

std::string data_check_string(const std::map<std::string, std::string>& fields) {
    std::string out;
    for (const auto& [key, value] : fields) {  // std::map: sorted by key
        if (key == "hash") continue;
        if (!out.empty()) out += '\n';
        out += key + "=" + value;
    }
    return out;
}

std::string init_data_hash(const std::map<std::string, std::string>& fields, std::string_view bot_token) {
    const auto secret = hmac_sha256("WebAppData", bot_token);
    return hex(hmac_sha256({reinterpret_cast<const char*>(secret.data()), secret.size()},
                           data_check_string(fields)));
}

namespace {

// The check both kinds of signed data share: the given hash against the
// `expected` one, in constant time; then `auth_date` fresh. `what` names the
// data in messages.
std::int64_t check_signed_fields(const std::map<std::string, std::string>& fields,
                                 const std::string& expected, const char* what,
                                 std::chrono::system_clock::time_point now, std::chrono::seconds max_age) {
    const auto hash = fields.find("hash");
    if (hash == fields.end() || hash->second.empty())
        throw sdk::SignatureError(std::string(what) + " has no hash");
    std::string given = hash->second;
    for (auto& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
        throw sdk::SignatureError(std::string(what) + " signature does not match this bot");

    const auto auth = fields.find("auth_date");
    if (auth == fields.end()) throw sdk::SignatureError(std::string(what) + " has no auth_date");
    const auto auth_date = whole_number(auth->second, what, "auth_date");
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (now_s - auth_date > max_age.count())
        throw sdk::SignatureError(std::string(what) + " has expired (auth_date too old)");
    if (auth_date - now_s > kAllowedSkewSeconds)
        throw sdk::SignatureError(std::string(what) + " auth_date is in the future");
    return auth_date;
}

}  // namespace

sdk::SignedTelegramData validate_init_data(std::string_view init_data, std::string_view bot_token,
                                           std::chrono::system_clock::time_point now,
                                           std::chrono::seconds max_age) {
    sdk::SignedTelegramData out;
    if (init_data.empty()) throw sdk::SignatureError("initData is empty");
    try {
        out.fields = sdk::parse_form(init_data);
    } catch (const std::invalid_argument& e) {
        throw sdk::SignatureError(std::string("initData is not a query string: ") + e.what());
    }
    out.auth_date =
        check_signed_fields(out.fields, init_data_hash(out.fields, bot_token), "initData", now, max_age);

    const auto user = out.fields.find("user");
    if (user == out.fields.end()) throw sdk::SignatureError("initData has no user");
    const auto json = sdk::parse_json_input(user->second);
    if (!json.is_object() || !json.contains("id") || !json["id"].is_number_integer())
        throw sdk::SignatureError("initData user has no id");
    out.user_id = json["id"].get<std::int64_t>();
    if (json.contains("username") && json["username"].is_string())
        out.username = json["username"].get<std::string>();
    return out;
}

std::string login_widget_hash(const std::map<std::string, std::string>& fields, std::string_view bot_token) {
    std::array<unsigned char, 32> secret{};
    SHA256(reinterpret_cast<const unsigned char*>(bot_token.data()), bot_token.size(), secret.data());
    return hex(hmac_sha256({reinterpret_cast<const char*>(secret.data()), secret.size()},
                           data_check_string(fields)));
}

sdk::SignedTelegramData validate_login_widget(const std::map<std::string, std::string>& fields,
                                              std::string_view bot_token,
                                              std::chrono::system_clock::time_point now,
                                              std::chrono::seconds max_age) {
    if (bot_token.empty()) throw sdk::SignatureError("Telegram login is not configured on this platform");
    sdk::SignedTelegramData out;
    out.fields = fields;
    out.auth_date = check_signed_fields(fields, login_widget_hash(fields, bot_token), "Telegram login data",
                                        now, max_age);
    const auto id = fields.find("id");
    if (id == fields.end()) throw sdk::SignatureError("Telegram login data has no id");
    out.user_id = whole_number(id->second, "Telegram login data", "id");
    if (out.user_id <= 0) throw sdk::SignatureError("Telegram login data id is not a user id");
    if (const auto name = fields.find("username"); name != fields.end()) out.username = name->second;
    return out;
}

}  // namespace profo::host
