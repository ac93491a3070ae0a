// Random secrets and how the platform keeps them (2.4): a secret (an API
// key, a session or login-link token) is shown once, and only its digest is
// stored, so a copy of the database holds nothing that signs anyone in.
#pragma once

#include <profo/sdk/abi.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace profo::sdk {

// `count` characters of 0-9A-Za-z from the system's CSPRNG (about 5.95 bits
// each). Throws std::runtime_error when the generator fails.
std::string random_code(std::size_t count);

// Lowercase hex SHA-256: the digest the storage keeps (64 characters).
std::string sha256_hex(std::string_view data);

// Whether two strings are equal, in time that depends only on their lengths.
bool equal_in_constant_time(std::string_view a, std::string_view b);

// An API key: "pk_" and 12 characters (the prefix it is looked up by, kept
// in the clear), "_", then 40 secret characters.
struct NewApiKey {
    std::string prefix;
    std::string key;  // shown once
};
NewApiKey new_api_key();
// The prefix of something presented as an API key; empty when it does not
// have the form of one.
std::string api_key_prefix(std::string_view key);

}  // namespace profo::sdk
