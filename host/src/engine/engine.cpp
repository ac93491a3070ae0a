#include "engine/engine.hpp"

#include "engine/outbox_writer.hpp"
#include "engine/timer_scheduler.hpp"
#include "runtime/blocking_call_pool.hpp"
#include "text/formatted_split.hpp"

#include <algorithm>
#include <set>

#include <cctype>

namespace profo::host {

namespace {

using Status = sdk::DispatchResult::Status;

sdk::DispatchResult refused(std::string why) {
    return {Status::refused, std::nullopt, std::move(why)};
}

sdk::DispatchResult failed(std::string why) {
    return {Status::failed, std::nullopt, std::move(why)};
}

// The student's message as a history row (for the ones no element consumes).
nlohmann::json inbound_payload(const sdk::InboundEvent& event) {
    using Kind = sdk::InboundEvent::Kind;
    switch (event.kind) {
        case Kind::text: return {{"text", event.text}};
        case Kind::voice: return {{"voice", event.text}};
        case Kind::callback: return {{"callback_data", event.callback_data}};
        case Kind::poll_answer: return {{"poll_id", event.poll_id}, {"options", event.options}};
        case Kind::web_app_data: return {{"web_app_data", event.text}};
        case Kind::document: return {{"document", event.file_name}};
        default: return nlohmann::json::object();
    }
}

}  // namespace

// An in-flight count that drops when the deferred work is gone: delivered,
// dropped, or discarded unrun by a stopped pool or executor.
struct Engine::InFlight {
    Engine& engine;
    explicit InFlight(Engine& e) : engine(e) {
        std::lock_guard lock(engine.deferred_mutex_);
        ++engine.deferred_in_flight_;
    }
    ~InFlight() {
        bool last = false;
        {
            std::lock_guard lock(engine.deferred_mutex_);
            last = --engine.deferred_in_flight_ == 0;
        }
        // Waiters wait for none in flight (wait_for_deferred).
        if (last) engine.deferred_done_.notify_all();
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
};

Engine::Engine(sdk::Storage& storage, const PluginRegistry& plugins, sdk::Executor& executor,
               const sdk::Clock& clock, const Config& config, sdk::Logger& log, const sdk::SecretBox* secrets)
    : storage_(storage),
      executor_(executor),
      clock_(clock),
      log_(log),
      settings_(config.engine),
      plugin_settings_(config.plugins),
      services_{clock, log, settings_, plugin_settings_},
      courses_(plugins),
      enrollments_(plugins, settings_, secrets, log),
      authoring_(plugins, clock),
      deferred_pool_(std::make_unique<BlockingCallPool>(
          settings_.deferred.threads, static_cast<std::size_t>(settings_.deferred.max_queued))),
      scheduler_(std::make_unique<TimerScheduler>(
          storage, clock, log, [this](const sdk::WaitingElement& t) { return fire_timer(t); })),
      chats_(std::make_unique<ChatWorkQueues>(
          settings_.group_commit.workers > 0 ? settings_.group_commit.workers
          // The rest of the pool stays for transports and the panel.
          : storage.backend() == "sqlite" ? 1
                                          : std::max(1, config.storage.pool_size / 2),
          settings_.group_commit.max_events, std::chrono::microseconds(settings_.group_commit.linger_us),
          [this](std::vector<ChatWorkQueues::Item*>& group) { run_group(group); })) {}

Engine::~Engine() {
    stop();
}

void Engine::stop() {
    stop_scheduler();
    std::map<std::uint64_t, sdk::Executor::TimerId> retries;
    {
        std::lock_guard lock(deferred_mutex_);
        stopping_ = true;
        retries.swap(retries_);
    }
    for (const auto& [key, id] : retries)
        if (id != 0) executor_.cancel(id);
    deferred_pool_->stop();
    wait_for_deferred();
}

void Engine::start_scheduler() {
    scheduler_->start();
}

void Engine::stop_scheduler() {
    scheduler_->stop();
}

void Engine::wait_for_deferred() {
    std::unique_lock lock(deferred_mutex_);
    deferred_done_.wait(lock, [this] { return deferred_in_flight_ == 0; });
}

std::optional<sdk::Id> Engine::account_of(sdk::Id bot_id) {
    {
        std::shared_lock lock(bots_mutex_);
        if (auto it = bot_accounts_.find(bot_id); it != bot_accounts_.end()) return it->second;
    }
    const auto bots = storage_.begin()->list_bots_all_accounts();
    std::unique_lock lock(bots_mutex_);
    for (const auto& bot : bots) bot_accounts_[bot.id] = bot.account_id;
    if (auto it = bot_accounts_.find(bot_id); it != bot_accounts_.end()) return it->second;
    return std::nullopt;
}

// One event on its chat's worker; `completion` is its caller's.
struct Engine::ChatEvent final : ChatWorkQueues::Item {
    std::function<std::string()> what;
    Handler handle;
    Completion* completion = nullptr;
    sdk::DispatchResult result;
    AfterCommit after;
    // Failed on its own (its element, its chat's earlier event): trying it
    // again alone after its group failed would not help.
    bool failed_alone = false;
    // The update ledger's entry of an event that came with an update id: the
    // event is handled only if marking it says it is new.
    std::optional<sdk::UpdateLedger::Update> update;
    // What marking it said, when its group marked every event's at once.
    std::optional<bool> update_is_new;
};

// What one caller waits for: its events settled, and the chats in which one
// failed (their later events are failed untried, to keep each chat in order).
struct Engine::Completion {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t unsettled = 0;
    std::set<std::pair<sdk::Id, std::int64_t>> failed_chats;
    // Set for a caller that does not wait: runs once all are settled, and
    // may destroy this object.
    std::function<void()> settled;

