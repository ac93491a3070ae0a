#include "quiz_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::QuizElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<QuizElement>(spec);
}

}  // namespace

TEST(QuizValidate, LegacyQuizIsValid) {
    EXPECT_TRUE(
        report_of(json::parse(R"js({"type": "quiz", "text": "Important (1/50)", "media": ["https://x/y.png"],
        "answers": [{"text": "Viral", "feedback": "Almost"}, {"text": "Essential", "correct": "yes",
        "feedback": "Awesome"}]})js"))
            .issues.empty());
}

TEST(QuizValidate, CorrectNoDoesNotCount) {
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "quiz", "text": "Q", "answers": [{"text": "A", "correct": "no"},
        {"text": "B", "correct": false}]})"))
            .errors(),
        ElementsAre("answers: a quiz needs exactly one answer with 'correct: yes' (none has it)"));
}

TEST(QuizValidate, ReportsTextAndAnswerProblems) {
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "quiz", "answers": [{"text": "A", "correct": "yes"}, {"text": ""},
        {"text": "C", "correct": "maybe"}], "parse_mode": 3})"))
            .errors(),
        ElementsAre("text: 'text' is required", "answers[1].text: 'answers[1].text' must not be empty",
                    "answers[2].correct: 'answers[2].correct' must be yes or no, not 'maybe'",
                    "parse_mode: 'parse_mode' must be HTML, HTML!, MARKDOWN or MarkdownV2, not '3'"));
}

TEST(QuizValidate, TwoCorrectAnswersOnlyWarnForLegacyCourses) {
    const KeptReport report = report_of(json::parse(R"({"type": "quiz", "text": "Decrease", "answers": [
        {"text": "to diminish", "correct": "yes"}, {"text": "to increase"}, {"text": "to reduce", "correct": "yes"}]})"));
    EXPECT_TRUE(report.errors().empty());
    EXPECT_EQ(report.warnings().size(), 1u);
}

TEST(QuizSchema, RequiresTextAndAnswers) {
    const json schema = QuizElement().json_schema();
    EXPECT_EQ(schema["required"], json({"type", "text", "answers"}));
    EXPECT_EQ(schema["properties"]["answers"]["maxItems"], 10);
    EXPECT_TRUE(QuizElement().graded());
}
