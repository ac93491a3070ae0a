#include "start_deployment.hpp"

#include <charconv>

namespace profo::telegram {

std::optional<sdk::Id> start_deployment(sdk::StorageTx& tx, const sdk::Bot& bot, const std::string& payload) {
    if (payload.rfind("cd_", 0) == 0) {
        sdk::Id id = 0;
        const char* first = payload.data() + 3;
        const char* last = payload.data() + payload.size();
        auto [ptr, ec] = std::from_chars(first, last, id);
        if (ec == std::errc() && ptr == last) {
            auto deployment = tx.get_deployment(bot.account_id, id);
            if (deployment && deployment->bot_id == bot.id) return deployment->id;
            return std::nullopt;
        }
    }
    if (!payload.empty())
        if (auto deployment = tx.find_deployment_by_alias(bot.account_id, bot.id, payload); deployment)
            return deployment->id;
    std::optional<sdk::Id> only;
    for (const auto& d : tx.list_deployments(bot.account_id)) {
        if (d.bot_id != bot.id || !d.active) continue;
        if (only) return std::nullopt;  // several: the student must say which
        only = d.id;
    }
    return only;
}

}  // namespace profo::telegram
