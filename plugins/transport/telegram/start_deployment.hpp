// Which deployment a `/start PAYLOAD` begins. Until deep links and enrollment
// tokens arrive (the tenancy work replaces this one function), a payload
// `cd_<deployment id>` names a deployment of the bot, a legacy alias names
// one too, and anything else (a bare /start included) means the bot's single
// active deployment, when it has exactly one.
#pragma once

#include <profo/sdk/storage.hpp>

#include <optional>
#include <string>

namespace profo::telegram {

std::optional<sdk::Id> start_deployment(sdk::StorageTx& tx, const sdk::Bot& bot, const std::string& payload);

}  // namespace profo::telegram
