// A Telegram Update (JSON) as the engine sees it: one sdk::InboundEvent, or a
// reason to confirm it and move on. Pure, so hostile input is unit-tested.
#pragma once

#include <profo/sdk/engine.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace profo::telegram {

struct MappedUpdate {
    enum class Outcome {
        event,      // dispatch `event`
        skipped,    // a kind (or a message) the platform does not handle: confirm it
        malformed,  // not an Update we can read: log `reason`, confirm it when the id is known
    };
    Outcome outcome = Outcome::skipped;
    std::optional<std::int64_t> update_id;
    sdk::InboundEvent event;
    std::string start_payload;  // kind start: what followed `/start ` (may be empty)
    std::string reason;         // skipped / malformed: what and where
    // Kind document: what getFile needs, and what the file says it is.
    std::string file_id;
    std::string mime_type;
};

// Whether the transport fetches a document's content for the engine: text
// files (a course author's YAML) of at most `max_bytes`. Other files reach
// the engine with their name and size only.
bool wants_document_content(const MappedUpdate& mapped, std::int64_t max_bytes);

// `bot_id` is the platform's bot the update came to, `bot_username` its
// username (without '@'; empty: unknown). Never throws.
MappedUpdate map_update(const nlohmann::json& update, sdk::Id bot_id, std::string_view bot_username = {});

// The argument of a `/start` command, or nothing when `text` is not one for
// this bot. The command in any case (a phone capitalises "/Start"), then any
// white space (a space, a tab, a line break) before the argument;
// `/start@name ARG` only when `name` is `bot_username` (any case; with an
// empty `bot_username`, any name): a command to another bot is text.
std::optional<std::string> start_argument(const std::string& text, std::string_view bot_username = {});

}  // namespace profo::telegram
