// The platform as commands assemble it, with real plugin modules.
#include "runtime/platform.hpp"

#include "bots/bot_registry.hpp"
#include "build_tree.hpp"
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
        config_.plugin_search_paths = {profo::build_tree::plugin_dir().string()};
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

TEST_F(PlatformTest, SqliteSynchronousIsWhatTheConfigSays) {
    {
        Platform platform(config_);
        // Read back from the database, not echoed from the config.
        EXPECT_EQ(platform.storage().durability(), "synchronous=full");  // the default
    }
    config_.storage.sqlite.synchronous = "normal";
    Platform platform(config_);
    EXPECT_EQ(platform.storage().durability(), "synchronous=normal");
}

sdk::Bot bot_named(const std::string& username) {
    sdk::Bot bot;
    bot.username = username;
    return bot;
}

TEST_F(PlatformTest, ABotTokenSwappedIntoAnotherRowDoesNotOpenThere) {
    Platform platform(config_);
    platform.migrate();
    const sdk::Id a = sdk::kDefaultAccountId;
    sdk::Bot first;
    sdk::Bot second;
    {
        auto tx = platform.storage().begin();
        first = create_bot_with_token(*tx, platform.secrets(), a, bot_named("first_bot"), "111:first-token");
        second =
            create_bot_with_token(*tx, platform.secrets(), a, bot_named("second_bot"), "222:second-token");
        tx->commit();
    }
    EXPECT_EQ(platform.secrets().open(first.token_sealed, sdk::bot_token_context(a, first.id)),
              "111:first-token");
    {
        // What someone with write access to the database could do.
        auto tx = platform.storage().begin();
        std::swap(first.token_sealed, second.token_sealed);
        ASSERT_TRUE(tx->update_bot(a, first));
        ASSERT_TRUE(tx->update_bot(a, second));
        tx->commit();
    }
    auto tx = platform.storage().begin();
    for (const auto& bot : {first, second}) {
        const auto stored = tx->get_bot(a, bot.id);
        ASSERT_TRUE(stored);
        const std::string context = sdk::bot_token_context(a, bot.id);
        try {
            const auto token = platform.secrets().open(stored->token_sealed, context);
            ADD_FAILURE() << "bot " << bot.id << " opened the other bot's token " << token;
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(std::string(e.what()), "sealed secret for " + context +
                                                 " cannot be opened: wrong key, corrupted data, or it was "
                                                 "sealed for another row");
        }
    }
}

TEST_F(PlatformTest, BotTokensSealedWithoutAContextAreResealedForTheirRow) {
    // The key the v1 value below was sealed with (secret_box_test's key_of(8)).
    config_.secrets.key = "080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3dae1";
    const std::string legacy = "v1:AAECAwQFBgcICQoLXMSJo6UVYrngUYSmnWQEpaN5N1+XnLR9kSXAK+tU5489lF6MESnn";
    Platform platform(config_);
    platform.migrate();
    const sdk::Id a = sdk::kDefaultAccountId;
    sdk::Id legacy_id = 0;
    sdk::Id bound_id = 0;
    std::string bound_sealed;
    {
        auto tx = platform.storage().begin();
        auto old = bot_named("legacy_bot");
        old.token_sealed = legacy;
        legacy_id = tx->create_bot(a, old).id;
        const auto bound =
            create_bot_with_token(*tx, platform.secrets(), a, bot_named("bound_bot"), "333:bound");
        bound_id = bound.id;
        bound_sealed = bound.token_sealed;
        tx->commit();
    }
    platform.reseal_unbound_secrets();
    platform.reseal_unbound_secrets();  // nothing left the second time
    auto tx = platform.storage().begin();
    const auto resealed = tx->get_bot(a, legacy_id);
    ASSERT_TRUE(resealed);
    EXPECT_EQ(resealed->token_sealed.rfind("v2:", 0), 0u) << resealed->token_sealed;
    EXPECT_EQ(platform.secrets().open(resealed->token_sealed, sdk::bot_token_context(a, legacy_id)),
              "123456:AAE-legacy-token");
    EXPECT_THROW(platform.secrets().open(resealed->token_sealed, sdk::bot_token_context(a, bound_id)),
                 std::runtime_error);
    EXPECT_EQ(tx->get_bot(a, bound_id)->token_sealed, bound_sealed);  // already bound: untouched
    const std::string log = log_.str();
    EXPECT_NE(log.find("re-sealed 1 bot tokens sealed without a context"), std::string::npos) << log;
    EXPECT_EQ(log.find("re-sealed 1 bot tokens", log.find("re-sealed 1 bot tokens") + 1), std::string::npos);
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
