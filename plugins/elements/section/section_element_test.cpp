#include "section_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::SectionElement;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

TEST(SectionValidate, TitleRequired) {
    EXPECT_TRUE(validated<SectionElement>(json{{"type", "section"}, {"title", "Введение"}}).issues.empty());
    EXPECT_THAT(validated<SectionElement>(json{{"type", "section"}}).errors(),
                ElementsAre("title: 'title' is required"));
    EXPECT_THAT(validated<SectionElement>(json::array()).errors(),
                ElementsAre(": an element must be a mapping of fields, not '[]'"));
}

TEST(SectionSchema, OnlyTitle) {
    EXPECT_THAT(SectionElement().fields(), ElementsAre("title"));
}

TEST(SectionRun, EnteringContinuesAtOnce) {
    const json spec = {{"type", "section"}, {"title", "Part 2"}};
    SectionElement section;
    FakeElementContext ctx("Part_2", compiled(section, spec), spec);
    EXPECT_EQ(section.enter(ctx).kind, profo::sdk::Outcome::Kind::next);
    EXPECT_TRUE(ctx.sent.empty());
}