    bool chat_failed(const ChatEvent& e) {
        std::lock_guard lock(mutex);
        return failed_chats.count({e.bot_id, e.chat_id}) != 0;
    }
    // Notifies under the lock: once it is released, the waiter may return
    // and take this object with it. Only the last settled event wakes it: a
    // wake is a futex call and a context switch, a fifth of a group's CPU
    // when every event of a 32-event group woke the waiter to sleep again.
    void settle(const ChatEvent& e) {
        {
            std::lock_guard lock(mutex);
            if (e.result.status == Status::failed) failed_chats.insert({e.bot_id, e.chat_id});
            if (--unsettled != 0) return;
            if (!settled) {
                done.notify_all();
                return;
            }
        }
        // Moved out first: it may destroy this object, and itself with it.
        auto run = std::move(settled);
        run();
    }
};

// One dispatch_all: the results of its events in their order, and the chat
// events of the known bots' (at `positions` in the results). A dispatch no
// caller waits for keeps its events here (`owned`): its chat events refer to them.
struct Engine::Dispatch {
    std::vector<sdk::InboundEvent> owned;
    std::vector<sdk::DispatchResult> results;
    std::vector<ChatEvent> events;
    std::vector<std::size_t> positions;
    Completion completion;

    void collect_results() {
        for (std::size_t k = 0; k < events.size(); ++k) results[positions[k]] = std::move(events[k].result);
    }
};

sdk::DispatchResult Engine::in_chat_transaction(sdk::Id bot_id, std::int64_t chat_id,
                                                std::function<std::string()> what, Handler handle) {
    std::vector<ChatEvent> events(1);
    events[0].bot_id = bot_id;
    events[0].chat_id = chat_id;
    events[0].what = std::move(what);
    events[0].handle = std::move(handle);
    run_in_chats(events);
    return std::move(events[0].result);
}

void Engine::run_in_chats(std::vector<ChatEvent>& events) {
    if (events.empty()) return;
    if (ChatWorkQueues::on_worker_thread()) {
        // A worker waiting for its own queue would wait forever.
        for (auto& e : events)
            e.result = failed("an event cannot be dispatched from inside another event's handling");
        return;
    }
    Completion completion;
    enqueue(events, completion);
    std::unique_lock lock(completion.mutex);
    completion.done.wait(lock, [&] { return completion.unsettled == 0; });
}

void Engine::enqueue(std::vector<ChatEvent>& events, Completion& completion) {
    completion.unsettled = events.size();
    std::vector<ChatWorkQueues::Item*> items;
    items.reserve(events.size());
    for (auto& e : events) {
        e.completion = &completion;
        items.push_back(&e);
    }
    chats_->push(items);
}

void Engine::run_group(std::vector<ChatWorkQueues::Item*>& items) {
    std::vector<ChatEvent*> group;
    group.reserve(items.size());
    for (auto* item : items) group.push_back(static_cast<ChatEvent*>(item));
    // Chat locks are taken in ascending (bot, chat) order by every
    // transaction of every process, so none waits for another in a circle.
    // A stable sort keeps each chat's events in their order.
    std::stable_sort(group.begin(), group.end(), [](const ChatEvent* a, const ChatEvent* b) {
        return std::pair(a->bot_id, a->chat_id) < std::pair(b->bot_id, b->chat_id);
    });
    std::set<std::pair<sdk::Id, std::int64_t>> failed_chats;
    auto outcome = commit_group(group, failed_chats, false);
    if (outcome == GroupOutcome::needs_savepoints) outcome = commit_group(group, failed_chats, true);
    if (outcome == GroupOutcome::lost && group.size() > 1) {
        // The transaction as a whole failed (its commit, a lost connection, two
        // processes' groups deadlocked): each event that had gone through is
        // tried again alone, so one bad group costs no event its turn. A chat
        // whose event fails again keeps its later ones back.
        for (auto* e : group) {
            if (e->failed_alone) continue;
            if (commit_group({e}, failed_chats, false) == GroupOutcome::not_started) break;
        }
    }
    for (auto* e : group) {
        if (e->result.status != Status::failed) {
            // Posted once committed: a worker may take the task up at once.
            for (auto& work : e->after.deferred) post_deferred(std::move(work));
            if (e->after.timers_added) scheduler_->wake();
        }
        e->completion->settle(*e);
    }
}

Engine::GroupOutcome Engine::commit_group(const std::vector<ChatEvent*>& group,
                                          std::set<std::pair<sdk::Id, std::int64_t>>& failed_chats,
                                          bool savepoints) {
    const auto fail_all = [&](const std::string& why) {
        for (auto* e : group) {
            if (e->failed_alone) continue;  // keeps its own reason
            e->result = failed(why);
            e->after = {};
        }
    };
    std::unique_ptr<sdk::StorageTx> tx;
    try {
        tx = storage_.begin();
    } catch (const std::exception& e) {
        log_.error(std::string("a group of events could not start its transaction: ") + e.what());
        for (auto* event : group) event->result = failed(std::string("storage unavailable: ") + e.what());
        return GroupOutcome::not_started;
    }
    // What an earlier run of the group marked was rolled back with it.
    for (auto* e : group) e->update_is_new.reset();
    const auto untried = [&](const ChatEvent& e) {
        return failed_chats.count({e.bot_id, e.chat_id}) != 0 || e.completion->chat_failed(e);
    };
    // The chat whose lock was taken last, if it still holds.
    std::pair<sdk::Id, std::int64_t> locked{};
    bool holds_lock = false;
    const auto lock = [&](const ChatEvent& e) {
        const std::pair chat{e.bot_id, e.chat_id};
        if (holds_lock && locked == chat) return;
        tx->lock_chat(e.bot_id, e.chat_id);
        locked = chat;
        holds_lock = true;
    };
    // Marked by the group already, or marked now.
    const auto update_is_new = [&](const ChatEvent& e) {
        if (!e.update) return true;
        if (e.update_is_new) return *e.update_is_new;
        return tx->mark_update_processed(e.update->account_id, e.update->bot_id, e.update->update_id);
    };
    const bool alone = group.size() == 1;
    if (!savepoints) {
        // Without savepoints nothing stands unless all does: the chats are
        // locked first (in the group's ascending order, as the loop below
        // would), then the updates of the events to try marked in one call.
        // A ledger row is only ever written under its chat's lock, so
        // transactions cannot wait for each other over one.
        try {
            std::vector<sdk::UpdateLedger::Update> updates;
            std::vector<ChatEvent*> marked;
            for (auto* e : group) {
                if (untried(*e)) continue;
                lock(*e);
                if (e->update) {
                    updates.push_back(*e->update);
                    marked.push_back(e);
                }
            }
            if (!updates.empty()) {
                const auto is_new = tx->mark_updates_processed(updates);
                if (is_new.size() != marked.size())
                    throw std::runtime_error("the storage marked " + std::to_string(is_new.size()) + " of " +
                                             std::to_string(marked.size()) + " updates");
                for (std::size_t k = 0; k < marked.size(); ++k) marked[k]->update_is_new = is_new[k];
            }
        } catch (const std::exception& e) {
            log_.error(std::string("a group of events could not lock its chats or mark its updates: ") +
                       e.what());
            fail_all(std::string("the event could not be handled: ") + e.what());
            return GroupOutcome::lost;
        }
    }
    for (auto* e : group) {
        e->failed_alone = false;
        e->result = {};
        e->after = {};
        const std::pair chat{e->bot_id, e->chat_id};
        if (untried(*e)) {
            e->result = failed("not tried: an earlier event of this chat failed");
            e->failed_alone = true;
            continue;
        }
        std::string error;
        try {
            if (savepoints) tx->savepoint();
            // Without savepoints every chat is locked already.
            if (savepoints) lock(*e);
            e->result = update_is_new(*e) ? e->handle(*tx, e->after)
                                          : sdk::DispatchResult{Status::duplicate, std::nullopt, {}};
            if (savepoints) tx->release_savepoint();
            continue;
        } catch (const ElementFailure& failure) {
            error = std::string("the course failed: ") + failure.what();
        } catch (const std::exception& failure) {
            error = std::string("the event could not be handled: ") + failure.what();
        }
        if (!savepoints && !alone) {
            // Undoes every event so far; the next run (with savepoints) settles
            // and reports each, this one included.
            tx.reset();
            for (auto* event : group) {
                event->result = {};
                event->after = {};
                event->failed_alone = false;
            }
            return GroupOutcome::needs_savepoints;
        }
        log_.error(e->what() + " rolled back: " + error);
        e->result = failed(error);
        e->after = {};
        e->failed_alone = true;
        failed_chats.insert(chat);
        if (!savepoints) {
            tx.reset();  // rolls back: nothing of the event stays, and there is nothing else
            return GroupOutcome::committed;
        }
        // Undoing the savepoint lets the chat's lock go as well.
        holds_lock = false;
        try {
            tx->rollback_to_savepoint();
        } catch (const std::exception& gone) {
            log_.error(std::string("a group of events was lost with its transaction: ") + gone.what());
            fail_all(std::string("the event could not be handled: ") + gone.what());
            return GroupOutcome::lost;
        }
    }
    try {
        tx->commit();
    } catch (const std::exception& e) {
        log_.error(std::string("a group of ") + std::to_string(group.size()) +
                   " events could not commit: " + e.what());
        fail_all(std::string("the event could not be committed: ") + e.what());
        return GroupOutcome::lost;
    }
    return GroupOutcome::committed;
}

sdk::DispatchResult Engine::dispatch(const sdk::InboundEvent& event) {
    return std::move(dispatch_all({event}).front());
}

void Engine::prepare(const std::vector<sdk::InboundEvent>& inbound, Dispatch& d) {
    d.results.resize(inbound.size());
    d.events.reserve(inbound.size());
    for (std::size_t i = 0; i < inbound.size(); ++i) {
        const auto& event = inbound[i];
        std::optional<sdk::Id> account;
        try {
            account = account_of(event.bot_id);
        } catch (const std::exception& e) {
            log_.error("looking up bot " + std::to_string(event.bot_id) + " failed: " + e.what());
            d.results[i] = failed(std::string("storage unavailable: ") + e.what());
            continue;
        }
        if (!account) {
            d.results[i] = refused("unknown bot " + std::to_string(event.bot_id));
            continue;
        }
        auto& e = d.events.emplace_back();
        d.positions.push_back(i);
        e.bot_id = event.bot_id;
        e.chat_id = event.chat_id;
        e.what = [&event] {
            return "event for bot " + std::to_string(event.bot_id) + " chat " + std::to_string(event.chat_id);
        };
        if (event.update_id) e.update = sdk::UpdateLedger::Update{*account, event.bot_id, *event.update_id};
        e.handle = [this, &event, account = *account](sdk::StorageTx& tx, AfterCommit& after) {
            if (event.kind == sdk::InboundEvent::Kind::start) return start_run(tx, account, event, after);
            if (auto answers = authoring_.handle(tx, account, event)) {
                for (const auto& answer : *answers) enqueue_plain(tx, account, event, std::nullopt, answer);
                return sdk::DispatchResult{Status::handled, std::nullopt, {}};
            }
            return route(tx, account, event, after);
        };
    }
}

std::vector<sdk::DispatchResult> Engine::dispatch_all(const std::vector<sdk::InboundEvent>& inbound) {
    Dispatch d;
    prepare(inbound, d);
    run_in_chats(d.events);
    d.collect_results();
    return std::move(d.results);
}

void Engine::dispatch_all_then(std::vector<sdk::InboundEvent> inbound, DispatchDone done) {
    auto d = std::make_unique<Dispatch>();
    d->owned = std::move(inbound);
    prepare(d->owned, *d);
    if (d->events.empty()) {
        done(std::move(d->results));
        return;
    }
    // Settled on a worker: the dispatch goes with its last event.
    Dispatch* pending = d.release();
    pending->completion.settled = [pending, done = std::move(done)]() mutable {
        std::unique_ptr<Dispatch> owned(pending);
        owned->collect_results();
        auto results = std::move(owned->results);
        owned.reset();
        done(std::move(results));
    };
    enqueue(pending->events, pending->completion);
}

RunState Engine::played_state(sdk::DeploymentStore& deployments, const sdk::Run& run) {
    auto state = RunState::parse(run.state_json);
    if (state.version == 0) {
        // Runs stored without the version they play follow their deployment.
        const auto deployment = deployments.get_deployment(run.account_id, run.deployment_id);
        if (!deployment)
            throw std::runtime_error("deployment " + std::to_string(run.deployment_id) + " not found");
        state.version = deployment->version_id;
    }
    return state;
}

RunContext Engine::context_for(sdk::StorageTx& tx, const sdk::Run& run) {
    auto state = played_state(tx, run);
    auto course = courses_.get(tx, run.account_id, state.version);
    return RunContext(services_, tx, std::move(course), run, std::move(state), false);
}

void Engine::collect(RunContext& ctx, AfterCommit& after) {
    ctx.flush();
    after.deferred = ctx.take_deferred();
    // A deadline marker is a timer too, and may be due sooner than the next look.
    after.timers_added = ctx.added_timers() || !after.deferred.empty();
}

void Engine::enqueue_plain(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                           std::optional<sdk::Id> run_id, const sdk::OutboundMessage& outbound) {
    sdk::OutboxMessage message;
    message.account_id = account_id;
    message.bot_id = event.bot_id;
    message.chat_id = event.chat_id;
    message.run_id = run_id;
    message.next_attempt_at = message.created_at = to_millis(clock_.now());
    // The platform's texts come from people (a ban's message, a deployment's
    // texts) and from data imported: Telegram refuses a text over its limit
    // for good, so a long one goes in parts, its buttons under the last.
    const auto parts = outbound.kind == sdk::OutboundMessage::Kind::text && !outbound.text.empty()
                           ? split_formatted_text(outbound.text, outbound.parse_mode, kMaxTextLength)
                           : std::vector<std::string>{outbound.text};
    std::vector<sdk::OutboxMessage> messages(parts.size(), message);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto part = outbound;
        part.text = parts[i];
        if (i + 1 < parts.size()) part.buttons.clear();
        messages[i].payload_json = sdk::to_json(part);
    }
    // As rows: the store may hold them back to write with the group's others.
    tx.enqueue_outbox_rows(account_id, messages);
}

// A start that names its deployment (event.deployment_id) comes from a
// trusted caller (`profo course play`, the panel): no link and no token, and
// a run already under way in the chat is stopped.
sdk::DispatchResult Engine::start_run(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                      AfterCommit& after) {
    if (!event.deployment_id) return start_from_link(tx, account_id, event, after, false);
    const auto deployment = tx.get_deployment(account_id, *event.deployment_id);
    if (!deployment || deployment->bot_id != event.bot_id)
        return refused("deployment " + std::to_string(*event.deployment_id) + " is not on this bot");
    if (deployment->archived_at)
        return refused("deployment " + std::to_string(deployment->id) + " is archived");
    if (!deployment->active)
        return refused("deployment " + std::to_string(deployment->id) + " is not active");
    if (tx.is_banned(account_id, event.bot_id, event.user_id)) return refused("this user is banned");
    if (auto old = tx.active_run(account_id, event.bot_id, event.chat_id))
        end_run(tx, account_id, std::move(*old), sdk::RunStatus::stopped);
    return begin_run(tx, account_id, event, *deployment, event.token_id,
                     event.utm_json.empty() ? "{}" : event.utm_json, after);
}

sdk::DispatchResult Engine::start_from_link(sdk::StorageTx& tx, sdk::Id account_id,
                                            const sdk::InboundEvent& event, AfterCommit& after,
                                            bool confirmed) {
    auto plan = enrollments_.plan_start(tx, account_id, event, clock_.now(), confirmed);
    const std::optional<sdk::Id> current_id = plan.current ? std::optional(plan.current->id) : std::nullopt;
    using Kind = StartPlan::Kind;
    if (plan.kind != Kind::start)
        for (const auto& message : plan.messages)
            enqueue_plain(tx, account_id, event, plan.kind == Kind::refuse ? std::nullopt : current_id,
                          message);
    switch (plan.kind) {
        case Kind::refuse: return refused(plan.reason);
        case Kind::resume: return {Status::handled, current_id, {}};
        case Kind::confirm_switch: {
            // The question waits in the run the student would leave: its
            // buttons carry only the prompt's number.
            auto state = RunState::parse(plan.current->state_json);
            state.pending_switch = {
                {"prompt", plan.prompt}, {"payload", event.text}, {"username", event.username}};
            plan.current->state_json = state.dump();
            plan.current->updated_at = to_millis(clock_.now());
            tx.update_run(account_id, *plan.current);
            return {Status::handled, current_id, {}};
        }
        case Kind::start: break;
    }
    if (plan.current) end_run(tx, account_id, std::move(*plan.current), sdk::RunStatus::abandoned);
    return begin_run(tx, account_id, event, plan.deployment, plan.token_id, plan.utm_json, after);
}

void Engine::end_run(sdk::StorageTx& tx, sdk::Id account_id, sdk::Run run, sdk::RunStatus status) {
    const sdk::Millis now = to_millis(clock_.now());
    run.status = status;
    run.active = false;
    run.ended_at = now;
    run.updated_at = now;
    tx.update_run(account_id, run);
    tx.cancel_run_timers(account_id, run.id);
}

sdk::DispatchResult Engine::begin_run(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                      const sdk::CourseDeployment& deployment,
                                      std::optional<sdk::Id> token_id, const std::string& utm_json,
                                      AfterCommit& after) {
    const sdk::Millis now = to_millis(clock_.now());
    auto course = courses_.get(tx, account_id, deployment.version_id);
    RunState state;
    state.version = deployment.version_id;
    state.email_pending = deployment.collect_email;
    sdk::Run run;
    run.account_id = account_id;
    run.bot_id = event.bot_id;
    run.deployment_id = deployment.id;
    run.version_id = deployment.version_id;
    run.preview = deployment.environment == "preview";
    run.chat_id = event.chat_id;
    run.user_id = event.user_id;
    run.username = event.username;
    run.token_id = token_id;
    run.utm_json = utm_json;
    run.state_json = state.dump();
    run.started_at = run.updated_at = now;
    run = tx.start_run(account_id, run);

    if (state.email_pending) {
        sdk::OutboundMessage ask;
        ask.text = enrollments_.texts_for(&deployment).text("email_ask");
        enqueue_plain(tx, account_id, event, run.id, ask);
        return {Status::handled, run.id, {}};
    }
    RunContext ctx(services_, tx, std::move(course), run, std::move(state), true);
    ctx.begin();
    collect(ctx, after);
    return {Status::handled, run.id, {}};
}

sdk::DispatchResult Engine::answer_switch(sdk::StorageTx& tx, sdk::Id account_id,
                                          const sdk::InboundEvent& event, sdk::Run run,
                                          const SwitchAnswer& answer, AfterCommit& after) {
    auto state = RunState::parse(run.state_json);
    // A button of an earlier prompt, or of one answered already.
    if (!state.pending_switch.is_object() ||
        state.pending_switch.value("prompt", std::int64_t{-1}) != answer.prompt)
        return {Status::ignored, run.id, {}};
    const auto pending = state.pending_switch;
    state.pending_switch = nullptr;
    run.state_json = state.dump();
    run.updated_at = to_millis(clock_.now());
    tx.update_run(account_id, run);
    if (!answer.confirm) {
        const auto deployment = tx.get_deployment(account_id, run.deployment_id);
        const auto course = deployment ? tx.get_course(account_id, deployment->course_id) : std::nullopt;
        sdk::OutboundMessage kept;
        kept.text = enrollments_.texts_for(deployment ? &*deployment : nullptr)
                        .text("switch_kept", {{"current", course ? course->name : std::string()}});
        enqueue_plain(tx, account_id, event, run.id, kept);
        return {Status::handled, run.id, {}};
    }
    sdk::InboundEvent start = event;
    start.kind = sdk::InboundEvent::Kind::start;
    start.text = pending.value("payload", std::string());
    start.username = pending.value("username", event.username);
    start.callback_data.clear();
    start.callback_id.clear();
    return start_from_link(tx, account_id, start, after, true);
}

sdk::DispatchResult Engine::take_email(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                       sdk::Run run, RunState state, AfterCommit& after) {
    if (event.kind != sdk::InboundEvent::Kind::text) return {Status::ignored, run.id, {}};
    const auto deployment = tx.get_deployment(account_id, run.deployment_id);
    const auto texts = enrollments_.texts_for(deployment ? &*deployment : nullptr);
    std::string address = event.text;
    while (!address.empty() && std::isspace(static_cast<unsigned char>(address.back()))) address.pop_back();
    address.erase(0, std::min(address.size(), address.find_first_not_of(" \t\r\n")));
    const sdk::Millis now = to_millis(clock_.now());
    sdk::ConversationEntry row;
    row.account_id = account_id;
    row.run_id = run.id;
    row.role = "user";
    row.created_at = now;
    if (!is_email_address(address)) {
        row.payload_json = nlohmann::json{{"text", event.text}, {"email", false}}.dump();
        tx.append_conversation(account_id, row);
        sdk::OutboundMessage again;
        again.text = texts.text("email_invalid");
        enqueue_plain(tx, account_id, event, run.id, again);
        return {Status::ignored, run.id, {}};
    }
    row.payload_json = nlohmann::json{{"email", address}}.dump();
    tx.append_conversation(account_id, row);
    state.email_pending = false;
    state.email = address;
    run.state_json = state.dump();
    run.updated_at = now;
    tx.update_run(account_id, run);
    auto course = courses_.get(tx, account_id, state.version);
    RunContext ctx(services_, tx, std::move(course), run, std::move(state), false);
    ctx.begin();
    collect(ctx, after);
    return {Status::handled, run.id, {}};
}

sdk::DispatchResult Engine::take_up_blocked_run(sdk::StorageTx& tx, sdk::Id account_id,
                                                const sdk::InboundEvent& event, AfterCommit& after) {
    sdk::DispatchResult nothing{Status::no_run, std::nullopt, {}};
    sdk::RunFilter last;
    last.bot_id = event.bot_id;
    last.chat_id = event.chat_id;
    last.newest_first = true;
    last.limit = 1;
    auto runs = tx.list_runs(account_id, last);
    // A run the student left for another, or one that ended otherwise, stays ended.
    if (runs.empty() || runs.front().status != sdk::RunStatus::blocked ||
        runs.front().chat_id != event.chat_id)
        return nothing;
    sdk::Run run = std::move(runs.front());
    const auto deployment = tx.get_deployment(account_id, run.deployment_id);
    if (!deployment || deployment->archived_at || !deployment->active ||
        tx.is_banned(account_id, event.bot_id, event.user_id))
        return nothing;
    auto state = played_state(tx, run);
    auto course = courses_.get(tx, account_id, state.version);
    if (!state.email_pending && (run.cursor.empty() || course->find(run.cursor) == nullptr)) return nothing;

    run.status = sdk::RunStatus::active;
    run.active = true;
    run.ended_at.reset();
    run.updated_at = to_millis(clock_.now());
    if (!tx.update_run(account_id, run)) return nothing;
    const auto texts = enrollments_.texts_for(&*deployment);
    if (state.email_pending) {
        for (const auto& message : enrollments_.resume_messages(tx, run, texts, run.updated_at))
            enqueue_plain(tx, account_id, event, run.id, message);
        return {Status::handled, run.id, {}};
    }
    enqueue_plain(tx, account_id, event, run.id, enrollments_.resumed_notice(tx, run, texts));
    const std::string at = run.cursor;
    state.taken_up_at = run.updated_at;
    RunContext ctx(services_, tx, std::move(course), std::move(run), std::move(state), false);
    // Entered anew: its timers went with the block, and what it sent before
    // may have been refused by the blocked chat.
    ctx.enter_at(at);
    collect(ctx, after);
    return {Status::handled, ctx.run().id, {}};
}

sdk::DispatchResult Engine::route(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                  AfterCommit& after) {
    using Kind = sdk::InboundEvent::Kind;
    const auto run = tx.active_run(account_id, event.bot_id, event.chat_id);
    const std::optional<sdk::Id> run_id = run ? std::optional(run->id) : std::nullopt;
    // The client spins until a callback is answered, whatever became of it.
    if (event.kind == Kind::callback && !event.callback_id.empty()) {
        sdk::OutboundMessage answer;
        answer.kind = sdk::OutboundMessage::Kind::callback_answer;
        answer.callback_id = event.callback_id;
        enqueue_plain(tx, account_id, event, run_id, answer);
    }
    if (!run && event.kind == Kind::unblocked) return take_up_blocked_run(tx, account_id, event, after);
    if (!run) {
        const bool wrote = event.kind == Kind::text || event.kind == Kind::voice ||
                           event.kind == Kind::web_app_data || event.kind == Kind::document;
        if (wrote && !settings_.hints.run_finished.empty()) {
            sdk::OutboundMessage hint;
            hint.text = settings_.hints.run_finished;
            enqueue_plain(tx, account_id, event, std::nullopt, hint);
        }
        return {Status::no_run, std::nullopt, {}};
    }
    if (event.kind == Kind::unblocked) return {Status::handled, run->id, {}};
    if (event.kind == Kind::callback)
        if (const auto answer = parse_switch_callback(event.callback_data))
            return answer_switch(tx, account_id, event, *run, *answer, after);
    // Only a run that still waits for an email address has this in its state
    // (RunState::dump() writes it only then); the search spares every other
    // event a second parse.
    if (event.kind != Kind::blocked && run->state_json.find("\"email_pending\"") != std::string::npos) {
        auto state = played_state(tx, *run);
        if (state.email_pending) return take_email(tx, account_id, event, *run, std::move(state), after);
    }

    auto ctx = context_for(tx, *run);
    if (event.kind == Kind::blocked) {
        ctx.end_blocked();
        collect(ctx, after);
        return {Status::handled, run->id, {}};
    }

    const std::int64_t activation = ctx.run_state().activation;
    std::optional<sdk::Event> routed;
    switch (event.kind) {
        case Kind::text: routed = sdk::Event{sdk::Event::Kind::text, event.text, -1, {}, {}}; break;
        case Kind::voice: routed = sdk::Event{sdk::Event::Kind::voice, {}, -1, {}, event.text}; break;
        case Kind::web_app_data:
            routed = sdk::Event{sdk::Event::Kind::web_app_data, {}, -1, {}, event.text};
            break;
        case Kind::callback: {
            const auto target = parse_callback_data(event.callback_data);
            if (target && target->activation == activation && (!target->run_id || *target->run_id == run->id))
                routed = sdk::Event{sdk::Event::Kind::button, {}, target->index, {}, {}};
            break;
        }
        case Kind::poll_answer: {
            const auto poll = tx.find_poll_all_accounts(event.bot_id, event.poll_id);
            if (poll && poll->run_id == run->id && poll->activation == activation)
                routed = sdk::Event{sdk::Event::Kind::poll_answer, {}, -1, event.options, {}};
            break;
        }
        default: break;
    }

    Status status = Status::handled;
    if (!routed) {
        // From an element the run has left: nothing to hint at.
        ctx.ignore(inbound_payload(event), false);
        status = Status::ignored;
    } else if (!ctx.deliver(*routed)) {
        ctx.ignore(inbound_payload(event), true);
        status = Status::ignored;
    }
    collect(ctx, after);
    return {status, run->id, {}};
}

bool Engine::fire_timer(const sdk::WaitingElement& timer) {
    std::optional<sdk::Run> owner;
    try {
        owner = storage_.begin()->get_run(timer.account_id, timer.run_id);
    } catch (const std::exception& e) {
        log_.error("timer " + std::to_string(timer.id) + ": " + e.what());
        return false;
    }
    bool claimed = false;
    const auto result = [&] {
        if (!owner) return refused("its run is gone");
        const auto what = [&] {
            return "timer " + std::to_string(timer.id) + " of run " + std::to_string(timer.run_id);
        };
        return in_chat_transaction(
            owner->bot_id, owner->chat_id, what, [&](sdk::StorageTx& tx, AfterCommit& after) {
                claimed = tx.claim_timer(timer.account_id, timer.id);
                const auto run = claimed ? tx.get_run(timer.account_id, timer.run_id) : std::nullopt;
                if (!run || !run->active) return sdk::DispatchResult{Status::ignored, std::nullopt, {}};
                const auto stored = nlohmann::json::parse(timer.payload_json);
                auto ctx = context_for(tx, *run);
                if (stored.value("activation", std::int64_t{-1}) != ctx.run_state().activation ||
                    run->cursor != timer.element_id)
                    return sdk::DispatchResult{Status::ignored, run->id, {}};
                if (stored.value("engine", std::string()) == kDeferredDeadline) {
                    log_.warn("deferred work of element " + timer.element_id + " of run " +
                              std::to_string(run->id) +
                              " came back with no result before its deadline; the element hears it was "
                              "interrupted");
                    const auto interrupted = sdk::interrupted_result(
                        "the deferred work was interrupted: no result came back before its deadline (the "
                        "process stopped, or the result could not be stored)");
                    ctx.deliver(sdk::Event{sdk::Event::Kind::deferred, {}, -1, {}, interrupted.dump()});
                } else if (stored.value("engine", std::string()) == kEnterElement) {
                    ctx.enter_at(stored.value("element", std::string()));
                } else {
                    const auto payload = stored.contains("payload") ? stored["payload"] : nlohmann::json();
                    ctx.deliver(sdk::Event{sdk::Event::Kind::timer, {}, -1, {}, payload.dump()});
                }
                collect(ctx, after);
                return sdk::DispatchResult{Status::handled, run->id, {}};
            });
    }();
    // A rolled-back event rolled the claim back with it.
    if (result.status == Status::failed) claimed = false;
    if (result.status != Status::refused && result.status != Status::failed) return claimed;
    // A timer whose delivery fails would fail again at once, and the
    // scheduler re-fires claimable timers without sleeping: it is claimed
    // without effect and the failure stays in the log, once. When storage
    // itself is down this claim fails too, and the timer waits for the next look.
    try {
        auto tx = storage_.begin();
        claimed = tx->claim_timer(timer.account_id, timer.id);
        tx->commit();
        log_.error("timer " + std::to_string(timer.id) + " dropped: " + result.message);
    } catch (const std::exception& e) {
        log_.error("timer " + std::to_string(timer.id) + ": " + e.what());
    }
    return claimed;
}

std::optional<sdk::RunElement> Engine::run_element(sdk::Id account_id, sdk::Id run_id,
                                                   const std::string& element_id) {
    auto tx = storage_.begin();
    auto run = tx->get_run(account_id, run_id);
    if (!run) return std::nullopt;
    const auto state = played_state(*tx, *run);
    const auto course = courses_.get(*tx, account_id, state.version);
    const auto* element = course->find(element_id);
    if (element == nullptr) return std::nullopt;
    sdk::RunElement out;
    out.element_id = element->id;
    out.type = element->plugin != nullptr ? element->plugin->type() : element->type;
    out.source = element->source;
    const auto visits = state.visits.find(element_id);
    out.attempt = visits == state.visits.end() ? 0 : visits->second;
    out.current = run->active && run->cursor == element_id;
    if (out.current && state.states.contains(element_id)) out.state = state.states.at(element_id);
    out.run = std::move(*run);
    return out;
}

void Engine::post_deferred(DeferredWork work) {
    auto in_flight = std::make_shared<InFlight>(*this);
    auto shared = std::make_shared<const DeferredWork>(std::move(work));
    const bool queued = deferred_pool_->try_post([this, shared, in_flight] {
        // Its marker fires now: the element hears "interrupted" from it, and
        // a result from here on would only be dropped.
        if (to_millis(clock_.now()) >= shared->deadline) {
            log_.warn("deferred work of element " + shared->element_id + " of run " +
                      std::to_string(shared->run_id) + " waited past its deadline for a thread; not run");
            return;
        }
        nlohmann::json result;
        try {
            result = shared->task();
        } catch (const std::exception& e) {
            result = {{"error", e.what()}};
        } catch (...) {
            result = {{"error", "unknown error"}};
        }
        deliver_deferred(shared, result, 0, in_flight);
    });
    if (queued) return;
    {
        std::lock_guard lock(deferred_mutex_);
        // Stopping: the marker brings it back to its element after the next start.
        if (stopping_) return;
    }
    // Waiting minutes for a thread helps nobody: the element hears at once
    // (after a short pause, so one that asks again does not spin).
    log_.warn("deferred work of element " + shared->element_id + " of run " + std::to_string(shared->run_id) +
              " not started: " + std::to_string(settings_.deferred.max_queued) +
              " tasks already wait (engine.deferred.max_queued)");
    const auto interrupted = sdk::interrupted_result(
        "the deferred work was not started: too much deferred work is waiting for a thread");
    retry_later(
        std::chrono::milliseconds(settings_.deferred.delivery_backoff_ms),
        [this, shared, interrupted, in_flight] { deliver_deferred(shared, interrupted, 0, in_flight); });
}

void Engine::deliver_deferred(const std::shared_ptr<const DeferredWork>& work, const nlohmann::json& result,
                              int attempt, const std::shared_ptr<InFlight>& in_flight) {
    const auto what = [&] {
        return "deferred result for element " + work->element_id + " of run " + std::to_string(work->run_id);
    };
    const auto outcome =
        in_chat_transaction(work->bot_id, work->chat_id, what, [&](sdk::StorageTx& tx, AfterCommit& after) {
            // Whoever claims the marker first reaches the element: this result,
            // or the deadline's "interrupted". Leaving the element cancelled it.
            if (!tx.claim_timer(work->account_id, work->marker_id))
                return sdk::DispatchResult{Status::ignored, std::nullopt, {}};
            const auto run = tx.active_run(work->account_id, work->bot_id, work->chat_id);
            if (!run || run->id != work->run_id || run->cursor != work->element_id)
                return sdk::DispatchResult{Status::ignored, std::nullopt, {}};
            auto ctx = context_for(tx, *run);
            if (ctx.run_state().activation != work->activation)
                return sdk::DispatchResult{Status::ignored, run->id, {}};
            ctx.deliver(sdk::Event{sdk::Event::Kind::deferred, {}, -1, {}, result.dump()});
            collect(ctx, after);
            return sdk::DispatchResult{Status::handled, run->id, {}};
        });
    if (outcome.status != Status::failed) return;
    const auto& limits = settings_.deferred;
    if (attempt >= limits.delivery_retries) {
        log_.error(what() + " not stored after " + std::to_string(attempt + 1) +
                   " attempts; the element hears it was interrupted at its deadline");
        return;
    }
    const auto delay =
        std::chrono::milliseconds(limits.delivery_backoff_ms) * (std::int64_t{1} << std::min(attempt, 20));
    log_.warn(what() + " not stored (attempt " + std::to_string(attempt + 1) + "); trying again in " +
              std::to_string(delay.count()) + " ms");
    retry_later(delay, [this, work, result, attempt, in_flight] {
        deliver_deferred(work, result, attempt + 1, in_flight);
    });
}

// A retry waits on an executor timer, not in sleep_for on a thread: a busy
// database must not hold a worker for seconds.
void Engine::retry_later(std::chrono::milliseconds delay, std::function<void()> deliver) {
    std::uint64_t key = 0;
    {
        std::lock_guard lock(deferred_mutex_);
        if (stopping_) return;
        key = ++next_retry_;
        retries_.emplace(key, 0);
    }
    // Not under deferred_mutex_: a stopped executor destroys the work at once,
    // and with it an InFlight that takes that mutex.
    const auto id = executor_.schedule_after(delay, [this, key, deliver = std::move(deliver)] {
        {
            std::lock_guard lock(deferred_mutex_);
            if (retries_.erase(key) == 0) return;  // stop() took it back
        }
        deliver();
    });
    std::lock_guard lock(deferred_mutex_);
    if (auto it = retries_.find(key); it != retries_.end()) {
        if (id == 0)
            retries_.erase(it);
        else
            it->second = id;
    }
}

}  // namespace profo::host
