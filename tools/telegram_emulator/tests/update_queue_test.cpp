#include "update_queue.h"

#include <gtest/gtest.h>

namespace profo::telegram_emulator {
namespace {

TEST(UpdateQueue, IdsIncreaseByOneAndOffsetConfirms) {
    UpdateQueue q;
    EXPECT_EQ(q.push("message", {{"text", "a"}}, 1, 1000), 1);
    EXPECT_EQ(q.push("message", {{"text", "b"}}, 1, 1000), 2);
    EXPECT_EQ(q.push("message", {{"text", "c"}}, 1, 1000), 3);
    q.confirm(3);
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q.front(10)[0]->update_id, 3);
    EXPECT_EQ(q.front(10)[0]->body, R"({"message":{"text":"c"},"update_id":3})");
    q.confirm(1);  // an older offset changes nothing
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.push("message", {}, 1, 1000), 4);
}

TEST(UpdateQueue, NegativeOffsetKeepsTheLastUpdates) {
    UpdateQueue q;
    for (int i = 0; i < 5; ++i) q.push("message", {}, 1, 1000);
    q.confirm(-2);
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q.front(1)[0]->update_id, 4);
}

TEST(UpdateQueue, LimitAndExpiry) {
    UpdateQueue q;
    q.push("message", {}, 1, 1000);
    q.push("message", {}, 1, 1000 + UpdateQueue::kMaxAgeSeconds);
    EXPECT_EQ(q.front(1).size(), 1u);
    EXPECT_EQ(q.expire(1001 + UpdateQueue::kMaxAgeSeconds), 1u);
    EXPECT_EQ(q.size(), 1u);
}

TEST(UpdateQueue, AllowedUpdatesFilterAtCreation) {
    UpdateQueue q;
    q.set_allowed_updates(std::vector<std::string>{"callback_query"});
    EXPECT_FALSE(q.push("message", {}, 1, 1000));
    EXPECT_TRUE(q.push("callback_query", {}, 1, 1000));
    q.set_allowed_updates(std::nullopt);  // unchanged
    EXPECT_FALSE(q.allows("message"));
    q.set_allowed_updates(std::vector<std::string>{});  // back to the default
    EXPECT_TRUE(q.allows("message"));
    EXPECT_FALSE(q.allows("chat_member"));
}

}  // namespace
}  // namespace profo::telegram_emulator
