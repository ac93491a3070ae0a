#include "revision_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::RevisionElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<RevisionElement>(spec);
}

}  // namespace

TEST(RevisionValidate, LegacyShapeIsValid) {
    EXPECT_TRUE(
        report_of(json::parse(R"({"type": "revision", "prefix": "Vocab_", "text": "Let's fix mistakes",
        "no_mistakes": "No mistakes!", "button": "Ok!"})"))
            .issues.empty());
    EXPECT_TRUE(report_of(json{{"type", "revision"}, {"prefix", "Vocab_"}}).issues.empty());
}

TEST(RevisionValidate, PrefixRequiredAndAButtonWithoutTextWarns) {
    const auto report = report_of(json{{"type", "revision"}, {"button", "Go"}, {"no_mistakes", 5}});
    EXPECT_THAT(report.errors(), ElementsAre("prefix: 'prefix' is required"));
    EXPECT_THAT(report.warnings(),
                ElementsAre("text: 'button' without 'text': the button's label is sent as the message"));
    EXPECT_THAT(report_of(json{{"type", "revision"}, {"prefix", json::array()}}).errors(),
                ElementsAre("prefix: 'prefix' must be text, not '[]'"));
}

TEST(RevisionSchema, FieldsAndRequired) {
    EXPECT_EQ(RevisionElement().json_schema()["required"], json({"type", "prefix"}));
    EXPECT_THAT(RevisionElement().fields(),
                ElementsAre("button", "link_preview", "no_mistakes", "parse_mode", "prefix", "text"));
}

namespace {

namespace sdk = profo::sdk;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;

// A run in which graded elements were answered before the revision: their
// rows, with score and maxscore as the engine stores them, come first.
using AnsweredRun = FakeElementContext;

const json kRevision = json::parse(R"({"type": "revision", "prefix": "Vocab_", "text": "Let's fix mistakes",
    "no_mistakes": "No mistakes!"})");

AnsweredRun run_of(const RevisionElement& element, const json& fields) {
    std::map<std::string, json> course;
    for (const char* id : {"Vocab_1", "Vocab_2", "Vocab_3", "Vocab_4", "Vocab_5"})
        course[id] = {{"type", "quiz"}};
    return AnsweredRun("Revision_1", compiled(element, fields), fields, course);
}

// The elements the revision calls, one on_return after another, until it goes on.
std::vector<std::string> replayed(RevisionElement& element, AnsweredRun& ctx, sdk::Outcome first) {
    std::vector<std::string> calls;
    for (sdk::Outcome outcome = first; outcome.kind == sdk::Outcome::Kind::call;
         outcome = element.on_return(ctx)) {
        calls.push_back(outcome.target);
        if (calls.size() > 10) break;
    }
    return calls;
}

}  // namespace

TEST(RevisionPlay, WithoutMistakesItSaysSoAndGoesOn) {
    RevisionElement element;
    AnsweredRun ctx = run_of(element, kRevision);
    ctx.answered("Vocab_1", 0);
    ctx.answered("Vocab_1", 1);  // put right in an earlier revision
    ctx.answered("Vocab_2", 1);
    EXPECT_EQ(element.enter(ctx).kind, sdk::Outcome::Kind::next);
    EXPECT_EQ(ctx.texts(), std::vector<std::string>{"No mistakes!"});
    EXPECT_TRUE(ctx.state().is_null());
}

TEST(RevisionPlay, ReplaysTheMistakesInCourseOrderThenTheRightAnswers) {
    RevisionElement element;
    AnsweredRun ctx = run_of(element, kRevision);
    ctx.answered("Vocab_3", 0.5);  // a partly right multi_choice is a mistake too
    ctx.answered("Vocab_1", 0);
    ctx.answered("Vocab_2", 1);
    ctx.answered("Vocab_4", 1);

    const sdk::Outcome first = element.enter(ctx);
    EXPECT_EQ(ctx.texts(), std::vector<std::string>{"Let's fix mistakes"});
    EXPECT_EQ(replayed(element, ctx, first),
              (std::vector<std::string>{"Vocab_1", "Vocab_3", "Vocab_2", "Vocab_4"}));
    EXPECT_EQ(element.on_return(ctx).kind, sdk::Outcome::Kind::next);
    EXPECT_TRUE(ctx.records.empty());
}

TEST(RevisionPlay, AtMostTwoRightAnswersJoinTheReplay) {
    RevisionElement element;
    AnsweredRun ctx = run_of(element, kRevision);
    ctx.answered("Vocab_2", 0);
    for (const char* id : {"Vocab_1", "Vocab_3", "Vocab_4", "Vocab_5"}) ctx.answered(id, 1);
    const auto calls = replayed(element, ctx, element.enter(ctx));
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0], "Vocab_2");
    EXPECT_NE(calls[1], "Vocab_2");
    EXPECT_LT(calls[1], calls[2]);  // course order, which these ids sort in
}

TEST(RevisionPlay, AButtonWithoutTextIsSentUnderItsOwnLabel) {
    json fields = kRevision;
    fields.erase("text");
    fields["button"] = "Повторить ошибки";
    RevisionElement element;
    AnsweredRun ctx = run_of(element, fields);
    ctx.answered("Vocab_1", 0);
    EXPECT_EQ(element.enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "Повторить ошибки");
    ASSERT_EQ(ctx.sent[0].buttons.size(), 1u);
    EXPECT_EQ(ctx.sent[0].buttons[0].text, "Повторить ошибки");
}

TEST(RevisionPlay, AButtonStartsTheReplayOnce) {
    json fields = kRevision;
    fields["button"] = "Ok!";
    RevisionElement element;
    AnsweredRun ctx = run_of(element, fields);
    ctx.answered("Vocab_1", 0);

    EXPECT_EQ(element.enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "Let's fix mistakes");
    ASSERT_EQ(ctx.sent[0].buttons.size(), 1u);
    EXPECT_EQ(ctx.sent[0].buttons[0].text, "Ok!");

    sdk::Event text;
    text.kind = sdk::Event::Kind::text;
    text.text = "Ok!";
    EXPECT_EQ(element.on_event(ctx, text).kind, sdk::Outcome::Kind::ignored);
    sdk::Event press;
    press.kind = sdk::Event::Kind::button;
    press.index = 0;
    const sdk::Outcome started = element.on_event(ctx, press);
    EXPECT_EQ(started.kind, sdk::Outcome::Kind::call);
    EXPECT_EQ(started.target, "Vocab_1");
    ASSERT_EQ(ctx.records.size(), 1u);
    EXPECT_EQ(ctx.records[0]["payload"], json({{"button", 0}, {"text", "Ok!"}}));
    // A second press (an old message's button) does not start it again.
    EXPECT_EQ(element.on_event(ctx, press).kind, sdk::Outcome::Kind::ignored);
    EXPECT_EQ(element.on_return(ctx).kind, sdk::Outcome::Kind::next);
}
