#include "multi_choice_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::MultiChoiceElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<MultiChoiceElement>(spec);
}

}  // namespace

TEST(MultiChoiceValidate, LegacyShapeIsValid) {
    EXPECT_TRUE(report_of(json::parse(R"({"type": "multi_choice", "text": "INVEST?", "answers": [
        {"text": "Independent", "correct": "no"}, {"text": "Negotiable", "correct": "yes"},
        {"text": "Estimable", "correct": "no"}, {"text": "Testable", "correct": "yes"}],
        "feedback_correct": "All", "feedback_partial": "Some", "feedback_incorrect": "None"})"))
                    .issues.empty());
}

TEST(MultiChoiceValidate, WithoutACorrectAnswerItOnlyWarns) {
    const auto report = report_of(json::parse(R"({"type": "multi_choice", "text": "Q", "answers": [
        {"text": "A", "correct": "no"}, {"text": "B"}], "feedback_partial": {"x": 1}})"));
    EXPECT_THAT(report.errors(),
                ElementsAre("feedback_partial: 'feedback_partial' must be text, not '{\"x\":1}'"));
    EXPECT_THAT(
        report.warnings(),
        ElementsAre("answers: no answer has 'correct: yes': every selection scores 0 (feedback_incorrect)"));
}

TEST(MultiChoiceSchema, HasSummaryFeedbacks) {
    EXPECT_THAT(MultiChoiceElement().fields(),
                ElementsAre("answers", "feedback_correct", "feedback_incorrect", "feedback_partial",
                            "link_preview", "media", "parse_mode", "text"));
    EXPECT_TRUE(MultiChoiceElement().graded());
}

namespace {

using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
namespace sdk = profo::sdk;

// Variants 1 and 3 are right, as in test_all_elements.yml.
const json kMultiChoice = json::parse(R"({"type": "multi_choice", "text": "Which?", "answers": [
    {"text": "Вариант 1", "correct": "yes", "feedback": "1 ✅"}, {"text": "Вариант 2", "feedback": "2 ❌"},
    {"text": "Вариант 3", "correct": "yes", "feedback": "3 ✅"}, {"text": "Вариант 4"}],
    "feedback_correct": "All right", "feedback_partial": "Partly", "feedback_incorrect": "Wrong"})");

sdk::Event poll_answer(std::vector<int> options) {
    sdk::Event e;
    e.kind = sdk::Event::Kind::poll_answer;
    e.options = std::move(options);
    return e;
}

struct Answered {
    sdk::Outcome::Kind outcome;
    json record;
    std::vector<std::string> texts;
};

Answered answer(const json& fields, std::vector<int> options) {
    MultiChoiceElement element;
    FakeElementContext ctx("MC_1", compiled(element, fields), fields);
    element.enter(ctx);
    ctx.sent.clear();
    const auto outcome = element.on_event(ctx, poll_answer(std::move(options))).kind;
    return {outcome, ctx.records.empty() ? json() : ctx.records.back(), ctx.texts()};
}

}  // namespace

TEST(MultiChoicePlay, SendsAPollAllowingSeveralAnswers) {
    MultiChoiceElement element;
    FakeElementContext ctx("MC_1", compiled(element, kMultiChoice), kMultiChoice);
    EXPECT_EQ(element.enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].kind, sdk::OutAction::Kind::poll);
    EXPECT_EQ(ctx.sent[0].text, "Which?");
    EXPECT_TRUE(ctx.sent[0].multiple_answers);
    EXPECT_FALSE(ctx.sent[0].quiz);
    EXPECT_EQ(ctx.sent[0].poll_options.size(), 4u);
}

TEST(MultiChoicePlay, EveryRightAnswerAndNoWrongOneScoresOne) {
    const Answered a = answer(kMultiChoice, {2, 0});
    EXPECT_EQ(a.outcome, sdk::Outcome::Kind::next);
    EXPECT_EQ(a.record, json({{"role", "user"},
                              {"payload", {{"options", {0, 2}}, {"answers", {"Вариант 1", "Вариант 3"}}}},
                              {"score", 1.0},
                              {"maxscore", 1.0}}));
    // Each chosen option's feedback in option order, then the summary.
    EXPECT_THAT(a.texts, ElementsAre("1 ✅", "3 ✅", "All right"));
}

TEST(MultiChoicePlay, ARightAnswerMissingOrAWrongOneAddedScoresHalf) {
    Answered a = answer(kMultiChoice, {0});
    EXPECT_EQ(a.record["score"], 0.5);
    EXPECT_THAT(a.texts, ElementsAre("1 ✅", "Partly"));
    a = answer(kMultiChoice, {0, 1, 2, 2});
    EXPECT_EQ(a.record["score"], 0.5);
    EXPECT_EQ(a.record["payload"]["options"], json({0, 1, 2}));
    EXPECT_THAT(a.texts, ElementsAre("1 ✅", "2 ❌", "3 ✅", "Partly"));
}

TEST(MultiChoicePlay, NoRightAnswerScoresZero) {
    const Answered a = answer(kMultiChoice, {1, 3});
    EXPECT_EQ(a.record["score"], 0.0);
    EXPECT_EQ(a.record["maxscore"], 1.0);
    EXPECT_THAT(a.texts, ElementsAre("2 ❌", "Wrong"));  // Вариант 4 has no feedback
}

TEST(MultiChoicePlay, WithoutSummaryFeedbackOnlyTheOptionsAnswer) {
    json fields = kMultiChoice;
    fields.erase("feedback_correct");
    EXPECT_THAT(answer(fields, {0, 2}).texts, ElementsAre("1 ✅", "3 ✅"));
}

TEST(MultiChoicePlay, RetractedVotesWaitAndOptionsOfAnotherPollAreIgnored) {
    EXPECT_EQ(answer(kMultiChoice, {}).outcome, sdk::Outcome::Kind::wait);
    const Answered foreign = answer(kMultiChoice, {0, 4});
    EXPECT_EQ(foreign.outcome, sdk::Outcome::Kind::ignored);
    EXPECT_TRUE(foreign.record.is_null());
    EXPECT_TRUE(foreign.texts.empty());
}
