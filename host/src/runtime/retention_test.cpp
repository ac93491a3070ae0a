// The retention schedule as `profo serve` runs it: on the platform's executor,
// over the real SQLite plugin.
#include "runtime/retention.hpp"

#include "build_tree.hpp"
#include "logging/logging.hpp"
#include "runtime/platform.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

namespace profo::host {
namespace {

namespace fs = std::filesystem;

// A clock some days ahead, so rows written now are already past their windows.
class AheadClock final : public sdk::Clock {
public:
    explicit AheadClock(std::chrono::hours ahead) : ahead_(ahead) {}
    sdk::TimePoint now() const override { return std::chrono::system_clock::now() + ahead_; }

private:
    std::chrono::hours ahead_;
};

class RetentionScheduleTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("profo-retention-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        config_.plugin_search_paths = {profo::build_tree::plugin_dir().string()};
        config_.storage.dsn = (dir_ / "profo.db").string();
        config_.storage.sqlite.synchronous = "normal";
        config_.secrets.key_file = (dir_ / "secret.key").string();
        config_.plugins["storage/sqlite"].enabled = true;
        set_log_output(&log_);
        platform_ = std::make_unique<Platform>(config_);
        platform_->migrate();
        // Five handled updates and two given-up messages, all written now,
        // and a panel session and login link that expire in an hour.
        auto tx = platform_->storage().begin();
        sdk::Bot bot;
        bot.username = "retention_bot";
        bot.token_sealed = "v2:unused";
        bot_id_ = tx->create_bot(sdk::kDefaultAccountId, bot).id;
        for (std::int64_t u = 1; u <= 5; ++u) tx->mark_update_processed(sdk::kDefaultAccountId, bot_id_, u);
        for (int i = 0; i < 2; ++i) {
            sdk::OutboxMessage m;
            m.bot_id = bot_id_;
            m.chat_id = 7;
            m.payload_json = R"({"kind":"text","text":"hi"})";
            tx->mark_outbox_failed(sdk::kDefaultAccountId, tx->enqueue_outbox(sdk::kDefaultAccountId, m),
                                   "400");
        }
        const sdk::Millis in_an_hour =
            std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(1))
                .count();
        sdk::PanelSession session;
        session.token_hash = std::string(64, 'a');
        session.telegram_user_id = 42;
        session.expires_at = in_an_hour;
        tx->create_panel_session_all_accounts(session);
        sdk::LoginLink link;
        link.token_hash = std::string(64, 'b');
        link.expires_at = in_an_hour;
        tx->create_login_link(sdk::kDefaultAccountId, link);
        tx->commit();
    }
    void TearDown() override {
        platform_.reset();
        set_log_output(nullptr);
        fs::remove_all(dir_);
    }

    static bool wait_for(const std::function<bool()>& done) {
        for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return done();
    }

    bool panel_session_kept() {
        auto tx = platform_->storage().begin();
        return tx->find_panel_session_all_accounts(std::string(64, 'a')).has_value();
    }

    bool update_remembered(std::int64_t update_id) {
        auto tx = platform_->storage().begin();
        return !tx->mark_update_processed(sdk::kDefaultAccountId, bot_id_, update_id);  // rolled back
    }

    fs::path dir_;
    Config config_;
    std::ostringstream log_;
    std::unique_ptr<Platform> platform_;
    sdk::Id bot_id_ = 0;
};

TEST_F(RetentionScheduleTest, APassRunsAtStartInBatchesAndLogsWhatWent) {
    Config::Retention policy;
    policy.batch_size = 2;
    const AheadClock clock(std::chrono::hours(24 * 31));
    RetentionSchedule schedule(platform_->storage(), platform_->executor(), clock, platform_->log(), policy);
    schedule.start();
    ASSERT_TRUE(wait_for([&] { return schedule.passes() >= 1; }));
    schedule.stop();
    EXPECT_FALSE(update_remembered(1));
    EXPECT_FALSE(update_remembered(5));
    {
        auto tx = platform_->storage().begin();
        EXPECT_TRUE(tx->list_outbox(sdk::kDefaultAccountId, bot_id_, 7).empty());
    }
    const std::string log = log_.str();
    EXPECT_FALSE(panel_session_kept());
    // 5 updates in batches of 2 (3 batches), then one each for timers and
    // polls, 2 for the outbox and 2 for the panel (a full batch, then an
    // empty one).
    EXPECT_NE(log.find("retention: removed 5 processed update ids, 2 failed outbox messages, 2 ended panel "
                       "sessions, login links and Telegram logins in 9 batches of at most 2 rows"),
              std::string::npos)
        << log;
}

TEST_F(RetentionScheduleTest, RowsStillInTheirWindowStay) {
    Config::Retention policy;
    // Within the ledger's 25 h and the outbox's 30 days; the panel's rows end
    // in an hour, and are kept a day after that.
    const AheadClock clock(std::chrono::hours(24));
    RetentionSchedule schedule(platform_->storage(), platform_->executor(), clock, platform_->log(), policy);
    schedule.start();
    ASSERT_TRUE(wait_for([&] { return schedule.passes() >= 1; }));
    schedule.stop();
    EXPECT_TRUE(update_remembered(1));
    EXPECT_TRUE(panel_session_kept());
    auto tx = platform_->storage().begin();
    EXPECT_EQ(tx->list_outbox(sdk::kDefaultAccountId, bot_id_, 7).size(), 2u);
    EXPECT_EQ(log_.str().find("retention: removed"), std::string::npos) << log_.str();
}

TEST_F(RetentionScheduleTest, DisabledRetentionDeletesNothing) {
    config_.retention.enabled = false;
    Config::Retention policy;
    policy.enabled = false;
    const AheadClock clock(std::chrono::hours(24 * 365));
    RetentionSchedule schedule(platform_->storage(), platform_->executor(), clock, platform_->log(), policy);
    schedule.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    schedule.stop();
    EXPECT_EQ(schedule.passes(), 0);
    EXPECT_TRUE(update_remembered(1));
}

TEST_F(RetentionScheduleTest, ThePlatformStartsItWithTheConfiguredWindows) {
    platform_->start_retention();
    platform_->stop_retention();
    EXPECT_NE(
        log_.str().find("retention every 600s, batches of 1000: processed updates after 90000s, settled "
                        "timers after 604800s, polls of ended runs after 604800s, failed outbox messages "
                        "after 2592000s, ended panel sign-ins after 86400s"),
        std::string::npos)
        << log_.str();
}

}  // namespace
}  // namespace profo::host
