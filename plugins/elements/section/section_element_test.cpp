#include "section_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::SectionElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::ListedOutline;
using ::testing::ElementsAre;

TEST(SectionValidate, TitleRequired) {
    KeptReport report;
    SectionElement().validate(json{{"type", "section"}, {"title", "Введение"}}, ListedOutline({}), report);
    EXPECT_TRUE(report.issues.empty());
    SectionElement().validate(json{{"type", "section"}}, ListedOutline({}), report);
    EXPECT_THAT(report.errors(), ElementsAre("title: 'title' is required"));
}

TEST(SectionSchema, OnlyTitle) {
    EXPECT_THAT(SectionElement().fields(), ElementsAre("title"));
}
