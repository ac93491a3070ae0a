#include "engine/run_context.hpp"

#include "deployments/deployment_overrides.hpp"
#include "engine/outbox_writer.hpp"
#include "secrets/secret_names.hpp"

#include <algorithm>

namespace profo::host {

sdk::Millis to_millis(sdk::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string enter_element_payload(std::int64_t activation, const std::string& element_id) {
    return nlohmann::json{{"activation", activation}, {"engine", kEnterElement}, {"element", element_id}}
        .dump();
}

RunContext::RunContext(const EngineServices& services, sdk::StorageTx& tx,
                       std::shared_ptr<const CompiledCourse> course, sdk::Run run, RunState state, bool fresh)
    : services_(services),
      tx_(tx),
      course_(std::move(course)),
      run_(std::move(run)),
      state_(std::move(state)),
      fresh_(fresh),
      now_(services.clock.now()),
      now_ms_(to_millis(now_)),
      current_(course_->find(run_.cursor)) {}

template <class Call>
sdk::Outcome RunContext::invoke(const char* what, Call call) {
    try {
        return call();
    } catch (const ElementFailure&) {
        throw;
    } catch (const std::exception& e) {
        throw ElementFailure(current_->id, "type " + current_->type + ": " + what + " threw: " + e.what());
    } catch (...) {
        throw ElementFailure(current_->id,
                             "type " + current_->type + ": " + what + " threw a non-standard exception");
    }
}

void RunContext::begin() {
    const auto* first = course_->first();
    if (first == nullptr) {
        finish(sdk::RunStatus::completed);
        return;
    }
    enter_at(first->id);
}

void RunContext::enter_at(const std::string& element_id) {
    proceed(sdk::Outcome::go_to(element_id));
}

bool RunContext::deliver(const sdk::Event& event) {
    if (current_ == nullptr || current_->plugin == nullptr)
        throw ElementFailure(run_.cursor,
                             "run " + std::to_string(run_.id) + " waits at an element its course lacks");
    const auto outcome = invoke("on_event", [&] { return current_->plugin->on_event(*this, event); });
    if (outcome.kind == sdk::Outcome::Kind::ignored) return false;
    proceed(outcome);
    return true;
}

void RunContext::proceed(sdk::Outcome outcome) {
    try {
        proceed_unguarded(std::move(outcome));
    } catch (const LoopStopped&) {
        services_.log.error("run " + std::to_string(run_.id) + " stopped: more than " +
                            std::to_string(services_.settings.max_steps_per_event) +
                            " element entries in one event (a go_to loop?), last at element " + current_->id);
        conversation_.clear();
        outbox_.clear();
        deferred_.clear();
        finish(sdk::RunStatus::stopped);
    }
}

void RunContext::proceed_unguarded(sdk::Outcome outcome) {
    using Kind = sdk::Outcome::Kind;
    for (;;) {
        switch (outcome.kind) {
            case Kind::wait: wait_here(); return;
            case Kind::ignored:
                // Only on_event may ignore; anywhere else the element keeps the run.
                services_.log.warn("element " + current_->id +
                                   " returned 'ignored' outside on_event; waiting there");
                wait_here();
                return;
            case Kind::end: finish(sdk::RunStatus::completed); return;
            case Kind::go_to: {
                const auto& target = target_of(outcome);
                leave_current();
                for (const auto& caller : state_.stack) state_.states.erase(caller);
                state_.stack.clear();
                if (target.section) {
                    const auto* next = course_->next_after(target);
                    if (next == nullptr) return finish(sdk::RunStatus::completed);
                    outcome = enter(*next);
                } else {
                    outcome = enter(target);
                }
                break;
            }
            case Kind::call: {
                const auto* target = &target_of(outcome);
                if (target->section) target = course_->next_after(*target);
                if (target == nullptr)
                    throw ElementFailure(current_->id, "call to a section at the end of the course");
                state_.stack.push_back(current_->id);
                outcome = enter(*target);
                break;
            }
            case Kind::next: {
                const auto* left = current_;
                leave_current();
                if (!state_.stack.empty()) {
                    if (++steps_ > services_.settings.max_steps_per_event) throw LoopStopped{};
                    current_ = course_->find(state_.stack.back());
                    state_.stack.pop_back();
                    if (current_ == nullptr || current_->plugin == nullptr)
                        throw ElementFailure(left->id, "returns to an element its course lacks");
                    run_.cursor = current_->id;
                    new_activation();
                    outcome = invoke("on_return", [&] { return current_->plugin->on_return(*this); });
                    break;
                }
                const auto* next = course_->next_after(*left);
                if (next == nullptr) return finish(sdk::RunStatus::completed);
                outcome = enter(*next);
                break;
            }
        }
    }
}

const CompiledCourse::Element& RunContext::target_of(const sdk::Outcome& outcome) const {
    const auto* target = course_->find(outcome.target);
    if (target == nullptr) {
        const std::string from = current_ ? current_->id : run_.cursor;
        throw ElementFailure(from, "goes to '" + outcome.target + "', which the course lacks");
    }
    return *target;
}

sdk::Outcome RunContext::enter(const CompiledCourse::Element& element) {
    if (++steps_ > services_.settings.max_steps_per_event) throw LoopStopped{};
    current_ = &element;
    run_.cursor = element.id;
    new_activation();
    ++state_.visits[element.id];
    state_.states[element.id] = nullptr;
    return invoke("enter", [&] { return element.plugin->enter(*this); });
}

void RunContext::new_activation() {
    ++state_.activation;
    state_.waiting = Waiting::nothing;
    sent_buttons_ = sent_poll_ = deferred_here_ = false;
    cancel_timers();
}

void RunContext::leave_current() {
    if (current_ != nullptr) state_.states.erase(current_->id);
}

void RunContext::cancel_timers() {
    // Timers this event scheduled were never stored; earlier ones are.
    timers_.clear();
    if (state_.timers) tx_.cancel_run_timers(run_.account_id, run_.id);
    state_.timers = false;
}

void RunContext::wait_here() {
    if (sent_poll_)
        state_.waiting = Waiting::poll;
    else if (sent_buttons_)
        state_.waiting = Waiting::button;
    else if (!timers_.empty())
        state_.waiting = Waiting::timer;
    else if (deferred_here_)
        state_.waiting = Waiting::deferred;
    // Still waiting for the same thing, or for an answer in the chat.
    else if (state_.waiting == Waiting::nothing)
        state_.waiting = Waiting::input;
}

void RunContext::finish(sdk::RunStatus status) {
    end(status);
    state_.states = nlohmann::json::object();
    state_.stack.clear();
}

void RunContext::end_blocked() {
    end(sdk::RunStatus::blocked);
}

void RunContext::end(sdk::RunStatus status) {
    run_.status = status;
    run_.active = false;
    run_.ended_at = now_ms_;
    state_.waiting = Waiting::nothing;
    cancel_timers();
}

void RunContext::ignore(nlohmann::json payload, bool hint) {
    if (current_ == nullptr) return;
    payload["ignored"] = true;
    record("user", payload, std::nullopt, std::nullopt);
    if (hint && !services_.settings.hints.use_buttons.empty()) {
        sdk::OutAction action;
        action.text = services_.settings.hints.use_buttons;
        send(action);
    }
}

void RunContext::flush() {
    std::erase_if(deferred_, [this](const DeferredWork& work) {
        return !run_.active || work.activation != state_.activation;
    });
    // Markers are timers of the run: leaving the element cancels them with the rest.
    if (!deferred_.empty()) state_.timers = true;
    // History first: a chained store moves the run's conversation head with
    // the run's update that follows, in one statement.
    tx_.append_conversation_rows(run_.account_id, conversation_);
    run_.state_json = state_.dump();
    run_.updated_at = now_ms_;
    if (!tx_.update_run(run_.account_id, run_))
        throw std::runtime_error("run " + std::to_string(run_.id) + " vanished while an event was handled");
    tx_.enqueue_outbox_rows(run_.account_id, outbox_);
    for (const auto& timer : timers_) tx_.add_timer(run_.account_id, timer);
    for (auto& work : deferred_) {
        sdk::WaitingElement marker;
        marker.account_id = run_.account_id;
        marker.run_id = run_.id;
        marker.element_id = work.element_id;
        marker.due_at = work.deadline;
        marker.payload_json =
            nlohmann::json{{"activation", work.activation}, {"engine", kDeferredDeadline}}.dump();
        marker.created_at = now_ms_;
        work.marker_id = tx_.add_timer(run_.account_id, marker);
    }
}

std::vector<DeferredWork> RunContext::take_deferred() {
    std::vector<DeferredWork> out;
    for (auto& work : deferred_)
        if (work.marker_id != 0) out.push_back(std::move(work));
    deferred_.clear();
    return out;
}

const nlohmann::json* RunContext::element_source(const std::string& element_id) const {
    const auto* e = course_->find(element_id);
    return e == nullptr ? nullptr : &e->source;
}

int RunContext::attempt() const {
    auto it = state_.visits.find(current_->id);
    return it == state_.visits.end() ? 1 : it->second;
}

const sdk::CourseDeployment& RunContext::deployment() const {
    if (!deployment_) {
        deployment_ = tx_.get_deployment(run_.account_id, run_.deployment_id);
        if (!deployment_)
            throw std::runtime_error("deployment " + std::to_string(run_.deployment_id) + " not found");
    }
    return *deployment_;
}

const nlohmann::json& RunContext::settings() const {
    const std::string& plugin_id = current_->plugin_id;
    if (auto it = settings_.find(plugin_id); it != settings_.end()) return it->second;
    nlohmann::json merged = nlohmann::json::object();
    if (auto it = services_.plugins.find(plugin_id); it != services_.plugins.end())
        merged = it->second.settings;
    const auto overrides = nlohmann::json::parse(deployment().overrides_json, nullptr, false);
    const nlohmann::json* mine = nullptr;
    if (overrides.is_object()) {
        const auto plugins = overrides.find("plugins");
        if (plugins != overrides.end() && plugins->is_object() && plugins->contains(plugin_id))
            mine = &plugins->at(plugin_id);
    }
    auto& sealed = sealed_overrides_[plugin_id];
    if (mine != nullptr && mine->is_object()) {
        const auto allowed = current_->plugin->overridable_settings();
        nlohmann::json patch = nlohmann::json::object();
        bool own_credentials = false;
        for (const auto& [key, value] : mine->items()) {
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                services_.log.warn("deployment " + std::to_string(deployment_->id) + " overrides '" + key +
                                   "' of " + plugin_id + ", which a deployment may not override; ignored");
                continue;
            }
            const bool is_url = key.size() >= 3 && key.compare(key.size() - 3, 3, "url") == 0;
            if (is_url && (!merged.contains(key) || merged[key] != value)) own_credentials = true;
            if (is_sealed_setting(key)) {
                sealed.insert(key);
                own_credentials = true;
            }
            patch[key] = value;
        }
        // The platform's credentials never travel to an endpoint a tenant
        // chose, and never stand in for the tenant's own.
        if (own_credentials)
            for (auto it = merged.begin(); it != merged.end();)
                it = names_a_secret(it.key()) ? merged.erase(it) : std::next(it);
        merged.merge_patch(patch);
    }
    return settings_.emplace(plugin_id, std::move(merged)).first->second;
}

std::optional<std::string> RunContext::sealed_setting_context(const std::string& setting) const {
    settings();
    const std::string& plugin_id = current_->plugin_id;
    const auto found = sealed_overrides_.find(plugin_id);
    if (found == sealed_overrides_.end() || !found->second.count(setting)) return std::nullopt;
    return sdk::deployment_override_context(run_.account_id, run_.deployment_id, plugin_id, setting);
}

void RunContext::send(const sdk::OutAction& action) {
    if (!action.buttons.empty() && action.kind != sdk::OutAction::Kind::text)
        services_.log.warn("element " + current_->id +
                           " sent buttons with a non-text action; Telegram cannot show them");
    for (const auto& outbound : outbound_messages(action, current_->id, {state_.activation, run_.id})) {
        sdk::OutboxMessage message;
        message.account_id = run_.account_id;
        message.bot_id = run_.bot_id;
        message.chat_id = run_.chat_id;
        message.run_id = run_.id;
        message.payload_json = sdk::to_json(outbound);
        message.next_attempt_at = now_ms_;
        message.created_at = now_ms_;
        if (outbound.kind == sdk::OutboundMessage::Kind::poll) sent_poll_ = true;
        if (!outbound.buttons.empty()) sent_buttons_ = true;
        // "typing" is a chat action, not a message: history stays a transcript.
        if (outbound.kind != sdk::OutboundMessage::Kind::typing) {
            sdk::ConversationEntry row;
            row.account_id = run_.account_id;
            row.run_id = run_.id;
            row.element_id = current_->id;
            row.role = "bot";
            row.payload_json = message.payload_json;
            row.attempt = attempt();
            row.created_at = now_ms_;
            conversation_.push_back(std::move(row));
        }
        outbox_.push_back(std::move(message));
    }
}

void RunContext::record(const std::string& role, const nlohmann::json& payload, std::optional<double> score,
                        std::optional<double> maxscore) {
    sdk::ConversationEntry row;
    row.account_id = run_.account_id;
    row.run_id = run_.id;
    row.element_id = current_->id;
    row.role = role;
    row.payload_json = payload.dump();
    row.score = score;
    row.maxscore = maxscore;
    row.attempt = attempt();
    row.created_at = now_ms_;
    conversation_.push_back(std::move(row));
}

std::vector<sdk::ConversationEntry> RunContext::history() const {
    if (!stored_history_)
        stored_history_ =
            fresh_ ? std::vector<sdk::ConversationEntry>{} : tx_.conversation(run_.account_id, run_.id);
    std::vector<sdk::ConversationEntry> all;
    all.reserve(stored_history_->size() + conversation_.size());
    all.insert(all.end(), stored_history_->begin(), stored_history_->end());
    all.insert(all.end(), conversation_.begin(), conversation_.end());
    return all;
}

void RunContext::schedule(sdk::TimePoint due, const nlohmann::json& payload) {
    sdk::WaitingElement timer;
    timer.account_id = run_.account_id;
    timer.run_id = run_.id;
    timer.element_id = current_->id;
    timer.due_at = to_millis(due);
    if (timer.due_at > now_ms_) {
        // A test deployment may run its waits faster (overrides "time_scale"):
        // a `1d` delay at 1440 is due in a minute.
        const double scale = deployment_time_scale(deployment(), services_.log);
        if (scale > 1)
            timer.due_at =
                now_ms_ + static_cast<sdk::Millis>(static_cast<double>(timer.due_at - now_ms_) / scale);
    }
    timer.payload_json = nlohmann::json{{"activation", state_.activation}, {"payload", payload}}.dump();
    timer.created_at = now_ms_;
    timers_.push_back(std::move(timer));
    state_.timers = true;
}

void RunContext::defer(std::function<nlohmann::json()> task) {
    DeferredWork work;
    work.account_id = run_.account_id;
    work.bot_id = run_.bot_id;
    work.chat_id = run_.chat_id;
    work.run_id = run_.id;
    work.element_id = current_->id;
    work.activation = state_.activation;
    work.task = std::move(task);
    work.deadline = now_ms_ + services_.settings.deferred.deadline_ms;
    deferred_.push_back(std::move(work));
    deferred_here_ = true;
}

std::uint64_t RunContext::random_seed() const {
    // FNV-1a: stable across builds and platforms, unlike std::hash.
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&](std::string_view bytes) {
        for (const unsigned char c : bytes) {
            h ^= c;
            h *= 1099511628211ULL;
        }
    };
    mix(std::to_string(run_.id));
    mix(":");
    mix(current_->id);
    mix(":");
    mix(std::to_string(attempt()));
    return h;
}

}  // namespace profo::host
