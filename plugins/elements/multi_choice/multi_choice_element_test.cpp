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

TEST(MultiChoiceValidate, NeedsACorrectAnswer) {
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "multi_choice", "text": "Q", "answers": [
        {"text": "A", "correct": "no"}, {"text": "B"}], "feedback_partial": {"x": 1}})"))
            .errors(),
        ElementsAre("answers: a multi_choice needs at least one answer with 'correct: yes' (none has it)",
                    "feedback_partial: 'feedback_partial' must be text, not '{\"x\":1}'"));
}

TEST(MultiChoiceSchema, HasSummaryFeedbacks) {
    EXPECT_THAT(MultiChoiceElement().fields(),
                ElementsAre("answers", "feedback_correct", "feedback_incorrect", "feedback_partial",
                            "link_preview", "media", "parse_mode", "text"));
    EXPECT_TRUE(MultiChoiceElement().graded());
}
