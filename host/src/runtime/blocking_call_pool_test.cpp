#include "runtime/blocking_call_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <stdexcept>

namespace profo::host {
namespace {

using namespace std::chrono_literals;

// Holds a pool thread until released (or destroyed).
class Gate {
public:
    void wait() { released_.wait(); }
    void release() { promise_.set_value(); }

private:
    std::promise<void> promise_;
    std::shared_future<void> released_ = promise_.get_future().share();
};

TEST(BlockingCallPool, RunsWorkOnItsThreadsAndRefusesPastTheQueue) {
    BlockingCallPool pool(2, 1);
    Gate gate;
    std::atomic<int> started{0};
    for (int i = 1; i <= 2; ++i) {
        // One at a time: the queue holds only one waiting task.
        EXPECT_TRUE(pool.try_post([&] {
            ++started;
            gate.wait();
        }));
        while (started < i) std::this_thread::sleep_for(1ms);
    }
    std::promise<void> third;
    EXPECT_TRUE(pool.try_post([&] { third.set_value(); }));  // waits: both threads are held
    EXPECT_EQ(pool.queued(), 1u);
    auto refused = std::make_shared<int>(0);
    EXPECT_FALSE(pool.try_post([refused] {}));
    EXPECT_EQ(refused.use_count(), 1) << "refused work is destroyed at once";

    gate.release();
    EXPECT_EQ(third.get_future().wait_for(5s), std::future_status::ready);
    pool.stop();
}

TEST(BlockingCallPool, StopDropsQueuedWorkAndWaitsForRunningWork) {
    auto pool = std::make_unique<BlockingCallPool>(1, 10);
    std::promise<void> started;
    std::atomic<bool> finished{false};
    ASSERT_TRUE(pool->try_post([&] {
        started.set_value();
        std::this_thread::sleep_for(100ms);
        finished = true;
    }));
    started.get_future().wait();
    std::atomic<bool> ran{false};
    ASSERT_TRUE(pool->try_post([&] { ran = true; }));
    pool->stop();
    EXPECT_TRUE(finished);
    EXPECT_FALSE(ran);
    EXPECT_FALSE(pool->try_post([] {}));
    pool->stop();  // again: nothing to do
}

TEST(BlockingCallPool, AThrowingTaskLeavesTheThreadWorking) {
    BlockingCallPool pool(1, 10);
    ASSERT_TRUE(pool.try_post([] { throw std::runtime_error("provider exploded"); }));
    std::promise<void> next;
    ASSERT_TRUE(pool.try_post([&] { next.set_value(); }));
    EXPECT_EQ(next.get_future().wait_for(5s), std::future_status::ready);
}

TEST(BlockingCallPool, NeedsAThread) {
    EXPECT_THROW(BlockingCallPool(0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace profo::host
