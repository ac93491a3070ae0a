// `profo course validate|import|export|list|schema` as a user runs them: the
// real binary, the real plugins, a config and database of the test's own.
#include "build_tree.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Result {
    int status = -1;
    std::string out;
    std::string err;
};

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class CourseCliTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ =
            fs::temp_directory_path() / ("profo_course_cli_" + std::to_string(std::random_device{}()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        std::string elements;
        for (const auto& entry : fs::directory_iterator(profo::build_tree::plugin_dir())) {
            const auto name = entry.path().filename().string();
            const std::string prefix = "profo_element_";
            if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".so")
                elements += "    " + entry.path().stem().string().substr(prefix.size()) + ": {}\n";
        }
        ASSERT_FALSE(elements.empty())
            << "no element plugins in " << profo::build_tree::plugin_dir().string();
        config_ = dir_ / "profo.yaml";
        std::ofstream(config_) << "log:\n  level: warn\n"
                               << "storage:\n  plugin: sqlite\n  dsn: " << (dir_ / "profo.db").string()
                               << "\n"
                               << "secrets:\n  key_file: " << (dir_ / "secret.key").string() << "\n"
                               << "plugins:\n  search_paths:\n    - "
                               << profo::build_tree::plugin_dir().string() << "\n"
                               << "  storage:\n    sqlite: {}\n"
                               << "  element:\n"
                               << elements;
    }
    void TearDown() override { fs::remove_all(dir_); }

    // `env`: extra NAME=value assignments for the command, already quoted.
    Result profo(const std::vector<std::string>& args, const std::string& env = "") {
        // PROFO_CONFIG rather than --config: it reaches every command alike.
        std::string command = "PROFO_CONFIG=" + quoted(config_.string()) + " " + env + " " +
                              quoted(profo::build_tree::executable("profo"));
        for (const auto& a : args) command += " " + quoted(a);
        const auto out = dir_ / "stdout", err = dir_ / "stderr";
        command += " >" + quoted(out.string()) + " 2>" + quoted(err.string()) + " </dev/null";
        const int raw = std::system(command.c_str());
        Result r;
        r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        r.out = read(out);
        r.err = read(err);
        return r;
    }

    fs::path write(const std::string& name, const std::string& text) {
        const auto path = dir_ / name;
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

    fs::path dir_;
    fs::path config_;
};

const fs::path kCourses = PROFO_LEGACY_COURSES_DIR;

TEST_F(CourseCliTest, ValidatePrintsEveryProblemAndFails) {
    const auto file = write("bad.yaml",
                            "Intro:\n"
                            "  type: message\n"
                            "  text: Hi\n"
                            "  colour: red\n"
                            "bad id!:\n"
                            "  type: message\n"
                            "  text: x\n"
                            "Next:\n"
                            "  text: no type\n");
    const auto r = profo({"course", "validate", file.string()});
    EXPECT_EQ(r.status, 1) << r.err;
    const auto f = file.string();
    EXPECT_EQ(
        split_lines(r.out),
        (std::vector<std::string>{
            f + ":4: warning: element Intro: unknown field 'colour' for type message (kept, but the element "
                "does not use it)",
            f + ":5: invalid element id 'bad id!': character 4 (' ', U+0020) is not allowed; use 1 to 128 "
                "letters or digits (any script) and _ . -",
            f + ":8: element Next: missing 'type'"}));
    EXPECT_NE(r.err.find(f + ": 2 errors, 1 warning"), std::string::npos) << r.err;
}

TEST_F(CourseCliTest, ValidateSyntaxErrorAndUnknownType) {
    const auto broken = write("broken.yaml", "A:\n  type: message\n  text: a: b\n");
    const auto unknown = write("unknown.yaml", "A:\n  type: mesage\n  text: Hi\n");
    const auto r = profo({"course", "validate", broken.string(), unknown.string()});
    EXPECT_EQ(r.status, 1);
    const auto lines = split_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0], broken.string() + ":3: element A: YAML syntax error: illegal map value");
    EXPECT_EQ(lines[1].rfind(unknown.string() + ":2: element A: unknown type 'mesage' (known types: ", 0), 0u)
        << lines[1];
    EXPECT_NE(lines[1].find("message"), std::string::npos);
}

