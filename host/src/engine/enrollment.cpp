#include "engine/enrollment.hpp"

#include "engine/run_state.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

namespace profo::host {

namespace {

using nlohmann::json;

sdk::OutboundMessage text_message(std::string text) {
    sdk::OutboundMessage m;
    m.text = std::move(text);
    return m;
}

std::string course_name(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id deployment_id) {
    const auto deployment = tx.get_deployment(account_id, deployment_id);
    const auto course = deployment ? tx.get_course(account_id, deployment->course_id) : std::nullopt;
    return course ? course->name : "deployment " + std::to_string(deployment_id);
}

std::string without_at(std::string username) {
    if (!username.empty() && username.front() == '@') username.erase(0, 1);
    return username;
}

bool is_local_character(char c) {
    static constexpr std::string_view kSpecials = "!#$%&'*+/=?^_`{|}~-.";
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSpecials.find(c) != std::string_view::npos;
}

bool is_domain_label(std::string_view label) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    return true;
}

}  // namespace

SystemTexts::SystemTexts(const std::map<std::string, std::string>& platform,
                         const std::string& overrides_json)
    : texts_(platform) {
    const auto overrides = json::parse(overrides_json, nullptr, false);
    if (!overrides.is_object()) return;
    const auto texts = overrides.find("texts");
    if (texts == overrides.end() || !texts->is_object()) return;
    for (const auto& [key, value] : texts->items())
        if (value.is_string() && texts_.count(key)) texts_[key] = value.get<std::string>();
}

std::string SystemTexts::text(const std::string& key,
                              const std::vector<std::pair<std::string, std::string>>& values) const {
    const auto found = texts_.find(key);
    std::string out = found == texts_.end() ? key : found->second;
    for (const auto& [name, value] : values) {
        const std::string placeholder = "{" + name + "}";
        for (auto at = out.find(placeholder); at != std::string::npos;
             at = out.find(placeholder, at + value.size()))
            out.replace(at, placeholder.size(), value);
    }
    return out;
}

std::string switch_callback_data(std::int64_t prompt, bool confirm) {
    return "sw" + std::to_string(prompt) + (confirm ? ":y" : ":n");
}

std::optional<SwitchAnswer> parse_switch_callback(std::string_view data) {
    if (data.size() < 5 || data.substr(0, 2) != "sw") return std::nullopt;
    const auto colon = data.find(':');
    if (colon == std::string_view::npos || colon + 2 != data.size()) return std::nullopt;
    SwitchAnswer answer;
    const char* first = data.data() + 2;
    const char* last = data.data() + colon;
    auto [end, error] = std::from_chars(first, last, answer.prompt);
    if (error != std::errc() || end != last || first == last || answer.prompt < 0) return std::nullopt;
    if (data.back() != 'y' && data.back() != 'n') return std::nullopt;
    answer.confirm = data.back() == 'y';
    return answer;
}

bool is_email_address(std::string_view text) {
    if (text.size() > 254) return false;
    const auto at = text.find('@');
    if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos)
        return false;
    const auto local = text.substr(0, at);
    const auto domain = text.substr(at + 1);
    if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
        local.find("..") != std::string_view::npos)
        return false;
    for (char c : local)
        if (!is_local_character(c)) return false;
    if (domain.size() > 253) return false;
    std::size_t labels = 0;
    std::string_view last;
    for (std::size_t from = 0;;) {
        const auto dot = domain.find('.', from);
        last = domain.substr(from, dot == std::string_view::npos ? std::string_view::npos : dot - from);
        if (!is_domain_label(last)) return false;
        ++labels;
        if (dot == std::string_view::npos) break;
        from = dot + 1;
    }
    if (labels < 2 || last.size() < 2) return false;
    for (char c : last)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
    return true;
}

struct Enrollments::Target {
    std::optional<sdk::CourseDeployment> deployment;
    std::optional<sdk::EnrollmentToken> token;
    sdk::EnrollmentPlugin* plugin = nullptr;
    std::string argument;
    json utm = json::object();
    std::string refusal;  // the text's key when the link leads nowhere
    std::string detail;
};

