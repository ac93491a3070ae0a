// Records as the platform shows them to people and scripts: `profo ... --json`
// and the panel's API print the same objects, times as `2025-09-01T08:30:00Z`,
// secrets never (a sealed value shows as "(sealed)"). Each JSON form has its
// JSON Schema beside it, for the API's OpenAPI document.
#pragma once

#include "accounts/account_directory.hpp"
#include "deployments/deployment_registry.hpp"
#include "enrollment/token_registry.hpp"

#include <profo/sdk/records.hpp>

#include <nlohmann/json.hpp>

#include <optional>

namespace profo::host {

nlohmann::json time_json(const std::optional<sdk::Millis>& at);

nlohmann::json account_json(const sdk::Account& account);
nlohmann::json member_json(const sdk::AccountMember& member);
// Never the token, sealed or not. `health` as its transport last reported
// (none: "unknown").
nlohmann::json bot_json(const sdk::Bot& bot, const sdk::BotHealth* health = nullptr);
nlohmann::json course_json(const sdk::Course& course);
nlohmann::json version_json(const sdk::CourseVersion& version);
nlohmann::json deployment_json(const DeploymentView& view);
// What a token is at `now`, in one word: revoked, paused, expired, used-up,
// not-open, closed or active (the first that applies).
std::string token_state(const sdk::EnrollmentToken& token, sdk::Millis now);
nlohmann::json token_json(const IssuedToken& issued, sdk::Millis now);
nlohmann::json run_json(const sdk::Run& run);
nlohmann::json conversation_entry_json(const sdk::ConversationEntry& entry);
nlohmann::json ban_json(const sdk::Ban& ban);
nlohmann::json participant_json(const sdk::Participant& participant);
// Never the key or its digest.
nlohmann::json api_key_json(const sdk::ApiKey& key);

// JSON Schemas of the forms above, by record name ("Bot", "Deployment", ...).
const nlohmann::json& record_schemas();

}  // namespace profo::host
