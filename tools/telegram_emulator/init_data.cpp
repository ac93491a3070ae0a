#include "init_data.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>

namespace profo::telegram_emulator {

namespace {

std::array<unsigned char, 32> hmac_sha256(const std::string& key, const std::string& message) {
    std::array<unsigned char, 32> out{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &length);
    return out;
}

// Everything but RFC 3986's unreserved characters escaped, as the clients do.
std::string url_encode(const std::string& text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace

std::string signed_init_data(const std::map<std::string, std::string>& fields, const std::string& bot_token) {
    std::string check;
    std::string query;
    for (const auto& [key, value] : fields) {
        if (!check.empty()) check += '\n', query += '&';
        check += key + "=" + value;
        query += key + "=" + url_encode(value);
    }
    const auto secret = hmac_sha256("WebAppData", bot_token);
    const auto hash =
        hmac_sha256(std::string(reinterpret_cast<const char*>(secret.data()), secret.size()), check);
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char b : hash) {
        hex += kDigits[b >> 4];
        hex += kDigits[b & 15];
    }
    return query + (query.empty() ? "" : "&") + "hash=" + hex;
}

}  // namespace profo::telegram_emulator
