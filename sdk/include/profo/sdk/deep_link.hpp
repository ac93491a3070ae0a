// Deep links that start a course: https://t.me/<bot>?start=<payload>.
//
// Telegram hands the payload to the bot as `/start <payload>` and allows at
// most 64 characters of A-Za-z0-9_- in a link. Two forms lead to a course:
//
//   cd_<deployment>_<code>[_<argument>]
//       deployment: the deployment's id in base62 (short ids leave room);
//       code: an enrollment token's code, [A-Za-z0-9-];
//       argument: the rest, read by the token's type (an external token's
//       signed payload, which may itself contain '_' and '-').
//   <alias>[__utmsII<source>][__utmcII<campaign>]
//       the legacy product's `/start <course>` links, through a deployment's
//       alias, with the UTM source and campaign they carried.
//
// Anyone can type `/start` and anything after it, so the parser takes any
// bytes and never throws.
#pragma once

#include <profo/sdk/records.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace profo::sdk {

inline constexpr std::size_t kMaxStartPayload = 64;
inline constexpr std::size_t kMaxTokenCode = 32;
inline constexpr std::string_view kDeepLinkPrefix = "cd_";

// Base62 (0-9A-Za-z) of a positive id: 1..11 characters.
std::string encode_short_id(Id id);
// The id `text` encodes; empty for anything encode_short_id() would not
// write (empty, other characters, a leading '0', more than INT64_MAX).
std::optional<Id> decode_short_id(std::string_view text);

// 1..kMaxTokenCode characters of [A-Za-z0-9-].
bool is_token_code(std::string_view code);

struct StartPayload {
    enum class Kind {
        empty,      // a bare /start
        deep_link,  // cd_<deployment>_<code>[_<argument>]
        legacy,     // <alias>[__utmsII<source>][__utmcII<campaign>]
        malformed,  // anything else: `problem` says what, for the log
    };
    Kind kind = Kind::empty;
    Id deployment_id = 0;      // deep_link
    std::string code;          // deep_link
    std::string argument;      // deep_link; empty when the link has none
    std::string alias;         // legacy
    std::string utm_source;    // legacy, when the link carried one
    std::string utm_campaign;  // legacy, when the link carried one
    std::string problem;       // malformed
};

StartPayload parse_start_payload(std::string_view payload);

// `cd_<deployment>_<code>[_<argument>]`. Throws std::invalid_argument naming
// the part that is wrong, or saying by how much it exceeds 64 characters.
std::string deep_link_payload(Id deployment_id, std::string_view code, std::string_view argument = {});

// https://t.me/<bot username without '@'>?start=<payload>
std::string deep_link_url(std::string_view bot_username, std::string_view payload);

}  // namespace profo::sdk
