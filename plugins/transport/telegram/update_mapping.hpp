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

// `bot_id` is the platform's bot the update came to. Never throws.
MappedUpdate map_update(const nlohmann::json& update, sdk::Id bot_id);

// The argument of a `/start` command (also `/start@bot_name ARG`), or nothing
// when `text` is not a /start command.
std::optional<std::string> start_argument(const std::string& text);

}  // namespace profo::telegram
