#include "input_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::InputElement;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using profo::sdk::Event;
using profo::sdk::OutAction;
using profo::sdk::Outcome;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<InputElement>(spec);
}

struct Asked {
    explicit Asked(const json& spec, json settings = json::object())
        : ctx("Ask", compiled(input, spec), spec) {
        ctx.settings_ = std::move(settings);
        entered = input.enter(ctx);
    }
    Outcome reply(std::string text) {
        Event e;
        e.kind = Event::Kind::text;
        e.text = std::move(text);
        return input.on_event(ctx, e);
    }
    InputElement input;
    FakeElementContext ctx;
    Outcome entered;
};

}  // namespace

TEST(InputValidate, LegacyShapesAreValid) {
    EXPECT_TRUE(report_of(json::parse(R"({"type": "input", "text": "Hello?", "correct_answer": "привет",
        "feedback_correct": "Yes", "feedback_incorrect": "No"})"))
                    .issues.empty());
    EXPECT_TRUE(report_of(json::parse(R"({"type": "input", "input_type": "sequence", "text": "Order?",
        "correct_answer": "3 1 6 2 4 5", "parse_mode": "HTML"})"))
                    .issues.empty());
    // test_all_elements.yml: thanks for any reply, nothing to compare.
    EXPECT_TRUE(
        report_of(json::parse(R"({"type": "input", "text": "Anything", "feedback_correct": "Thanks"})"))
            .issues.empty());
}

TEST(InputValidate, ReportsEveryBadField) {
    const KeptReport report = report_of(json::parse(R"({"type": "input", "correct_answer": ["a"],
        "input_type": "choice", "validate": "regex:(unclosed", "invalid_text": 5})"));
    EXPECT_THAT(report.errors(),
                ElementsAre("text: 'text' is required",
                            "correct_answer: 'correct_answer' must be text, not '[\"a\"]'",
                            "input_type: 'input_type' must be text or sequence, not 'choice'",
                            ::testing::StartsWith("validate: 'validate' must be email, phone, "
                                                  "number or regex:<expression>: the regular "
                                                  "expression does not compile: ")));
}

TEST(InputValidate, SequenceNeedsDigits) {
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "input", "text": "Order?", "input_type": "sequence",
        "correct_answer": "one two"})"))
            .errors(),
        ElementsAre("correct_answer: 'correct_answer' has no digits, but input_type sequence compares "
                    "only the digits"));
}

TEST(InputValidate, WarnsAboutTextsThatAreNeverSent) {
    EXPECT_THAT(report_of(json::parse(R"({"type": "input", "text": "Say", "feedback_incorrect": "No",
        "invalid_text": "Bad"})"))
                    .warnings(),
                ElementsAre("feedback_incorrect: 'feedback_incorrect' is never sent without 'correct_answer'",
                            "invalid_text: 'invalid_text' is never sent without 'validate'"));
}

TEST(InputValidate, UnknownValidateFormat) {
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "input", "text": "Mail?", "validate": "mail"})")).errors(),
        ElementsAre("validate: 'validate' must be email, phone, number or regex:<expression>: not one of "
                    "email, phone, number, regex:<expression>"));
}

TEST(InputElement, IsGraded) {
    EXPECT_TRUE(InputElement().graded());
}

TEST(InputValidate, HugeRegexIsReported) {
    EXPECT_THAT(
        report_of(json{{"type", "input"}, {"text", "?"}, {"validate", "regex:" + std::string(5000, '(')}})
            .errors(),
        ElementsAre("validate: 'validate' must be email, phone, number or regex:<expression>: the regular "
                    "expression is longer than 1000 characters"));
}

TEST(InputRun, AsksAfterItsMediaAndWaitsForText) {
    Asked run(json::parse(R"({"type": "input", "text": "Capital of *France*?", "media": ["https://x/map.png"],
        "correct_answer": "Paris"})"));
    EXPECT_EQ(run.entered.kind, Outcome::Kind::wait);
    ASSERT_EQ(run.ctx.sent.size(), 2u);
    EXPECT_EQ(run.ctx.sent[0].kind, OutAction::Kind::media);
    EXPECT_EQ(run.ctx.sent[1].text, "Capital of *France*?");
    EXPECT_EQ(run.ctx.sent[1].parse_mode, "MARKDOWN");

    Event press;
    press.kind = Event::Kind::button;
    press.index = 0;
    EXPECT_EQ(run.input.on_event(run.ctx, press).kind, Outcome::Kind::ignored);
    EXPECT_TRUE(run.ctx.records.empty());
}

