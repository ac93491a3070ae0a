#include "delay_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::DelayElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<DelayElement>(spec, {"After"});
}

}  // namespace

TEST(DelayValidate, LegacyShapeIsValid) {
    EXPECT_TRUE(report_of(json{{"type", "delay"}, {"text", "Wait"}, {"wait", "30s"}, {"goto", "After"}})
                    .issues.empty());
    EXPECT_TRUE(report_of(json{{"type", "delay"}, {"wait", "1d:12h"}, {"goto", "After"}}).issues.empty());
}

TEST(DelayValidate, WaitAndGotoRequired) {
    EXPECT_THAT(report_of(json{{"type", "delay"}, {"text", "Wait"}}).errors(),
                ElementsAre("wait: 'wait' is required", "goto: 'goto' is required"));
}

TEST(DelayValidate, BadDurationAndMissingTarget) {
    EXPECT_THAT(
        report_of(json{{"type", "delay"}, {"wait", "30 seconds"}, {"goto", "Before"}}).errors(),
        ElementsAre(
            "wait: 'wait' must be a duration such as 30s, 2m, 1h:30m or 1d:2h:3m:4s, not '30 seconds'",
            "goto: 'goto' goes to 'Before', which is not an element of this course"));
    EXPECT_THAT(
        report_of(json{{"type", "delay"}, {"wait", 30}, {"goto", "After"}}).errors(),
        ElementsAre("wait: 'wait' must be a duration such as 30s, 2m, 1h:30m or 1d:2h:3m:4s, not '30'"));
}

TEST(DelaySchema, RequiresWaitAndGoto) {
    EXPECT_EQ(DelayElement().json_schema()["required"], json({"type", "wait", "goto"}));
}
