// What the Telegram end-to-end tests stand on: the Bot API emulator and the
// fake LLM as processes, a PostgreSQL schema of a test's own, and `profo`
// configured against them (course imported, bots added and deployed with the
// real CLI, `profo serve` started and stopped).
#pragma once

#include "fake_llm.hpp"
#include "process.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace profo::testing {

unsigned short free_port();

// The Bot API emulator (tools/telegram_emulator) with its student API.
class Emulator {
public:
    explicit Emulator(std::vector<std::string> flags = {});
    unsigned short port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // The student API; throws with the emulator's answer when it refuses.
    nlohmann::json post(const std::string& path, const nlohmann::json& body);
    nlohmann::json get(const std::string& target);
    // The transcript once the bot has sent `count` messages to the user;
    // throws (with the transcript so far) when that does not happen in time.
    nlohmann::json wait(std::int64_t bot, std::int64_t user, int count, int timeout_ms = 30000);
    nlohmann::json transcript(std::int64_t bot, std::int64_t user);
    // Returns once every update queued so far was confirmed by a getUpdates
    // offset: the transport confirms only what it committed, so from then on
    // a kill loses nothing of them. Throws after `limit`.
    void wait_until_all_confirmed(std::chrono::milliseconds limit = std::chrono::seconds(20));
    RunningProcess& process() { return process_; }

private:
    RunningProcess process_;
    unsigned short port_ = 0;
};

// A schema of its own on the PostgreSQL server of PROFO_TEST_PG_DSN, dropped
// afterwards; profo reaches it through search_path in its DSN.
class PostgresSchema {
public:
    // Why PostgreSQL tests cannot run here, or nothing when they can.
    static std::optional<std::string> unavailable();
    PostgresSchema();
    ~PostgresSchema();
    PostgresSchema(const PostgresSchema&) = delete;
    PostgresSchema& operator=(const PostgresSchema&) = delete;
    std::string dsn() const;
    // The rows `sql` returns in the schema, each column as text.
    std::vector<std::vector<std::string>> rows(const std::string& sql) const;

private:
    std::string name_;
};

struct PlatformOptions {
    std::string mode = "poll";       // poll | webhook: how every bot of the platform is served
    std::string transport_settings;  // appended to the telegram transport's settings: ", \"key\": value"
    std::string course_yaml;         // the course deployed on every bot
    std::string storage = "sqlite";  // sqlite (a file in the test's folder) | postgres
    std::string postgres_dsn;        // with storage postgres
    std::string dialog_base_url;     // the dialog element's provider (a FakeLlm), if the course talks
    std::string extra_yaml;          // appended to profo's config (an engine: section)
};

// `profo` against the emulator: the course imported as "telegram", one bot
// created in the emulator, added with `profo bot add` and deployed.
class Platform {
public:
    Platform(Emulator& e, PlatformOptions options);

    // Another emulator bot added and given the course; returns its emulator id.
    std::int64_t add_deployed_bot(const std::string& username);
    // `count` more at once: one `profo bot add` with every token, one
    // `profo deploy create` for them all. Returns their emulator ids.
    std::vector<std::int64_t> add_deployed_bots(int count, const std::string& username_prefix);
    std::string add_bot(const std::string& bot_token, const std::string& mode);

    std::unique_ptr<RunningProcess> serve(const ExtraEnvironment& env = {});
    // `profo run list --json`: every run of the account.
    nlohmann::json runs();

    std::filesystem::path config;
    std::int64_t bot_id = 0;  // the emulator's id of the first bot
    std::string token;
    unsigned short http_port = 0;  // profo's listener, once serve() returned

private:
    Emulator& emulator_;
    PlatformOptions options_;
    TempDir dir_;
    unsigned short listen_port_ = 0;  // fixed before start in webhook mode (Telegram needs the URL)
};

// Tests run once per storage backend (the parameter: "sqlite", "postgres").
// PostgreSQL needs PROFO_TEST_PG_DSN; without it those runs are skipped, or
// fail under PROFO_REQUIRE_PG=1 (CI), so a missing server cannot pass silently.
class TelegramTransportOn : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override;
    // The storage part of PlatformOptions for this run.
    PlatformOptions on_storage(PlatformOptions options = {}) const;

private:
    std::unique_ptr<PostgresSchema> schema_;
};

// The course most of these tests play: message (button) -> quiz (poll) ->
// input (typed) -> end; and what a student who answers right sees of it.
extern const char* const kQuizCourse;
extern const std::vector<std::string> kQuizCourseShown;

// Why a PostgreSQL test cannot run (PostgresSchema::unavailable()), for the
// caller to skip with; under PROFO_REQUIRE_PG=1 (CI) it is also reported as
// the test's failure, so a missing server cannot pass silently.
std::optional<std::string> postgres_missing();

// Stops `profo serve` as an operator would (SIGINT) and expects a clean exit.
void stop(RunningProcess& serve);

// The bot's messages of a transcript, in order.
std::vector<nlohmann::json> bot_messages(const nlohmann::json& transcript);
// What the student saw of a bot message, one line: its text, "poll: " and the
// question, or "<photo>" / "<audio> caption" for media.
std::string shown(const nlohmann::json& message);
std::vector<std::string> shown_all(const nlohmann::json& transcript);

}  // namespace profo::testing
