// The real element plugins against the legacy courses (they must validate and
// round-trip unchanged) and against the mistakes authors make.
#include "course/course_document.hpp"

#include "course/course_test_plugins.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

namespace profo::host {
namespace {

namespace fs = std::filesystem;

class CourseLegacyTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        plugins_ = course_test::element_plugins().release();
        for (const auto& f : plugins_->failures()) std::cerr << "plugin problem: " << f << "\n";
    }
    static void TearDownTestSuite() {
        delete plugins_;
        plugins_ = nullptr;
    }

    static std::vector<fs::path> courses() {
        std::vector<fs::path> out;
        for (const auto& entry : fs::directory_iterator(course_test::kCoursesDir))
            if (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml")
                out.push_back(entry.path());
        std::sort(out.begin(), out.end());
        return out;
    }

    static std::vector<std::string> check_lines(const std::string& yaml) {
        std::vector<std::string> out;
        for (const auto& p : check_course(yaml, "bad.yaml", *plugins_).problems) out.push_back(p.to_string());
        return out;
    }

    static PluginRegistry* plugins_;
};

PluginRegistry* CourseLegacyTest::plugins_ = nullptr;

using Lines = std::vector<std::string>;

TEST_F(CourseLegacyTest, EveryLegacyTypeHasAPlugin) {
    for (const auto& type : course_test::kLegacyTypes)
        EXPECT_NE(plugins_->element(type), nullptr)
            << "no element plugin for '" << type << "' in " << course_test::kPluginDir;
    EXPECT_NE(plugins_->element("miniapptest"), nullptr);
}

TEST_F(CourseLegacyTest, LegacyCoursesValidate) {
    const auto files = courses();
    ASSERT_GE(files.size(), 9u);
    for (const auto& file : files) {
        const auto check = check_course_file(file, *plugins_);
        for (const auto& p : check.problems) {
            // Warnings are allowed; they are printed so a reviewer sees them.
            if (p.warning)
                std::cout << p.to_string() << "\n";
            else
                ADD_FAILURE() << p.to_string();
        }
        ASSERT_TRUE(check.ok()) << file;
        EXPECT_FALSE(check.elements->empty()) << file;
    }
}

TEST_F(CourseLegacyTest, LegacyCoursesRoundTripThroughExport) {
    for (const auto& file : courses()) {
        const auto first = check_course_file(file, *plugins_);
        ASSERT_TRUE(first.ok()) << file;
        const std::string yaml = export_course_yaml(*first.elements);
        const auto second = check_course(yaml, file.filename().string() + " (exported)", *plugins_);
        ASSERT_TRUE(second.ok()) << file << "\n" << yaml;
        ASSERT_EQ(second.elements->size(), first.elements->size()) << file;
        for (std::size_t i = 0; i < first.elements->size(); ++i) {
            const auto& a = (*first.elements)[i];
            const auto& b = (*second.elements)[i];
            EXPECT_EQ(b.element_id, a.element_id) << file;
            EXPECT_EQ(b.type, a.type) << file << " " << a.element_id;
            EXPECT_EQ(b.body_json, a.body_json) << file << " " << a.element_id;
            EXPECT_EQ(b.position, a.position) << file << " " << a.element_id;
        }
        // Export is stable: exporting the re-read course gives the same text.
        EXPECT_EQ(export_course_yaml(*second.elements), yaml) << file;
    }
}

TEST_F(CourseLegacyTest, DuplicateIdsKeepTheFirstPositionWithTheLastValue) {
    const auto ielts = check_course_file(course_test::kCoursesDir / "ielts2.yaml", *plugins_);
    ASSERT_TRUE(ielts.ok());
    const auto it = std::find_if(ielts.problems.begin(), ielts.problems.end(), [](const CourseProblem& p) {
        return p.message.rfind("duplicate element id", 0) == 0;
    });
    ASSERT_NE(it, ielts.problems.end());
    EXPECT_EQ(it->to_string(),
              (course_test::kCoursesDir / "ielts2.yaml").string() +
                  ":91: warning: element Course_intro_01: duplicate element id: this definition "
                  "(line 91) replaces the one at line 55, which keeps its place in the course order");
    const auto& e = *ielts.elements;
    ASSERT_EQ(e.size(), 27u);  // 28 keys, one repeated
    EXPECT_EQ(e[3].element_id, "Course_intro_01");
    EXPECT_NE(e[3].body_json.find("Plunge"), std::string::npos);
    EXPECT_EQ(e[4].element_id, "Definition_Plummet");
    EXPECT_EQ(e[5].element_id, "Definition_Halve");

    const auto rev = check_course_file(course_test::kCoursesDir / "rev.yaml", *plugins_);
    ASSERT_TRUE(rev.ok());
    EXPECT_EQ((*rev.elements)[0].element_id, "GraphicMsg1_1");
    EXPECT_EQ((*rev.elements)[0].body_json.find("media"), std::string::npos);
    const auto dup = std::count_if(rev.problems.begin(), rev.problems.end(), [](const CourseProblem& p) {
        return p.to_string().find(
                   ":18: warning: element GraphicMsg1_1: duplicate element id: this definition "
                   "(line 18) replaces the one at line 1,") != std::string::npos;
    });
    EXPECT_EQ(dup, 1);
}

// What the legacy bot took although it is probably a mistake: imported, each
// with a warning on its line that says how it is read.
TEST_F(CourseLegacyTest, LegacyQuirksImportWithAWarningOnTheirLine) {
    const std::string yaml =
        "Q1:\n"
        "  type: quiz\n"
        "  text: Столица Франции?\n"
        "  answers:\n"
        "    - text: Париж\n"
        "      correct: да\n"
        "    - text: Лион\n"
        "      correct: нет\n"
        "M1:\n"
        "  type: multi_choice\n"
        "  text: Pick\n"
        "  answers:\n"
        "    - text: A\n"
        "    - text: B\n"
        "R1:\n"
        "  type: revision\n"
        "  prefix: Q\n"
        "  button: Повторить\n";
    const auto check = check_course(yaml, "bad.yaml", *plugins_);
    ASSERT_TRUE(check.ok()) << check_lines(yaml)[0];
    EXPECT_EQ(
        check_lines(yaml),
        (Lines{"bad.yaml:6: warning: element Q1: 'answers[0].correct' is 'да': read as yes (write "
               "'correct: yes')",
               "bad.yaml:8: warning: element Q1: 'answers[1].correct' is 'нет': read as no (write "
               "'correct: no')",
               "bad.yaml:12: warning: element M1: no answer has 'correct: yes': every selection scores 0 "
               "(feedback_incorrect)",
               "bad.yaml:15: warning: element R1: 'button' without 'text': the button's label is sent as "
               "the message"}));
}

// The mistakes authors make, each with the exact line it is reported on.
TEST_F(CourseLegacyTest, AuthorMistakesAreReportedWithTheirLines) {
    // A missing required field is reported where its element starts.
    EXPECT_EQ(check_lines("Q1:\n  type: quiz\n  text: Pick one\n"),
              Lines{"bad.yaml:1: element Q1: 'answers' is required"});

    // Two correct answers: ielts2.yaml has such quizzes and must keep
    // importing, so the quiz plugin warns (on the answers) instead of refusing.
    const std::string two_correct =
        "Q1:\n  type: quiz\n  text: Pick one\n  answers:\n    - text: a\n      correct: yes\n"
        "    - text: b\n      correct: true\n";
    EXPECT_EQ(
        check_lines(two_correct),
        Lines{"bad.yaml:4: warning: element Q1: 2 answers have 'correct: yes' (answers[0], answers[1]); "
              "Telegram shows only the first as the right one, and choosing any of them scores 1"});
    EXPECT_TRUE(check_course(two_correct, "bad.yaml", *plugins_).ok());

    // `correct: no` is not correct (the legacy bug): no correct answer at all.
    EXPECT_EQ(
        check_lines("Q1:\n  type: quiz\n  text: Pick one\n  answers:\n    - text: a\n      correct: no\n"
                    "    - text: b\n"),
        Lines{"bad.yaml:4: element Q1: a quiz needs exactly one answer with 'correct: yes' (none has it)"});

    // A goto to nowhere: reported on the goto.
    EXPECT_EQ(
        check_lines("J:\n  type: jump\n  text: Where?\n  options:\n    - text: Go\n      goto: Nowhere\n"
                    "End:\n  type: end\n"),
        Lines{"bad.yaml:6: element J: 'options[0].goto' goes to 'Nowhere', which is not an element of this "
              "course"});

    // A duration that is not one: reported on the wait.
    EXPECT_EQ(
        check_lines("D:\n  type: delay\n  wait: 5 minutes\n  goto: End\nEnd:\n  type: end\n"),
        Lines{"bad.yaml:3: element D: 'wait' must be a duration such as 30s, 2m, 1h:30m or 1d:2h:3m:4s, not "
              "'5 minutes'"});

    // Several problems in one file come out in file order.
    EXPECT_EQ(
        check_lines(
            "D:\n  type: delay\n  wait: 5 minutes\n  goto: End\nQ1:\n  type: quiz\n  text: Pick\n"
            "End:\n  type: end\nJ:\n  type: jump\n  text: Go?\n  options:\n    - text: Go\n      goto: D2\n"),
        (Lines{"bad.yaml:3: element D: 'wait' must be a duration such as 30s, 2m, 1h:30m or 1d:2h:3m:4s, not "
               "'5 minutes'",
               "bad.yaml:5: element Q1: 'answers' is required",
               "bad.yaml:15: element J: 'options[0].goto' goes to 'D2', which is not an element of this "
               "course"}));
}

TEST_F(CourseLegacyTest, StructuralMistakesWithRealPlugins) {
    EXPECT_EQ(check_lines("Intro:\n  type: message\n  text: Hi\nNext:\n  text: no type\n"),
              Lines{"bad.yaml:4: element Next: missing 'type'"});
    const auto unknown = check_lines("Intro:\n  type: mesage\n  text: Hi\n");
    ASSERT_EQ(unknown.size(), 1u);
    EXPECT_EQ(unknown[0].rfind("bad.yaml:2: element Intro: unknown type 'mesage' (known types: ", 0), 0u);
    for (const auto& type : course_test::kLegacyTypes)
        EXPECT_NE(unknown[0].find(type), std::string::npos) << "'" << type << "' missing from " << unknown[0];
    EXPECT_EQ(
        check_lines("Intro page:\n  type: message\n  text: Hi\n"),
        Lines{"bad.yaml:1: invalid element id 'Intro page': character 6 (' ', U+0020) is not allowed; use 1 "
              "to 128 letters or digits (any script) and _ . -"});
    EXPECT_EQ(check_lines("Intro:\n  type: message\n  text: Hi: there\n"),
              Lines{"bad.yaml:3: element Intro: YAML syntax error: illegal map value"});
}

TEST_F(CourseLegacyTest, SchemaCoversEveryLoadedTypeAndItsReferencesResolve) {
    const auto schema = course_json_schema(*plugins_);
    const auto& defs = schema["$defs"];
    for (const auto& type : plugins_->element_types()) {
        ASSERT_TRUE(defs.contains("element-" + type)) << type;
        const auto& def = defs["element-" + type];
        EXPECT_TRUE(def.contains("title") && def.contains("description")) << type;
        EXPECT_EQ(def["properties"]["type"]["enum"][0], type);
    }
    // Every local reference points at something that exists.
    std::vector<const nlohmann::json*> stack{&schema};
    int refs = 0;
    while (!stack.empty()) {
        const auto* node = stack.back();
        stack.pop_back();
        if (node->is_object()) {
            for (const auto& [key, value] : node->items()) {
                if (key == "$ref" && value.is_string()) {
                    const auto ref = value.get<std::string>();
                    ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
                    EXPECT_TRUE(schema.contains(nlohmann::json::json_pointer(ref.substr(1)))) << ref;
                    ++refs;
                }
                stack.push_back(&value);
            }
        } else if (node->is_array()) {
            for (const auto& item : *node) stack.push_back(&item);
        }
    }
    EXPECT_GT(refs, static_cast<int>(plugins_->element_types().size()));
}

}  // namespace
}  // namespace profo::host
