#include "runtime/executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace profo::host {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Counts down and lets a test wait (with a bound) until it reaches zero.
class Countdown {
public:
    explicit Countdown(int n) : left_(n) {}
    void hit() {
        std::lock_guard lock(m_);
        if (--left_ <= 0) cv_.notify_all();
    }
    bool wait(std::chrono::milliseconds limit = 5s) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, limit, [&] { return left_ <= 0; });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    int left_;
};

TEST(ThreadPoolExecutor, RunsAllPostedWorkOnWorkerThreads) {
    ThreadPoolExecutor ex(3);
    constexpr int kTasks = 1000;
    Countdown done(kTasks);
    std::mutex m;
    std::set<int> seen;
    std::set<std::thread::id> threads;
    for (int i = 0; i < kTasks; ++i)
        ex.post([&, i] {
            {
                std::lock_guard lock(m);
                seen.insert(i);
                threads.insert(std::this_thread::get_id());
            }
            done.hit();
        });
    ASSERT_TRUE(done.wait());
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kTasks));
    EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

TEST(ThreadPoolExecutor, ScheduledWorkFiresNoEarlierThanItsDelay) {
    ThreadPoolExecutor ex(2);
    std::promise<Clock::time_point> fired;
    const auto start = Clock::now();
    ex.schedule_after(120ms, [&] { fired.set_value(Clock::now()); });
    auto future = fired.get_future();
    ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
    EXPECT_GE(future.get() - start, 120ms);
}

TEST(ThreadPoolExecutor, CancelPreventsFiringAndIsFalseTheSecondTime) {
    ThreadPoolExecutor ex(2);
    std::atomic<int> cancelled_ran{0};
    std::promise<void> other;
    const auto id = ex.schedule_after(100ms, [&] { ++cancelled_ran; });
    ex.schedule_after(200ms, [&] { other.set_value(); });
    EXPECT_TRUE(ex.cancel(id));
    EXPECT_FALSE(ex.cancel(id));
    // The later timer firing proves the earlier deadline passed.
    ASSERT_EQ(other.get_future().wait_for(5s), std::future_status::ready);
    EXPECT_EQ(cancelled_ran.load(), 0);
}

TEST(ThreadPoolExecutor, CancelAfterFiringIsFalse) {
    ThreadPoolExecutor ex(1);
    std::promise<void> ran;
    const auto id = ex.schedule_after(1ms, [&] { ran.set_value(); });
    ASSERT_EQ(ran.get_future().wait_for(5s), std::future_status::ready);
    // The handler erases its entry before running the work.
    EXPECT_FALSE(ex.cancel(id));
    EXPECT_FALSE(ex.cancel(987654));
}

TEST(ThreadPoolExecutor, ThrowingTaskDoesNotKillThePool) {
    ThreadPoolExecutor ex(1);
    ex.post([] { throw std::runtime_error("boom"); });
    ex.post([] { throw 42; });
    ex.schedule_after(1ms, [] { throw std::runtime_error("timer boom"); });
    std::promise<void> after;
    ex.schedule_after(20ms, [&] { after.set_value(); });
    ASSERT_EQ(after.get_future().wait_for(5s), std::future_status::ready);
    std::promise<void> posted;
    ex.post([&] { posted.set_value(); });
    EXPECT_EQ(posted.get_future().wait_for(5s), std::future_status::ready);
}

TEST(ThreadPoolExecutor, StopFinishesQueuedWorkCancelsTimersAndJoins) {
    std::atomic<int> finished{0};
    std::atomic<bool> timer_ran{false};
    ThreadPoolExecutor ex(2);
    for (int i = 0; i < 10; ++i)
        ex.post([&] {
            std::this_thread::sleep_for(20ms);
            ++finished;
        });
    const auto timer = ex.schedule_after(50ms, [&] { timer_ran = true; });
    ex.stop();
    // Joined: every queued task has completed by the time stop() returns.
    EXPECT_EQ(finished.load(), 10);
    EXPECT_FALSE(ex.cancel(timer));

    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(timer_ran.load());

    // After stop: dropped, not run and not crashing; stop() stays idempotent.
    std::atomic<bool> late{false};
    ex.post([&] { late = true; });
    EXPECT_EQ(ex.schedule_after(1ms, [&] { late = true; }), 0u);
    ex.stop();
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(late.load());
}

TEST(ThreadPoolExecutor, StopFromWorkerThreadIsRefused) {
    ThreadPoolExecutor ex(1);
    std::promise<bool> refused;
    ex.post([&] {
        try {
            ex.stop();
            refused.set_value(false);
        } catch (const std::logic_error&) {
            refused.set_value(true);
        }
    });
    auto f = refused.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    EXPECT_TRUE(f.get());
}

TEST(ThreadPoolExecutor, RejectsZeroThreads) {
    EXPECT_THROW(ThreadPoolExecutor(0), std::invalid_argument);
}

}  // namespace
}  // namespace profo::host
