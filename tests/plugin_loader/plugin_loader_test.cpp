// The loader against modules broken in every way the SDK contract forbids.
#include "plugins/plugin_loader.hpp"
#include "build_tree.hpp"
#include "plugins/plugin_registry.hpp"

#include <profo/sdk/transport.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using profo::host::discover_plugins;
using profo::host::inspect_plugin;
using profo::host::load_plugin;
using profo::host::load_plugin_file;
using profo::host::PluginLoadError;

namespace {

const fs::path kFixtures = profo::build_tree::root() / "tests/plugin_loader/fixtures";

fs::path fixture(const std::string& name) {
    return kFixtures / ("profo_fixture_" + name + ".so");
}

// Each test gets an empty folder in which modules leave a file when any of
// their code runs.
class LoaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        trace_dir_ =
            fs::temp_directory_path() / ("profo-loader-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(trace_dir_);
        fs::create_directories(trace_dir_);
        ::setenv("PROFO_FIXTURE_TRACE_DIR", trace_dir_.c_str(), 1);
    }
    void TearDown() override {
        ::unsetenv("PROFO_FIXTURE_TRACE_DIR");
        fs::remove_all(trace_dir_);
    }
    bool ran(const std::string& module) const { return fs::exists(trace_dir_ / module); }

    fs::path trace_dir_;
};

}  // namespace

TEST_F(LoaderTest, AcceptsAndLoadsAWellFormedModule) {
    auto candidate = inspect_plugin(fixture("good"));
    ASSERT_TRUE(candidate.refusal.empty()) << candidate.refusal;
    ASSERT_TRUE(candidate.metadata);
    EXPECT_EQ(candidate.metadata->id, "fixture_good");
    EXPECT_EQ(candidate.metadata->version, "1.2.3");
    EXPECT_EQ(candidate.metadata->kind, profo::sdk::PluginKind::transport);
    EXPECT_EQ(candidate.metadata->qualified_id(), "transport/fixture_good");
    EXPECT_FALSE(ran("good")) << "inspecting must not run module code";

    auto loaded = load_plugin(candidate);
    EXPECT_TRUE(ran("good"));
    EXPECT_TRUE(loaded->as<profo::sdk::TransportPlugin>().ready());
    EXPECT_THROW(loaded->as<profo::sdk::StoragePlugin>(), PluginLoadError);
}

TEST_F(LoaderTest, RefusesAnotherAbiMajorBeforeRunningAnyCode) {
    auto candidate = inspect_plugin(fixture("foreign_abi"));
    const std::string host_abi =
        std::to_string(profo::sdk::kAbiMajor) + "." + std::to_string(profo::sdk::kAbiMinor);
    EXPECT_EQ(candidate.refusal,
              "SDK ABI 99.0 is incompatible with the host's " + host_abi + " (major versions differ)");
    EXPECT_THROW(load_plugin(candidate), PluginLoadError);
    EXPECT_FALSE(ran("foreign_abi"));
}

TEST_F(LoaderTest, RefusesANewerMinorAbi) {
    auto candidate = inspect_plugin(fixture("newer_minor"));
    const std::string major = std::to_string(profo::sdk::kAbiMajor);
    EXPECT_EQ(candidate.refusal, "built for SDK ABI " + major + ".99, newer than the host's " + major + "." +
                                     std::to_string(profo::sdk::kAbiMinor));
    EXPECT_THROW(load_plugin(candidate), PluginLoadError);
    EXPECT_FALSE(ran("newer_minor"));
}

TEST_F(LoaderTest, RefusesAStoragePluginOlderThanTheStorageInterfaces) {
    auto candidate = inspect_plugin(fixture("older_storage"));
    const std::string major = std::to_string(profo::sdk::kAbiMajor);
    EXPECT_EQ(candidate.refusal, "storage plugin built for SDK ABI " + major + ".12; storage plugins need " +
                                     major +
                                     ".13 or newer (the storage interfaces grew): rebuild it against "
                                     "this SDK");
    EXPECT_THROW(load_plugin(candidate), PluginLoadError);
    EXPECT_FALSE(ran("older_storage"));
}

TEST_F(LoaderTest, RefusesATransportPluginOlderThanTheInboundEvent) {
    auto candidate = inspect_plugin(fixture("older_transport"));
    const std::string major = std::to_string(profo::sdk::kAbiMajor);
    EXPECT_EQ(candidate.refusal, "transport plugin built for SDK ABI " + major +
                                     ".6; transport plugins need " + major +
                                     ".7 or newer (InboundEvent grew): rebuild it against this SDK");
    EXPECT_THROW(load_plugin(candidate), PluginLoadError);
    EXPECT_FALSE(ran("older_transport"));
}

