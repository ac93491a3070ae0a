// What goes to the Bot API for one outbox message, and what its answer means
// for the outbox. Pure functions: the sender around them does the I/O.
#pragma once

#include <profo/sdk/outbound.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace profo::telegram {

// A file sent with a call: the request goes as multipart/form-data, with the
// file as the part named `field`.
struct BotApiUpload {
    std::string field;
    std::string file_name;
    std::string content;
};

struct BotApiCall {
    std::string method;
    nlohmann::json params;
    std::optional<BotApiUpload> upload = std::nullopt;
};

// The multipart/form-data body of `params` and `file` (RFC 7578): strings as
// they are, other values as JSON, as the Bot API reads form fields.
// `boundary` must not occur in any of them (multipart_boundary() checks).
std::string multipart_body(const nlohmann::json& params, const BotApiUpload& file, std::string_view boundary);
// A boundary that occurs in neither `params` nor `file`.
std::string multipart_boundary(const nlohmann::json& params, const BotApiUpload& file);

// Throws sdk::OutboundFormatError for a message Telegram cannot take at all
// (media without items): sending it again would never help.
BotApiCall bot_api_call(const sdk::OutboundMessage& message, std::int64_t chat_id);

// The outbox's parse_mode spelling as the Bot API wants it: MARKDOWN is the
// legacy `Markdown`; empty stays empty.
std::string bot_api_parse_mode(std::string_view parse_mode);

struct BotApiOutcome {
    enum class Kind {
        ok,           // `result` holds Telegram's result
        retry_after,  // 429: nothing to this bot for `retry_after_s` seconds
        transient,    // 5xx, network, unreadable answer: try again later
        permanent,    // Telegram refused the request as such (400, ...): give up on it
        blocked,      // 403 blocked / deactivated: give up on the chat
    };
    Kind kind = Kind::transient;
    int error_code = 0;
    int retry_after_s = 0;
    std::string description;
    nlohmann::json result;
};

// `status` 0 means the exchange failed on the network (`body` says how).
BotApiOutcome classify_reply(int status, std::string_view body);

}  // namespace profo::telegram
