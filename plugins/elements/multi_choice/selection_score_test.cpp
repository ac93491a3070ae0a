#include "selection_score.hpp"

#include <gtest/gtest.h>

using namespace profo::elements;

namespace {

// Variants 1 and 3 are right, as in test_all_elements.yml.
const std::vector<PollAnswer> kAnswers = {
    {"Вариант 1", true, "✅"}, {"Вариант 2", false, "❌"}, {"Вариант 3", true, "✅"}, {"Вариант 4", false, "❌"}};

}  // namespace

TEST(SelectionScore, AllRightNothingWrongIsOne) {
    EXPECT_EQ(selection_score(kAnswers, {0, 2}), 1.0);
}

TEST(SelectionScore, NothingRightIsZero) {
    EXPECT_EQ(selection_score(kAnswers, {1}), 0.0);
    EXPECT_EQ(selection_score(kAnswers, {1, 3}), 0.0);
    EXPECT_EQ(selection_score(kAnswers, {}), 0.0);
}

TEST(SelectionScore, AnythingBetweenIsHalf) {
    EXPECT_EQ(selection_score(kAnswers, {0}), 0.5);        // one right missing
    EXPECT_EQ(selection_score(kAnswers, {0, 2, 3}), 0.5);  // all right plus a wrong one
    EXPECT_EQ(selection_score(kAnswers, {0, 1, 2, 3}), 0.5);
}
