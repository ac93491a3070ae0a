// The document layer on its own: YAML errors, ids, types, the mapping of
// plugin issues to lines, guarding plugin calls, export and the schema. The
// `probe` fixture element reports exactly the issues a course lists under
// `report`, so the host's side can be checked line by line.
#include "course/course_document.hpp"

#include "course/course_test_plugins.hpp"
#include "yaml/yaml_json.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace profo::host {
namespace {

class CourseDocumentTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        plugins_ = course_test::element_plugins().release();
        ASSERT_NE(plugins_->element("probe"), nullptr)
            << "build the fixture module first: ninja profo_course_probe_element (looked in "
            << course_test::kFixtureDir << ")";
    }
    static void TearDownTestSuite() {
        delete plugins_;
        plugins_ = nullptr;
    }

    static std::vector<std::string> lines(const CourseCheck& check) {
        std::vector<std::string> out;
        for (const auto& p : check.problems) out.push_back(p.to_string());
        return out;
    }
    static std::vector<std::string> check_lines(const std::string& yaml) {
        return lines(check_course(yaml, "course.yaml", *plugins_));
    }

    static PluginRegistry* plugins_;
};

PluginRegistry* CourseDocumentTest::plugins_ = nullptr;

using Lines = std::vector<std::string>;

TEST_F(CourseDocumentTest, YamlSyntaxErrorNamesTheLine) {
    EXPECT_EQ(check_lines("A:\n  type: probe\n  text: a: b\n"),
              Lines{"course.yaml:3: element A: YAML syntax error: illegal map value"});
}

TEST_F(CourseDocumentTest, RootMustBeANonEmptyMapping) {
    EXPECT_EQ(check_lines(""),
              Lines{"course.yaml:1: the course is empty: expected a mapping of element id to element"});
    EXPECT_EQ(check_lines("# only a comment\n"),
              Lines{"course.yaml:1: the course is empty: expected a mapping of element id to element"});
    EXPECT_EQ(check_lines("- a\n- b\n"),
              Lines{"course.yaml:1: the course must be a mapping of element id to element, not a list"});
    EXPECT_EQ(
        check_lines("just text\n"),
        Lines{"course.yaml:1: the course must be a mapping of element id to element, not a single value"});
}

TEST_F(CourseDocumentTest, SecondDocumentIsAnError) {
    EXPECT_EQ(check_lines("A:\n  type: probe\n---\nB:\n  type: probe\n"),
              Lines{"course.yaml:3: the file holds more than one YAML document; a course is one mapping of "
                    "element id to element"});
}

TEST_F(CourseDocumentTest, AStrayCommaAtTheTopIsASyntaxErrorNotAHang) {
    EXPECT_EQ(check_lines(",A:\n  type: probe\n"),
              Lines{"course.yaml:1: YAML syntax error: unexpected ',': no value can start here"});
}

TEST_F(CourseDocumentTest, ElementIdsMustMatchThePattern) {
    const std::string long_id(129, 'x');
    EXPECT_EQ(
        check_lines("ok.id-1_A:\n  type: probe\nbad id!:\n  type: probe\n" + long_id + ":\n  type: probe\n"),
        (Lines{"course.yaml:3: invalid element id 'bad id!': character 4 (' ', U+0020) is not allowed; use 1 "
               "to 128 letters or digits (any script) and _ . -",
               "course.yaml:5: invalid element id '" + long_id +
                   "': it has 129 characters; use 1 to 128 letters or digits (any script) and _ . -"}));
    EXPECT_TRUE(check_course(std::string(128, 'x') + ":\n  type: probe\n", "c.yaml", *plugins_).ok());
}

// The legacy bot took any key, and real courses have Cyrillic ids: letters
// and digits of every script are ids; 128 characters, not bytes.
TEST_F(CourseDocumentTest, ElementIdsAreLettersAndDigitsOfAnyScript) {
    std::string cyrillic_128;
    for (int i = 0; i < 128; ++i) cyrillic_128 += "ж";
    const auto check =
        check_course("Урок_1:\n  type: probe\nΆσκηση.2:\n  type: probe\n課題-3:\n  type: probe\n" +
                         cyrillic_128 + ":\n  type: probe\n",
                     "c.yaml", *plugins_);
    EXPECT_TRUE(check.ok());
    EXPECT_TRUE(check.problems.empty()) << check.problems.front().to_string();
    EXPECT_EQ(
        check_lines("Урок 1:\n  type: probe\nsmile😀:\n  type: probe\n"),
        (Lines{"course.yaml:1: invalid element id 'Урок 1': character 5 (' ', U+0020) is not allowed; use "
               "1 to 128 letters or digits (any script) and _ . -",
               "course.yaml:3: invalid element id 'smile😀': character 6 ('😀', U+1F600) is not allowed; "
               "use 1 to 128 letters or digits (any script) and _ . -"}));
}

