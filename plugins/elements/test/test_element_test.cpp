#include "test_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::TestElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<TestElement>(spec);
}

}  // namespace

TEST(TestValidate, LegacyQuotedAndPlainKeysAreValid) {
    EXPECT_TRUE(
        report_of(json::parse(R"({"type": "test", "text": "{score} из {maxscore}", "prefix": "Quiz_Test_",
        "score": {"20": "ready", "65": "basics", "100": "slow down"}, "button": "OK"})"))
            .issues.empty());
    EXPECT_TRUE(report_of(json::parse(R"({"type": "test", "prefix": "Test_Score_", "text": "{score}",
        "score": {"0": "a", "33": "b", "66": "c", "100": "d"}})"))
                    .issues.empty());
}

TEST(TestValidate, PrefixIsRequired) {
    EXPECT_THAT(report_of(json{{"type", "test"}, {"text", "{score}"}}).errors(),
                ElementsAre("prefix: 'prefix' is required"));
}

TEST(TestValidate, ScoreKeysMustBeNumbersAndValuesText) {
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "test", "prefix": "Q_", "score": {"20%": "x", "50": ["y"],
        "100": "z"}})"))
            .errors(),
        ElementsAre("score.20%: 'score' key '20%' must be a number (the largest percentage of mistakes the "
                    "band covers)",
                    "score.50: 'score.50' must be text, not '[\"y\"]'"));
    EXPECT_THAT(report_of(json{{"type", "test"}, {"prefix", "Q_"}, {"score", "all good"}}).errors(),
                ElementsAre("score: 'score' must map percentages of mistakes to messages, not 'all good'"));
}

TEST(TestValidate, WarnsWhenNoBandCoversEveryResult) {
    // rev.yaml's Score_50 stops at 50%.
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "test", "prefix": "Vocab_", "score": {"0": "a", "20": "b",
        "45": "c", "50": "d"}})"))
            .warnings(),
        ElementsAre("score: no 'score' band covers more than 50% mistakes: such results get the text alone"));
}

TEST(TestSchema, OnlyPrefixIsRequired) {
    EXPECT_EQ(TestElement().json_schema()["required"], json({"type", "prefix"}));
    EXPECT_FALSE(TestElement().graded());
}

namespace {

namespace sdk = profo::sdk;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;

// A run in which graded elements were answered before the test: their rows,
// with score and maxscore as the engine stores them, come before what the
// test itself does.
using AnsweredRun = FakeElementContext;

const json kTest = json::parse(R"({"type": "test", "prefix": "Quiz_", "text": "{score} из {maxscore}\n",
    "score": {"20": "ready", "65": "basics", "100": "slow down"}})");

AnsweredRun run_of(const TestElement& element, const json& fields) {
    return AnsweredRun("Result", compiled(element, fields), fields,
                       {{"Quiz_1", {{"type", "quiz"}}},
                        {"Quiz_2", {{"type", "multi_choice"}}},
                        {"Quiz_3", {{"type", "quiz"}}},
                        {"Other_1", {{"type", "quiz"}}}});
}

}  // namespace

TEST(TestPlay, SumsTheLatestAnswersUnderThePrefixAndAppendsTheirBand) {
    TestElement element;
    AnsweredRun ctx = run_of(element, kTest);
    ctx.answered("Quiz_1", 0, 1);
    ctx.answered("Quiz_1", 1, 1);  // answered again in a revision: the latest counts
    ctx.answered("Quiz_2", 0.5, 1);
    ctx.answered("Quiz_3", 1, 1);
    ctx.answered("Other_1", 0, 1);        // another prefix
    ctx.answered("Quiz_3", 0, 5, "bot");  // an earlier test's summary is no answer
    ctx.answered("Gone_1", 0, 1);         // no longer in the course

    EXPECT_EQ(element.enter(ctx).kind, sdk::Outcome::Kind::next);
    // 2.5 of 3: 16.7% mistakes, in the 20 band.
    EXPECT_EQ(ctx.texts(), std::vector<std::string>{"2.5 из 3\n\nready"});
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_TRUE(ctx.sent[0].buttons.empty());
    EXPECT_EQ(ctx.sent[0].parse_mode, "MARKDOWN");
    ASSERT_EQ(ctx.records.size(), 1u);
    EXPECT_EQ(ctx.records[0]["role"], "bot");
    EXPECT_EQ(ctx.records[0]["score"], 2.5);
    EXPECT_EQ(ctx.records[0]["maxscore"], 3.0);
    EXPECT_DOUBLE_EQ(ctx.records[0]["payload"]["mistakes_percent"].get<double>(), 100.0 / 6);
}

TEST(TestPlay, BandKeysCompareAsNumbers) {
    TestElement element;
    AnsweredRun ctx = run_of(element, kTest);
    ctx.answered("Quiz_1", 0, 1);
    ctx.answered("Quiz_2", 0, 1);
    ctx.answered("Quiz_3", 1, 1);
    element.enter(ctx);  // 66.7% mistakes: above 65, so the 100 band, although "100" < "65" as text
    EXPECT_EQ(ctx.texts(), std::vector<std::string>{"1 из 3\n\nslow down"});
}

TEST(TestPlay, ResultsAboveEveryBandGetTheTextAlone) {
    json fields = kTest;
    fields["score"] = {{"0", "perfect"}, {"50", "good"}};
    TestElement element;
    AnsweredRun ctx = run_of(element, fields);
    ctx.answered("Quiz_1", 0, 1);
    element.enter(ctx);
    EXPECT_EQ(ctx.texts(), std::vector<std::string>{"0 из 1\n"});
}

TEST(TestPlay, AButtonWaitsForItsPress) {
    json fields = kTest;
    fields["button"] = "OK";
    fields.erase("text");
    TestElement element;
    AnsweredRun ctx = run_of(element, fields);  // nothing answered: 0 of 0 is no mistake
    EXPECT_EQ(element.enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "ready");
    ASSERT_EQ(ctx.sent[0].buttons.size(), 1u);
    EXPECT_EQ(ctx.sent[0].buttons[0].text, "OK");

    sdk::Event press;
    press.kind = sdk::Event::Kind::button;
    press.index = 1;
    EXPECT_EQ(element.on_event(ctx, press).kind, sdk::Outcome::Kind::ignored);
    press.index = 0;
    EXPECT_EQ(element.on_event(ctx, press).kind, sdk::Outcome::Kind::next);
    ASSERT_EQ(ctx.records.size(), 2u);
    EXPECT_EQ(ctx.records[1]["role"], "user");
    EXPECT_EQ(ctx.records[1]["payload"], json({{"button", 0}, {"text", "OK"}}));
}

TEST(TestPlay, WithoutTextOrBandTheButtonShowsTheScores) {
    const json fields = {{"type", "test"}, {"prefix", "Quiz_"}, {"button", "Next"}};
    TestElement element;
    AnsweredRun ctx = run_of(element, fields);
    ctx.answered("Quiz_2", 0.5, 1);
    element.enter(ctx);
    EXPECT_EQ(ctx.texts(), std::vector<std::string>{"0.5 / 1"});

    sdk::Event text;
    text.kind = sdk::Event::Kind::text;
    text.text = "Next";
    EXPECT_EQ(element.on_event(ctx, text).kind, sdk::Outcome::Kind::ignored);
}
