#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace profo::elements;
using nlohmann::json;
using profo::elements::testing::KeptReport;
using profo::elements::testing::ListedOutline;
using ::testing::ElementsAre;

TEST(TextField, ReadsStringsAndNumbersOnly) {
    const json spec = {{"a", "x"}, {"b", 1990}, {"c", nullptr}, {"d", json::array()}, {"e", true}};
    EXPECT_EQ(text_field(spec, "a"), "x");
    EXPECT_EQ(text_field(spec, "b"), "1990");
    EXPECT_EQ(text_field(spec, "c"), std::nullopt);
    EXPECT_EQ(text_field(spec, "d"), std::nullopt);
    EXPECT_EQ(text_field(spec, "e"), std::nullopt);
    EXPECT_EQ(text_field(spec, "missing"), std::nullopt);
    EXPECT_EQ(text_field(json::array(), "a"), std::nullopt);
}

TEST(CheckInteger, AcceptsWholeNumbersInRangeAndNamesTheFieldOtherwise) {
    KeptReport report;
    const json spec = {{"a", 5},   {"b", "7"}, {"c", 0},
                       {"d", 2.5}, {"e", "x"}, {"f", 18446744073709551615ULL}};
    EXPECT_EQ(check_integer(spec, "a", Presence::required, 1, 10, report), 5);
    EXPECT_EQ(check_integer(spec, "b", Presence::required, 1, 10, report), 7);
    EXPECT_EQ(check_integer(spec, "missing", Presence::optional, 1, 10, report), std::nullopt);
    EXPECT_TRUE(report.errors().empty());
    EXPECT_EQ(check_integer(spec, "c", Presence::required, 1, 10, report), std::nullopt);
    EXPECT_EQ(check_integer(spec, "d", Presence::required, 1, 10, report), std::nullopt);
    EXPECT_EQ(check_integer(spec, "e", Presence::required, 1, 10, report, "x."), std::nullopt);
    EXPECT_EQ(check_integer(spec, "f", Presence::required, 1, 10, report), std::nullopt);
    EXPECT_EQ(check_integer(spec, "missing", Presence::required, 1, 10, report), std::nullopt);
    EXPECT_EQ(report.errors(), (std::vector<std::string>{
                                   "c: 'c' must be a whole number from 1 to 10, not '0'",
                                   "d: 'd' must be a whole number from 1 to 10, not '2.5'",
                                   "x.e: 'x.e' must be a whole number from 1 to 10, not 'x'",
                                   "f: 'f' must be a whole number from 1 to 10, not '18446744073709551615'",
                                   "missing: 'missing' is required"}));
}

TEST(Shown, BytesThatAreNotUtf8AreShownNotThrown) {
    KeptReport report;
    EXPECT_FALSE(check_mapping(json::array({"\xFF"}), report));
    ASSERT_EQ(report.errors().size(), 1u);
    EXPECT_NO_THROW(shown(json{{"a", "\xC3"}}));
}

TEST(ErrorCountingReport, CountsErrorsNotWarningsAndPassesBothOn) {
    KeptReport kept;
    ErrorCountingReport report(kept);
    report.warning("a", "just a warning");
    EXPECT_FALSE(report.has_errors());
    report.error("b", "an error");
    EXPECT_TRUE(report.has_errors());
    EXPECT_EQ(kept.issues.size(), 2u);
}

TEST(CheckText, ReportsMissingWrongTypeEmptyAndTooLong) {
    KeptReport report;
    const json answer = {{"text", std::string(101, 'x')}, {"n", json::object()}, {"blank", "  "}};
    EXPECT_FALSE(check_text(answer, "text", Presence::required, report, "answers[2].", 100));
    EXPECT_FALSE(check_text(answer, "n", Presence::optional, report, "answers[2]."));
    EXPECT_FALSE(check_text(answer, "blank", Presence::required, report));
    EXPECT_FALSE(check_text(answer, "absent", Presence::required, report));
    EXPECT_FALSE(check_text(answer, "absent", Presence::optional, report));
    EXPECT_THAT(report.errors(),
                ElementsAre("answers[2].text: 'answers[2].text' must be at most 100 characters (has 101)",
                            "answers[2].n: 'answers[2].n' must be text, not '{}'",
                            "blank: 'blank' must not be empty", "absent: 'absent' is required"));
}

