// Every enrollment module in the plugin folder against the EnrollmentPlugin
// contract, loaded through the host's real loader; then each type deciding
// over the real storage plugins while students race for its uses.
#include "backend_types.hpp"
#include "build_tree.hpp"
#include "conformance/enrollment_contract.hpp"
#include "plugins/plugin_loader.hpp"

#include <profo/sdk/enrollment.hpp>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using profo::sdk::EnrollmentPlugin;
namespace sdk = profo::sdk;

std::vector<fs::path> enrollment_modules() {
    std::vector<fs::path> modules;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(profo::build_tree::plugin_dir(), error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("profo_enrollment_", 0) == 0 && entry.path().extension() == ".so")
            modules.push_back(entry.path());
    }
    std::sort(modules.begin(), modules.end());
    return modules;
}

std::string module_name(const fs::path& module) {
    std::string name = module.stem().string().substr(std::string("profo_enrollment_").size());
    std::replace_if(
        name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return name;
}

TEST(EnrollmentModules, TheFourTypesAreBuilt) {
    std::set<std::string> files;
    for (const auto& module : enrollment_modules()) files.insert(module.filename().string());
    for (const char* type : {"public", "group", "personal", "external"})
        EXPECT_TRUE(files.count(std::string("profo_enrollment_") + type + ".so")) << type;
}

TEST(EnrollmentModules, EachTypeIsClaimedOnce) {
    std::map<std::string, std::string> claimed;
    for (const auto& module : enrollment_modules()) {
        auto loaded = profo::host::load_plugin_file(module);
        const auto type = loaded->as<EnrollmentPlugin>().type();
        auto [it, inserted] = claimed.emplace(type, module.filename().string());
        EXPECT_TRUE(inserted) << type << " is claimed by " << it->second << " and " << module.filename();
    }
}

class EnrollmentConformance : public ::testing::TestWithParam<fs::path> {};

// The rules live in host/src/conformance, shared with `profo conformance`.
TEST_P(EnrollmentConformance, KeepsTheEnrollmentContract) {
    auto module = profo::host::load_plugin_file(GetParam());
    for (const auto& violation : profo::host::enrollment_contract_violations(*module))
        ADD_FAILURE() << violation;
}

INSTANTIATE_TEST_SUITE_P(BuiltModules, EnrollmentConformance, ::testing::ValuesIn(enrollment_modules()),
                         [](const auto& info) { return module_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EnrollmentConformance);

TEST(EnrollmentContractChecker, NoticesABrokenModule) {
    auto module = profo::host::load_plugin_file(
        profo::build_tree::root() / "tests/enrollment_conformance/fixtures/profo_enrollment_broken.so");
    const auto violations = profo::host::enrollment_contract_violations(*module);
    const auto mentions = [&](const std::string& part) {
        return std::any_of(violations.begin(), violations.end(),
                           [&](const std::string& v) { return v.find(part) != std::string::npos; });
    };
    const auto all = ::testing::PrintToString(violations);
    EXPECT_TRUE(mentions("type() is 'Broken Kind'")) << all;
    EXPECT_TRUE(mentions("description() must be one line")) << all;
    EXPECT_TRUE(mentions("threw something other than std::invalid_argument")) << all;
    EXPECT_TRUE(mentions("admit() of a revoked token gives admitted")) << all;
    EXPECT_TRUE(mentions("admit() of an expired token gives admitted")) << all;
    EXPECT_TRUE(mentions("admit() without consume took a use")) << all;
    EXPECT_TRUE(mentions("admits a link with the argument")) << all;
}

// --- Over the real storage --------------------------------------------------------------

using profo::storage_test::BackendNames;
using profo::storage_test::Backends;
using profo::storage_test::PostgresBackend;
using profo::storage_test::SqliteBackend;

// A stored token of the type, and the argument its links carry (signed by
// the type itself with the account's key when it signs).
struct Prepared {
    sdk::EnrollmentToken token;
    std::string argument;
};

const std::string kAccountKey = "8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677";

template <class Backend>
class EnrollmentOverStorage : public profo::storage_test::MigratedStorageTest<Backend> {
protected:
    using Base = profo::storage_test::MigratedStorageTest<Backend>;
    using Base::storage_;

    void SetUp() override {
        Base::SetUp();
        if (Base::stopped()) return;
        auto tx = storage_->begin();
        sdk::Bot bot;
        bot.username = "race_bot";
        bot.token_sealed = "sealed";
        bot = tx->create_bot(sdk::kDefaultAccountId, bot);
        const auto course = tx->create_course(sdk::kDefaultAccountId, "race");
        std::vector<sdk::CourseElement> elements(1);
        elements[0].element_id = "End";
        elements[0].type = "end";
        const auto version = tx->create_version(sdk::kDefaultAccountId, course.id, "race.yaml", elements);
        sdk::CourseDeployment d;
        d.course_id = course.id;
        d.version_id = version.id;
        d.bot_id = bot.id;
        deployment_ = tx->create_deployment(sdk::kDefaultAccountId, d);
        tx->commit();
    }

    // The type's token with at most `limit` uses when it takes a limit.
    Prepared prepare(EnrollmentPlugin& plugin, std::int64_t limit) {
        Prepared p;
        p.token.deployment_id = deployment_.id;
        p.token.type = plugin.type();
        p.token.code = plugin.type() + "-race";
        p.token.max_uses = limit;
        try {
            plugin.prepare_token(p.token);
        } catch (const std::invalid_argument&) {
            p.token.max_uses.reset();
            plugin.prepare_token(p.token);
        }
        auto tx = storage_->begin();
        p.token = tx->create_token(sdk::kDefaultAccountId, p.token);
        tx->commit();
        try {
            p.argument = plugin.sign_argument(
                p.token,
                nlohmann::json{{"ref", "race"}, {"expires_at", sdk::epoch_millis(clock()) + 3'600'000}},
                kAccountKey, clock());
        } catch (const std::invalid_argument&) {
        }
        return p;
    }

    static sdk::TimePoint clock() { return std::chrono::system_clock::now(); }

    sdk::CourseDeployment deployment_;
};

TYPED_TEST_SUITE(EnrollmentOverStorage, Backends, BackendNames);

// Thirty students start at once, each in a transaction of its own: exactly
// as many are admitted as the token allows, and the stored count agrees.
TYPED_TEST(EnrollmentOverStorage, EveryTypeGivesOutExactlyTheUsesItHas) {
    constexpr int kStudents = 30;
    constexpr std::int64_t kLimit = 7;
    for (const auto& path : enrollment_modules()) {
        SCOPED_TRACE(path.filename().string());
        auto module = profo::host::load_plugin_file(path);
        auto& plugin = module->as<EnrollmentPlugin>();
        const auto prepared = this->prepare(plugin, kLimit);
        std::barrier start(kStudents);
        std::atomic<int> admitted{0};
        std::atomic<int> errors{0};
        std::vector<std::thread> students;
        for (int i = 0; i < kStudents; ++i) {
            students.emplace_back([&, i] {
                start.arrive_and_wait();
                try {
                    auto tx = this->storage_->begin();
                    const auto token = tx->get_token(sdk::kDefaultAccountId, prepared.token.id);
                    sdk::EnrollmentAttempt attempt{this->deployment_, *token, prepared.argument, kAccountKey,
                                                   1000 + i,          "",     this->clock(),     true};
                    if (plugin.admit(*tx, attempt).admitted) ++admitted;
                    tx->commit();
                } catch (const std::exception& e) {
                    ++errors;
                    ADD_FAILURE() << e.what();
                }
            });
        }
        for (auto& s : students) s.join();
        EXPECT_EQ(errors.load(), 0);
        const auto expected = prepared.token.max_uses ? *prepared.token.max_uses : kStudents;
        EXPECT_EQ(admitted.load(), expected);
        auto tx = this->storage_->begin();
        EXPECT_EQ(tx->get_token(sdk::kDefaultAccountId, prepared.token.id)->uses, expected);
    }
}

}  // namespace
