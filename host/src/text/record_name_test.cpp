#include "text/record_name.hpp"

#include <gtest/gtest.h>

namespace profo::host {
namespace {

TEST(RecordName, ANameIsOneToMaxCharactersOfPrintableUtf8WithoutOuterSpaces) {
    EXPECT_FALSE(record_name_problem("Greek for beginners", "course name", 200));
    EXPECT_FALSE(record_name_problem(
        "\xd0\x93\xd1\x80\xd0\xb5\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9", "course name", 9))
        << "characters are counted, not bytes";
    EXPECT_FALSE(record_name_problem("x", "course name", 1));
    EXPECT_EQ(record_name_problem("", "course name", 5), "the course name must not be empty");
    EXPECT_EQ(record_name_problem("abcdef", "account name", 5),
              "the account name is 6 characters long; at most 5 are allowed");
    EXPECT_EQ(record_name_problem("ab\x7f", "course name", 5),
              "the course name has a control character at character 3");
    EXPECT_EQ(record_name_problem("a\xc2\x85", "course name", 5),
              "the course name has a control character at character 2")
        << "C1 controls too";
    // U+202E RIGHT-TO-LEFT OVERRIDE and U+2067 RIGHT-TO-LEFT ISOLATE; a plain right-to-left name is fine.
    EXPECT_EQ(record_name_problem("ab\xe2\x80\xaeloohcs", "account name", 20),
              "the account name has a text direction control at character 3");
    EXPECT_EQ(record_name_problem("\xe2\x81\xa7x", "course name", 20),
              "the course name has a text direction control at character 1");
    EXPECT_FALSE(record_name_problem("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "course name", 20));
    EXPECT_EQ(record_name_problem("ab ", "course name", 5),
              "the course name 'ab ' begins or ends with a space");
    EXPECT_EQ(record_name_problem("ab\xed\xa0\x80", "course name", 5),
              "the course name is not valid UTF-8 (at byte 3)")
        << "a UTF-16 surrogate is not UTF-8";
    EXPECT_EQ(record_name_problem("\xf4\x90\x80\x80", "course name", 5),
              "the course name is not valid UTF-8 (at byte 1)")
        << "beyond U+10FFFF";
}

}  // namespace
}  // namespace profo::host
