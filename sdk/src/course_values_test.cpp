#include <profo/sdk/course_values.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using profo::sdk::course_number;
using profo::sdk::course_whole_number;
using profo::sdk::parse_duration;
using profo::sdk::scalar_text;
using profo::sdk::truthy;
using namespace std::chrono_literals;

TEST(Truthy, AcceptsEveryYamlSpelling) {
    for (const char* s : {"yes", "Yes", "TRUE", "true", "on", "1", "y"}) EXPECT_EQ(truthy(s), true) << s;
    for (const char* s : {"no", "No", "FALSE", "off", "0", "n"}) EXPECT_EQ(truthy(s), false) << s;
    EXPECT_EQ(truthy(true), true);
    EXPECT_EQ(truthy(false), false);
    EXPECT_EQ(truthy(1), true);
    EXPECT_EQ(truthy(0), false);
}

TEST(Truthy, RejectsEverythingElse) {
    EXPECT_EQ(truthy("maybe"), std::nullopt);
    EXPECT_EQ(truthy(2), std::nullopt);
    EXPECT_EQ(truthy(nullptr), std::nullopt);
    EXPECT_EQ(truthy(nlohmann::json::array()), std::nullopt);
}

TEST(Duration, ParsesEveryDocumentedForm) {
    EXPECT_EQ(parse_duration("30s"), 30s);
    EXPECT_EQ(parse_duration("2m"), 120s);
    EXPECT_EQ(parse_duration("1h:30m"), 5400s);
    EXPECT_EQ(parse_duration("1d:12h"), 129600s);
    EXPECT_EQ(parse_duration("1d:2h:3m:4s"), std::chrono::seconds(86400 + 7200 + 180 + 4));
    EXPECT_EQ(parse_duration("1d"), 86400s);
    EXPECT_EQ(parse_duration("0s"), 0s);
}

TEST(Duration, RejectsMalformedText) {
    for (const char* s :
         {"", "30", "s", "1x", "1h30m", "30m:1h", "1h:1h", "1h:", ":1h", " 1h", "-1s", "1.5h"})
        EXPECT_EQ(parse_duration(s), std::nullopt) << s;
}

TEST(ScalarText, RendersScalarsOnly) {
    EXPECT_EQ(scalar_text("x"), "x");
    EXPECT_EQ(scalar_text(7), "7");
    EXPECT_EQ(scalar_text(true), "true");
    EXPECT_EQ(scalar_text(nullptr), std::nullopt);
}

TEST(CourseNumber, ReadsNumbersAndTheTextsThatSpellThem) {
    EXPECT_EQ(course_number(2), 2.0);
    EXPECT_EQ(course_number(0.7), 0.7);
    for (const auto& [text, value] : std::vector<std::pair<std::string, double>>{{"0.70", 0.7},
                                                                                 {"1.50", 1.5},
                                                                                 {".5", 0.5},
                                                                                 {"+2", 2},
                                                                                 {"-3", -3},
                                                                                 {"1e3", 1000},
                                                                                 {"007", 7},
                                                                                 {"0x1F", 31},
                                                                                 {"0o17", 15},
                                                                                 {"-.5", -0.5}})
        EXPECT_EQ(course_number(text), value) << text;
    for (const std::string text :
         {"", "x", "1.2.3", "0x", "+", "1e", "inf", "nan", ".inf", "1e999", " 1", "1 "})
        EXPECT_EQ(course_number(text), std::nullopt) << text;
    EXPECT_EQ(course_number(nullptr), std::nullopt);
    EXPECT_EQ(course_number(true), std::nullopt);
}

TEST(CourseNumber, WholeNumbersHaveNoFraction) {
    EXPECT_EQ(course_whole_number(150), 150);
    EXPECT_EQ(course_whole_number("150"), 150);
    EXPECT_EQ(course_whole_number("1.0"), 1);
    EXPECT_EQ(course_whole_number("1.5"), std::nullopt);
    EXPECT_EQ(course_whole_number(std::numeric_limits<std::uint64_t>::max()), std::nullopt);
    EXPECT_EQ(course_whole_number("1e300"), std::nullopt);
}