TEST(CheckText, CountsCyrillicAsOneCharacterEach) {
    KeptReport report;
    std::string hundred;
    for (int i = 0; i < 100; ++i) hundred += "ж";
    EXPECT_TRUE(check_text(json{{"text", hundred}}, "text", Presence::required, report, "", 100));
    EXPECT_TRUE(report.issues.empty());
}

TEST(CheckFlag, AcceptsYamlSpellingsAndRejectsOthers) {
    KeptReport report;
    EXPECT_TRUE(check_flag(json{{"f", "no"}}, "f", report));
    EXPECT_TRUE(check_flag(json{{"f", true}}, "f", report));
    EXPECT_FALSE(check_flag(json{{"f", "maybe"}}, "f", report, "answers[0]."));
    EXPECT_THAT(report.errors(), ElementsAre("answers[0].f: 'answers[0].f' must be yes or no, not 'maybe'"));
}

TEST(CheckDuration, ParsesOrReports) {
    KeptReport report;
    EXPECT_EQ(check_duration(json{{"wait", "1h:30m"}}, "wait", Presence::required, report),
              std::chrono::seconds(5400));
    EXPECT_EQ(check_duration(json{{"wait", 30}}, "wait", Presence::required, report), std::nullopt);
    EXPECT_EQ(check_duration(json::object(), "wait", Presence::required, report), std::nullopt);
    EXPECT_EQ(check_duration(json::object(), "wait", Presence::optional, report), std::nullopt);
    EXPECT_THAT(
        report.errors(),
        ElementsAre("wait: 'wait' must be a duration such as 30s, 2m, 1h:30m or 1d:2h:3m:4s, not '30'",
                    "wait: 'wait' is required"));
}

TEST(CheckGoto, TargetsMustExist) {
    KeptReport report;
    ListedOutline course({"A", "B"});
    EXPECT_TRUE(check_goto(json{{"goto", "B"}}, "goto", Presence::required, course, report));
    EXPECT_FALSE(check_goto(json{{"goto", "Z"}}, "goto", Presence::required, course, report, "options[1]."));
    EXPECT_THAT(
        report.errors(),
        ElementsAre(
            "options[1].goto: 'options[1].goto' goes to 'Z', which is not an element of this course"));
}

TEST(CommonFields, ChecksParseModeLinkPreviewAndMedia) {
    KeptReport report;
    check_common_fields(json{{"parse_mode", "html"},
                             {"link_preview", "no"},
                             {"media",
                              {"https://example.org/a.jpg", "HTTP://example.org/b.mp4",
                               "AgACAgIAAxkBAAIBY2Z-file_id_of_a_photo"}}},
                        CommonFields::formatting_and_media, report);
    EXPECT_TRUE(report.issues.empty());
    // Imported as they are (legacy courses have them), but said.
    check_common_fields(json{{"media", {"http", "asd", "pictures/cat.jpg", "https://"}}},
                        CommonFields::formatting_and_media, report);
    EXPECT_TRUE(report.errors().empty());
    ASSERT_EQ(report.issues.size(), 4u);
    EXPECT_EQ(report.issues[1].field, "media[1]");
    EXPECT_EQ(report.issues[1].message,
              "'media[1]' is 'asd': neither an http(s) URL nor a Telegram file id, so Telegram will refuse "
              "to send it");
    report.issues.clear();
    check_common_fields(
        json{{"parse_mode", "BBCode"}, {"link_preview", "sometimes"}, {"media", {"https://ok.example", 5}}},
        CommonFields::formatting_and_media, report);
    EXPECT_THAT(
        report.errors(),
        ElementsAre("parse_mode: 'parse_mode' must be HTML, HTML!, MARKDOWN or MarkdownV2, not 'BBCode'",
                    "link_preview: 'link_preview' must be yes or no, not 'sometimes'",
                    "media[1]: 'media[1]' must be a URL, not '5'"));
}

TEST(Shown, CutsHugeValues) {
    EXPECT_EQ(shown(std::string(1000, 'a')), "'" + std::string(40, 'a') + "...'");
}

TEST(ElementSchema, DeclaresTypeAsConstAndDerivesFields) {
    const json schema = element_schema("quiz", "A quiz.", {{"text", text_schema("Question.")}}, {"text"},
                                       CommonFields::formatting);
    EXPECT_EQ(schema["properties"]["type"]["const"], "quiz");
    EXPECT_EQ(schema["required"], json({"type", "text"}));
    EXPECT_THAT(schema_fields(schema), ElementsAre("link_preview", "parse_mode", "text"));
}
