// The course engine: turns inbound events into run state, history, outbox
// rows and timers, one storage transaction per event, strictly in order per
// (bot, chat). docs/course-runtime.md is its contract with element plugins
// and transports.
#pragma once

#include "config/config.hpp"
#include "engine/chat_authoring.hpp"
#include "engine/chat_work_queues.hpp"
#include "engine/compiled_course.hpp"
#include "engine/enrollment.hpp"
#include "engine/run_context.hpp"
#include "engine/run_state.hpp"
#include "plugins/plugin_registry.hpp"

#include <profo/sdk/engine.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/outbound.hpp>
#include <profo/sdk/storage.hpp>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <unordered_map>

namespace profo::host {

class BlockingCallPool;
class TimerScheduler;

class Engine final : public sdk::CourseEngine {
public:
    // `executor` runs short work (retried deliveries); deferred tasks get a
    // pool of their own (engine.deferred). `secrets` opens the accounts'
    // enrollment keys (external start links); without it those links are refused.
    Engine(sdk::Storage& storage, const PluginRegistry& plugins, sdk::Executor& executor,
           const sdk::Clock& clock, const Config& config, sdk::Logger& log,
           const sdk::SecretBox* secrets = nullptr);
    // stop()s.
    ~Engine() override;
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // A failing element or storage error rolls the event back and comes back
    // as `failed` with the reason; the update is not marked processed, so a
    // redelivery tries again.
    sdk::DispatchResult dispatch(const sdk::InboundEvent& event) override;
    // Group commit (engine.group_commit): the events of different chats may
    // share a transaction, each under its own savepoint.
    std::vector<sdk::DispatchResult> dispatch_all(const std::vector<sdk::InboundEvent>& events) override;
    // As dispatch_all, without a thread waiting on it: `done` runs on the
    // chat worker that settles the last event.
    void dispatch_all_then(std::vector<sdk::InboundEvent> events, DispatchDone done) override;
    std::optional<sdk::RunElement> run_element(sdk::Id account_id, sdk::Id run_id,
                                               const std::string& element_id) override;

    // Claims `timer` and delivers it to its run now, whatever its due time:
    // the scheduler calls it for due timers, `profo course play` for /skip.
    // False when the timer was no longer pending.
    bool fire_timer(const sdk::WaitingElement& timer);

    // The durable timer scheduler thread (`profo serve` runs it).
    void start_scheduler();
    void stop_scheduler();

    // Stops the scheduler; deferred work not started yet is dropped and work
    // running is waited for (its result is still stored if it can be, once).
    // Dropped work reaches its element through its deadline marker after the
    // next start. Events dispatched afterwards still commit. Idempotent.
    void stop();

    // Blocks until all deferred work has run and its results were dispatched,
    // including work those dispatches deferred in turn and retried deliveries.
    void wait_for_deferred();

private:
    struct AfterCommit {
        std::vector<DeferredWork> deferred;
        bool timers_added = false;
    };

