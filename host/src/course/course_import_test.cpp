// Import against the real SQLite storage plugin: all-or-nothing, versions,
// tenants, and what export gives back.
#include "course/course_document.hpp"

#include "course/course_test_plugins.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace profo::host {
namespace {

namespace fs = std::filesystem;

class CourseImportTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        plugins_ = course_test::element_plugins().release();
        storage_module_ = new std::shared_ptr<LoadedPlugin>(
            load_plugin_file(course_test::kPluginDir / "profo_storage_sqlite.so"));
    }
    static void TearDownTestSuite() {
        delete storage_module_;
        delete plugins_;
    }

    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("profo_course_import_" + std::to_string(std::random_device{}()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        sdk::StorageOptions options;
        options.dsn = (dir_ / "profo.db").string();
        options.sqlite_synchronous = sdk::SqliteSynchronous::normal;  // no fsync per commit in tests
        storage_ = (*storage_module_)->keep_alive((*storage_module_)->as<sdk::StoragePlugin>().open(options));
        storage_->migrate();
    }
    void TearDown() override {
        storage_.reset();
        fs::remove_all(dir_);
    }

    fs::path write(const std::string& name, const std::string& text) {
        const auto path = dir_ / name;
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

    std::vector<sdk::Course> courses(sdk::Id account) { return storage_->begin()->list_courses(account); }

    std::vector<sdk::CourseElement> stored(sdk::Id account, sdk::Id version_id) {
        return storage_->begin()->version_elements(account, version_id);
    }

    static PluginRegistry* plugins_;
    static std::shared_ptr<LoadedPlugin>* storage_module_;
    fs::path dir_;
    std::shared_ptr<sdk::Storage> storage_;
};

PluginRegistry* CourseImportTest::plugins_ = nullptr;
std::shared_ptr<LoadedPlugin>* CourseImportTest::storage_module_ = nullptr;

const char* const kGood =
    "Hello:\n  type: message\n  text: Hi there\n  colour: blue\nBye:\n  type: end\n  text: Bye\n";

TEST_F(CourseImportTest, BadFileStoresNothing) {
    // One good element and one error: the good one must not be stored either.
    const auto file = write("broken.yaml", "Hello:\n  type: message\n  text: Hi\nOops:\n  type: nonsense\n");
    try {
        import_course_file(*storage_, *plugins_, file, sdk::kDefaultAccountId);
        FAIL() << "import of a course with errors succeeded";
    } catch (const CourseImportError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].line, 5);
        EXPECT_EQ(e.problems()[0].element_id, "Oops");
        EXPECT_NE(std::string(e.what()).find("unknown type 'nonsense'"), std::string::npos);
    }
    EXPECT_TRUE(courses(sdk::kDefaultAccountId).empty());
}

TEST_F(CourseImportTest, ANewCourseIsRefusedANameNobodyCouldReadAndNothingIsStored) {
    const auto file = write("named.yaml", kGood);
    const std::vector<std::pair<std::string, std::string>> refused = {
        {"", "the course name must not be empty"},
        {" Padded", "begins or ends with a space"},
        {"Tab\there", "a control character at character 4"},
        {std::string(201, 'x'), "201 characters long; at most 200"},
        {"Caf\xc3", "not valid UTF-8 (at byte 4)"}};
    for (const auto& [name, problem] : refused) {
        try {
            import_course_file(*storage_, *plugins_, file, sdk::kDefaultAccountId, name);
            ADD_FAILURE() << "'" << name << "' was taken";
        } catch (const CourseImportError& e) {
            EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
        }
    }
    EXPECT_TRUE(courses(sdk::kDefaultAccountId).empty());
    std::string cyrillic;  // 200 characters, 400 bytes
    for (int i = 0; i < 200; ++i) cyrillic += "\xd1\x8f";
    EXPECT_TRUE(import_course_file(*storage_, *plugins_, file, sdk::kDefaultAccountId, cyrillic).created);
}

TEST_F(CourseImportTest, ADirectoryIsNoCourseFile) {
    const auto check = check_course_file(dir_, *plugins_);
    ASSERT_EQ(check.problems.size(), 1u);
    EXPECT_EQ(check.problems[0].message, "is a directory, not a course file");
    EXPECT_FALSE(check.ok());
}

