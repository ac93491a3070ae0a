#include "message_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::MessageElement;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
using profo::elements::testing::validated;
using profo::sdk::Event;
using profo::sdk::OutAction;
using profo::sdk::Outcome;
using ::testing::ElementsAre;

namespace {

std::vector<std::string> errors_of(const json& spec) {
    return validated<MessageElement>(spec, {"Final_Message"}).errors();
}

// The element entered in a course where Final_Message follows it.
struct Entered {
    explicit Entered(const json& spec)
        : ctx("Hello", compiled(element, spec, {"Final_Message"}), spec), outcome(element.enter(ctx)) {}
    MessageElement element;
    FakeElementContext ctx;
    Outcome outcome;
};

Event press(int index) {
    Event e;
    e.kind = Event::Kind::button;
    e.index = index;
    return e;
}

Event typed(std::string text) {
    Event e;
    e.kind = Event::Kind::text;
    e.text = std::move(text);
    return e;
}

std::vector<std::string> labels_of(const OutAction& action) {
    std::vector<std::string> out;
    for (const auto& b : action.buttons) out.push_back(b.text);
    return out;
}

}  // namespace

TEST(MessageValidate, LegacyShapesAreValid) {
    // course_example.yml: options without goto and with one; media that are not URLs yet.
    EXPECT_TRUE(errors_of(json::parse(R"({"type": "message", "text": "Hi", "media": ["http", "asd"],
        "options": [{"text": "Start"}, {"text": "Examples", "goto": "Final_Message"}]})"))
                    .empty());
    // test_messages.yml: an option that waits a day without wait_text.
    EXPECT_TRUE(errors_of(json::parse(R"({"type": "message", "text": "More?", "options": [{"text": "Yes"},
        {"text": "Tomorrow", "wait": "1d"}]})"))
                    .empty());
    EXPECT_TRUE(errors_of(json::parse(R"({"type": "message", "parse_mode": "HTML", "text": "<b>x</b>",
        "button": "Next", "link_preview": false})"))
                    .empty());
}

TEST(MessageValidate, TextIsRequired) {
    EXPECT_THAT(errors_of(json{{"type", "message"}, {"button", "Go"}}),
                ElementsAre("text: 'text' is required"));
    EXPECT_THAT(errors_of(json{{"type", "message"}, {"text", nullptr}}),
                ElementsAre("text: 'text' is required"));
}

TEST(MessageValidate, ReportsBadButtonOptionsAndCommonFields) {
    EXPECT_THAT(
        errors_of(json::parse(R"({"type": "message", "text": "Hi", "button": {"label": "x"},
        "options": [{"text": "A", "goto": "Missing"}], "media": "one.png"})")),
        ElementsAre("button: 'button' must be text, not '{\"label\":\"x\"}'",
                    "options[0].goto: 'options[0].goto' goes to 'Missing', which is not an element of "
                    "this course",
                    "options: 'button' and 'options' cannot both be given: use one button or a list of "
                    "options",
                    "media: 'media' must be a list of URLs, not 'one.png'"));
}

TEST(MessageValidate, HostileSpecsAreReported) {
    EXPECT_THAT(errors_of(nullptr), ElementsAre(": an element must be a mapping of fields, not 'null'"));
    EXPECT_THAT(errors_of(json::array({1, 2})),
                ElementsAre(": an element must be a mapping of fields, not '[1,2]'"));
    EXPECT_THAT(errors_of(json{{"text", std::string(100000, 'x')}, {"options", 7}}),
                ElementsAre("options: 'options' must be a list of 1 to 100 options, each with a 'text'"));
}

TEST(MessageSchema, DescribesEveryField) {
    const json schema = MessageElement().json_schema();
    EXPECT_EQ(schema["properties"]["type"]["const"], "message");
    EXPECT_EQ(schema["required"], json({"type", "text"}));
    EXPECT_THAT(MessageElement().fields(),
                ElementsAre("button", "link_preview", "media", "options", "parse_mode", "text"));
}

