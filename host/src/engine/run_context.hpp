// One event's work on one run: the ElementContext the elements see, the loop
// that enters elements until one waits or the run ends, and the effects
// buffered until flush() writes them into the event's transaction.
#pragma once

#include "config/config.hpp"
#include "engine/compiled_course.hpp"
#include "engine/run_state.hpp"

#include <profo/sdk/element.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::host {

// What a run context borrows from its engine.
struct EngineServices {
    const sdk::Clock& clock;
    sdk::Logger& log;
    const Config::Engine& settings;
    const std::map<std::string, PluginConfig>& plugins;
};

// Work an element deferred: it runs after the commit, and its result goes
// back to the element if the run is still at `activation`. The task exists
// only in memory; `marker_id` is the durable deadline stored with the event
// (a timer with kDeferredDeadline in its payload): whoever claims it first,
// the result's delivery or the timer firing at `deadline`, is the one that
// reaches the element.
struct DeferredWork {
    sdk::Id account_id = 0;
    sdk::Id bot_id = 0;
    std::int64_t chat_id = 0;
    sdk::Id run_id = 0;
    std::string element_id;
    std::int64_t activation = 0;
    std::function<nlohmann::json()> task;
    sdk::Id marker_id = 0;
    sdk::Millis deadline = 0;
};

// The `engine` value in the payload of a deadline marker's timer; element
// timers carry their payload under "payload" and never this key.
inline constexpr const char* kDeferredDeadline = "deferred_deadline";

// The `engine` value of a timer that, when it fires, makes the run enter the
// element named by "element" (as a go_to would): `profo legacy import` brings
// runs back with it, at once or when their legacy delay was due.
inline constexpr const char* kEnterElement = "enter_element";
std::string enter_element_payload(std::int64_t activation, const std::string& element_id);

// An element plugin (or the course it is part of) failed; the event is rolled back.
class ElementFailure : public std::runtime_error {
public:
    ElementFailure(const std::string& element_id, const std::string& what)
        : std::runtime_error("element " + element_id + ": " + what), element_id_(element_id) {}
    const std::string& element_id() const noexcept { return element_id_; }

private:
    std::string element_id_;
};

sdk::Millis to_millis(sdk::TimePoint t);

class RunContext final : public sdk::ElementContext {
public:
    // `run` is stored already (start_run() done for a new run); `fresh` says
    // it has no history yet.
    RunContext(const EngineServices& services, sdk::StorageTx& tx,
               std::shared_ptr<const CompiledCourse> course, sdk::Run run, RunState state, bool fresh);

    // Enters the course's first element (a new run).
    void begin();
    // Enters `element_id`, leaving where the run is (a kEnterElement timer).
    void enter_at(const std::string& element_id);
    // Delivers `event` to the element the run waits at; false when the element
    // ignored it (nothing else happened then).
    bool deliver(const sdk::Event& event);
    // Records a student's message no element consumed (`payload` + "ignored");
    // with `hint` the student gets engine.hints.use_buttons.
    void ignore(nlohmann::json payload, bool hint);
    // Ends the run: completed, stopped, blocked or abandoned.
    void finish(sdk::RunStatus status);
    // Ends the run as blocked, keeping where it stood (its element, the
    // elements it returns to, their states), so that it can be taken up
    // again when the student unblocks the bot.
    void end_blocked();
    // Writes the run, then this event's conversation rows, outbox rows and
    // timers, and a deadline marker for each deferral that can still be delivered.
    void flush();

    // Deferred work that can still be delivered (its activation is current),
    // its marker stored by flush().
    std::vector<DeferredWork> take_deferred();
    bool added_timers() const { return !timers_.empty(); }
    const RunState& run_state() const { return state_; }

    // sdk::ElementContext
    const std::string& element_id() const override { return current_->id; }
    const sdk::ElementSpec& spec() const override { return *current_->compiled; }
    const nlohmann::json& source() const override { return current_->source; }
    const std::vector<std::string>& course_order() const override { return course_->order(); }
    const nlohmann::json* element_source(const std::string& element_id) const override;
    nlohmann::json& state() override { return state_.states[current_->id]; }
    const sdk::Run& run() const override { return run_; }
    int attempt() const override;
    sdk::TimePoint now() const override { return now_; }
    sdk::Logger& log() override { return services_.log; }
    const nlohmann::json& settings() const override;
    void send(const sdk::OutAction& action) override;
    void record(const std::string& role, const nlohmann::json& payload, std::optional<double> score,
                std::optional<double> maxscore) override;
    std::vector<sdk::ConversationEntry> history() const override;
    void schedule(sdk::TimePoint due, const nlohmann::json& payload) override;
    void defer(std::function<nlohmann::json()> task) override;
    std::uint64_t random_seed() const override;
    std::optional<std::string> sealed_setting_context(const std::string& setting) const override;

private:
    struct LoopStopped {};

    // Carries out outcomes until the run waits or ends. A go_to loop ends the
    // run as `stopped`, without any of this event's messages.
    void proceed(sdk::Outcome outcome);
    void proceed_unguarded(sdk::Outcome outcome);
    sdk::Outcome enter(const CompiledCourse::Element& element);
    // Gives the run a new activation: earlier buttons, polls and timers go stale.
    void new_activation();
    void leave_current();
    void cancel_timers();
    // What every end does: the status, no longer active, ended now, timers cancelled.
    void end(sdk::RunStatus status);
    void wait_here();
    const CompiledCourse::Element& target_of(const sdk::Outcome& outcome) const;
    // The run's deployment, read once per event.
    const sdk::CourseDeployment& deployment() const;
    template <class Call>
    sdk::Outcome invoke(const char* what, Call call);

    const EngineServices& services_;
    sdk::StorageTx& tx_;
    std::shared_ptr<const CompiledCourse> course_;
    sdk::Run run_;
    RunState state_;
    bool fresh_;
    sdk::TimePoint now_;
    sdk::Millis now_ms_;
    const CompiledCourse::Element* current_ = nullptr;
    int steps_ = 0;

    // What the current activation did, for RunState::waiting.
    bool sent_buttons_ = false;
    bool sent_poll_ = false;
    bool deferred_here_ = false;

    std::vector<sdk::ConversationEntry> conversation_;
    std::vector<sdk::OutboxMessage> outbox_;
    std::vector<sdk::WaitingElement> timers_;
    std::vector<DeferredWork> deferred_;

    mutable std::optional<std::vector<sdk::ConversationEntry>> stored_history_;
    mutable std::map<std::string, nlohmann::json> settings_;
    // Per plugin: the `*_sealed` settings its merged settings took from the deployment.
    mutable std::map<std::string, std::set<std::string>> sealed_overrides_;
    mutable std::optional<sdk::CourseDeployment> deployment_;
};

}  // namespace profo::host
