// Retention: the rows that only grow unless someone deletes them, deleted once
// nobody needs them any more and their window (Config::Retention) has passed:
//
//   processed_updates  handled Telegram update ids (redelivery can no longer match)
//   timers             fired or cancelled durable timers
//   polls              polls of runs that are no longer active
//   failed_outbox      messages given up on (a sent message leaves the outbox at once)
//   panel_access       the panel's expired sessions and remembered Telegram
//                      logins, its login links once used or expired
//
// Never touched: pending timers, unsent messages, polls of active runs, and
// the conversation history, which is product data, not bookkeeping.
//
// Deletes go in batches of `batch_size` rows, each its own transaction, so a
// large backlog never holds the write lock for long; between batches the
// executor runs whatever else is queued.
#pragma once

#include "config/config.hpp"

#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>

#include <memory>
#include <string>

namespace profo::host {

// Rows removed, by kind.
struct RetentionReport {
    long long processed_updates = 0;
    long long timers = 0;
    long long polls = 0;
    long long failed_outbox = 0;
    long long panel_access = 0;

    long long total() const { return processed_updates + timers + polls + failed_outbox + panel_access; }
    // "12 processed update ids, 3 settled timers" (kinds with nothing removed left out).
    std::string describe() const;
};

// The kinds retention knows, in the order a pass visits them.
enum class RetentionKind { processed_updates, timers, polls, failed_outbox, panel_access };

// Deletes one batch (at most policy.batch_size rows) of `kind` that left its
// window before `now`, in a transaction of its own; returns how many went.
int delete_expired_batch(sdk::Storage& storage, const Config::Retention& policy, RetentionKind kind,
                         sdk::Millis now);

// A whole pass at `now`: every kind, batch after batch, until a batch comes
// back short.
RetentionReport sweep_expired(sdk::Storage& storage, const Config::Retention& policy, sdk::Millis now);

// Runs passes on `executor`: the first at once (a backlog left while the
// platform was down goes first), then every policy.interval. One batch is one
// executor task. Failures are logged and the pass is tried again at the next
// interval.
class RetentionSchedule {
public:
    RetentionSchedule(sdk::Storage& storage, sdk::Executor& executor, const sdk::Clock& clock,
                      sdk::Logger& log, Config::Retention policy);
    ~RetentionSchedule();  // stop()s
    RetentionSchedule(const RetentionSchedule&) = delete;
    RetentionSchedule& operator=(const RetentionSchedule&) = delete;

    void start();  // idempotent; does nothing when the policy is disabled
    // Cancels the next pass and waits for a batch in progress; idempotent.
    void stop();

    // Passes completed so far (tests wait on it).
    long long passes() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace profo::host