Enrollments::Enrollments(const PluginRegistry& plugins, const Config::Engine& settings,
                         const sdk::SecretBox* secrets, sdk::Logger& log)
    : plugins_(plugins), settings_(settings), secrets_(secrets), log_(log) {}

SystemTexts Enrollments::texts_for(const sdk::CourseDeployment* deployment) const {
    return SystemTexts(settings_.texts, deployment ? deployment->overrides_json : std::string("{}"));
}

std::string Enrollments::account_key(sdk::StorageTx& tx, sdk::Id account_id) const {
    const auto sealed = tx.enrollment_key(account_id);
    if (!sealed) return {};
    if (secrets_ == nullptr) {
        log_.error("account " + std::to_string(account_id) +
                   ": external links cannot be checked: this engine has no secret box");
        return {};
    }
    try {
        return secrets_->open(*sealed, sdk::enrollment_key_context(account_id));
    } catch (const std::exception& e) {
        log_.error("account " + std::to_string(account_id) +
                   ": its enrollment key does not open: " + e.what());
        return {};
    }
}

Enrollments::Target Enrollments::resolve(sdk::StorageTx& tx, sdk::Id account_id,
                                         const sdk::InboundEvent& event,
                                         const sdk::StartPayload& link) const {
    Target t;
    const std::string bot = "bot " + std::to_string(event.bot_id);
    switch (link.kind) {
        case sdk::StartPayload::Kind::malformed:
            t.refusal = "link_malformed";
            t.detail = "the start link does not read: " + link.problem;
            return t;
        case sdk::StartPayload::Kind::empty: {
            // A bare /start: the bot's course, when it has exactly one.
            std::vector<sdk::CourseDeployment> open;
            for (auto& d : tx.list_deployments(account_id))
                if (d.bot_id == event.bot_id && d.active && !d.archived_at) open.push_back(std::move(d));
            if (open.size() == 1) {
                // Links that limit who starts (group, personal, external)
                // would limit nothing if a bare /start let anyone in: with
                // such links and no open one (public), the student is asked
                // for theirs. A deployment without links (the legacy
                // product's) is open to a bare /start.
                const auto links = tx.list_tokens(account_id, open.front().id);
                const bool limited =
                    !links.empty() &&
                    std::none_of(links.begin(), links.end(), [](const sdk::EnrollmentToken& k) {
                        return k.type == "public" && k.active && !k.revoked;
                    });
                if (limited) {
                    t.refusal = "link_needed";
                    t.detail = "a bare /start, and deployment " + std::to_string(open.front().id) +
                               " admits only by its links, none of them public";
                    return t;
                }
                t.deployment = std::move(open.front());
            } else {
                t.refusal = "link_needed";
                t.detail = "a bare /start, and " + bot + " has " + std::to_string(open.size()) +
                           " active deployments";
            }
            return t;
        }
        case sdk::StartPayload::Kind::legacy: {
            t.deployment = tx.find_deployment_by_alias(account_id, event.bot_id, link.alias);
            if (!t.deployment) {
                t.refusal = "link_unknown";
                t.detail = "no deployment of " + bot + " has the alias '" + link.alias + "'";
                return t;
            }
            if (!link.utm_source.empty()) t.utm["source"] = link.utm_source;
            if (!link.utm_campaign.empty()) t.utm["campaign"] = link.utm_campaign;
            return t;
        }
        case sdk::StartPayload::Kind::deep_link: break;
    }
    const std::string deployment = "deployment " + std::to_string(link.deployment_id);
    auto found = tx.get_deployment(account_id, link.deployment_id);
    if (!found) {
        t.refusal = "link_unknown";
        t.detail = deployment + " does not exist in account " + std::to_string(account_id);
        return t;
    }
    if (found->bot_id != event.bot_id) {
        t.refusal = "link_wrong_bot";
        t.detail = deployment + " runs on bot " + std::to_string(found->bot_id) + ", not on " + bot;
        return t;
    }
    t.deployment = std::move(found);
    t.token = tx.find_token(account_id, link.deployment_id, link.code);
    if (!t.token) {
        t.refusal = "link_unknown";
        t.detail = deployment + " has no token '" + link.code + "'";
        return t;
    }
    t.plugin = plugins_.enrollment(t.token->type);
    if (t.plugin == nullptr) {
        log_.error(deployment + ": token " + std::to_string(t.token->id) + " is of type '" + t.token->type +
                   "', which no enabled enrollment plugin provides (enable plugins.enrollment." +
                   t.token->type + ")");
        t.refusal = "link_unknown";
        t.detail = "no enrollment plugin for token type '" + t.token->type + "'";
        return t;
    }
    t.argument = link.argument;
    const auto utm = json::parse(t.token->utm_json, nullptr, false);
    if (utm.is_object())
        for (const char* key : {"source", "medium", "campaign"})
            if (utm.contains(key) && utm[key].is_string() && !utm[key].get<std::string>().empty())
                t.utm[key] = utm[key];
    return t;
}

