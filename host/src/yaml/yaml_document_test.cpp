#include "yaml/yaml_document.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace profo::host {
namespace {

std::string parse_error(const std::string& text) {
    try {
        (void)read_yaml_document(text);
    } catch (const YAML::ParserException& e) {
        return std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + " " + e.msg;
    }
    return "no error";
}

TEST(YamlDocument, ReadsTheFirstDocumentAndNotesASecond) {
    const auto one = read_yaml_document("a: 1\n");
    EXPECT_EQ(one.root["a"].as<int>(), 1);
    EXPECT_FALSE(one.second_document);

    const auto two = read_yaml_document("a: 1\n---\nb: 2\n");
    EXPECT_EQ(two.root["a"].as<int>(), 1);
    ASSERT_TRUE(two.second_document);
    EXPECT_EQ(two.second_document->line, 1);  // the `---`, from 0
}

TEST(YamlDocument, EmptyTextIsANullDocument) {
    const auto empty = read_yaml_document("");
    EXPECT_TRUE(empty.root.IsNull());
    EXPECT_FALSE(empty.second_document);
}

// Each of these made yaml-cpp's LoadAll allocate without end (found by
// fuzz_course_yaml); they must fail fast, naming the character.
TEST(YamlDocument, AStrayIndicatorAtTheTopIsAnErrorNotAHang) {
    EXPECT_EQ(parse_error(","), "1:1 unexpected ',': no value can start here");
    EXPECT_EQ(parse_error("  ,:o"), "1:3 unexpected ',': no value can start here");
    EXPECT_EQ(parse_error(",A:\n  typlol,:ol -1e-QQQ i: 9,|9o9l,99|"),
              "1:1 unexpected ',': no value can start here");
    EXPECT_EQ(parse_error("a\n---\n,"), "3:1 unexpected ',': no value can start here");
    EXPECT_EQ(parse_error("]"), "1:1 illegal flow end");
    EXPECT_NE(parse_error("}"), "no error");
}

TEST(YamlDocument, SyntaxErrorsKeepTheirPlace) {
    EXPECT_EQ(parse_error("a: [1, 2\n").substr(0, 2), "2:");
}

}  // namespace
}  // namespace profo::host
