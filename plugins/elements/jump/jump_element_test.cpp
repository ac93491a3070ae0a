#include "jump_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::JumpElement;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using profo::sdk::Event;
using profo::sdk::OutAction;
using profo::sdk::Outcome;
using profo::sdk::TimePoint;
using ::testing::ElementsAre;
using namespace std::chrono_literals;

namespace {

KeptReport report_of(const json& spec) {
    return validated<JumpElement>(spec, {"Final_Message", "Course_intro_02"});
}

Event press(int index) {
    Event e;
    e.kind = Event::Kind::button;
    e.index = index;
    return e;
}

Event timer(const json& payload) {
    Event e;
    e.kind = Event::Kind::timer;
    e.data = payload.dump();
    return e;
}

const json kContinue = json::parse(R"({"type": "jump", "text": "Continue?", "media": ["https://x/a.png"],
    "options": [{"text": "Yes"}, {"text": "Tomorrow", "wait": "1d", "wait_text": "Tomorrow then"},
    {"text": "In an hour", "wait": "1h", "goto": "Final_Message"}, {"text": "Stop", "goto": "Final_Message"}]})");

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

TEST(JumpRun, SendsMediaThenOneButtonPerOptionAndWaits) {
    JumpElement jump;
    FakeElementContext ctx("Ask", compiled(jump, kContinue, {"Final_Message"}), kContinue);
    EXPECT_EQ(jump.enter(ctx).kind, Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 2u);
    EXPECT_EQ(ctx.sent[0].kind, OutAction::Kind::media);
    EXPECT_EQ(ctx.sent[1].text, "Continue?");
    std::vector<std::string> labels;
    for (const auto& b : ctx.sent[1].buttons) labels.push_back(b.text);
    EXPECT_THAT(labels, ElementsAre("Yes", "Tomorrow", "In an hour", "Stop"));

    Event typed;
    typed.kind = Event::Kind::text;
    typed.text = "Yes";
    EXPECT_EQ(jump.on_event(ctx, typed).kind, Outcome::Kind::ignored);
    EXPECT_EQ(jump.on_event(ctx, press(4)).kind, Outcome::Kind::ignored);
    EXPECT_TRUE(ctx.records.empty());

    EXPECT_EQ(jump.on_event(ctx, press(0)).kind, Outcome::Kind::next);
    const Outcome stop = jump.on_event(ctx, press(3));
    EXPECT_EQ(stop.kind, Outcome::Kind::go_to);
    EXPECT_EQ(stop.target, "Final_Message");
    ASSERT_EQ(ctx.records.size(), 2u);
    EXPECT_EQ(ctx.records[1]["payload"], (json{{"button", 3}, {"text", "Stop"}}));
}

TEST(JumpRun, WaitingOptionSchedulesOutsideQuietHoursThenContinues) {
    JumpElement jump;
    FakeElementContext ctx("Ask", compiled(jump, kContinue, {"Final_Message"}), kContinue);
    ctx.settings_ = {{"quiet_hours", "22:00-08:00"}, {"utc_offset", "+03:00"}};
    ctx.now_ = TimePoint(18h + 30min);  // 21:30 for the students
    jump.enter(ctx);

    // Due at 22:30 local: moved to 08:00 local the next morning (05:00 UTC).
    EXPECT_EQ(jump.on_event(ctx, press(2)).kind, Outcome::Kind::wait);
    ASSERT_EQ(ctx.timers.size(), 1u);
    EXPECT_EQ(ctx.timers[0].first, TimePoint(24h + 5h));
    EXPECT_EQ(ctx.timers[0].second, (json{{"option", 2}}));
    EXPECT_THAT(ctx.texts(), ElementsAre("Continue?"));  // no wait_text to send

    // The day-long wait ends at 21:30 local the next day, outside the quiet hours.
    EXPECT_EQ(jump.on_event(ctx, press(1)).kind, Outcome::Kind::wait);
    ASSERT_EQ(ctx.timers.size(), 2u);
    EXPECT_EQ(ctx.timers[1].first, ctx.now_ + 24h);
    EXPECT_THAT(ctx.texts(), ElementsAre("Continue?", "Tomorrow then"));

    const Outcome after_hour = jump.on_event(ctx, timer(ctx.timers[0].second));
    EXPECT_EQ(after_hour.kind, Outcome::Kind::go_to);
    EXPECT_EQ(after_hour.target, "Final_Message");
    EXPECT_EQ(jump.on_event(ctx, timer(ctx.timers[1].second)).kind, Outcome::Kind::next);
    // A timer that no waiting option started is not ours to act on.
    EXPECT_EQ(jump.on_event(ctx, timer({{"option", 3}})).kind, Outcome::Kind::ignored);
    EXPECT_EQ(jump.on_event(ctx, timer("garbage")).kind, Outcome::Kind::ignored);
}
