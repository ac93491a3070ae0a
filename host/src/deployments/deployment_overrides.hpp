// What a deployment changes for its own students, kept in its overrides_json:
//
//   {"texts":      {"link_expired": "..."},          system texts (docs/enrollment.md)
//    "plugins":    {"element/dialog": {...}},        settings the plugin lets a deployment
//                                                    override; `*_sealed` values sealed for
//                                                    the row (sdk::deployment_override_context)
//    "time_scale": 1440}                             test deployments only
//
// The engine reads them at run time; DeploymentRegistry writes them.
#pragma once

#include <profo/sdk/host.hpp>
#include <profo/sdk/records.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace profo::host {

// The element plugin whose settings the LLM overrides change (--model,
// --base-url, --api-key-*): the dialog's `model`, `base_url` and `api_key_sealed`.
inline constexpr const char* kLlmPlugin = "element/dialog";
inline constexpr const char* kLlmKeySetting = "api_key_sealed";

// What a time scale may be: 1 is real time (no override), 1e6 turns a day
// into a tenth of a second.
inline constexpr double kMaxTimeScale = 1000000;

// A deployment's overrides as JSON; an object whatever the row holds (a row
// that does not parse counts as no overrides).
nlohmann::json overrides_of(const sdk::CourseDeployment& deployment);

// What the element timers of the deployment's runs are divided by: the
// overrides' time_scale of a test deployment, else 1. A prod deployment
// carrying one (written around the CLI) runs in real time and `log` hears of it.
double deployment_time_scale(const sdk::CourseDeployment& deployment, sdk::Logger& log);

// Why `url` may not be an LLM endpoint a tenant chooses, or "" when it may:
// https:// with a host, or http:// to this machine only (127.0.0.0/8,
// localhost, [::1]), spelled as the dialog element reads it.
std::string endpoint_problem(std::string_view url);

}  // namespace profo::host
