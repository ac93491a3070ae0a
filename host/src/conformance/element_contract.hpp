// The ElementPlugin contract (sdk/README.md, "The contract"), checked on a
// loaded module: what `profo conformance` reports for a team's own element
// module and what the in-tree conformance suite asserts for every built one.
#pragma once

#include "plugins/plugin_loader.hpp"

#include <string>
#include <vector>

namespace profo::host {

// Every broken rule, one line each; empty when the module keeps the contract.
// Calls the plugin's code (its compile() on hostile input included), so a
// crashing module takes the caller down: run it in its own process.
std::vector<std::string> element_contract_violations(LoadedPlugin& module);

}  // namespace profo::host