TEST(InputRun, GradesTheReplyAndSendsTheMatchingFeedback) {
    const json spec = json::parse(R"({"type": "input", "text": "Street?", "correct_answer": "Straße",
        "feedback_correct": "Richtig", "feedback_incorrect": "Falsch", "parse_mode": "HTML"})");
    Asked right(spec);
    EXPECT_EQ(right.reply("\u00A0STRASSE\u00A0").kind, Outcome::Kind::next);
    ASSERT_EQ(right.ctx.records.size(), 1u);
    EXPECT_EQ(right.ctx.records[0]["role"], "user");
    EXPECT_EQ(right.ctx.records[0]["payload"], (json{{"text", "\u00A0STRASSE\u00A0"}, {"correct", true}}));
    EXPECT_EQ(right.ctx.records[0]["score"], 1.0);
    EXPECT_EQ(right.ctx.records[0]["maxscore"], 1.0);
    EXPECT_THAT(right.ctx.texts(), ElementsAre("Street?", "Richtig"));
    EXPECT_EQ(right.ctx.sent.back().parse_mode, "HTML");

    Asked wrong(spec);
    EXPECT_EQ(wrong.reply("Strase").kind, Outcome::Kind::next);
    EXPECT_EQ(wrong.ctx.records.at(0)["payload"], (json{{"text", "Strase"}, {"correct", false}}));
    EXPECT_EQ(wrong.ctx.records.at(0)["score"], 0.0);
    EXPECT_EQ(wrong.ctx.records.at(0)["maxscore"], 1.0);
    EXPECT_THAT(wrong.ctx.texts(), ElementsAre("Street?", "Falsch"));
}

TEST(InputRun, SequenceGradesTheDigits) {
    Asked run(
        json{{"type", "input"}, {"text", "Order?"}, {"input_type", "sequence"}, {"correct_answer", "3 1 2"}});
    EXPECT_EQ(run.reply("ответ: 3, 1, 2").kind, Outcome::Kind::next);
    EXPECT_EQ(run.ctx.records.at(0)["score"], 1.0);
    EXPECT_THAT(run.ctx.texts(), ElementsAre("Order?"));  // no feedback written
}

TEST(InputRun, WithoutAnAnswerAnyReplyIsThankedUngraded) {
    Asked run(json{{"type", "input"}, {"text", "Anything?"}, {"feedback_correct", "Thanks"}});
    EXPECT_EQ(run.reply("whatever").kind, Outcome::Kind::next);
    ASSERT_EQ(run.ctx.records.size(), 1u);
    EXPECT_EQ(run.ctx.records[0]["payload"], (json{{"text", "whatever"}}));
    EXPECT_EQ(run.ctx.records[0]["score"], -1);  // none given
    EXPECT_THAT(run.ctx.texts(), ElementsAre("Anything?", "Thanks"));
}

TEST(InputRun, InvalidRepliesAreRecordedAnsweredAndRetried) {
    Asked run(json{{"type", "input"},
                   {"text", "Your e-mail?"},
                   {"validate", "email"},
                   {"invalid_text", "That is not an e-mail address"},
                   {"correct_answer", "anna@example.org"}});
    EXPECT_EQ(run.reply("anna").kind, Outcome::Kind::wait);
    EXPECT_EQ(run.reply("anna at example.org").kind, Outcome::Kind::wait);
    EXPECT_EQ(run.reply(" ANNA@example.org ").kind, Outcome::Kind::next);
    ASSERT_EQ(run.ctx.records.size(), 3u);
    EXPECT_EQ(run.ctx.records[0]["payload"], (json{{"text", "anna"}, {"valid", false}}));
    EXPECT_EQ(run.ctx.records[0]["score"], -1);
    EXPECT_EQ(run.ctx.records[1]["payload"], (json{{"text", "anna at example.org"}, {"valid", false}}));
    EXPECT_EQ(run.ctx.records[2]["payload"], (json{{"text", " ANNA@example.org "}, {"correct", true}}));
    EXPECT_EQ(run.ctx.records[2]["score"], 1.0);
    EXPECT_THAT(run.ctx.texts(), ElementsAre("Your e-mail?", "That is not an e-mail address",
                                             "That is not an e-mail address"));
}

TEST(InputRun, InvalidTextFallsBackToTheSettingThenTheDefault) {
    const json spec = {{"type", "input"}, {"text", "How many?"}, {"validate", "number"}};
    Asked configured(spec, {{"invalid_text", "Digits, please"}});
    EXPECT_EQ(configured.reply("many").kind, Outcome::Kind::wait);
    EXPECT_THAT(configured.ctx.texts(), ElementsAre("How many?", "Digits, please"));

    Asked plain(spec);
    EXPECT_EQ(plain.reply("many").kind, Outcome::Kind::wait);
    EXPECT_EQ(plain.reply("-2,5").kind, Outcome::Kind::next);
    EXPECT_THAT(plain.ctx.texts(), ElementsAre("How many?", "That does not look right. Please try again."));
}

TEST(InputRun, HundredThousandCharacterRepliesAreHandled) {
    const std::string huge(100000, 'a');
    Asked pattern(json{{"type", "input"}, {"text", "Say it"}, {"validate", "regex:(a|b)+c"}});
    EXPECT_EQ(pattern.reply(huge).kind, Outcome::Kind::wait);
    EXPECT_EQ(pattern.ctx.records.at(0)["payload"]["valid"], false);
    EXPECT_EQ(pattern.reply("abc").kind, Outcome::Kind::next);

    Asked graded(
        json{{"type", "input"}, {"text", "Say it"}, {"validate", "regex:[a-z]+"}, {"correct_answer", "a"}});
    EXPECT_EQ(graded.reply(huge).kind, Outcome::Kind::next);
    EXPECT_EQ(graded.ctx.records.at(0)["payload"]["correct"], false);
}
