#include <profo/sdk/credentials.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>

namespace profo::sdk {

std::string random_code(std::size_t count) {
    static constexpr std::string_view kAlphabet =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out;
    out.reserve(count);
    std::array<unsigned char, 64> bytes{};
    while (out.size() < count) {
        if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
            throw std::runtime_error("the system's random number generator failed");
        // 248 = 4 * 62: bytes above it are dropped, so every character is equally likely.
        for (unsigned char c : bytes) {
            if (c >= 248) continue;
            out += kAlphabet[c % 62];
            if (out.size() == count) break;
        }
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
    static constexpr std::string_view kDigits = "0123456789abcdef";
    std::string out;
    out.reserve(digest.size() * 2);
    for (unsigned char b : digest) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
constexpr std::string_view kApiKeyStart = "pk_";
constexpr std::size_t kApiKeyPrefixCodes = 12;
constexpr std::size_t kApiKeySecretCodes = 40;
constexpr std::size_t kApiKeyPrefixLength = kApiKeyStart.size() + kApiKeyPrefixCodes;
constexpr std::size_t kApiKeyLength = kApiKeyPrefixLength + 1 + kApiKeySecretCodes;

bool alphanumeric(std::string_view text) {
    for (const char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
    return true;
}
}  // namespace

NewApiKey new_api_key() {
    NewApiKey out;
    out.prefix = std::string(kApiKeyStart) + random_code(kApiKeyPrefixCodes);
    out.key = out.prefix + "_" + random_code(kApiKeySecretCodes);
    return out;
}

std::string api_key_prefix(std::string_view key) {
    if (key.size() != kApiKeyLength || !key.starts_with(kApiKeyStart) || key[kApiKeyPrefixLength] != '_' ||
        !alphanumeric(key.substr(kApiKeyStart.size(), kApiKeyPrefixCodes)) ||
        !alphanumeric(key.substr(kApiKeyPrefixLength + 1)))
        return {};
    return std::string(key.substr(0, kApiKeyPrefixLength));
}

}  // namespace profo::sdk
