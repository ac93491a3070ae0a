// The EnrollmentPlugin contract (sdk/README.md, "The enrollment contract"),
// checked on a loaded module: what `profo conformance` reports for a team's
// own token type and what the in-tree suite asserts for every built one.
#pragma once

#include "plugins/plugin_loader.hpp"

#include <string>
#include <vector>

namespace profo::host {

// Every broken rule, one line each; empty when the module keeps the contract.
// Calls the plugin's code on hostile input over an in-memory token store, so
// a crashing module takes the caller down: run it in its own process.
std::vector<std::string> enrollment_contract_violations(LoadedPlugin& module);

}  // namespace profo::host