StartPlan Enrollments::plan_start(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                  sdk::TimePoint now, bool confirmed) const {
    StartPlan plan;
    const auto link = sdk::parse_start_payload(event.text);
    plan.current = tx.active_run(account_id, event.bot_id, event.chat_id);
    auto target = resolve(tx, account_id, event, link);
    const auto texts = texts_for(target.deployment ? &*target.deployment : nullptr);
    const std::string user = "user " + std::to_string(event.user_id);

    auto refuse = [&](std::string text, std::string reason) {
        plan.kind = StartPlan::Kind::refuse;
        plan.messages = {text_message(std::move(text))};
        plan.reason = std::move(reason);
        return plan;
    };
    auto resume = [&](const sdk::Run& run) {
        plan.kind = StartPlan::Kind::resume;
        const auto own = tx.get_deployment(account_id, run.deployment_id);
        plan.messages = resume_messages(tx, run, texts_for(own ? &*own : nullptr), sdk::epoch_millis(now));
        return plan;
    };

    if (const auto ban = tx.find_ban(account_id, event.bot_id, event.user_id))
        return refuse(ban->message.empty() ? texts.text("banned") : ban->message,
                      user + " is banned (ban " + std::to_string(ban->id) +
                          (ban->reason.empty() ? std::string() : ": " + ban->reason) + ")");
    // A bare /start while a course is under way only asks where it was.
    if (link.kind == sdk::StartPayload::Kind::empty && plan.current) return resume(*plan.current);
    if (!target.refusal.empty()) return refuse(texts.text(target.refusal), target.detail);

    const auto& deployment = *target.deployment;
    const std::string named = "deployment " + std::to_string(deployment.id);
    // A student under way who opens the course's link again (from an e-mail,
    // on another device) carries on: the token's rules, a pause and an
    // archive decide who starts, and this student started already. Their
    // personal link is used, a group link may be full by now. Only a
    // deployment that allows restarts (and is not archived) starts anew.
    const bool under_way = plan.current && plan.current->deployment_id == deployment.id;
    if (under_way && (deployment.archived_at || !deployment.allow_restart)) return resume(*plan.current);
    if (deployment.archived_at) return refuse(texts.text("course_archived"), named + " is archived");
    if (!deployment.active) return refuse(texts.text("course_paused"), named + " is paused");

    const std::string key = target.argument.empty() ? std::string() : account_key(tx, account_id);
    // Legacy aliases and a bare /start carry no token: the deployment's own rules decide alone.
    const sdk::EnrollmentToken no_token;
    sdk::EnrollmentAttempt attempt{deployment,
                                   target.token ? *target.token : no_token,
                                   target.argument,
                                   key,
                                   event.user_id,
                                   without_at(event.username),
                                   now,
                                   false};
    std::optional<sdk::EnrollmentDecision> asked;
    if (target.plugin != nullptr) {
        asked = target.plugin->admit(tx, attempt);
        if (!asked->admitted)
            return refuse(texts.text("link_" + std::string(sdk::to_string(asked->refusal))),
                          named + ": " + asked->detail);
    }
    if (deployment.restricted && !(asked && asked->names_holder) &&
        !tx.is_participant(account_id, deployment.id, event.user_id, without_at(event.username)))
        return refuse(texts.text("not_allowed"),
                      named + " is restricted and " + user + " is not a participant");

    if (plan.current && !under_way && !confirmed) {
        const auto current_name = course_name(tx, account_id, plan.current->deployment_id);
        const auto next_name = course_name(tx, account_id, deployment.id);
        const std::vector<std::pair<std::string, std::string>> names{{"current", current_name},
                                                                     {"next", next_name}};
        plan.kind = StartPlan::Kind::confirm_switch;
        plan.deployment = deployment;
        plan.prompt = sdk::epoch_millis(now);
        auto prompt = text_message(texts.text("switch_confirm", names));
        prompt.buttons.push_back(
            {texts.text("switch_yes", names), switch_callback_data(plan.prompt, true), {}});
        prompt.buttons.push_back(
            {texts.text("switch_no", names), switch_callback_data(plan.prompt, false), {}});
        plan.messages = {std::move(prompt)};
        return plan;
    }

    if (target.plugin != nullptr) {
        attempt.consume = true;
        const auto decision = target.plugin->admit(tx, attempt);
        if (!decision.admitted)
            return refuse(texts.text("link_" + std::string(sdk::to_string(decision.refusal))),
                          named + ": " + decision.detail);
        if (!decision.external_ref.empty()) target.utm["external_ref"] = decision.external_ref;
        plan.token_id = target.token->id;
    }
    plan.kind = StartPlan::Kind::start;
    plan.deployment = deployment;
    plan.utm_json = target.utm.dump();
    return plan;
}