// A Cyrillic "С" among Latin letters looks the same and is almost always a
// typo: accepted, with a warning naming the letter and where it is. Whole
// words in two scripts are how people name things, and are not warned about.
TEST_F(CourseDocumentTest, AnIdMixingLookAlikeScriptsIsWarnedAbout) {
    const auto check = check_course(
        "Test_Сase:\n  type: probe\nУрок_Intro:\n  type: probe\nQuiz_Жизнь_1:\n  type: probe\n"
        "Тест_Final:\n  type: probe\nУрок_1a:\n  type: probe\n",
        "c.yaml", *plugins_);
    EXPECT_TRUE(check.ok());
    ASSERT_EQ(check.problems.size(), 2u);
    EXPECT_EQ(check.problems[0].to_string(),
              "c.yaml:1: warning: element Test_Сase: the element id mixes Latin and Cyrillic letters: 'С' "
              "(U+0421, Cyrillic) at position 6 is probably a typo for a look-alike Latin letter");
    EXPECT_NE(check.problems[1].to_string().find("element Урок_1a: the element id mixes Cyrillic and Latin "
                                                 "letters: 'a' (U+0061, Latin) at position 7"),
              std::string::npos)
        << check.problems[1].to_string();
}

TEST_F(CourseDocumentTest, ElementNeedsMappingAndType) {
    EXPECT_EQ(
        check_lines("A: hello\nB:\n  text: hi\nC:\nD:\n  type: [a]\n"),
        (Lines{"course.yaml:1: element A: an element must be a mapping of fields with at least 'type', not a "
               "single value",
               "course.yaml:2: element B: missing 'type'",
               "course.yaml:4: element C: an element must be a mapping of fields with at least 'type', not "
               "empty",
               "course.yaml:6: element D: 'type' must be a type name, not [\"a\"]"}));
}

TEST_F(CourseDocumentTest, UnknownTypeListsTheKnownOnes) {
    std::vector<std::string> names;
    for (const auto& type : plugins_->element_types()) {
        names.push_back(type);
        for (const auto& alias : plugins_->element(type)->aliases()) names.push_back(alias);
    }
    std::sort(names.begin(), names.end());
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    EXPECT_NE(known.find("probe, probe_alias"), std::string::npos);
    EXPECT_EQ(check_lines("A:\n  type: probe\nB:\n  text: x\n  type: xyz\n"),
              Lines{"course.yaml:5: element B: unknown type 'xyz' (known types: " + known + ")"});
}

TEST_F(CourseDocumentTest, IssueFieldsMapToTheirLinesInFileOrder) {
    const std::string yaml =
        "First:\n"                       // 1
        "  type: probe\n"                // 2
        "  text: hello\n"                // 3
        "  items:\n"                     // 4
        "    - text: one\n"              // 5
        "    - text: two\n"              // 6
        "      note: n\n"                // 7
        "  report:\n"                    // 8
        "    - field: items[1].note\n"   // 9
        "      message: second note\n"   // 10
        "    - field: items[7].text\n"   // 11
        "      message: no such item\n"  // 12
        "    - field: ''\n"              // 13
        "      message: whole element\n"
        "      warning: true\n"
        "    - field: missing\n"
        "      message: not there\n"
        "    - field: text\n"
        "      message: bad text\n"
        "Second:\n"  // 20
        "  type: probe\n"
        "  report:\n"
        "    - field: report[0].message\n"
        "      message: nested\n";  // 24
    const auto check = check_course(yaml, "c.yaml", *plugins_);
    EXPECT_FALSE(check.ok());
    EXPECT_EQ(lines(check),
              (Lines{"c.yaml:1: warning: element First: whole element", "c.yaml:1: element First: not there",
                     "c.yaml:3: element First: bad text", "c.yaml:4: element First: no such item",
                     "c.yaml:7: element First: second note", "c.yaml:24: element Second: nested"}));
}

TEST_F(CourseDocumentTest, ThrowingPluginBecomesAnErrorOfItsElement) {
    EXPECT_EQ(
        check_lines("Fine:\n  type: probe\nBoom:\n  type: probe\n  explode: true\n"),
        Lines{
            "course.yaml:3: element Boom: the 'probe' element plugin failed to compile it: probe exploded"});
}

