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

#include <cstddef>
#include <optional>
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

// The form of what a deployment's changes may carry, whoever asks (the CLI's
// flags, the panel's fields): why a value may not be, or nothing when it may.
// An alias is what a legacy `/start <alias>` link carries: up to 64 of A-Z
// a-z 0-9 _ -, without the "__" that starts its UTM parts, not the `cd_` of
// deep links ("" is no alias).
std::optional<std::string> alias_problem(const std::string& alias);
std::optional<std::string> model_problem(const std::string& model);
// A key as it is sealed: one line of printable characters, no spaces.
std::optional<std::string> api_key_problem(const std::string& key);
std::optional<std::string> time_scale_problem(double scale);

// The most an LLM key may be: keys are a few hundred bytes at most.
inline constexpr std::size_t kMaxApiKeyBytes = 4096;
inline constexpr std::size_t kMaxModelCharacters = 200;

}  // namespace profo::host
