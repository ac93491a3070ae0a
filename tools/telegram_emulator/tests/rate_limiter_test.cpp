#include "rate_limiter.h"

#include <gtest/gtest.h>

namespace profo::telegram_emulator {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, PerChatBurstThenRetryAfter) {
    RateLimiter limiter(RateLimits{true, 1.0, 3.0, 30.0, 30.0});
    const auto t0 = RateLimiter::Clock::time_point{} + 100s;
    EXPECT_EQ(limiter.acquire(1, 10, t0), 0);
    EXPECT_EQ(limiter.acquire(1, 10, t0), 0);
    EXPECT_EQ(limiter.acquire(1, 10, t0), 0);
    EXPECT_EQ(limiter.acquire(1, 10, t0), 1);
    // Other chats of the same bot are not affected.
    EXPECT_EQ(limiter.acquire(1, 11, t0), 0);
    EXPECT_EQ(limiter.acquire(1, 10, t0 + 1s), 0);
}

TEST(RateLimiter, PerBotLimit) {
    RateLimiter limiter(RateLimits{true, 100.0, 100.0, 30.0, 30.0});
    const auto t0 = RateLimiter::Clock::time_point{} + 100s;
    for (int i = 0; i < 30; ++i) ASSERT_EQ(limiter.acquire(1, i, t0), 0);
    EXPECT_GE(limiter.acquire(1, 99, t0), 1);
    EXPECT_EQ(limiter.acquire(2, 99, t0), 0);  // another bot
}

TEST(RateLimiter, RefusedCallsCostNothingAndDisabledNeverRefuses) {
    RateLimiter limiter(RateLimits{true, 1.0, 1.0, 30.0, 30.0});
    const auto t0 = RateLimiter::Clock::time_point{} + 100s;
    EXPECT_EQ(limiter.acquire(1, 1, t0), 0);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.acquire(1, 1, t0), 1);
    EXPECT_EQ(limiter.acquire(1, 1, t0 + 1s), 0);
    limiter.set_limits(RateLimits{false});
    for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.acquire(1, 1, t0), 0);
}

}  // namespace
}  // namespace profo::telegram_emulator
