#include "jump_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::JumpElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<JumpElement>(spec, {"Final_Message", "Course_intro_02"});
}

}  // namespace

TEST(JumpValidate, LegacyShapesAreValid) {
    EXPECT_TRUE(report_of(json::parse(R"({"type": "jump", "text": "Continue?", "options": [{"text": "Yes"},
        {"text": "Tomorrow", "wait": "1d", "wait_text": "Tomorrow then"}, {"text": "Stop", "goto": "Final_Message"}]})"))
                    .issues.empty());
    EXPECT_TRUE(report_of(json::parse(R"({"type": "jump", "text": "More?", "options": [
        {"text": "Enough", "goto": "Course_intro_02"}, {"text": "More!"}]})"))
                    .issues.empty());
}

TEST(JumpValidate, TextAndOptionsRequired) {
    EXPECT_THAT(report_of(json{{"type", "jump"}}).errors(),
                ElementsAre("text: 'text' is required", "options: 'options' is required"));
}

TEST(JumpValidate, GotoTargetsAndDurationsAreChecked) {
    EXPECT_THAT(
        report_of(json::parse(R"({"type": "jump", "text": "?", "options": [{"text": "A", "goto": "Nope"},
        {"text": "B", "wait": "1 day"}]})"))
            .errors(),
        ElementsAre("options[0].goto: 'options[0].goto' goes to 'Nope', which is not an element of this "
                    "course",
                    "options[1].wait: 'options[1].wait' must be a duration such as 30s, 2m, 1h:30m or "
                    "1d:2h:3m:4s, not '1 day'"));
}

TEST(JumpSchema, OptionsDescribeGotoAndWait) {
    const json items = JumpElement().json_schema()["properties"]["options"]["items"];
    EXPECT_TRUE(items["properties"].contains("goto"));
    EXPECT_TRUE(items["properties"].contains("wait"));
    EXPECT_TRUE(items["properties"].contains("wait_text"));
}
