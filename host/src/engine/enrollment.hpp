// Who may start which course: what a `/start` link leads to, decided inside
// the event's transaction before any run exists. The link is read
// (sdk::parse_start_payload), the deployment and token found, bans and
// restricted deployments checked, and the token's enrollment plugin asked;
// a chat with an active run resumes it, restarts it, or is asked to confirm
// switching to another course. A refused student gets the deployment's text
// for the reason and nothing else is written.
//
// The engine carries out the plan (engine.cpp): it writes the messages,
// ends a replaced run as abandoned and starts the new one.
#pragma once

#include "config/config.hpp"
#include "plugins/plugin_registry.hpp"

#include <profo/sdk/deep_link.hpp>
#include <profo/sdk/engine.hpp>
#include <profo/sdk/enrollment.hpp>
#include <profo/sdk/outbound.hpp>
#include <profo/sdk/storage.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace profo::host {

// The platform's texts with a deployment's overrides ("texts" in its
// overrides_json) on top; `{name}` placeholders filled from `values`.
class SystemTexts {
public:
    SystemTexts(const std::map<std::string, std::string>& platform, const std::string& overrides_json);
    std::string text(const std::string& key,
                     const std::vector<std::pair<std::string, std::string>>& values = {}) const;

private:
    std::map<std::string, std::string> texts_;
};

// Buttons of a switch prompt: `sw<prompt>:y` (switch) and `sw<prompt>:n` (stay).
std::string switch_callback_data(std::int64_t prompt, bool confirm);
struct SwitchAnswer {
    std::int64_t prompt = 0;
    bool confirm = false;
};
std::optional<SwitchAnswer> parse_switch_callback(std::string_view data);

// A plausible address: local@domain.tld, at most 254 characters, no spaces,
// a domain of letters, digits and hyphens with a top-level part of letters.
bool is_email_address(std::string_view text);

struct StartPlan {
    enum class Kind {
        refuse,          // `messages` explain; nothing else happens
        resume,          // the chat carries on with `current`; `messages` show where it is
        confirm_switch,  // ask (`messages`) before leaving `current` for `deployment`
        start,           // a run of `deployment` begins; `current`, if any, ends as abandoned
    };
    Kind kind = Kind::refuse;
    std::vector<sdk::OutboundMessage> messages;
    std::string reason;                // refuse: for the log, never shown
    std::optional<sdk::Run> current;   // the chat's active run on the bot
    sdk::CourseDeployment deployment;  // confirm_switch, start
    std::optional<sdk::Id> token_id;   // start
    std::string utm_json = "{}";       // start: the run's UTM (and external_ref)
    std::int64_t prompt = 0;           // confirm_switch: the number on its buttons
};

class Enrollments {
public:
    // `secrets` opens the accounts' enrollment keys; without it external
    // links cannot be checked and are refused.
    Enrollments(const PluginRegistry& plugins, const Config::Engine& settings, const sdk::SecretBox* secrets,
                sdk::Logger& log);

    // What a start event without a deployment (text: the link's payload)
    // leads to. `confirmed`: the student agreed to leave their current run
    // (the switch prompt's button), so no prompt is asked again. With
    // Kind::start the token's use is taken in `tx`.
    StartPlan plan_start(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                         sdk::TimePoint now, bool confirmed) const;

    // The messages that show a resumed run where it is: the current
    // element's messages of its latest visit again, after `resumed`. None
    // when an unblock took the run up less than 10 s before `now` and the
    // element has no answer yet: the student has just seen it.
    std::vector<sdk::OutboundMessage> resume_messages(sdk::StorageTx& tx, const sdk::Run& run,
                                                      const SystemTexts& texts, sdk::Millis now) const;
    // `resumed`, naming the run's course: the first of resume_messages().
    sdk::OutboundMessage resumed_notice(sdk::StorageTx& tx, const sdk::Run& run,
                                        const SystemTexts& texts) const;

    SystemTexts texts_for(const sdk::CourseDeployment* deployment) const;

private:
    struct Target;
    Target resolve(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                   const sdk::StartPayload& link) const;
    std::string account_key(sdk::StorageTx& tx, sdk::Id account_id) const;

    const PluginRegistry& plugins_;
    const Config::Engine& settings_;
    const sdk::SecretBox* secrets_;
    sdk::Logger& log_;
};

}  // namespace profo::host
