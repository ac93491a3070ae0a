// The thread that fires durable timers: it sleeps until the earliest pending
// timer in storage is due (looking again at least every second, and at once
// when this process adds a timer), then hands each due timer to `fire`.
// Timers live in storage, so they fire after a restart too; claim_timer in
// `fire` keeps two processes from firing one timer twice.
#pragma once

#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace profo::host {

class TimerScheduler {
public:
    // Claims and dispatches one timer; false when it was no longer pending.
    using Fire = std::function<bool(const sdk::WaitingElement&)>;

    TimerScheduler(sdk::Storage& storage, const sdk::Clock& clock, sdk::Logger& log, Fire fire);
    ~TimerScheduler();  // stop()s
    TimerScheduler(const TimerScheduler&) = delete;
    TimerScheduler& operator=(const TimerScheduler&) = delete;

    void start();  // idempotent
    void stop();   // finishes the timer in hand, joins; idempotent
    // A timer was added: look at storage now rather than at the next check.
    void wake();

    static constexpr std::chrono::milliseconds kMaxSleep{1000};
    static constexpr int kBatch = 100;

private:
    void loop();
    // Fires what is due; returns how long to sleep before looking again.
    std::chrono::milliseconds fire_due();

    sdk::Storage& storage_;
    const sdk::Clock& clock_;
    sdk::Logger& log_;
    Fire fire_;

    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread thread_;
};

}  // namespace profo::host
