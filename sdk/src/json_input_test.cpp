#include <profo/sdk/json_input.hpp>

#include <gtest/gtest.h>

#include <string>

using profo::sdk::json_nests_deeper_than;
using profo::sdk::parse_json_input;

TEST(JsonInput, ReadsJsonUpToTheDepthLimit) {
    const std::string hundred = std::string(100, '[') + std::string(100, ']');
    EXPECT_FALSE(json_nests_deeper_than(hundred));
    EXPECT_FALSE(parse_json_input(hundred).is_discarded());
    EXPECT_EQ(parse_json_input(R"({"a":[1,{"b":"]]]]"}]})")["a"][1]["b"], "]]]]");
}

TEST(JsonInput, RefusesDeeperTextWithoutBuildingIt) {
    // Far past what a copy or a dump of the value would survive.
    const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
    EXPECT_TRUE(json_nests_deeper_than(deep));
    EXPECT_TRUE(parse_json_input(deep).is_discarded());
    EXPECT_TRUE(parse_json_input("{\"a\":" + std::string(101, '{')).is_discarded());
    // Brackets inside strings, escaped quotes included, are text.
    EXPECT_FALSE(json_nests_deeper_than("\"\\\"" + std::string(500, '[') + "\""));
    EXPECT_TRUE(parse_json_input("not json").is_discarded());
    EXPECT_TRUE(parse_json_input("").is_discarded());
}
