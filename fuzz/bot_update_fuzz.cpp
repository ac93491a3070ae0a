// What Telegram (or whoever answers on its URL) sends the transport: a
// webhook body with one Update, or a Bot API reply whose result is a list of
// them (getUpdates). Neither may crash the process or throw past the
// transport; an update mapped to an event carries the ids the engine keys on.
#include "bot_api_call.hpp"
#include "update_mapping.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void check(const nlohmann::json& update) {
    const auto mapped = profo::telegram::map_update(update, 7);
    if (mapped.outcome != profo::telegram::MappedUpdate::Outcome::event) return;
    // An event without the update id could not be confirmed in the ledger.
    if (!mapped.update_id || mapped.event.update_id != *mapped.update_id) std::abort();
    if (mapped.event.bot_id != 7) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // A webhook delivery.
    check(nlohmann::json::parse(text, nullptr, false));
    // A getUpdates reply; the first byte picks the HTTP status it came with.
    const int status = size > 0 && data[0] == '!' ? 429 : 200;
    const auto outcome =
        profo::telegram::classify_reply(status, size > 0 && data[0] == '!' ? text.substr(1) : text);
    if (outcome.kind == profo::telegram::BotApiOutcome::Kind::ok && outcome.result.is_array())
        for (const auto& update : outcome.result) check(update);
    if (outcome.kind == profo::telegram::BotApiOutcome::Kind::retry_after && outcome.retry_after_s < 0)
        std::abort();
    return 0;
}
