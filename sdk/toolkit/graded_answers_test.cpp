#include <profo/sdk/toolkit/graded_answers.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace profo::elements;
using profo::sdk::ConversationEntry;

namespace {

ConversationEntry row(std::string element, std::string role, std::optional<double> score,
                      std::optional<double> maxscore = std::nullopt) {
    ConversationEntry entry;
    entry.element_id = std::move(element);
    entry.role = std::move(role);
    entry.score = score;
    entry.maxscore = maxscore ? maxscore : (score ? std::optional<double>(1) : std::nullopt);
    return entry;
}

std::vector<std::string> ids(const std::vector<GradedAnswer>& answers) {
    std::vector<std::string> out;
    for (const auto& a : answers) out.push_back(a.element_id + "=" + std::to_string(a.score));
    return out;
}

}  // namespace

TEST(LatestGradedAnswers, LatestAttemptPerElementInCourseOrder) {
    const std::vector<ConversationEntry> history = {
        row("Quiz_2", "bot", std::nullopt), row("Quiz_2", "user", 0.0),          row("Quiz_1", "user", 1.0),
        row("Quiz_2", "user", 1.0),         row("Quiz_2", "user", std::nullopt),  // ungraded later row
        row("Other_1", "user", 0.0),
    };
    const auto answers = latest_graded_answers(history, "Quiz_", {"Quiz_1", "Quiz_2", "Other_1"});
    EXPECT_THAT(ids(answers), ::testing::ElementsAre("Quiz_1=1.000000", "Quiz_2=1.000000"));
}

TEST(LatestGradedAnswers, IgnoresSummariesAndRemovedElements) {
    const std::vector<ConversationEntry> history = {
        row("Quiz_1", "user", 0.5), row("Quiz_Test", "bot", 3.0, 5.0), row("Quiz_Gone", "user", 0.0)};
    const auto answers = latest_graded_answers(history, "Quiz_", {"Quiz_1", "Quiz_Test"});
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].element_id, "Quiz_1");
    EXPECT_TRUE(answers[0].mistaken());
}

TEST(LatestGradedAnswers, EmptyPrefixTakesEverything) {
    const auto answers =
        latest_graded_answers({row("A", "user", 1.0), row("B", "user", 0.0)}, "", {"B", "A"});
    EXPECT_THAT(ids(answers), ::testing::ElementsAre("B=0.000000", "A=1.000000"));
    EXPECT_FALSE(answers[1].mistaken());
}
