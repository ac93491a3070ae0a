// Putting course versions on bots and keeping them there: deployments in
// `test` or `prod`, their flags and overrides (secrets sealed for their row),
// promotion from test to prod, pause, archive and upgrade. What each does is
// in docs/deployments.md. Every call names the account and is one
// transaction: a refused call changes nothing.
#pragma once

#include <profo/sdk/admin.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/records.hpp>
#include <profo/sdk/storage.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace profo::host {

// Why a deployment could not be made or changed; the message is for the
// operator, names the deployment and never contains a key.
// An AdminError, so the panel's API answers it with its code; invalid_argument
// unless the throw says otherwise.
class DeploymentError : public sdk::AdminError {
public:
    explicit DeploymentError(const std::string& message, Code code = Code::invalid_argument,
                             std::string field = {})
        : sdk::AdminError(code, message, std::move(field)) {}
};

// What `deploy create` or `deploy update` asks for; what is not set stays.
// The registry checks every value (DeploymentError names the field: /alias,
// /texts/KEY, ...) before it changes anything; the CLI checks its flags
// with the same functions first, to answer them as usage errors.
struct DeploymentChanges {
    std::optional<std::string> alias;
    std::optional<std::string> environment;  // test | prod
    std::optional<bool> restricted;
    std::optional<bool> allow_restart;
    std::optional<bool> collect_email;
    std::optional<bool> active;
    // System text overrides: KEY and its text; an empty text goes back to the platform's.
    std::vector<std::pair<std::string, std::string>> texts;
    // Every override (texts, LLM settings and key, time scale) goes first,
    // before the ones in this request are applied.
    bool clear_overrides = false;
    std::optional<std::string> model;     // "" drops the override
    std::optional<std::string> base_url;  // "" drops the override
    // The deployment's own LLM key, in plain text only until it is sealed
    // for the row; never stored, logged or shown as it is.
    std::optional<std::string> api_key;
    std::optional<double> time_scale;  // 1 drops it
};

// A deployment with what listings show beside it.
struct DeploymentView {
    sdk::CourseDeployment deployment;
    std::string course;
    int version = 0;  // the number of the version it carries
    std::string bot;  // the bot's username
};

struct Promotion {
    DeploymentView prod;
    bool created = false;                 // a new prod deployment, rather than an existing one moved
    std::optional<int> previous_version;  // what the existing prod deployment carried before
};

struct Upgrade {
    DeploymentView deployment;
    int previous_version = 0;
};

struct Archival {
    DeploymentView deployment;
    bool newly = true;       // false when it was archived already
    int runs_stopped = 0;    // with stop_runs
    int runs_under_way = 0;  // still active (left to finish)
};

// Why `key` names none of the system texts `known` (and which it could);
// nothing when it names one.
std::optional<std::string> text_key_problem(const std::string& key,
                                            const std::map<std::string, std::string>& known);

class DeploymentRegistry {
public:
    // `platform_texts`: the system texts (config engine.texts), for the
    // message students hear when archiving stops their runs.
    DeploymentRegistry(sdk::Storage& storage, const sdk::SecretBox& secrets,
                       std::map<std::string, std::string> platform_texts);

    // One deployment of the course's version `version` (the latest when
    // empty) on each bot, all or none. Environment prod unless `changes` say test.
    std::vector<DeploymentView> create(sdk::Id account_id, const std::string& course,
                                       const std::vector<sdk::Id>& bots, std::optional<int> version,
                                       const DeploymentChanges& changes);
    DeploymentView update(sdk::Id account_id, sdk::Id deployment_id, const DeploymentChanges& changes);
    DeploymentView get(sdk::Id account_id, sdk::Id deployment_id);
    // Ordered by id; archived ones only with `include_archived`.
    std::vector<DeploymentView> list(sdk::Id account_id, bool include_archived);

    // The test deployment's version goes to prod: to the deployment `into`,
    // else to the one prod deployment of the course on `bot` (the test
    // deployment's bot when empty), else to a new prod deployment there that
    // copies the test one's flags and overrides (keys sealed again for the new
    // row) without its alias, tokens or time scale.
    Promotion promote(sdk::Id account_id, sdk::Id deployment_id, std::optional<sdk::Id> bot,
                      std::optional<sdk::Id> into);
    // Paused: new starts are refused (`course_paused`); runs under way go on.
    DeploymentView set_paused(sdk::Id account_id, sdk::Id deployment_id, bool paused);
    // New starts get `version` (the latest when empty); runs under way stay
    // on the version they started with.
    Upgrade upgrade(sdk::Id account_id, sdk::Id deployment_id, std::optional<int> version);
    // For good: new starts are refused (`course_archived`), listings leave it
    // out. Runs under way may finish, or with `stop_runs` end as stopped, each
    // student told `course_archived`.
    Archival archive(sdk::Id account_id, sdk::Id deployment_id, bool stop_runs, sdk::Millis now);

private:
    void check_changes(const DeploymentChanges& changes) const;

    sdk::Storage& storage_;
    const sdk::SecretBox& secrets_;
    std::map<std::string, std::string> platform_texts_;
};

}  // namespace profo::host
