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