TEST_F(CourseCliTest, ValidateLegacyCoursesSucceedsWithWarningsOnly) {
    std::vector<std::string> args{"course", "validate"};
    for (const auto& entry : fs::directory_iterator(kCourses)) args.push_back(entry.path().string());
    const auto r = profo(args);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    for (const auto& line : split_lines(r.out))
        EXPECT_NE(line.find(": warning: "), std::string::npos) << line;
    EXPECT_NE(r.out.find("ielts2.yaml:91: warning: element Course_intro_01: duplicate element id"),
              std::string::npos);
    EXPECT_NE(r.out.find("course_example.yml:14: warning: element Welcome_Message: 'media[1]' is 'asd': "
                         "neither an http(s) URL nor a Telegram file id"),
              std::string::npos)
        << r.out;
}

TEST_F(CourseCliTest, UsageErrorsExitTwo) {
    EXPECT_EQ(profo({"course", "validate"}).status, 2);
    EXPECT_EQ(profo({"course", "import"}).status, 2);
    EXPECT_EQ(profo({"course", "import", "x.yaml", "--account", "zero"}).status, 2);
    EXPECT_EQ(profo({"course", "export"}).status, 2);
    EXPECT_EQ(profo({"course", "list", "--bogus"}).status, 2);
}

TEST_F(CourseCliTest, EverySubcommandHasHelp) {
    for (const std::string sub : {"validate", "import", "export", "list", "schema"}) {
        const auto r = profo({"course", sub, "--help"});
        EXPECT_EQ(r.status, 0) << sub;
        EXPECT_EQ(r.out.rfind("Usage: profo course " + sub, 0), 0u) << r.out;
    }
    const auto family = profo({"course", "--help"});
    for (const std::string sub : {"validate", "import", "export", "list", "schema"})
        EXPECT_NE(family.out.find("  " + sub), std::string::npos) << family.out;
}

