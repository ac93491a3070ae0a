#include "external_link.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace profo::enrollment {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kDomain = "profo-external-v1";
constexpr std::size_t kFixedBytes = 4 + kExternalMacBytes;

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

void append_be(std::string& out, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

std::string mac_of(std::string_view key, sdk::Id deployment_id, std::string_view code,
                   std::uint32_t expires_s, std::string_view ref) {
    std::string message(kDomain);
    message += '\0';
    append_be(message, static_cast<std::uint64_t>(deployment_id), 8);
    message += code;
    message += '\0';
    append_be(message, expires_s, 4);
    message += ref;
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(), &length);
    return std::string(reinterpret_cast<const char*>(digest.data()), kExternalMacBytes);
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
    } else if (rest == 2) {
        const std::uint32_t n =
            (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const int value = sextet(c);
        if (value < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // a second spelling of the same bytes
    return out;
}

std::optional<std::string> enrollment_key_bytes(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int byte = 0;
        for (std::size_t j = 0; j < 2; ++j) {
            const char c = hex[i + j];
            int nibble = -1;
            if (c >= '0' && c <= '9') nibble = c - '0';
            if (c >= 'a' && c <= 'f') nibble = c - 'a' + 10;
            if (c >= 'A' && c <= 'F') nibble = c - 'A' + 10;
            if (nibble < 0) return std::nullopt;
            byte = byte * 16 + nibble;
        }
        out += static_cast<char>(byte);
    }
    return out;
}

std::optional<std::string> ref_problem(std::string_view ref) {
    if (ref.empty()) return "the reference is empty";
    if (ref.size() > kMaxExternalRef)
        return "the reference is " + std::to_string(ref.size()) + " characters long; at most " +
               std::to_string(kMaxExternalRef);
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const auto c = static_cast<unsigned char>(ref[i]);
        if (c < 0x21 || c > 0x7E)
            return "character " + std::to_string(i + 1) +
                   " of the reference is not printable ASCII (spaces neither)";
    }
    return std::nullopt;
}

std::string sign_external(std::string_view key, sdk::Id deployment_id, std::string_view code,
                          const ExternalClaims& claims) {
    std::string bytes;
    append_be(bytes, claims.expires_s, 4);
    bytes += mac_of(key, deployment_id, code, claims.expires_s, claims.ref);
    bytes += claims.ref;
    return base64url_encode(bytes);
}

ExternalVerdict verify_external(std::string_view key, sdk::Id deployment_id, std::string_view code,
                                std::string_view argument) {
    ExternalVerdict verdict;
    const auto bytes = base64url_decode(argument);
    if (!bytes) {
        verdict.problem = "the signed part is not base64url";
        return verdict;
    }
    if (bytes->size() <= kFixedBytes) {
        verdict.problem = "the signed part has " + std::to_string(bytes->size()) + " bytes; an expiry, a " +
                          "signature and a reference take at least " + std::to_string(kFixedBytes + 1);
        return verdict;
    }
    ExternalClaims claims;
    for (int i = 0; i < 4; ++i)
        claims.expires_s = (claims.expires_s << 8) | static_cast<unsigned char>((*bytes)[i]);
    claims.ref = bytes->substr(kFixedBytes);
    const auto expected = mac_of(key, deployment_id, code, claims.expires_s, claims.ref);
    if (CRYPTO_memcmp(expected.data(), bytes->data() + 4, kExternalMacBytes) != 0) {
        verdict.problem =
            "the signature does not match (another key, token or deployment, or a changed link)";
        return verdict;
    }
    if (auto problem = ref_problem(claims.ref)) {
        verdict.problem = "the signed reference cannot be used: " + *problem;
        return verdict;
    }
    verdict.claims = std::move(claims);
    return verdict;
}

}  // namespace profo::enrollment
