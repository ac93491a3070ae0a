#include "sql/connection_slots.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace profo::storage_sql {
namespace {

using std::chrono::milliseconds;

TEST(ConnectionSlots, TheLowestFreeConnectionOfTheRangeIsTaken) {
    ConnectionSlots slots(4);
    EXPECT_EQ(slots.take(1, 4, milliseconds(0)), 1u);
    EXPECT_EQ(slots.take(1, 4, milliseconds(0)), 2u);
    slots.give_back(1);
    // A light load keeps coming back to the same few connections.
    EXPECT_EQ(slots.take(1, 4, milliseconds(0)), 1u);
    // The first stayed free for a range that has it.
    EXPECT_EQ(slots.take(0, 1, milliseconds(0)), 0u);
}

TEST(ConnectionSlots, ARangeWithNoneFreeWaitsOnlyItsTimeoutEvenWithOthersFree) {
    ConnectionSlots slots(3);
    ASSERT_EQ(slots.take(0, 1, milliseconds(0)), 0u);
    const auto began = std::chrono::steady_clock::now();
    EXPECT_EQ(slots.take(0, 1, milliseconds(30)), std::nullopt);
    EXPECT_GE(std::chrono::steady_clock::now() - began, milliseconds(30));
    // A range past the end is cut to the pool.
    EXPECT_EQ(slots.take(1, 10, milliseconds(0)), 1u);
    EXPECT_EQ(slots.take(1, 10, milliseconds(0)), 2u);
    EXPECT_EQ(slots.take(1, 10, milliseconds(0)), std::nullopt);
}

TEST(ConnectionSlots, AWaiterGetsTheConnectionGivenBackInItsRange) {
    ConnectionSlots slots(2);
    ASSERT_EQ(slots.take(0, 1, milliseconds(0)), 0u);
    ASSERT_EQ(slots.take(1, 2, milliseconds(0)), 1u);
    std::atomic<bool> got_writer{false};
    std::thread writer([&] { got_writer = slots.take(0, 1, milliseconds(5000)) == 0u; });
    // Freeing another range's connection wakes the waiter, which keeps waiting.
    slots.give_back(1);
    std::this_thread::sleep_for(milliseconds(20));
    EXPECT_FALSE(got_writer);
    slots.give_back(0);
    writer.join();
    EXPECT_TRUE(got_writer);
}

}  // namespace
}  // namespace profo::storage_sql
