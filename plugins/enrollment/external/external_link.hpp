// The signed part of an external (LMS/CRM) start link; README.md is its
// specification for the systems that make such links.
//
//   argument = base64url without padding of
//              expiry (4 bytes, big-endian Unix seconds) | mac (12 bytes) | ref (1.. bytes)
//   mac      = the first 12 bytes of HMAC-SHA256(key,
//              "profo-external-v1" 0x00 | deployment id (8 bytes BE) | token code | 0x00 | expiry | ref)
//   key      = the 32 bytes the account's enrollment key spells in 64 hex digits
//
// Binding the deployment and the token code into the MAC keeps a link signed
// for one token from opening another.
#pragma once

#include <profo/sdk/records.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace profo::enrollment {

inline constexpr std::size_t kExternalMacBytes = 12;
inline constexpr std::size_t kMaxExternalRef = 64;  // the link's 64 characters cap it long before

struct ExternalClaims {
    std::string ref;              // the student's id in the external system: printable ASCII, no spaces
    std::uint32_t expires_s = 0;  // Unix seconds
};

// base64url (RFC 4648 §5) without padding; decoding refuses padding, other
// characters and non-zero unused bits, so each value has one spelling.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// The 32-byte key `hex` spells; empty for anything but 64 hex digits.
std::optional<std::string> enrollment_key_bytes(std::string_view hex);

// Why `ref` cannot be carried; empty when it can.
std::optional<std::string> ref_problem(std::string_view ref);

std::string sign_external(std::string_view key, sdk::Id deployment_id, std::string_view code,
                          const ExternalClaims& claims);

struct ExternalVerdict {
    std::optional<ExternalClaims> claims;  // set when the signature holds
    std::string problem;                   // otherwise: what is wrong
};
// Checks the signature only; the expiry is the caller's to compare.
ExternalVerdict verify_external(std::string_view key, sdk::Id deployment_id, std::string_view code,
                                std::string_view argument);

}  // namespace profo::enrollment