sdk::OutboundMessage Enrollments::resumed_notice(sdk::StorageTx& tx, const sdk::Run& run,
                                                 const SystemTexts& texts) const {
    return text_message(
        texts.text("resumed", {{"course", course_name(tx, run.account_id, run.deployment_id)}}));
}

// Telegram's "Restart" button unblocks the bot and sends /start at once: the
// unblock took the run up and showed its element again a moment before.
constexpr sdk::Millis kJustTakenUpMs = 10000;

std::vector<sdk::OutboundMessage> Enrollments::resume_messages(sdk::StorageTx& tx, const sdk::Run& run,
                                                               const SystemTexts& texts,
                                                               sdk::Millis now) const {
    std::vector<sdk::OutboundMessage> out{resumed_notice(tx, run, texts)};
    const auto state = RunState::parse(run.state_json);
    if (state.email_pending) {
        out.push_back(text_message(texts.text("email_ask")));
        return out;
    }
    const auto visits = state.visits.find(run.cursor);
    if (visits == state.visits.end()) return out;
    // What the element sent on entering, up to the student's first answer:
    // not the hints and replies its answers got since, nor those of a resume before.
    bool collecting = false;
    bool answered = false;
    for (const auto& row : tx.conversation(run.account_id, run.id)) {
        if (collecting && row.role == "user") {
            answered = true;
            break;
        }
        if (row.role != "bot" || row.element_id != run.cursor || row.attempt != visits->second) continue;
        collecting = true;
        try {
            out.push_back(sdk::outbound_from_json(row.payload_json));
        } catch (const sdk::OutboundFormatError& e) {
            log_.warn("run " + std::to_string(run.id) + ": a message of element " + run.cursor +
                      " cannot be sent again: " + e.what());
        }
    }
    if (!answered && state.taken_up_at && now - *state.taken_up_at < kJustTakenUpMs) return {};
    return out;
}

}  // namespace profo::host
