#include "runtime/retention.hpp"

#include "engine/run_context.hpp"

#include <array>
#include <atomic>
#include <mutex>
#include <optional>

namespace profo::host {

namespace {

constexpr std::array<RetentionKind, 5> kKinds = {RetentionKind::processed_updates, RetentionKind::timers,
                                                 RetentionKind::polls, RetentionKind::failed_outbox,
                                                 RetentionKind::panel_access};

sdk::Millis window_ms(std::chrono::seconds window) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(window).count();
}

void add_part(std::string& out, long long count, const char* what) {
    if (count == 0) return;
    if (!out.empty()) out += ", ";
    out += std::to_string(count) + " " + what;
}

}  // namespace

std::string RetentionReport::describe() const {
    std::string out;
    add_part(out, processed_updates, "processed update ids");
    add_part(out, timers, "settled timers");
    add_part(out, polls, "polls of ended runs");
    add_part(out, failed_outbox, "failed outbox messages");
    add_part(out, panel_access, "ended panel sessions, login links and Telegram logins");
    return out.empty() ? "nothing" : out;
}

int delete_expired_batch(sdk::Storage& storage, const Config::Retention& policy, RetentionKind kind,
                         sdk::Millis now) {
    auto tx = storage.begin();
    const int limit = policy.batch_size;
    int deleted = 0;
    switch (kind) {
        case RetentionKind::processed_updates:
            deleted =
                tx->prune_processed_updates_all_accounts(now - window_ms(policy.processed_updates), limit);
            break;
        case RetentionKind::timers:
            deleted = tx->prune_settled_timers_all_accounts(now - window_ms(policy.timers), limit);
            break;
        case RetentionKind::polls:
            deleted = tx->prune_polls_of_ended_runs_all_accounts(now - window_ms(policy.polls), limit);
            break;
        case RetentionKind::failed_outbox:
            deleted = tx->prune_failed_outbox_all_accounts(now - window_ms(policy.failed_outbox), limit);
            break;
        case RetentionKind::panel_access:
            deleted = tx->prune_panel_access_all_accounts(now - window_ms(policy.panel_access), limit);
            break;
    }
    tx->commit();
    return deleted;
}

namespace {

long long& count_of(RetentionReport& report, RetentionKind kind) {
    switch (kind) {
        case RetentionKind::processed_updates: return report.processed_updates;
        case RetentionKind::timers: return report.timers;
        case RetentionKind::polls: return report.polls;
        case RetentionKind::failed_outbox: return report.failed_outbox;
        case RetentionKind::panel_access: break;
    }
    return report.panel_access;
}

}  // namespace

RetentionReport sweep_expired(sdk::Storage& storage, const Config::Retention& policy, sdk::Millis now) {
    RetentionReport report;
    for (RetentionKind kind : kKinds) {
        for (;;) {
            const int deleted = delete_expired_batch(storage, policy, kind, now);
            count_of(report, kind) += deleted;
            if (deleted < policy.batch_size) break;
        }
    }
    return report;
}

struct RetentionSchedule::State : std::enable_shared_from_this<State> {
    State(sdk::Storage& s, sdk::Executor& e, const sdk::Clock& c, sdk::Logger& l, Config::Retention p)
        : storage(s), executor(e), clock(c), log(l), policy(p) {}

    sdk::Storage& storage;
    sdk::Executor& executor;
    const sdk::Clock& clock;
    sdk::Logger& log;
    const Config::Retention policy;

    // Held while a batch runs, so stop() waits for it.
    std::mutex mutex;
    bool started = false;
    bool stopped = false;
    std::optional<sdk::Executor::TimerId> next_pass;
    // The pass in progress: one `now` for all of it, so its windows agree.
    sdk::Millis pass_now = 0;
    std::size_t kind = 0;
    int batches = 0;
    RetentionReport report;
    std::atomic<long long> passes{0};

    void post_step() {
        executor.post([self = shared_from_this()] { self->step(); });
    }

    // Under `mutex`.
    void begin_pass() {
        pass_now = to_millis(clock.now());
        kind = 0;
        batches = 0;
        report = RetentionReport();
    }

    // Under `mutex`.
    void schedule_pass() {
        next_pass =
            executor.schedule_after(std::chrono::duration_cast<std::chrono::milliseconds>(policy.interval),
                                    [self = shared_from_this()] {
                                        {
                                            std::lock_guard lock(self->mutex);
                                            if (self->stopped) return;
                                            self->next_pass.reset();
                                            self->begin_pass();
                                        }
                                        self->step();
                                    });
    }

    void step() {
        std::lock_guard lock(mutex);
        if (stopped) return;
        const RetentionKind current = kKinds[kind];
        int deleted = 0;
        try {
            deleted = delete_expired_batch(storage, policy, current, pass_now);
        } catch (const std::exception& e) {
            log.warn(std::string("retention: a pass failed after removing ") + report.describe() + ": " +
                     e.what() + "; trying again in " + std::to_string(policy.interval.count()) + "s");
            schedule_pass();
            return;
        }
        ++batches;
        count_of(report, current) += deleted;
        if (deleted >= policy.batch_size) return post_step();
        if (++kind < kKinds.size()) return post_step();
        if (report.total() > 0)
            log.info("retention: removed " + report.describe() + " in " + std::to_string(batches) +
                     " batches of at most " + std::to_string(policy.batch_size) + " rows");
        ++passes;
        schedule_pass();
    }
};

RetentionSchedule::RetentionSchedule(sdk::Storage& storage, sdk::Executor& executor, const sdk::Clock& clock,
                                     sdk::Logger& log, Config::Retention policy)
    : state_(std::make_shared<State>(storage, executor, clock, log, policy)) {}

RetentionSchedule::~RetentionSchedule() {
    stop();
}

void RetentionSchedule::start() {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->started || state_->stopped || !state_->policy.enabled) return;
        state_->started = true;
        state_->begin_pass();
    }
    state_->post_step();
}

void RetentionSchedule::stop() {
    std::lock_guard lock(state_->mutex);
    state_->stopped = true;
    if (state_->next_pass) state_->executor.cancel(*state_->next_pass);
    state_->next_pass.reset();
}

long long RetentionSchedule::passes() const {
    return state_->passes.load();
}

}  // namespace profo::host
