#include "end_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::EndElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::ListedOutline;
using ::testing::ElementsAre;

TEST(EndValidate, TextIsOptionalButMustBeText) {
    KeptReport report;
    EndElement().validate(json{{"type", "end"}}, ListedOutline({}), report);
    EndElement().validate(json{{"type", "end"}, {"text", "Bye"}}, ListedOutline({}), report);
    EXPECT_TRUE(report.issues.empty());
    EndElement().validate(json{{"type", "end"}, {"text", json::object()}}, ListedOutline({}), report);
    EXPECT_THAT(report.errors(), ElementsAre("text: 'text' must be text, not '{}'"));
}

TEST(EndSchema, NothingRequiredButType) {
    EXPECT_EQ(EndElement().json_schema()["required"], json({"type"}));
}
