// Every element module in the plugin folder against the ElementPlugin
// contract: identity, schema and fields, and validate() on hostile input.
#include "plugins/plugin_loader.hpp"

#include <profo/sdk/element.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using profo::sdk::ElementPlugin;

std::vector<fs::path> element_modules() {
    std::vector<fs::path> modules;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(PROFO_PLUGIN_OUTPUT_DIR, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("profo_element_", 0) == 0 && entry.path().extension() == ".so")
            modules.push_back(entry.path());
    }
    std::sort(modules.begin(), modules.end());
    return modules;
}

class KeptReport : public profo::sdk::ValidationReport {
public:
    void add(profo::sdk::ValidationIssue issue) override { issues.push_back(std::move(issue)); }
    std::size_t errors() const {
        return static_cast<std::size_t>(std::count_if(issues.begin(), issues.end(), [](const auto& issue) {
            return issue.severity == profo::sdk::ValidationIssue::Severity::error;
        }));
    }
    std::vector<profo::sdk::ValidationIssue> issues;
};

// A course of a few elements, so goto checks have something to miss and hit.
class SmallCourse : public profo::sdk::CourseOutline {
public:
    bool has_element(const std::string& id) const override {
        return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
    }
    const std::vector<std::string>& element_ids() const override { return ids_; }
    std::string type_of(const std::string& id) const override { return has_element(id) ? "message" : ""; }

private:
    std::vector<std::string> ids_{"Intro", "Quiz_1", "Final"};
};

std::string huge_string() {
    return std::string(1 << 20, 'x');
}

// Values of every JSON type plus some that look almost right.
std::vector<json> hostile_values() {
    return {nullptr,
            true,
            -1,
            1e308,
            "",
            "x",
            huge_string(),
            "1d:99h",
            "\xFF\xFE broken utf-8",
            json::array(),
            json::array({nullptr, 1, "x", json::object()}),
            json::array({json::object(), json{{"text", json::array()}}, json{{"goto", 5}, {"wait", "soon"}}}),
            json::object(),
            json{{"text", nullptr}, {"correct", "perhaps"}},
            json{{"1e999", json::object()}, {"-", json::array()}, {"", nullptr}}};
}

class ElementConformance : public ::testing::TestWithParam<fs::path> {
protected:
    void SetUp() override {
        loaded_ = profo::host::load_plugin_file(GetParam());
        element_ = &loaded_->as<ElementPlugin>();
    }

    // Every field of the schema, `type` and those outside it included.
    std::set<std::string> known_fields() const {
        std::set<std::string> names;
        for (const auto& name : element_->fields()) names.insert(name);
        return names;
    }

    void expect_validate_does_not_throw(const json& spec) {
        KeptReport report;
        SmallCourse course;
        EXPECT_NO_THROW(element_->validate(spec, course, report)) << spec.dump().substr(0, 200);
        for (const auto& issue : report.issues)
            EXPECT_FALSE(issue.message.empty()) << spec.dump().substr(0, 200);
    }

    std::shared_ptr<profo::host::LoadedPlugin> loaded_;
    ElementPlugin* element_ = nullptr;
};

TEST(ElementModules, AtLeastTheCoreTypesAreBuilt) {
    std::set<std::string> files;
    for (const auto& module : element_modules()) files.insert(module.filename().string());
    for (const char* type : {"message", "audio", "input", "quiz", "question", "multi_choice", "jump", "delay",
                             "test", "revision", "end", "section"})
        EXPECT_TRUE(files.count(std::string("profo_element_") + type + ".so")) << type;
}

TEST(ElementModules, TypesAndAliasesAreClaimedOnce) {
    std::map<std::string, std::string> claimed;  // type or alias -> module
    for (const auto& module : element_modules()) {
        auto loaded = profo::host::load_plugin_file(module);
        auto& element = loaded->as<ElementPlugin>();
        std::vector<std::string> names = element.aliases();
        names.push_back(element.type());
        for (const auto& name : names) {
            auto [it, inserted] = claimed.emplace(name, module.filename().string());
            EXPECT_TRUE(inserted) << name << " is claimed by " << it->second << " and " << module.filename();
        }
    }
}

