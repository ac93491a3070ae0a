#include "message_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::MessageElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::ListedOutline;
using ::testing::ElementsAre;

namespace {

std::vector<std::string> errors_of(const json& spec) {
    KeptReport report;
    MessageElement().validate(spec, ListedOutline({"Final_Message"}), report);
    return report.errors();
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
