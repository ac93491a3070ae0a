// Running totals a benchmark reads from /_emulator/stats.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace profo::telegram_emulator {

struct Counters {
    std::uint64_t bot_api_requests = 0;
    std::uint64_t updates_queued = 0;
    std::uint64_t updates_delivered = 0;  // first time in a getUpdates answer, or accepted by a webhook
    std::uint64_t updates_expired = 0;
    // Forgotten because a getUpdates offset passed them: the bot says it is
    // done with them (a client that confirms after committing has committed).
    std::uint64_t updates_confirmed = 0;
    std::uint64_t messages_sent = 0;      // messages bots sent (a media group counts each item)
    std::uint64_t too_many_requests = 0;  // 429s issued
    std::uint64_t injected_errors = 0;
    std::uint64_t dropped_connections = 0;
    std::uint64_t webhook_attempts = 0;
    std::uint64_t webhook_failures = 0;
    std::uint64_t conflicts = 0;  // 409s issued

    nlohmann::json to_json() const {
        return {{"bot_api_requests", bot_api_requests},       {"updates_queued", updates_queued},
                {"updates_delivered", updates_delivered},     {"updates_expired", updates_expired},
                {"updates_confirmed", updates_confirmed},     {"messages_sent", messages_sent},
                {"too_many_requests", too_many_requests},     {"injected_errors", injected_errors},
                {"dropped_connections", dropped_connections}, {"webhook_attempts", webhook_attempts},
                {"webhook_failures", webhook_failures},       {"conflicts", conflicts}};
    }
};

}  // namespace profo::telegram_emulator
