#include "pacing.hpp"

#include <gtest/gtest.h>

using namespace profo::telegram;
using namespace std::chrono_literals;

TEST(Pacing, BucketAllowsABurstThenTheRate) {
    const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    TokenBucket bucket(1.0, 3.0, t0);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(bucket.available(t0));
        bucket.take(t0);
    }
    EXPECT_FALSE(bucket.available(t0));
    EXPECT_EQ(bucket.next_token(t0), t0 + 1s);
    EXPECT_FALSE(bucket.available(t0 + 999ms));
    EXPECT_TRUE(bucket.available(t0 + 1s));
    EXPECT_TRUE(bucket.available(t0 + 1h));  // saved up, but never beyond the burst
    for (int i = 0; i < 3; ++i) bucket.take(t0 + 1h);
    EXPECT_FALSE(bucket.available(t0 + 1h));
}

TEST(Pacing, BackoffDoublesUpToTheCap) {
    EXPECT_EQ(backoff_delay(0, 1000ms, 60s), 1000ms);
    EXPECT_EQ(backoff_delay(1, 1000ms, 60s), 2000ms);
    EXPECT_EQ(backoff_delay(5, 1000ms, 60s), 32000ms);
    EXPECT_EQ(backoff_delay(6, 1000ms, 60s), 60s);
    EXPECT_EQ(backoff_delay(1000, 1000ms, 60s), 60s);
}

TEST(Pacing, GroupsGetTwentyAMinute) {
    EXPECT_DOUBLE_EQ(chat_pace(42, 1, 3, 20).per_second, 1.0);
    EXPECT_DOUBLE_EQ(chat_pace(-100123, 1, 3, 20).per_second, 20.0 / 60.0);
}