TEST(MessageRun, WithoutButtonsSendsMediaThenTextAndContinues) {
    Entered run(json::parse(R"({"type": "message", "text": "<b>Hi</b>", "parse_mode": "html",
        "link_preview": "no", "media": ["https://x/a.png", "https://x/b.png"]})"));
    EXPECT_EQ(run.outcome.kind, Outcome::Kind::next);
    ASSERT_EQ(run.ctx.sent.size(), 2u);
    EXPECT_EQ(run.ctx.sent[0].kind, OutAction::Kind::media);
    EXPECT_THAT(run.ctx.sent[0].media, ElementsAre("https://x/a.png", "https://x/b.png"));
    EXPECT_EQ(run.ctx.sent[1].kind, OutAction::Kind::text);
    EXPECT_EQ(run.ctx.sent[1].text, "<b>Hi</b>");
    EXPECT_EQ(run.ctx.sent[1].parse_mode, "HTML");
    EXPECT_FALSE(run.ctx.sent[1].link_preview);
    EXPECT_TRUE(run.ctx.sent[1].buttons.empty());
}

TEST(MessageRun, ButtonWaitsForItsPressAndRecordsIt) {
    Entered run(json{{"type", "message"}, {"text", "Ready?"}, {"button", "Next"}});
    EXPECT_EQ(run.outcome.kind, Outcome::Kind::wait);
    ASSERT_EQ(run.ctx.sent.size(), 1u);
    EXPECT_EQ(run.ctx.sent[0].parse_mode, "MARKDOWN");
    EXPECT_THAT(labels_of(run.ctx.sent[0]), ElementsAre("Next"));

    EXPECT_EQ(run.element.on_event(run.ctx, typed("Next")).kind, Outcome::Kind::ignored);
    EXPECT_EQ(run.element.on_event(run.ctx, press(1)).kind, Outcome::Kind::ignored);
    EXPECT_TRUE(run.ctx.records.empty());

    EXPECT_EQ(run.element.on_event(run.ctx, press(0)).kind, Outcome::Kind::next);
    ASSERT_EQ(run.ctx.records.size(), 1u);
    EXPECT_EQ(run.ctx.records[0]["role"], "user");
    EXPECT_EQ(run.ctx.records[0]["payload"], (json{{"button", 0}, {"text", "Next"}}));
}

TEST(MessageRun, OptionsGoToWaitOrContinue) {
    const json spec = json::parse(R"({"type": "message", "text": "More?", "options": [
        {"text": "Stop", "goto": "Final_Message"}, {"text": "Later", "wait": "1h", "wait_text": "See you"},
        {"text": "Go on"}]})");
    Entered run(spec);
    EXPECT_EQ(run.outcome.kind, Outcome::Kind::wait);
    ASSERT_EQ(run.ctx.sent.size(), 1u);
    EXPECT_THAT(labels_of(run.ctx.sent[0]), ElementsAre("Stop", "Later", "Go on"));

    const Outcome stop = run.element.on_event(run.ctx, press(0));
    EXPECT_EQ(stop.kind, Outcome::Kind::go_to);
    EXPECT_EQ(stop.target, "Final_Message");
    EXPECT_EQ(run.element.on_event(run.ctx, press(2)).kind, Outcome::Kind::next);
    EXPECT_EQ(run.element.on_event(run.ctx, press(3)).kind, Outcome::Kind::ignored);

    run.ctx.now_ = profo::sdk::TimePoint(std::chrono::hours(12));
    EXPECT_EQ(run.element.on_event(run.ctx, press(1)).kind, Outcome::Kind::wait);
    EXPECT_THAT(run.ctx.texts(), ElementsAre("More?", "See you"));
    ASSERT_EQ(run.ctx.timers.size(), 1u);
    EXPECT_EQ(run.ctx.timers[0].first, run.ctx.now_ + std::chrono::hours(1));
    EXPECT_EQ(run.ctx.timers[0].second, (json{{"option", 1}}));
    EXPECT_EQ(run.ctx.records.size(), 3u);

    Event timer;
    timer.kind = Event::Kind::timer;
    timer.data = run.ctx.timers[0].second.dump();
    EXPECT_EQ(run.element.on_event(run.ctx, timer).kind, Outcome::Kind::next);
}
