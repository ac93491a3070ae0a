// Every element module in the plugin folder against the ElementPlugin
// contract: identity, schema and fields, and compile() on hostile input.
#include "build_tree.hpp"
#include "conformance/element_contract.hpp"
#include "plugins/plugin_loader.hpp"

#include <profo/sdk/element.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
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
    for (const auto& entry : fs::directory_iterator(profo::build_tree::plugin_dir(), error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("profo_element_", 0) == 0 && entry.path().extension() == ".so")
            modules.push_back(entry.path());
    }
    std::sort(modules.begin(), modules.end());
    return modules;
}

class ElementConformance : public ::testing::TestWithParam<fs::path> {};

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

// The rules themselves live in host/src/conformance, shared with
// `profo conformance`, which a team runs on its own module.
TEST_P(ElementConformance, KeepsTheElementContract) {
    auto module = profo::host::load_plugin_file(GetParam());
    for (const auto& violation : profo::host::element_contract_violations(*module))
        ADD_FAILURE() << violation;
}

// The contract checker itself: it must notice a module that breaks the rules.
TEST(ElementContractChecker, NoticesABrokenModule) {
    auto module = profo::host::load_plugin_file(profo::build_tree::root() /
                                                "tests/element_conformance/fixtures/profo_element_broken.so");
    const auto violations = profo::host::element_contract_violations(*module);
    const auto mentions = [&](const std::string& part) {
        return std::any_of(violations.begin(), violations.end(),
                           [&](const std::string& v) { return v.find(part) != std::string::npos; });
    };
    EXPECT_TRUE(mentions("type() is 'Broken Type'")) << ::testing::PrintToString(violations);
    EXPECT_TRUE(mentions("has no description")) << ::testing::PrintToString(violations);
    EXPECT_TRUE(mentions("in fields() but not in the schema")) << ::testing::PrintToString(violations);
    EXPECT_TRUE(mentions("compile() threw")) << ::testing::PrintToString(violations);
    EXPECT_TRUE(mentions("returned no spec without an error")) << ::testing::PrintToString(violations);
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
