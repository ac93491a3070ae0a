#include "telegram/init_data.hpp"

#include <profo/sdk/form.hpp>

#include <nlohmann/json.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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

std::int64_t whole_number(const std::string& text, const char* what) {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
        throw sdk::SignatureError(std::string("initData ") + what + " is not a number");
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
    const std::string_view secret_key(reinterpret_cast<const char*>(secret.data()), secret.size());
    return hex(hmac_sha256(secret_key, data_check_string(fields)));
}

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
    const auto hash = out.fields.find("hash");
    if (hash == out.fields.end() || hash->second.empty()) throw sdk::SignatureError("initData has no hash");
    std::string given = hash->second;
    for (auto& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string expected = init_data_hash(out.fields, bot_token);
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
        throw sdk::SignatureError("initData signature does not match this bot");

    const auto auth = out.fields.find("auth_date");
    if (auth == out.fields.end()) throw sdk::SignatureError("initData has no auth_date");
    out.auth_date = whole_number(auth->second, "auth_date");
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (now_s - out.auth_date > max_age.count())
        throw sdk::SignatureError("initData has expired (auth_date too old)");
    if (out.auth_date - now_s > kAllowedSkewSeconds)
        throw sdk::SignatureError("initData auth_date is in the future");

    const auto user = out.fields.find("user");
    if (user == out.fields.end()) throw sdk::SignatureError("initData has no user");
    const auto json = nlohmann::json::parse(user->second, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json.contains("id") || !json["id"].is_number_integer())
        throw sdk::SignatureError("initData user has no id");
    out.user_id = json["id"].get<std::int64_t>();
    if (json.contains("username") && json["username"].is_string())
        out.username = json["username"].get<std::string>();
    return out;
}

}  // namespace profo::host
