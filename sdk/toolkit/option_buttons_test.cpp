#include <profo/sdk/toolkit/option_buttons.hpp>

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace profo::elements;
using nlohmann::json;
using profo::elements::testing::KeptReport;
using profo::elements::testing::ListedOutline;
using ::testing::ElementsAre;

namespace {

const json kJump = json::parse(R"({
  "type": "jump", "text": "Continue?",
  "options": [
    {"text": "Yes"},
    {"text": "Tomorrow", "wait": "1d", "wait_text": "See you tomorrow"},
    {"text": "Stop", "goto": "Final"},
    {"text": "Later, then the end", "wait": "1h:30m", "goto": "Final"}
  ]})");

}  // namespace

TEST(ChooseOption, NeitherGotoNorWaitGoesOn) {
    const OptionChoice choice = choose_option(kJump, 0);
    EXPECT_EQ(choice.kind, OptionChoice::Kind::next);
    EXPECT_EQ(choice.label, "Yes");
}

TEST(ChooseOption, WaitCarriesDurationAndText) {
    const OptionChoice choice = choose_option(kJump, 1);
    EXPECT_EQ(choice.kind, OptionChoice::Kind::wait);
    EXPECT_EQ(choice.wait, std::chrono::hours(24));
    EXPECT_EQ(choice.wait_text, "See you tomorrow");
    EXPECT_EQ(choice.target, "");
}

TEST(ChooseOption, GotoAndWaitWithGoto) {
    EXPECT_EQ(choose_option(kJump, 2).kind, OptionChoice::Kind::go_to);
    EXPECT_EQ(choose_option(kJump, 2).target, "Final");
    const OptionChoice later = choose_option(kJump, 3);
    EXPECT_EQ(later.kind, OptionChoice::Kind::wait);
    EXPECT_EQ(later.target, "Final");
    EXPECT_EQ(later.wait, std::chrono::seconds(5400));
}

TEST(ChooseOption, OutOfRangeIsInvalid) {
    EXPECT_EQ(choose_option(kJump, 4).kind, OptionChoice::Kind::invalid);
    EXPECT_EQ(choose_option(kJump, -1).kind, OptionChoice::Kind::invalid);
    EXPECT_EQ(choose_option(json::object(), 0).kind, OptionChoice::Kind::invalid);
}

TEST(OptionLabels, OnePerOption) {
    EXPECT_THAT(option_labels(kJump), ElementsAre("Yes", "Tomorrow", "Stop", "Later, then the end"));
}

TEST(CheckOptions, LegacyOptionsAreValid) {
    KeptReport report;
    check_options(kJump, Presence::required, ListedOutline({"Final"}), report);
    EXPECT_TRUE(report.issues.empty());
}

TEST(CheckOptions, ReportsEveryProblemWithItsPath) {
    KeptReport report;
    const json spec = json::parse(R"({"options": [
        {"goto": "Nowhere"},
        "just text",
        {"text": "Wait", "wait": "tomorrow", "wait_text": ["x"], "colour": "red"},
        {"text": "Note", "wait_text": "never sent"}]})");
    check_options(spec, Presence::required, ListedOutline({"Final"}), report);
    EXPECT_THAT(
        report.errors(),
        ElementsAre("options[0].text: 'options[0].text' is required",
                    "options[0].goto: 'options[0].goto' goes to 'Nowhere', which is not an element of "
                    "this course",
                    "options[1]: 'options[1]' must be a mapping with a 'text'",
                    "options[2].wait: 'options[2].wait' must be a duration such as 30s, 2m, 1h:30m or "
                    "1d:2h:3m:4s, not 'tomorrow'",
                    "options[2].wait_text: 'options[2].wait_text' must be text, not '[\"x\"]'"));
    EXPECT_THAT(
        report.warnings(),
        ElementsAre("options[2].colour: unknown field 'options[2].colour' is kept but not used",
                    "options[3].wait_text: 'options[3].wait_text' is only sent by an option with a 'wait'"));
}

TEST(CheckOptions, RequiredListMustBeNonEmpty) {
    KeptReport report;
    check_options(json{{"options", json::array()}}, Presence::required, ListedOutline({}), report);
    check_options(json::object(), Presence::required, ListedOutline({}), report);
    check_options(json::object(), Presence::optional, ListedOutline({}), report);
    EXPECT_THAT(report.errors(),
                ElementsAre("options: 'options' must be a list of 1 to 100 options, each with a 'text'",
                            "options: 'options' is required"));
}
