// Several `profo serve` processes on one PostgreSQL database, as replicas of
// a Kubernetes Deployment run: they share the bots by leases, keep each
// chat's order through the database, and one killed with SIGKILL mid-course
// loses no student.
#include "emulated_telegram.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <thread>

using namespace profo::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* const kCourse = kQuizCourse;
const std::vector<std::string>& kExpected = kQuizCourseShown;

// What a student saw, a message repeated in a row counted once: the one
// in flight at a kill may come twice (sent, not yet marked sent).
std::vector<std::string> deduplicated(const json& transcript) {
    auto seen = shown_all(transcript);
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    return seen;
}

class ScaleOut : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto reason = postgres_missing()) GTEST_SKIP() << *reason;
        schema_ = std::make_unique<PostgresSchema>();
    }
    std::unique_ptr<PostgresSchema> schema_;
};

TEST_F(ScaleOut, ThreeProcessesShareTheBotsAndOneKilledLosesNoStudent) {
    constexpr int kBots = 20;
    constexpr int kStudents = 50;
    Emulator e({"--no-rate-limits"});
    PlatformOptions options;
    options.course_yaml = kCourse;
    options.storage = "postgres";
    options.postgres_dsn = schema_->dsn();
    // Leases renewed every 300 ms (bots_refresh_ms) and lost 1.5 s after the last renewal.
    options.transport_settings =
        ", \"lease_ttl_ms\": 1500, \"chat_burst\": 10, \"chat_per_second\": 10, \"bot_per_second\": 100, "
        "\"bot_burst\": 100";
    Platform p(e, options);
    std::vector<std::int64_t> bots{p.bot_id};
    for (auto id : p.add_deployed_bots(kBots - 1, "scale_")) bots.push_back(id);

    std::vector<std::unique_ptr<RunningProcess>> serves;
    // What the processes logged, when something went wrong: the one place
    // that says which process held which bot when.
    struct Logs {
        std::vector<std::unique_ptr<RunningProcess>>& serves;
        ~Logs() {
            if (!::testing::Test::HasFailure() && std::uncaught_exceptions() == 0) return;
            for (std::size_t i = 0; i < serves.size(); ++i) {
                const auto err = serves[i]->err();
                std::fprintf(stderr, "--- profo serve #%zu (last 6000 bytes of its log)\n%s\n", i,
                             err.substr(err.size() > 6000 ? err.size() - 6000 : 0).c_str());
            }
        }
    } logs{serves};
    for (int i = 0; i < 3; ++i) serves.push_back(p.serve());
    // Each process comes to serve a share of the bots.
    for (auto& serve : serves) serve->wait_for_stderr("telegram: serving bot", 20s);

    auto each = [&](auto step) {
        for (auto bot : bots)
            for (int s = 0; s < kStudents; ++s) step(bot, 1000 + s);
    };
    // The transcript once the student saw `n` distinct messages.
    auto reach = [&](std::int64_t bot, int user, std::size_t n) {
        auto t = e.wait(bot, user, static_cast<int>(n), 90000);
        for (int more = 1; deduplicated(t).size() < n && more <= 2; ++more)
            t = e.wait(bot, user, static_cast<int>(n) + more, 90000);
        return t;
    };
    // The n-th distinct message; of one sent twice, the later (a poll sent
    // again is the one that counts).
    auto nth = [&](const json& transcript, std::size_t n) {
        std::vector<json> distinct;
        for (const auto& m : bot_messages(transcript)) {
            if (!distinct.empty() && shown(distinct.back()) == shown(m))
                distinct.back() = m;
            else
                distinct.push_back(m);
        }
        return distinct.at(n);
    };
    each([&](auto bot, auto user) { e.post("/_emulator/start", {{"bot_id", bot}, {"user_id", user}}); });
    each([&](auto bot, auto user) {
        auto first = nth(reach(bot, user, 1), 0);
        e.post(
            "/_emulator/press_button",
            {{"bot_id", bot}, {"user_id", user}, {"message_id", first["message_id"]}, {"button_text", "Go"}});
    });

    // Mid-course: one process dies without a word, and another joins.
    serves[0]->signal(SIGKILL);
    serves[0]->wait(10s);
    serves.push_back(p.serve());
    // A poll the dead process sent but had not recorded comes again, and
    // only the later one counts: wait until every outbox row went out, so
    // that students answer the poll that counts.
    for (int waited = 0;; ++waited) {
        const auto pending = schema_->rows("SELECT COUNT(*) FROM outbox WHERE status = 'pending'");
        if (pending.at(0).at(0) == "0") break;
        ASSERT_LT(waited, 600) << pending.at(0).at(0) << " outbox rows still pending after a minute";
        std::this_thread::sleep_for(100ms);
    }

    each([&](auto bot, auto user) {
        const auto t = reach(bot, user, 2);
        const auto poll = nth(t, 1);
        ASSERT_TRUE(poll.contains("poll")) << t.dump(1);
        e.post("/_emulator/answer_poll",
               {{"bot_id", bot}, {"user_id", user}, {"message_id", poll["message_id"]}, {"option_ids", {1}}});
    });
    each([&](auto bot, auto user) {
        reach(bot, user, 4);
        e.post("/_emulator/messages", {{"bot_id", bot}, {"user_id", user}, {"text", "Paris"}});
    });
    int repeated = 0;
    each([&](auto bot, auto user) {
        const auto t = reach(bot, user, kExpected.size());
        // Every student completes, each chat's messages in order.
        EXPECT_EQ(deduplicated(t), kExpected) << t.dump(1);
        const int twice = static_cast<int>(bot_messages(t).size()) - static_cast<int>(kExpected.size());
        EXPECT_LE(twice, 1) << "only the message in flight at the kill may come twice: " << t.dump(1);
        repeated += twice;
    });
    // No update handled twice: each student action is one history row of its run.
    const auto doubled = schema_->rows(
        "SELECT run_id, payload_json, COUNT(*) FROM conversation WHERE role = 'user' "
        "GROUP BY run_id, payload_json HAVING COUNT(*) > 1");
    EXPECT_TRUE(doubled.empty()) << doubled.size() << " student actions were handled twice, e.g. run "
                                 << (doubled.empty() ? "" : doubled[0][0] + ": " + doubled[0][1]);
    const auto actions = schema_->rows("SELECT COUNT(*) FROM conversation WHERE role = 'user'");
    EXPECT_EQ(actions.at(0).at(0), std::to_string(kBots * kStudents * 3))
        << "a press, an answer and a text each";
    std::printf("%d bots x %d students over 3 processes, one killed: %d messages came twice\n", kBots,
                kStudents, repeated);
    const auto runs = p.runs();
    EXPECT_EQ(runs.size(), static_cast<std::size_t>(kBots * kStudents));
    EXPECT_EQ(
        std::count_if(runs.begin(), runs.end(), [](const auto& r) { return r["status"] == "completed"; }),
        kBots * kStudents);
    // The process that joined gets its share of the bots too.
    EXPECT_NO_THROW(serves.back()->wait_for_stderr("telegram: serving bot", 20s));
    for (std::size_t i = 1; i < serves.size(); ++i) stop(*serves[i]);
}

}  // namespace
