#include "replay_queue.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

using namespace profo::elements;
using ::testing::ElementsAre;

namespace {

std::vector<GradedAnswer> answers(const std::vector<std::pair<std::string, double>>& scores) {
    std::vector<GradedAnswer> out;
    for (const auto& [id, score] : scores) out.push_back({id, score, 1.0});
    return out;
}

}  // namespace

TEST(ReplayQueue, NothingMistakenNothingToReplay) {
    EXPECT_TRUE(replay_queue(answers({{"Q1", 1}, {"Q2", 1}}), 7).empty());
    EXPECT_TRUE(replay_queue({}, 7).empty());
}

TEST(ReplayQueue, MistakesInCourseOrderIncludingPartialScores) {
    EXPECT_THAT(replay_queue(answers({{"Q1", 0}, {"Q2", 0.5}, {"Q3", 0}}), 1), ElementsAre("Q1", "Q2", "Q3"));
}

TEST(ReplayQueue, AtMostTwoCorrectOnesAfterTheMistakes) {
    const auto all = answers({{"Q1", 1}, {"Q2", 0}, {"Q3", 1}, {"Q4", 1}, {"Q5", 1}, {"Q6", 0}});
    std::set<std::string> picked;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        const auto queue = replay_queue(all, seed);
        ASSERT_EQ(queue.size(), 4u);
        EXPECT_EQ(queue[0], "Q2");
        EXPECT_EQ(queue[1], "Q6");
        EXPECT_NE(queue[2], queue[3]);
        EXPECT_LT(queue[2], queue[3]);  // course order, which these ids sort in
        picked.insert(queue[2]);
        picked.insert(queue[3]);
    }
    // Every correctly answered element gets its turn over many runs.
    EXPECT_EQ(picked, (std::set<std::string>{"Q1", "Q3", "Q4", "Q5"}));
}

TEST(ReplayQueue, SameSeedSamePick) {
    const auto all = answers({{"Q1", 1}, {"Q2", 0}, {"Q3", 1}, {"Q4", 1}, {"Q5", 1}});
    EXPECT_EQ(replay_queue(all, 42), replay_queue(all, 42));
}

TEST(ReplayQueue, FewerCorrectThanTwo) {
    EXPECT_THAT(replay_queue(answers({{"Q1", 0}, {"Q2", 1}}), 3), ElementsAre("Q1", "Q2"));
}
