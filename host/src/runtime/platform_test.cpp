// The platform as commands assemble it, with real plugin modules.
#include "runtime/platform.hpp"

#include "logging/logging.hpp"

#include <spdlog/spdlog.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>

namespace profo::host {
namespace {

namespace fs = std::filesystem;

class PlatformTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("profo-platform-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        config_.plugin_search_paths = {PROFO_PLUGIN_DIR};
        config_.storage.dsn = (dir_ / "profo.db").string();
        config_.secrets.key_file = (dir_ / "secret.key").string();
        config_.http.listen = "127.0.0.1:0";
        config_.plugins["storage/sqlite"].enabled = true;
        set_log_output(&log_);
    }
    void TearDown() override {
        set_log_output(nullptr);
        fs::remove_all(dir_);
    }

    fs::path dir_;
    Config config_;
    std::ostringstream log_;
};

TEST_F(PlatformTest, SecretSettingsNeverReachTheLog) {
    const std::string api_key = "sk-test-4f9a7c2e11b0";
    config_.plugins["element/dialog"] = {true, {{"api_key", api_key}, {"base_url", "http://127.0.0.1:9"}}};
    Platform platform(config_);
    platform.start_plugins();
    spdlog::info("calling the provider with {}", api_key);
    platform.stop_plugins();
    EXPECT_EQ(log_.str().find(api_key), std::string::npos) << log_.str();
    EXPECT_NE(log_.str().find("calling the provider with ***"), std::string::npos) << log_.str();
}

TEST_F(PlatformTest, WhateverPassesThroughTheSecretBoxIsRedacted) {
    Platform platform(config_);
    const std::string token = "7351926480:AAH-bot-token-from-botfather";
    const std::string sealed = platform.secrets().seal(token);
    EXPECT_EQ(sealed.find(token), std::string::npos);
    EXPECT_EQ(platform.secrets().open(sealed), token);
    spdlog::warn("telegram said 401 for https://api.telegram.org/bot{}/getMe", token);
    EXPECT_EQ(log_.str().find(token), std::string::npos) << log_.str();
    EXPECT_NE(log_.str().find("/bot***/getMe"), std::string::npos) << log_.str();
}

TEST_F(PlatformTest, RefusesToOpenStorageThatIsNotEnabled) {
    config_.storage.plugin = "postgres";
    Platform platform(config_);
    try {
        platform.storage();
        FAIL() << "opened a storage plugin that is not enabled";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "storage.plugin is 'postgres' but no enabled storage plugin has that id"),
                  std::string::npos);
    }
}

TEST_F(PlatformTest, ListsEveryPluginThatFailedToLoad) {
    config_.plugins["element/no_such_type"].enabled = true;
    config_.plugins["transport/no_such_transport"].enabled = true;
    try {
        Platform platform(config_);
        FAIL() << "started with missing plugins";
    } catch (const PluginFailures& e) {
        ASSERT_EQ(e.failures().size(), 2u);
        EXPECT_NE(e.failures()[0].find("plugin element/no_such_type is enabled in the config but no module"),
                  std::string::npos);
    }
}

}  // namespace
}  // namespace profo::host
