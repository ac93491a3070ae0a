#include "end_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::EndElement;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
using profo::elements::testing::validated;
using profo::sdk::Outcome;
using ::testing::ElementsAre;

TEST(EndValidate, TextIsOptionalButMustBeText) {
    EXPECT_TRUE(validated<EndElement>(json{{"type", "end"}}).issues.empty());
    EXPECT_TRUE(validated<EndElement>(json{{"type", "end"}, {"text", "Bye"}}).issues.empty());
    EXPECT_THAT(validated<EndElement>(json{{"type", "end"}, {"text", json::object()}}).errors(),
                ElementsAre("text: 'text' must be text, not '{}'"));
    EXPECT_THAT(
        validated<EndElement>(json{{"type", "end"}, {"parse_mode", "RTF"}}).errors(),
        ElementsAre("parse_mode: 'parse_mode' must be HTML, HTML!, MARKDOWN or MarkdownV2, not 'RTF'"));
}

TEST(EndSchema, NothingRequiredButType) {
    EXPECT_EQ(EndElement().json_schema()["required"], json({"type"}));
}

TEST(EndRun, SendsTheTextAndEndsTheRun) {
    const json spec = {
        {"type", "end"}, {"text", "<b>Bye</b>"}, {"parse_mode", "HTML!"}, {"link_preview", false}};
    EndElement end;
    FakeElementContext ctx("Bye", compiled(end, spec), spec);
    EXPECT_EQ(end.enter(ctx).kind, Outcome::Kind::end);
    EXPECT_THAT(ctx.texts(), ElementsAre("<b>Bye</b>"));
    EXPECT_EQ(ctx.sent.at(0).parse_mode, "HTML");
    EXPECT_FALSE(ctx.sent.at(0).link_preview);
    EXPECT_TRUE(ctx.records.empty());
}

TEST(EndRun, WithoutTextOrWithBlankTextJustEnds) {
    EndElement end;
    for (const json& spec : {json{{"type", "end"}}, json{{"type", "end"}, {"text", " \n "}}}) {
        FakeElementContext ctx("Bye", compiled(end, spec), spec);
        EXPECT_EQ(end.enter(ctx).kind, Outcome::Kind::end);
        EXPECT_TRUE(ctx.sent.empty());
    }
}
