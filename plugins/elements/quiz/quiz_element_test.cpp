#include "quiz_element.hpp"

#include <profo/sdk/toolkit/poll_answers.hpp>
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

namespace {

using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
namespace sdk = profo::sdk;

const json kQuiz = json::parse(R"js({"type": "quiz", "text": "Important (1/50)", "media": ["https://x/y.png"],
    "parse_mode": "HTML", "answers": [{"text": "Viral", "feedback": "Almost"},
    {"text": "Essential", "correct": "yes", "feedback": "<b>Awesome</b>"}, {"text": "Vital"}]})js");

FakeElementContext quiz_context(const QuizElement& quiz, const json& fields = kQuiz) {
    return FakeElementContext("Quiz_1", compiled(quiz, fields), fields);
}

sdk::Event poll_answer(std::vector<int> options) {
    sdk::Event e;
    e.kind = sdk::Event::Kind::poll_answer;
    e.options = std::move(options);
    return e;
}

}  // namespace

TEST(QuizPlay, SendsTheMediaThenAQuizPollAndWaits) {
    QuizElement quiz;
    auto ctx = quiz_context(quiz);
    EXPECT_EQ(quiz.enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 2u);
    EXPECT_EQ(ctx.sent[0].kind, sdk::OutAction::Kind::media);
    EXPECT_THAT(ctx.sent[0].media, ElementsAre("https://x/y.png"));
    const sdk::OutAction& poll = ctx.sent[1];
    EXPECT_EQ(poll.kind, sdk::OutAction::Kind::poll);
    EXPECT_EQ(poll.text, "Important (1/50)");
    EXPECT_EQ(poll.parse_mode, "");  // Telegram does not format poll questions
    EXPECT_THAT(poll.poll_options, ElementsAre("Viral", "Essential", "Vital"));
    EXPECT_TRUE(poll.quiz);
    EXPECT_FALSE(poll.multiple_answers);
    EXPECT_EQ(poll.correct_option, 1);
    EXPECT_TRUE(ctx.records.empty());
}

TEST(QuizPlay, TheRightAnswerScoresOneAndGetsItsFeedback) {
    QuizElement quiz;
    auto ctx = quiz_context(quiz);
    quiz.enter(ctx);
    ctx.sent.clear();
    EXPECT_EQ(quiz.on_event(ctx, poll_answer({1})).kind, sdk::Outcome::Kind::next);
    ASSERT_EQ(ctx.records.size(), 1u);
    EXPECT_EQ(ctx.records[0],
              json({{"role", "user"},
                    {"payload", {{"options", {1}}, {"answer", "Essential"}, {"correct", true}}},
                    {"score", 1.0},
                    {"maxscore", 1.0}}));
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "<b>Awesome</b>");
    EXPECT_EQ(ctx.sent[0].parse_mode, "HTML");
}

TEST(QuizPlay, AWrongAnswerScoresZeroAndAnAnswerWithoutFeedbackSendsNothing) {
    QuizElement quiz;
    auto ctx = quiz_context(quiz);
    quiz.enter(ctx);
    ctx.sent.clear();
    EXPECT_EQ(quiz.on_event(ctx, poll_answer({0})).kind, sdk::Outcome::Kind::next);
    EXPECT_EQ(ctx.records.at(0)["score"], 0.0);
    EXPECT_EQ(ctx.records.at(0)["maxscore"], 1.0);
    EXPECT_EQ(ctx.records.at(0)["payload"]["correct"], false);
    EXPECT_EQ(ctx.texts(), std::vector<std::string>{"Almost"});

    auto silent = quiz_context(quiz);
    EXPECT_EQ(quiz.on_event(silent, poll_answer({2})).kind, sdk::Outcome::Kind::next);
    EXPECT_EQ(silent.records.at(0)["score"], 0.0);
    EXPECT_TRUE(silent.sent.empty());
}

TEST(QuizPlay, RetractedVotesWaitAndForeignAnswersAreIgnored) {
    QuizElement quiz;
    auto ctx = quiz_context(quiz);
    quiz.enter(ctx);
    ctx.sent.clear();
    EXPECT_EQ(quiz.on_event(ctx, poll_answer({})).kind, sdk::Outcome::Kind::wait);
    EXPECT_EQ(quiz.on_event(ctx, poll_answer({3})).kind, sdk::Outcome::Kind::ignored);
    EXPECT_EQ(quiz.on_event(ctx, poll_answer({0, 1})).kind, sdk::Outcome::Kind::ignored);
    sdk::Event text;
    text.kind = sdk::Event::Kind::text;
    text.text = "Essential";
    EXPECT_EQ(quiz.on_event(ctx, text).kind, sdk::Outcome::Kind::ignored);
    EXPECT_TRUE(ctx.records.empty());
    EXPECT_TRUE(ctx.sent.empty());
}

TEST(QuizPlay, EveryAnswerMarkedCorrectScoresOneButTelegramShowsTheFirst) {
    const json legacy = json::parse(R"({"type": "quiz", "text": "Decrease", "answers": [
        {"text": "to increase"}, {"text": "to diminish", "correct": "yes"}, {"text": "to reduce", "correct": "yes"}]})");
    QuizElement quiz;
    auto ctx = quiz_context(quiz, legacy);
    quiz.enter(ctx);
    ASSERT_EQ(ctx.sent.size(), 1u);  // no media
    EXPECT_EQ(ctx.sent[0].correct_option, 1);
    EXPECT_EQ(quiz.on_event(ctx, poll_answer({2})).kind, sdk::Outcome::Kind::next);
    EXPECT_EQ(ctx.records.at(0)["score"], 1.0);
}

// `correct:` left empty: the legacy bot counted the key itself as correct;
// so does the import, with a warning (`correct: no` stays not correct).
TEST(QuizValidate, AnEmptyCorrectIsTheLegacyCorrectAnswerWithAWarning) {
    const auto spec = json::parse(R"({"type": "quiz", "text": "Q", "answers": [{"text": "A", "correct": null},
        {"text": "B", "correct": "no"}]})");
    const auto report = report_of(spec);
    EXPECT_TRUE(report.errors().empty());
    EXPECT_THAT(
        report.warnings(),
        ElementsAre("answers[0].correct: 'answers[0].correct' has no value: counted as correct, as the "
                    "legacy bot did (write 'correct: yes')"));
    const auto poll = profo::elements::read_answers(spec);
    ASSERT_EQ(poll.size(), 2u);
    EXPECT_TRUE(poll[0].correct);
    EXPECT_FALSE(poll[1].correct);
}