TEST_F(CourseImportTest, SameNameAddsVersions) {
    const auto file = write("greeting.yaml", kGood);
    const auto first = import_course_file(*storage_, *plugins_, file, sdk::kDefaultAccountId);
    EXPECT_TRUE(first.created);
    EXPECT_EQ(first.course.name, "greeting");
    EXPECT_EQ(first.version.number, 1);
    EXPECT_EQ(first.version.source_name, "greeting.yaml");
    ASSERT_EQ(first.warnings.size(), 1u);
    EXPECT_EQ(first.warnings[0].to_string(),
              file.string() +
                  ":4: warning: element Hello: unknown field 'colour' for type message (kept, but the "
                  "element does not use it)");

    write("greeting.yaml", "Only:\n  type: end\n");
    const auto second = import_course_file(*storage_, *plugins_, file, sdk::kDefaultAccountId);
    EXPECT_FALSE(second.created);
    EXPECT_EQ(second.course.id, first.course.id);
    EXPECT_EQ(second.version.number, 2);

    ASSERT_EQ(courses(sdk::kDefaultAccountId).size(), 1u);
    const auto v1 = stored(sdk::kDefaultAccountId, first.version.id);
    ASSERT_EQ(v1.size(), 2u);
    EXPECT_EQ(v1[0].element_id, "Hello");
    EXPECT_EQ(v1[0].type, "message");
    EXPECT_EQ(v1[0].body_json, R"({"type":"message","text":"Hi there","colour":"blue"})");
    EXPECT_EQ(v1[1].element_id, "Bye");
    EXPECT_EQ(stored(sdk::kDefaultAccountId, second.version.id).size(), 1u);
}

TEST_F(CourseImportTest, NameOptionOverridesTheFileName) {
    const auto file = write("whatever.yaml", kGood);
    const auto result = import_course_file(*storage_, *plugins_, file, sdk::kDefaultAccountId, "Onboarding");
    EXPECT_EQ(result.course.name, "Onboarding");
    EXPECT_TRUE(storage_->begin()->find_course(sdk::kDefaultAccountId, "Onboarding").has_value());
}

TEST_F(CourseImportTest, AccountsAreSeparate) {
    sdk::Id second_account = 0;
    {
        auto tx = storage_->begin();
        second_account = tx->create_account("Second school").id;
        tx->commit();
    }
    const auto file = write("tenant.yaml", kGood);
    const auto result = import_course_file(*storage_, *plugins_, file, second_account);
    EXPECT_EQ(result.course.account_id, second_account);
    EXPECT_TRUE(courses(sdk::kDefaultAccountId).empty());
    ASSERT_EQ(courses(second_account).size(), 1u);
    EXPECT_TRUE(stored(sdk::kDefaultAccountId, result.version.id).empty());
    // The same name in another account is another course, starting at version 1.
    EXPECT_EQ(import_course_file(*storage_, *plugins_, file, sdk::kDefaultAccountId).version.number, 1);
}

TEST_F(CourseImportTest, MissingAccountIsRefused) {
    const auto file = write("lost.yaml", kGood);
    try {
        import_course_file(*storage_, *plugins_, file, 4242);
        FAIL() << "import into a missing account succeeded";
    } catch (const CourseImportError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].to_string(), file.string() + ": account 4242 does not exist");
    }
}

TEST_F(CourseImportTest, LegacyCourseStoresWhatTheCheckSaw) {
    const auto file = course_test::kCoursesDir / "test_all_elements.yml";
    const auto check = check_course_file(file, *plugins_);
    ASSERT_TRUE(check.ok());
    const auto result = import_course_file(*storage_, *plugins_, file, sdk::kDefaultAccountId);
    const auto elements = stored(sdk::kDefaultAccountId, result.version.id);
    ASSERT_EQ(elements.size(), check.elements->size());
    for (std::size_t i = 0; i < elements.size(); ++i) {
        EXPECT_EQ(elements[i].element_id, (*check.elements)[i].element_id);
        EXPECT_EQ(elements[i].type, (*check.elements)[i].type);
        EXPECT_EQ(elements[i].body_json, (*check.elements)[i].body_json);
        EXPECT_EQ(elements[i].position, static_cast<int>(i));
    }
}

// rev.yaml defines GraphicMsg1_1 twice: the stored course and its export keep
// the later definition (no media) at the first one's position.
TEST_F(CourseImportTest, DuplicateIdExportKeepsTheLaterDefinitionFirst) {
    const auto result = import_course_file(*storage_, *plugins_, course_test::kCoursesDir / "rev.yaml",
                                           sdk::kDefaultAccountId);
    const auto yaml = export_course_yaml(stored(sdk::kDefaultAccountId, result.version.id));
    EXPECT_EQ(yaml.rfind("GraphicMsg1_1:\n"
                         "  type: message\n"
                         "  text: |\n"
                         "    Посмотри на график и подумай, какое предложение подходит\n"
                         "\n"
                         "GraphicQuiz1_2:\n",
                         0),
              0u)
        << yaml.substr(0, 400);
    EXPECT_EQ(yaml.find("GraphicMsg1_1:", 1), std::string::npos);
}

}  // namespace
}  // namespace profo::host
