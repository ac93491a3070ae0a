// Course files built to take the importer down: each must come back as a
// `FILE:LINE: message` problem, and an imported course must export again.
#include "course/course_document.hpp"

#include "course/course_test_plugins.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace profo::host {
namespace {

class CourseHostileTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { plugins_ = course_test::element_plugins().release(); }
    static void TearDownTestSuite() {
        delete plugins_;
        plugins_ = nullptr;
    }
    static std::vector<std::string> check_lines(const std::string& yaml) {
        std::vector<std::string> out;
        for (const auto& p : check_course(yaml, "course.yaml", *plugins_).problems)
            out.push_back(p.to_string());
        return out;
    }
    static PluginRegistry* plugins_;
};

PluginRegistry* CourseHostileTest::plugins_ = nullptr;
using Lines = std::vector<std::string>;

TEST_F(CourseHostileTest, AliasCycleIsAProblemWithItsLine) {
    EXPECT_EQ(
        check_lines("A:\n  type: probe\n  text: &x [*x]\n"),
        Lines{"course.yaml:3: an alias refers to the list or mapping that contains it (an alias cycle)"});
}

TEST_F(CourseHostileTest, BillionLaughsSpreadOverElementsHitsOneBudget) {
    // Each element alone stays under the limit; together they do not.
    std::string yaml =
        "A:\n  type: probe\n  l: &l [1,1,1,1,1,1,1,1,1,1]\n  m: &m [*l,*l,*l,*l,*l,*l,*l,*l,*l,*l]\n"
        "  n: &n [*m,*m,*m,*m,*m,*m,*m,*m,*m,*m]\n  o: &o [*n,*n,*n,*n,*n,*n,*n,*n,*n,*n]\n";
    for (int i = 0; i < 12; ++i)
        yaml += "E" + std::to_string(i) + ":\n  type: probe\n  x: [*o,*o,*o,*o,*o,*o,*o,*o,*o,*o]\n";
    const auto lines = check_lines(yaml);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].rfind("course.yaml:", 0), 0u) << lines[0];
    EXPECT_NE(lines[0].find(": the document expands to more than 1000000 values"), std::string::npos)
        << lines[0];
}

TEST_F(CourseHostileTest, NestingPastTheYamlReadersLimitIsNamedSo) {
    const auto lines = check_lines("Intro:\n  type: probe\n  extra: " + std::string(20000, '[') + "\n");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].rfind("course.yaml:", 0), 0u) << lines[0];
    EXPECT_NE(lines[0].find(": element Intro: YAML syntax error: lists and mappings are nested more than 500 "
                            "levels deep"),
              std::string::npos)
        << lines[0];
}

TEST_F(CourseHostileTest, ANulByteIsRefusedWhereItIs) {
    EXPECT_EQ(check_lines(std::string("A:\n  type: probe\n  text: hi") + '\0' + "there\n"),
              Lines{"course.yaml:3: element A: YAML syntax error: a NUL character (byte 0), which YAML text "
                    "may not hold"});
}

TEST_F(CourseHostileTest, OldMacLineEndingsAreLineBreaks) {
    const auto check =
        check_course("A:\r  type: probe\r  text: hi\rB:\r  type: probe\r", "course.yaml", *plugins_);
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(check.elements->size(), 2u);
}

TEST_F(CourseHostileTest, ATabInIndentationIsNamed) {
    EXPECT_EQ(
        check_lines("A:\n  type: probe\nQ_1:\n\ttype: probe\n\ttext: hi\n"),
        Lines{"course.yaml:4: element Q_1: YAML syntax error: illegal map value (line 4 is indented with a "
              "tab; YAML indents with spaces)"});
}

TEST_F(CourseHostileTest, DeepNestingIsAProblem) {
    EXPECT_EQ(check_lines("A:\n  type: probe\n  x: " + std::string(80, '[') + std::string(80, ']') + "\n"),
              Lines{"course.yaml:3: lists and mappings are nested more than 64 levels deep"});
}

TEST_F(CourseHostileTest, AHugeNumberIsTheTextWritten) {
    const auto check = check_course("A:\n  type: probe\n  x: 1e999\n", "course.yaml", *plugins_);
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(nlohmann::json::parse(check.elements->at(0).body_json)["x"], "1e999");
}

TEST_F(CourseHostileTest, LongPlainDigitsImportAndExportAgain) {
    const std::string digits(100000, '9');
    const auto check = check_course("A:\n  type: probe\n  text: " + digits + "\n", "course.yaml", *plugins_);
    ASSERT_TRUE(check.ok());
    const auto yaml = export_course_yaml(*check.elements);
    const auto again = check_course(yaml, "export.yaml", *plugins_);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ((*again.elements)[0].body_json, (*check.elements)[0].body_json);
}

TEST_F(CourseHostileTest, QuotedDigitsExport) {
    const std::string digits(100000, '4');
    const auto check =
        check_course("A:\n  type: probe\n  text: '" + digits + "'\n", "course.yaml", *plugins_);
    ASSERT_TRUE(check.ok());
    const auto yaml = export_course_yaml(*check.elements);
    EXPECT_NE(yaml.find("'" + digits + "'"), std::string::npos);
}

TEST_F(CourseHostileTest, OversizedTextAndFileAreRefused) {
    const std::string big = "A:\n  type: probe\n  text: " + std::string(4 * 1024 * 1024, 'x') + "\n";
    EXPECT_EQ(check_lines(big), Lines{"course.yaml: the file is " + std::to_string(big.size()) +
                                      " bytes; a course may be at most 4194304 bytes"});
    const auto file = std::filesystem::temp_directory_path() /
                      ("profo_big_course_" + std::to_string(std::random_device{}()) + ".yaml");
    std::ofstream(file, std::ios::binary) << big;
    const auto check = check_course_file(file, *plugins_);
    std::filesystem::remove(file);
    ASSERT_EQ(check.problems.size(), 1u);
    EXPECT_EQ(check.problems[0].to_string(),
              file.string() + ": the file is larger than 4194304 bytes, the most a course may be");
}

}  // namespace
}  // namespace profo::host
