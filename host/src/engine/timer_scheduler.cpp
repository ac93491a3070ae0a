#include "engine/timer_scheduler.hpp"

#include "engine/run_context.hpp"

#include <algorithm>

namespace profo::host {

TimerScheduler::TimerScheduler(sdk::Storage& storage, const sdk::Clock& clock, sdk::Logger& log, Fire fire)
    : storage_(storage), clock_(clock), log_(log), fire_(std::move(fire)) {}

TimerScheduler::~TimerScheduler() {
    stop();
}

void TimerScheduler::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void TimerScheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable()) return;
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
    std::lock_guard lock(mutex_);
    thread_ = std::thread();
}

void TimerScheduler::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    changed_.notify_all();
}

void TimerScheduler::loop() {
    for (;;) {
        std::chrono::milliseconds sleep = kMaxSleep;
        try {
            sleep = fire_due();
        } catch (const std::exception& e) {
            log_.error(std::string("timer scheduler: ") + e.what());
        }
        std::unique_lock lock(mutex_);
        if (sleep.count() > 0) changed_.wait_for(lock, sleep, [this] { return stopping_ || woken_; });
        woken_ = false;
        if (stopping_) return;
    }
}

std::chrono::milliseconds TimerScheduler::fire_due() {
    const sdk::Millis now = to_millis(clock_.now());
    std::vector<sdk::WaitingElement> due;
    std::optional<sdk::Millis> next;
    {
        auto tx = storage_.begin();
        next = tx->next_timer_due_all_accounts();
        if (next && *next <= now) due = tx->due_timers_all_accounts(now, kBatch);
    }
    if (due.empty()) {
        if (!next) return kMaxSleep;
        return std::clamp(std::chrono::milliseconds(*next - now), std::chrono::milliseconds(1), kMaxSleep);
    }
    int fired = 0;
    for (const auto& timer : due) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return kMaxSleep;
        }
        if (fire_(timer)) ++fired;
    }
    // Nothing claimable in a full look means another process is on it, or
    // storage misbehaves: do not spin.
    return fired > 0 ? std::chrono::milliseconds(0) : kMaxSleep;
}

}  // namespace profo::host