TEST_F(CourseDocumentTest, UnknownFieldsWarnAndAreKept) {
    const auto check =
        check_course("A:\n  type: probe\n  colour: red\n  text: hi\n  media: [x]\n", "c.yaml", *plugins_);
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(
        lines(check),
        Lines{"c.yaml:3: warning: element A: unknown field 'colour' for type probe (kept, but the element "
              "does not use it)"});
    EXPECT_EQ((*check.elements)[0].body_json, R"({"type":"probe","colour":"red","text":"hi","media":["x"]})");
}

TEST_F(CourseDocumentTest, ElementsKeepOrderTypeAsWrittenAndTypedScalars) {
    const auto check = check_course(
        "Z_last_name_first:\n  type: probe_alias\n  text: \"yes\"\n  items: [yes, 1, 1.5, true, ~, '2']\n"
        "A:\n  type: probe\n  peer: Z_last_name_first\n",
        "c.yaml", *plugins_);
    ASSERT_TRUE(check.ok());
    // The outline gives plugins canonical types whatever the spelling.
    EXPECT_EQ(lines(check), Lines{"c.yaml:7: warning: element A: peer Z_last_name_first has type 'probe'"});
    const auto& e = *check.elements;
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].element_id, "Z_last_name_first");
    EXPECT_EQ(e[0].type, "probe_alias");
    EXPECT_EQ(e[0].position, 0);
    EXPECT_EQ(e[0].body_json, R"({"type":"probe_alias","text":"yes","items":["yes",1,1.5,true,null,"2"]})");
    EXPECT_EQ(e[1].element_id, "A");
    EXPECT_EQ(e[1].position, 1);
}

TEST_F(CourseDocumentTest, DuplicateIdKeepsFirstPositionWithLastValue) {
    const auto check = check_course(
        "A:\n  type: probe\n  text: first\n  explode: true\nB:\n  type: probe\nA:\n  type: probe\n  text: "
        "second\n",
        "c.yaml", *plugins_);
    // The first definition is gone entirely: its `explode` never reaches the plugin.
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(lines(check),
              Lines{"c.yaml:7: warning: element A: duplicate element id: this definition (line 7) "
                    "replaces the one at line 1, which keeps its place in the course order"});
    ASSERT_EQ(check.elements->size(), 2u);
    EXPECT_EQ((*check.elements)[0].element_id, "A");
    EXPECT_EQ((*check.elements)[0].body_json, R"({"type":"probe","text":"second"})");
    EXPECT_EQ((*check.elements)[1].element_id, "B");
}

TEST_F(CourseDocumentTest, RepeatedFieldWarnsAndTheLaterValueWins) {
    const auto check = check_course("A:\n  type: probe\n  text: one\n  text: two\n", "c.yaml", *plugins_);
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(
        lines(check),
        Lines{
            "c.yaml:4: warning: element A: field 'text' is repeated: this value replaces the one at line 3"});
    EXPECT_EQ((*check.elements)[0].body_json, R"({"type":"probe","text":"two"})");
}

TEST_F(CourseDocumentTest, UnreadableFileIsAProblem) {
    const auto check = check_course_file("/nonexistent/course.yaml", *plugins_);
    EXPECT_FALSE(check.ok());
    EXPECT_EQ(lines(check), Lines{"/nonexistent/course.yaml: cannot read: No such file or directory"});
}

TEST_F(CourseDocumentTest, ProblemFormatting) {
    EXPECT_EQ((CourseProblem{false, "f.yaml", 3, "Q1", "bad"}).to_string(), "f.yaml:3: element Q1: bad");
    EXPECT_EQ((CourseProblem{true, "f.yaml", 3, "Q1", "meh"}).to_string(),
              "f.yaml:3: warning: element Q1: meh");
    EXPECT_EQ((CourseProblem{false, "f.yaml", 0, "", "gone"}).to_string(), "f.yaml: gone");
}

