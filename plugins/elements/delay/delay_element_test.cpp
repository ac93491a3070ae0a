#include "delay_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::DelayElement;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using profo::sdk::Event;
using profo::sdk::Outcome;
using profo::sdk::TimePoint;
using ::testing::ElementsAre;
using namespace std::chrono_literals;

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

TEST(DelayValidate, WaitAndGotoGoTogether) {
    EXPECT_THAT(report_of(json{{"type", "delay"}, {"text", "Wait"}, {"wait", "30s"}}).errors(),
                ElementsAre("goto: 'goto' is required"));
    EXPECT_THAT(report_of(json{{"type", "delay"}, {"text", "Wait"}, {"goto", "After"}}).errors(),
                ElementsAre("wait: 'wait' is required"));
}

// Real legacy courses have delays with neither: the legacy bot sent the text
// and the run stayed there. Accepted with a warning saying so.
TEST(DelayValidate, NeitherWaitNorGotoIsTheLegacyStopWithAWarning) {
    const auto report = report_of(json{{"type", "delay"}, {"text", "See you"}});
    EXPECT_TRUE(report.errors().empty());
    ASSERT_EQ(report.warnings().size(), 1u);
    EXPECT_THAT(report.warnings()[0], ::testing::HasSubstr("neither wait nor goto"));
    EXPECT_THAT(report.warnings()[0], ::testing::HasSubstr("stays here for good"));
    EXPECT_THAT(report_of(json{{"type", "delay"}, {"text", {{"a", 1}}}}).errors(), ::testing::SizeIs(1));
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

TEST(DelaySchema, WaitAndGotoComeTogetherOrNotAtAll) {
    const auto schema = DelayElement().json_schema();
    EXPECT_EQ(schema["required"], json({"type"}));
    EXPECT_EQ(schema["dependentRequired"], json({{"wait", {"goto"}}, {"goto", {"wait"}}}));
}

namespace {

struct Delayed {
    Delayed(const json& spec, json settings, TimePoint now)
        : ctx("Pause", compiled(delay, spec, {"After"}), spec) {
        ctx.settings_ = std::move(settings);
        ctx.now_ = now;
        outcome = delay.enter(ctx);
    }
    DelayElement delay;
    FakeElementContext ctx;
    Outcome outcome;
};

}  // namespace

TEST(DelayRun, SendsTextSchedulesTheWaitAndGoesOnWhenItFires) {
    Delayed run(
        json{{"type", "delay"}, {"text", "Back in *90* minutes"}, {"wait", "1h:30m"}, {"goto", "After"}},
        json::object(), TimePoint(10h));
    EXPECT_EQ(run.outcome.kind, Outcome::Kind::wait);
    EXPECT_THAT(run.ctx.texts(), ElementsAre("Back in *90* minutes"));
    EXPECT_EQ(run.ctx.sent[0].parse_mode, "MARKDOWN");
    ASSERT_EQ(run.ctx.timers.size(), 1u);
    EXPECT_EQ(run.ctx.timers[0].first, TimePoint(11h + 30min));

    Event typed;
    typed.kind = Event::Kind::text;
    typed.text = "are we there yet?";
    EXPECT_EQ(run.delay.on_event(run.ctx, typed).kind, Outcome::Kind::ignored);

    Event fired;
    fired.kind = Event::Kind::timer;
    fired.data = run.ctx.timers[0].second.dump();
    const Outcome after = run.delay.on_event(run.ctx, fired);
    EXPECT_EQ(after.kind, Outcome::Kind::go_to);
    EXPECT_EQ(after.target, "After");
    EXPECT_TRUE(run.ctx.records.empty());
}

TEST(DelayRun, WithoutTextSendsNothing) {
    Delayed run(json{{"type", "delay"}, {"wait", "30s"}, {"goto", "After"}}, json::object(), TimePoint(10h));
    EXPECT_TRUE(run.ctx.sent.empty());
    ASSERT_EQ(run.ctx.timers.size(), 1u);
    EXPECT_EQ(run.ctx.timers[0].first, TimePoint(10h + 30s));
}

TEST(DelayRun, DueTimeInsideQuietHoursMovesToTheirEnd) {
    const json spec = {{"type", "delay"}, {"wait", "2h"}, {"goto", "After"}};
    const json quiet = {{"quiet_hours", "22:00-08:00"}, {"utc_offset", "-05:00"}};
    // 20:00 UTC is 15:00 local: due at 17:00 local, outside the night.
    EXPECT_EQ(Delayed(spec, quiet, TimePoint(20h)).ctx.timers.at(0).first, TimePoint(22h));
    // 02:00 UTC is 21:00 local the day before: due at 23:00 local, moved to 08:00 local (13:00 UTC).
    EXPECT_EQ(Delayed(spec, quiet, TimePoint(24h + 2h)).ctx.timers.at(0).first, TimePoint(24h + 13h));
    // Malformed settings are logged and the due time is kept.
    Delayed broken(spec, {{"quiet_hours", "late"}}, TimePoint(24h + 2h));
    EXPECT_EQ(broken.ctx.timers.at(0).first, TimePoint(24h + 4h));
    EXPECT_THAT(broken.ctx.log_.lines, ElementsAre(::testing::StartsWith("quiet hours ignored: ")));
}

TEST(DelayRun, TheLegacyStopSendsItsTextAndStaysForGood) {
    Delayed run(json{{"type", "delay"}, {"text", "The end of the free part"}}, json::object(),
                TimePoint(10h));
    EXPECT_EQ(run.outcome.kind, Outcome::Kind::wait);
    EXPECT_THAT(run.ctx.texts(), ElementsAre("The end of the free part"));
    EXPECT_TRUE(run.ctx.timers.empty());
    Event typed;
    typed.kind = Event::Kind::text;
    typed.text = "hello?";
    EXPECT_EQ(run.delay.on_event(run.ctx, typed).kind, Outcome::Kind::ignored);
    Event fired;  // a timer of an earlier version of the course, say
    fired.kind = Event::Kind::timer;
    EXPECT_EQ(run.delay.on_event(run.ctx, fired).kind, Outcome::Kind::ignored);
}