TEST_F(CourseCliTest, ImportExportReimportLegacyCourse) {
    const auto source = kCourses / "test_all_elements.yml";
    auto r = profo({"course", "import", source.string()});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(split_lines(r.out).back(), "imported course test_all_elements (id 1) version 1: 24 elements");

    const auto exported = dir_ / "exported.yaml";
    r = profo({"course", "export", "test_all_elements", "--output", exported.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string v1 = read(exported);
    EXPECT_EQ(v1.rfind("Test_Message_01:\n  type: message\n  text: |\n", 0), 0u) << v1.substr(0, 200);

    r = profo({"course", "import", exported.string(), "--name", "test_all_elements"});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(split_lines(r.out).back(), "imported course test_all_elements (id 1) version 2: 24 elements");

    // Version 2 (from the export) holds exactly what version 1 held.
    r = profo({"course", "export", "1", "--version", "2"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, v1);
    r = profo({"course", "export", "test_all_elements", "--version", "1"});
    EXPECT_EQ(r.out, v1);
    EXPECT_EQ(profo({"course", "export", "test_all_elements", "--version", "3"}).status, 1);
    EXPECT_EQ(profo({"course", "export", "no_such_course"}).status, 1);

    r = profo({"course", "list"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto lines = split_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0].rfind("ID      NAME", 0), 0u) << lines[0];
    std::istringstream row(lines[1]);
    std::string id, name, version, count;
    row >> id >> name >> version >> count;
    EXPECT_EQ(id, "1");
    EXPECT_EQ(name, "test_all_elements");
    EXPECT_EQ(version, "2");
    EXPECT_EQ(count, "24");
}

TEST_F(CourseCliTest, ImportOfBadFileStoresNothing) {
    const auto file = write("half.yaml", "Good:\n  type: message\n  text: Hi\nBad:\n  type: nonsense\n");
    auto r = profo({"course", "import", file.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out.rfind(file.string() + ":5: element Bad: unknown type 'nonsense'", 0), 0u) << r.out;
    r = profo({"course", "list"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(split_lines(r.out).size(), 1u) << r.out;  // the header only
}

TEST_F(CourseCliTest, ImportIntoMissingAccountFails) {
    const auto r = profo({"course", "import", (kCourses / "default.yml").string(), "--account", "7"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("account 7 does not exist"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(profo({"course", "list", "--account", "7"}).status, 1);
}

// Files built to crash the importer (stack overflow, 2 GB of aliases, an
// exception without a location) end in exit 1 and a located problem.
TEST_F(CourseCliTest, HostileFilesFailCleanlyWithFileAndLine) {
    std::string laughs = "A:\n  type: message\n  text: hi\n  l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n";
    for (int i = 1; i < 9; ++i) {
        const auto prev = "*l" + std::to_string(i - 1);
        laughs += "  l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
        for (int k = 0; k < 9; ++k) laughs += (k ? "," : "") + prev;
        laughs += "]\n";
    }
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"A:\n  type: message\n  text: &x [*x]\n",
         ":3: an alias refers to the list or mapping that contains it"},
        {laughs, ": the document expands to more than 1000000 values"},
        // A number past a double's range is the text written, not a failure.
        {"A:\n  type: message\n  text: 1e999\n", ""},
        {"A:\n  type: message\n  text: " + std::string(100000, '1') + "\n", ""},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto file = write("hostile" + std::to_string(i) + ".yaml", cases[i].first);
        const auto r = profo({"course", "validate", file.string()});
        if (cases[i].second.empty()) {
            EXPECT_EQ(r.status, 0) << i << ": " << r.out << r.err;
            continue;
        }
        EXPECT_EQ(r.status, 1) << i << ": " << r.out << r.err;
        EXPECT_EQ(r.out.rfind(file.string() + ":", 0), 0u) << i << ": " << r.out << r.err;
        EXPECT_NE(r.out.find(cases[i].second), std::string::npos) << i << ": " << r.out << r.err;
    }

    // A quoted run of digits imports, and its export must not crash either.
    const auto digits =
        write("digits.yaml", "A:\n  type: message\n  text: '" + std::string(100000, '2') + "'\n");
    auto r = profo({"course", "import", digits.string()});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    r = profo({"course", "export", "digits"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("'" + std::string(100000, '2') + "'"), std::string::npos);
}

// A module that is found but not enabled is named, with how to enable it; and
// play loads exactly what validate does unless told --all-elements.
TEST_F(CourseCliTest, DisabledElementModuleIsNamedByValidateAndPlay) {
    std::string text = read(config_);
    const auto at = text.find("    quiz: {}\n");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, 13, "    quiz: {enabled: false}\n");
    std::ofstream(config_, std::ios::trunc) << text;
    const auto course = write("quiz.yaml",
                              "Q:\n  type: quiz\n  text: 2 + 2?\n  answers:\n"
                              "    - {text: '4', correct: yes}\n    - {text: '5'}\n");
    const std::string hint =
        "/profo_element_quiz.so provides it but is not enabled; enable it with "
        "'plugins.element.quiz' in the config or PROFO_PLUGINS_ELEMENT_QUIZ_ENABLED=true)";

    auto r = profo({"course", "validate", course.string()});
    EXPECT_EQ(r.status, 1) << r.err;
    ASSERT_EQ(split_lines(r.out).size(), 1u) << r.out;
    EXPECT_EQ(r.out.rfind(course.string() + ":2: element Q: unknown type 'quiz' (the element module ", 0), 0u)
        << r.out;
    EXPECT_NE(r.out.find(hint), std::string::npos) << r.out;

    r = profo({"course", "play", course.string()});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.err.find(hint), std::string::npos) << r.err;

    // Enabled from the environment, or every module found for play.
    r = profo({"course", "validate", course.string()}, "PROFO_PLUGINS_ELEMENT_QUIZ_ENABLED=true");
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = profo({"course", "play", "--all-elements", course.string()});
    EXPECT_EQ(r.status, 3) << r.out << r.err;
    EXPECT_NE(r.out.find("run not completed (waiting at Q)"), std::string::npos) << r.out;
}

TEST_F(CourseCliTest, HelpPointsAtTheElementReference) {
    const auto r = profo({"course", "--help"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("docs/elements.md"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("../"), std::string::npos) << r.out;  // nothing outside the repository
}

TEST_F(CourseCliTest, SchemaIsJson) {
    const auto r = profo({"course", "schema"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto schema = nlohmann::json::parse(r.out);
    EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    EXPECT_TRUE(schema["$defs"].contains("element-message"));
    EXPECT_TRUE(schema["$defs"].contains("element-quiz"));
}

}  // namespace