    using Handler = std::function<sdk::DispatchResult(sdk::StorageTx&, AfterCommit&)>;
    struct ChatEvent;
    struct Completion;
    // Runs `handle(tx, after)` on the chat's worker, in the transaction of
    // its group and under the chat's lock; returns once that committed (or
    // failed), after posting its deferred work. `what()` names the event in
    // the log if it fails.
    sdk::DispatchResult in_chat_transaction(sdk::Id bot_id, std::int64_t chat_id,
                                            std::function<std::string()> what, Handler handle);
    struct Dispatch;
    // Fills `d`'s chat events for `inbound`, which must outlive them (the
    // unknown bots' events are settled in its results at once).
    void prepare(const std::vector<sdk::InboundEvent>& inbound, Dispatch& d);
    // Queues `events`, each to be settled in `completion`.
    void enqueue(std::vector<ChatEvent>& events, Completion& completion);
    // Queues `events` and waits until every one is settled.
    void run_in_chats(std::vector<ChatEvent>& events);
    // A worker's group (ChatWorkQueues::RunGroup).
    void run_group(std::vector<ChatWorkQueues::Item*>& items);
    // One transaction for `group`. With `savepoints`, each event runs under
    // its own, so one that fails is undone alone. Without, the first event
    // that fails undoes the whole transaction: a group of one settles so
    // (its event failed), a larger one returns `needs_savepoints` with
    // nothing settled, to be run again with them. Events rarely fail, and a
    // savepoint costs two statements per event (two round trips on PostgreSQL).
    // When the transaction as a whole fails (`lost`, or `not_started` when
    // storage is out of reach), none of it stands and every result says so.
    // `failed_chats` gains the chats whose event failed on its own; their
    // later events, in this call or the next, fail untried.
    // committed: each event settled, its effects committed or (failed alone)
    // rolled back; lost: the transaction as a whole failed.
    enum class GroupOutcome { committed, lost, not_started, needs_savepoints };
    GroupOutcome commit_group(const std::vector<ChatEvent*>& group,
                              std::set<std::pair<sdk::Id, std::int64_t>>& failed_chats, bool savepoints);
    sdk::DispatchResult start_run(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                  AfterCommit& after);
    // A start through a link (event.text): what Enrollments planned, carried out.
    sdk::DispatchResult start_from_link(sdk::StorageTx& tx, sdk::Id account_id,
                                        const sdk::InboundEvent& event, AfterCommit& after, bool confirmed);
    // Creates the run and enters its first element (or asks for the email first).
    sdk::DispatchResult begin_run(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                  const sdk::CourseDeployment& deployment, std::optional<sdk::Id> token_id,
                                  const std::string& utm_json, AfterCommit& after);
    void end_run(sdk::StorageTx& tx, sdk::Id account_id, sdk::Run run, sdk::RunStatus status);
    sdk::DispatchResult answer_switch(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                      sdk::Run run, const SwitchAnswer& answer, AfterCommit& after);
    sdk::DispatchResult take_email(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                   sdk::Run run, RunState state, AfterCommit& after);
    sdk::DispatchResult route(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                              AfterCommit& after);
    // On `unblocked` in a chat without an active run: the run the block
    // ended goes on at the element it stood at, when it is the chat's last.
    sdk::DispatchResult take_up_blocked_run(sdk::StorageTx& tx, sdk::Id account_id,
                                            const sdk::InboundEvent& event, AfterCommit& after);
    std::optional<sdk::Id> account_of(sdk::Id bot_id);
    // The run's state with the course version it plays filled in.
    static RunState played_state(sdk::DeploymentStore& deployments, const sdk::Run& run);
    RunContext context_for(sdk::StorageTx& tx, const sdk::Run& run);
    void collect(RunContext& ctx, AfterCommit& after);
    void enqueue_plain(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                       std::optional<sdk::Id> run_id, const sdk::OutboundMessage& message);
    struct InFlight;
    void post_deferred(DeferredWork work);
    // Stores `result` for `work` (attempt 0 first); a failed transaction is
    // tried again on a timer of the executor.
    void deliver_deferred(const std::shared_ptr<const DeferredWork>& work, const nlohmann::json& result,
                          int attempt, const std::shared_ptr<InFlight>& in_flight);
    // Runs `deliver` on the executor after `delay`, unless the engine stops first.
    void retry_later(std::chrono::milliseconds delay, std::function<void()> deliver);
    // Delivers the deadline marker `timer` as an interrupted result.
    sdk::DispatchResult fire_deadline(sdk::StorageTx& tx, const sdk::WaitingElement& timer,
                                      const sdk::Run& run, AfterCommit& after);

    sdk::Storage& storage_;
    sdk::Executor& executor_;
    const sdk::Clock& clock_;
    sdk::Logger& log_;
    Config::Engine settings_;
    std::map<std::string, PluginConfig> plugin_settings_;
    EngineServices services_;
    CourseCache courses_;
    Enrollments enrollments_;
    ChatAuthoring authoring_;

    std::shared_mutex bots_mutex_;
    std::unordered_map<sdk::Id, sdk::Id> bot_accounts_;

    std::mutex deferred_mutex_;
    std::condition_variable deferred_done_;
    int deferred_in_flight_ = 0;
    bool stopping_ = false;
    // Deliveries waiting on the executor for their next attempt: our key ->
    // the executor's timer id (0 until schedule_after returned). A retry runs
    // only if it finds its key here, so stop() can take them all back.
    std::map<std::uint64_t, sdk::Executor::TimerId> retries_;
    std::uint64_t next_retry_ = 0;
    std::unique_ptr<BlockingCallPool> deferred_pool_;

    // Made with the engine, so transports dispatching while `profo serve`
    // starts it never see it change.
    std::unique_ptr<TimerScheduler> scheduler_;
    // Last: its workers run events until it is destroyed, first.
    std::unique_ptr<ChatWorkQueues> chats_;
};

}  // namespace profo::host