// Export: every kind of string a course can hold comes back identical.
TEST_F(CourseDocumentTest, ExportRoundTripsAwkwardScalars) {
    const std::vector<std::string> texts = {"yes",
                                            "no",
                                            "true",
                                            "True",
                                            "FALSE",
                                            "null",
                                            "~",
                                            "",
                                            " leading",
                                            "trailing ",
                                            "a: b",
                                            "#comment",
                                            "- dash",
                                            "1",
                                            "-2",
                                            "1.5",
                                            "0x1F",
                                            "0o17",
                                            "1e3",
                                            ".inf",
                                            ".NaN",
                                            "@at",
                                            "`tick",
                                            "%pct",
                                            "tab\tinside",
                                            "two\nlines",
                                            "two\nlines\n",
                                            "blank\n\n",
                                            "\nleading newline\n",
                                            " indented\nline\n",
                                            "crlf\r\nline",
                                            "emoji 🎉",
                                            "кириллица\nтекст\n",
                                            "quote'single",
                                            "quote\"double",
                                            "[flow]",
                                            "{flow}",
                                            "*alias",
                                            "&anchor",
                                            "!tag",
                                            "|pipe",
                                            ">gt",
                                            "?q",
                                            "a #b",
                                            "-",
                                            "---",
                                            "...",
                                            "<<",
                                            "x:",
                                            "key:\n value\n",
                                            "a\n\n\nb\n",
                                            "last  \nline\n",
                                            "spaces\n   \nline\n",
                                            "tail\n \n",
                                            "ends with bar |\nnext\n",
                                            "a\u2028b",
                                            "bell\x07",
                                            "  \n  x\n",
                                            "12345678901234567890123"};
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& t : texts) items.push_back({{"text", t}});
    nlohmann::ordered_json body = {
        {"type", "probe"},
        {"text", "multi\nline\n"},
        {"items", items},
        {"report", nlohmann::ordered_json::array()},
        {"colour", {{"0", 1}, {"20", -2.5}, {"~", nullptr}, {"true", true}, {"", 0.1}}}};
    sdk::CourseElement element;
    element.element_id = "Every.kind-of_text";
    element.type = "probe";
    element.body_json = body.dump();

    const std::string yaml = export_course_yaml({element});
    const auto check = check_course(yaml, "export.yaml", *plugins_);
    ASSERT_TRUE(check.ok()) << yaml;
    ASSERT_EQ(check.elements->size(), 1u);
    const auto& back = (*check.elements)[0];
    EXPECT_EQ(back.element_id, element.element_id);
    EXPECT_EQ(back.type, "probe");
    const auto got = nlohmann::ordered_json::parse(back.body_json);
    for (std::size_t i = 0; i < texts.size(); ++i)
        EXPECT_EQ(got["items"][i]["text"], texts[i]) << "text #" << i << " in\n" << yaml;
    EXPECT_EQ(back.body_json, element.body_json) << yaml;
}

TEST_F(CourseDocumentTest, ExportWritesAuthorFriendlyYaml) {
    sdk::CourseElement a;
    a.element_id = "Intro";
    a.type = "probe";
    a.body_json =
        R"({"type":"probe","text":"Hello\n\nWorld\n","items":[{"text":"TRUE"},{"text":"yes"}],"n":2})";
    sdk::CourseElement b;
    b.element_id = "Next";
    b.type = "probe_alias";
    b.body_json = R"({"type":"probe_alias","text":"one line"})";
    EXPECT_EQ(export_course_yaml({a, b}),
              "Intro:\n"
              "  type: probe\n"
              "  text: |\n"
              "    Hello\n"
              "\n"
              "    World\n"
              "  items:\n"
              "    - text: 'TRUE'\n"
              "    - text: yes\n"
              "  n: 2\n"
              "\n"
              "Next:\n"
              "  type: probe_alias\n"
              "  text: one line\n");
}

TEST_F(CourseDocumentTest, SchemaDescribesTheDocumentAndEmbedsElementSchemas) {
    const auto schema = course_json_schema(*plugins_);
    EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    EXPECT_EQ(schema["type"], "object");
    EXPECT_EQ(schema["propertyNames"]["pattern"], "^[\\p{L}\\p{N}_.-]{1,128}$");
    EXPECT_EQ(schema["additionalProperties"]["$ref"], "#/$defs/element");
    EXPECT_TRUE(schema.contains("title") && schema.contains("description"));

    const auto& element = schema["$defs"]["element"];
    EXPECT_EQ(element["required"], nlohmann::json::array({"type"}));
    const auto type_names = element["properties"]["type"]["enum"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(type_names.begin(), type_names.end(), "probe_alias"), type_names.end());

    const auto& probe = schema["$defs"]["element-probe"];
    EXPECT_FALSE(probe.contains("$schema"));
    EXPECT_EQ(probe["properties"]["type"]["enum"], nlohmann::json::array({"probe", "probe_alias"}));
    // The plugin's own reference now points below its place in the course schema.
    EXPECT_EQ(probe["properties"]["items"]["items"]["$ref"], "#/$defs/element-probe/$defs/item");
    EXPECT_TRUE(probe.contains("title") && probe.contains("description"));

    bool dispatched = false;
    for (const auto& rule : element["allOf"])
        if (rule["if"]["properties"]["type"]["enum"] == nlohmann::json::array({"probe", "probe_alias"}))
            dispatched = rule["then"]["$ref"] == "#/$defs/element-probe";
    EXPECT_TRUE(dispatched);
}

}  // namespace
}  // namespace profo::host