TEST_F(LoaderTest, RefusesAnotherToolchainBeforeRunningAnyCode) {
    auto candidate = inspect_plugin(fixture("foreign_toolchain"));
    EXPECT_NE(
        candidate.refusal.find("toolchain mismatch: plugin built with "
                               "'clang-17.0;libc++-17;cxx-202002;boost-108300;json-3.11', host with 'gcc-"),
        std::string::npos)
        << candidate.refusal;
    try {
        load_plugin(candidate);
        FAIL() << "loaded a module built with another toolchain";
    } catch (const PluginLoadError& e) {
        EXPECT_EQ(e.path(), fixture("foreign_toolchain"));
        EXPECT_NE(std::string(e.what()).find(fixture("foreign_toolchain").string() + ": toolchain mismatch"),
                  std::string::npos);
    }
    EXPECT_FALSE(ran("foreign_toolchain"));
}

TEST_F(LoaderTest, RefusesAModuleWithoutTheEntrySymbolBeforeRunningAnyCode) {
    auto candidate = inspect_plugin(fixture("missing_entry"));
    EXPECT_EQ(candidate.refusal, "missing entry symbol 'profo_plugin'");
    EXPECT_THROW(load_plugin_file(fixture("missing_entry")), PluginLoadError);
    EXPECT_FALSE(ran("missing_entry"));
}

TEST_F(LoaderTest, ReportsTheReasonAFactoryThrows) {
    auto candidate = inspect_plugin(fixture("factory_throws"));
    ASSERT_TRUE(candidate.refusal.empty());
    try {
        load_plugin(candidate);
        FAIL() << "a throwing factory produced a plugin";
    } catch (const PluginLoadError& e) {
        EXPECT_EQ(e.reason(), "factory failed: settings file /nonexistent is missing");
    }
}

TEST_F(LoaderTest, RefusesFilesThatAreNotPlugins) {
    auto candidate = inspect_plugin(kFixtures / "profo_fixture_not_a_module.so");
    EXPECT_FALSE(candidate.metadata);
    EXPECT_EQ(candidate.refusal,
              "not a ProfoChatBot plugin (no metadata record; declare it with PROFO_PLUGIN)");
}

TEST_F(LoaderTest, DiscoveryRefusesTheSecondModuleWithTheSameId) {
    auto found = discover_plugins({kFixtures});
    const profo::host::PluginCandidate* a = nullptr;
    const profo::host::PluginCandidate* b = nullptr;
    for (const auto& c : found) {
        if (c.path.filename() == "profo_fixture_duplicate_a.so") a = &c;
        if (c.path.filename() == "profo_fixture_duplicate_b.so") b = &c;
    }
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(a->refusal.empty()) << a->refusal;
    EXPECT_EQ(b->refusal, "duplicate id 'transport/fixture_duplicate', already provided by " +
                              fs::weakly_canonical(fixture("duplicate_a")).string());
    // Sorted by path, so the outcome does not depend on directory order.
    EXPECT_TRUE(std::is_sorted(found.begin(), found.end(),
                               [](const auto& x, const auto& y) { return x.path < y.path; }));
}

TEST_F(LoaderTest, RegistryLoadsOnlyEnabledPluginsAndListsEveryFailure) {
    profo::host::Config config;
    config.plugin_search_paths = {kFixtures.string()};
    config.plugins["transport/fixture_good"].enabled = true;
    config.plugins["transport/fixture_throws"].enabled = true;
    config.plugins["transport/fixture_abi"].enabled = true;
    config.plugins["transport/fixture_nowhere"].enabled = true;
    config.plugins["transport/fixture_toolchain"].enabled = false;

    profo::host::PluginRegistry registry(config, discover_plugins(config.resolved_search_paths()));
    ASSERT_EQ(registry.loaded().size(), 1u);
    EXPECT_EQ(registry.loaded()[0]->metadata().id, "fixture_good");
    EXPECT_EQ(registry.transports().size(), 1u);
    EXPECT_FALSE(ran("foreign_toolchain"));  // refused and disabled: never loaded

    const auto& failures = registry.failures();
    ASSERT_EQ(failures.size(), 3u);
    auto mentions = [&](const std::string& text) {
        return std::any_of(failures.begin(), failures.end(),
                           [&](const std::string& f) { return f.find(text) != std::string::npos; });
    };
    EXPECT_TRUE(mentions(fixture("factory_throws").string() +
                         ": factory failed: settings file /nonexistent is missing"));
    EXPECT_TRUE(mentions(fixture("foreign_abi").string() + ": SDK ABI 99.0 is incompatible"));
    EXPECT_TRUE(mentions(
        "plugin transport/fixture_nowhere is enabled in the config but no module provides it (searched: " +
        kFixtures.string() + ")"));

    std::map<std::string, profo::host::PluginStatus::State> states;
    for (const auto& s : registry.statuses())
        if (s.candidate.metadata) states[s.candidate.metadata->id] = s.state;
    EXPECT_EQ(states["fixture_good"], profo::host::PluginStatus::State::enabled);
    EXPECT_EQ(states["fixture_toolchain"], profo::host::PluginStatus::State::refused);
    EXPECT_EQ(states["fixture_minor"], profo::host::PluginStatus::State::refused);
}
