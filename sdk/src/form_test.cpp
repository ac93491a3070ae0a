#include <profo/sdk/form.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace profo::sdk {
namespace {

TEST(Form, DecodesEscapesAndPluses) {
    EXPECT_EQ(form_decode("a+b%20c%D0%90"), "a b cА");
    EXPECT_THROW(form_decode("bad%2"), std::invalid_argument);
    EXPECT_THROW(form_decode("bad%zz"), std::invalid_argument);
    EXPECT_THROW(form_decode("%"), std::invalid_argument);
}

TEST(Form, PercentDecodingOfPathsKeepsPluses) {
    EXPECT_EQ(percent_decode("a+b%2Fc"), "a+b/c");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("%4"), std::nullopt);
    EXPECT_EQ(percent_decode("%x1"), std::nullopt);
}

TEST(Form, SplitsPairsAndRefusesRepeatedKeys) {
    auto q = parse_form("ref=1.2.3.X&empty=&flag&&x=a%3Db");
    EXPECT_EQ(q.at("ref"), "1.2.3.X");
    EXPECT_EQ(q.at("empty"), "");
    EXPECT_EQ(q.at("flag"), "");
    EXPECT_EQ(q.at("x"), "a=b");
    EXPECT_EQ(q.size(), 4u);
    EXPECT_TRUE(parse_form("").empty());
    EXPECT_THROW(parse_form("a=1&a=2"), std::invalid_argument);
    EXPECT_THROW(parse_form("a=%G1"), std::invalid_argument);
}

}  // namespace
}  // namespace profo::sdk
