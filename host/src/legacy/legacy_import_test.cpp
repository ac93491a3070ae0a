#include "legacy/legacy_import.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace profo::host::legacy;

TEST(LegacyTokens, LinesOfBotnameEqualsToken) {
    const auto tokens = parse_token_lines("# tokens\nschool_bot=123:abc\r\n\n  other_bot=456:def\n", "t.txt");
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens.at("school_bot"), "123:abc");
    EXPECT_EQ(tokens.at("other_bot"), "456:def");
}

TEST(LegacyTokens, AMalformedLineIsNamedByNumberWithoutItsText) {
    try {
        parse_token_lines("a=1:x\n123:secret-token\n", "t.txt");
        FAIL() << "accepted";
    } catch (const ImportRefused& e) {
        EXPECT_EQ(std::string(e.what()), "t.txt:2: not BOTNAME=TOKEN");
    }
}

TEST(LegacyReport, CountsAndProblemsInTextAndJson) {
    ImportReport report;
    report.dry_run = true;
    report.add("runs active", 2);
    report.problems.push_back({"run 7, course b/C, element X", "its position 'X' is not in the course"});
    std::ostringstream text;
    report.print(text);
    EXPECT_NE(text.str().find("dry run: nothing was changed"), std::string::npos);
    EXPECT_NE(text.str().find("  runs active: 2\n"), std::string::npos);
    EXPECT_NE(text.str().find("run 7, course b/C, element X: its position"), std::string::npos);
    const auto json = report.to_json();
    EXPECT_EQ(json["counts"]["runs active"], 2);
    EXPECT_EQ(json["problems"][0]["where"], "run 7, course b/C, element X");
}
