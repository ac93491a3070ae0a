#include "question_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::QuestionElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<QuestionElement>(spec);
}

}  // namespace

TEST(QuestionValidate, LegacyQuestionIsValid) {
    EXPECT_TRUE(report_of(json::parse(R"({"type": "question", "text": "Do you?", "answers": [
        {"text": "Да.", "feedback": "Молодец"}, {"text": "Нет.", "feedback": "Тогда курс для тебя"},
        {"text": "Иногда."}]})"))
                    .issues.empty());
}

TEST(QuestionValidate, NeedsTextAndTwoAnswers) {
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "question", "text": 42, "answers": [{"text": "Only"}]})")).errors(),
        ElementsAre("answers: 'answers' must list 2 to 10 answers (has 1)"));
    EXPECT_THAT(report_of(json{{"type", "question"}}).errors(),
                ElementsAre("text: 'text' is required", "answers: 'answers' is required"));
}

TEST(QuestionValidate, CorrectIsOnlyAWarning) {
    const KeptReport report = report_of(json::parse(R"({"type": "question", "text": "Q", "answers": [
        {"text": "A", "correct": "yes"}, {"text": "B"}]})"));
    EXPECT_TRUE(report.errors().empty());
    EXPECT_THAT(
        report.warnings(),
        ElementsAre("answers[0].correct: 'answers[0].correct' is ignored: a question has no correct answer"));
}

TEST(QuestionSchema, AnswersHaveNoCorrectField) {
    const json schema = QuestionElement().json_schema();
    EXPECT_FALSE(schema["properties"]["answers"]["items"]["properties"].contains("correct"));
    EXPECT_FALSE(QuestionElement().graded());
}
