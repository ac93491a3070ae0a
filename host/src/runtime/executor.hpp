// The host's worker pool: plugin work, HTTP handlers and timers run here.
#pragma once

#include <profo/sdk/host.hpp>

#include <memory>

namespace profo::host {

class ThreadPoolExecutor final : public sdk::Executor {
public:
    explicit ThreadPoolExecutor(int threads);
    ~ThreadPoolExecutor() override;  // stop()s

    void post(std::function<void()> work) override;
    TimerId schedule_after(std::chrono::milliseconds delay, std::function<void()> work) override;
    bool cancel(TimerId id) override;

    // Cancels pending timers, lets queued and running work finish, joins.
    void stop();

private:
    struct State;
    std::unique_ptr<State> state_;
};

class SystemClock final : public sdk::Clock {
public:
    sdk::TimePoint now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace profo::host