TEST_P(ElementConformance, MetadataNamesTheType) {
    EXPECT_EQ(loaded_->metadata().kind, profo::sdk::PluginKind::element);
    EXPECT_EQ(loaded_->metadata().id, element_->type());
    EXPECT_EQ(GetParam().filename().string(), "profo_element_" + element_->type() + ".so");
}

TEST_P(ElementConformance, TypeAndAliasesAreLowerCaseWords) {
    const std::regex word("[a-z_]+");
    EXPECT_TRUE(std::regex_match(element_->type(), word)) << element_->type();
    std::set<std::string> seen{element_->type()};
    for (const auto& alias : element_->aliases()) {
        EXPECT_TRUE(std::regex_match(alias, word)) << alias;
        EXPECT_TRUE(seen.insert(alias).second) << "alias repeated or equal to the type: " << alias;
    }
}

TEST_P(ElementConformance, SchemaDescribesTheType) {
    const json schema = element_->json_schema();
    ASSERT_TRUE(schema.is_object());
    if (schema.contains("$schema")) {
        EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    }
    EXPECT_EQ(schema.value("type", ""), "object");
    ASSERT_TRUE(schema.contains("properties") && schema["properties"].is_object());
    const json& type = schema["properties"]["type"];
    const bool names_type =
        (type.contains("const") && type["const"] == element_->type()) ||
        (type.contains("enum") && type["enum"].is_array() &&
         std::find(type["enum"].begin(), type["enum"].end(), element_->type()) != type["enum"].end());
    EXPECT_TRUE(names_type) << type.dump();
    // The editor shows these descriptions next to the fields an author fills in.
    for (const auto& [name, property] : schema["properties"].items()) {
        EXPECT_TRUE(property.is_object()) << name;
        if (name != "type") {
            EXPECT_TRUE(property.contains("description")) << name << " has no description";
        }
    }
    if (schema.contains("required")) {
        ASSERT_TRUE(schema["required"].is_array());
        for (const auto& name : schema["required"])
            EXPECT_TRUE(schema["properties"].contains(name.get<std::string>())) << name;
    }
}

TEST_P(ElementConformance, FieldsCoverTheSchema) {
    const std::set<std::string> fields = known_fields();
    EXPECT_FALSE(fields.empty());
    EXPECT_EQ(fields.size(), element_->fields().size()) << "fields() lists a name twice";
    for (const auto& [name, property] : element_->json_schema()["properties"].items()) {
        if (name == "type") continue;
        EXPECT_TRUE(fields.count(name)) << name << " is in the schema but not in fields()";
    }
}

TEST_P(ElementConformance, ValidateSurvivesHostileSpecs) {
    for (const json& spec : hostile_values()) expect_validate_does_not_throw(spec);
    for (const json& value : hostile_values()) {
        json all_fields = {{"type", element_->type()}};
        for (const auto& field : known_fields()) {
            expect_validate_does_not_throw(json{{"type", element_->type()}, {field, value}});
            all_fields[field] = value;
        }
        expect_validate_does_not_throw(all_fields);
        // Not the type's own name, or not text at all.
        expect_validate_does_not_throw(json{{"type", value}, {"text", value}});
    }
}

TEST_P(ElementConformance, EmptyElementReportsMissingRequiredFields) {
    const json schema = element_->json_schema();
    std::size_t required = 0;
    for (const auto& name : schema.value("required", json::array()))
        if (name != "type") ++required;
    SmallCourse course;
    for (const json& spec : {json::object(), json{{"type", element_->type()}}}) {
        KeptReport report;
        element_->validate(spec, course, report);
        if (required > 0) {
            EXPECT_GE(report.errors(), 1u) << spec << ": the schema requires fields, but this passes";
        } else {
            EXPECT_EQ(report.errors(), 0u) << spec << ": nothing is required, yet this fails";
        }
    }
    KeptReport not_a_mapping;
    element_->validate(json::array(), course, not_a_mapping);
    EXPECT_GE(not_a_mapping.errors(), 1u) << "a list is not an element";
}

std::string test_name(const ::testing::TestParamInfo<fs::path>& info) {
    std::string name = info.param.stem().string().substr(std::string("profo_element_").size());
    std::replace_if(
        name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return name;
}

INSTANTIATE_TEST_SUITE_P(BuiltModules, ElementConformance, ::testing::ValuesIn(element_modules()), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ElementConformance);

}  // namespace
