#include "input_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::InputElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<InputElement>(spec);
}

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
