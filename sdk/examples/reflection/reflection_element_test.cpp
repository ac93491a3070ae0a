#include "reflection_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
using profo::elements::testing::validated;
using profo::examples::ReflectionElement;
using profo::sdk::Event;
using profo::sdk::Outcome;
using ::testing::ElementsAre;

namespace {

Event typed(std::string text) {
    Event e;
    e.kind = Event::Kind::text;
    e.text = std::move(text);
    return e;
}

}  // namespace

TEST(ReflectionCompile, ReportsEveryBadField) {
    EXPECT_TRUE(validated<ReflectionElement>(json{{"text", "Why?"}, {"reply", "{answer}"}, {"min_length", 3}})
                    .issues.empty());
    EXPECT_THAT(validated<ReflectionElement>(json{{"text", ""}, {"reply", 5}, {"min_length", 0}}).errors(),
                ElementsAre("text: is required: the question to ask", "reply: must be text",
                            "min_length: must be a whole number of at least 1"));
    EXPECT_THAT(validated<ReflectionElement>(json::array()).errors(),
                ElementsAre(": must be a mapping of fields"));
}

TEST(ReflectionRun, AsksForMoreThenQuotesTheAnswer) {
    const json spec = {{"text", "Why Greek?"}, {"reply", "Great reason: {answer}"}, {"min_length", 10}};
    ReflectionElement element;
    FakeElementContext ctx("Why", compiled(element, spec), spec);
    EXPECT_EQ(element.enter(ctx).kind, Outcome::Kind::wait);
    EXPECT_EQ(element.on_event(ctx, typed("Crete")).kind, Outcome::Kind::wait);
    EXPECT_TRUE(ctx.records.empty());
    // Ten characters, twenty bytes: the length is counted as Telegram counts it.
    EXPECT_EQ(element.on_event(ctx, typed("Καλημέρα!!")).kind, Outcome::Kind::next);
    EXPECT_THAT(ctx.texts(), ElementsAre("Why Greek?", "Please write a little more (at least 10 characters).",
                                         "Great reason: Καλημέρα!!"));
    ASSERT_EQ(ctx.records.size(), 1u);
    EXPECT_EQ(ctx.records[0]["payload"], (json{{"text", "Καλημέρα!!"}}));
}

TEST(ReflectionRun, WithoutReplyRecordsTheAnswerAndMovesOn) {
    const json spec = {{"text", "Why?"}};
    ReflectionElement element;
    FakeElementContext ctx("Why", compiled(element, spec), spec);
    element.enter(ctx);
    Event press;
    press.kind = Event::Kind::button;
    press.index = 0;
    EXPECT_EQ(element.on_event(ctx, press).kind, Outcome::Kind::ignored);
    EXPECT_EQ(element.on_event(ctx, typed("")).kind, Outcome::Kind::wait);  // shorter than the default 1
    EXPECT_EQ(element.on_event(ctx, typed("Because")).kind, Outcome::Kind::next);
    EXPECT_THAT(ctx.texts(), ElementsAre("Why?", "Please write a little more (at least 1 characters)."));
    ASSERT_EQ(ctx.records.size(), 1u);
    EXPECT_EQ(ctx.records[0]["payload"], (json{{"text", "Because"}}));
}
