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

namespace {

using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
namespace sdk = profo::sdk;

const json kQuestion =
    json::parse(R"({"type": "question", "text": "Do you?", "link_preview": "no", "answers": [
    {"text": "Да.", "feedback": "Молодец"}, {"text": "Нет.", "feedback": "Тогда курс для тебя"},
    {"text": "Иногда."}]})");

sdk::Event poll_answer(std::vector<int> options) {
    sdk::Event e;
    e.kind = sdk::Event::Kind::poll_answer;
    e.options = std::move(options);
    return e;
}

}  // namespace

TEST(QuestionPlay, SendsARegularPollWithoutACorrectOption) {
    QuestionElement question;
    FakeElementContext ctx("Q_1", compiled(question, kQuestion), kQuestion);
    EXPECT_EQ(question.enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].kind, sdk::OutAction::Kind::poll);
    EXPECT_EQ(ctx.sent[0].text, "Do you?");
    EXPECT_THAT(ctx.sent[0].poll_options, ElementsAre("Да.", "Нет.", "Иногда."));
    EXPECT_FALSE(ctx.sent[0].quiz);
    EXPECT_FALSE(ctx.sent[0].multiple_answers);
    EXPECT_FALSE(ctx.sent[0].correct_option);
}

TEST(QuestionPlay, RecordsTheChoiceWithoutAScoreAndSendsItsFeedback) {
    QuestionElement question;
    FakeElementContext ctx("Q_1", compiled(question, kQuestion), kQuestion);
    question.enter(ctx);
    ctx.sent.clear();
    EXPECT_EQ(question.on_event(ctx, poll_answer({1})).kind, sdk::Outcome::Kind::next);
    ASSERT_EQ(ctx.records.size(), 1u);
    EXPECT_EQ(ctx.records[0], json({{"role", "user"},
                                    {"payload", {{"options", {1}}, {"answer", "Нет."}}},
                                    {"score", -1},  // the fake's mark for "no score"
                                    {"maxscore", -1}}));
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "Тогда курс для тебя");
    EXPECT_EQ(ctx.sent[0].parse_mode, "MARKDOWN");
    EXPECT_FALSE(ctx.sent[0].link_preview);
}

TEST(QuestionPlay, RetractedVoteWaitsWithoutRecording) {
    QuestionElement question;
    FakeElementContext ctx("Q_1", compiled(question, kQuestion), kQuestion);
    EXPECT_EQ(question.on_event(ctx, poll_answer({})).kind, sdk::Outcome::Kind::wait);
    EXPECT_EQ(question.on_event(ctx, poll_answer({-1})).kind, sdk::Outcome::Kind::ignored);
    EXPECT_TRUE(ctx.records.empty());
    EXPECT_EQ(question.on_event(ctx, poll_answer({2})).kind, sdk::Outcome::Kind::next);
    EXPECT_TRUE(ctx.sent.empty());  // "Иногда." has no feedback
}
