#include "emulated_telegram.hpp"

#include "build_tree.hpp"
#include "loopback_http.hpp"
#include "test_config.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

namespace profo::testing {

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The number the first group of `pattern` catches in `text`.
std::int64_t number_in(const std::string& text, const std::string& pattern) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(pattern)))
        throw std::runtime_error("no '" + pattern + "' in:\n" + text);
    return std::stoll(m[1].str());
}

json student_answer(const std::string& what, const HttpReply& reply) {
    auto parsed = json::parse(reply.body, nullptr, false);
    if (parsed.is_discarded() || !parsed.value("ok", false))
        throw std::runtime_error(what + " refused: " + reply.body);
    return parsed["result"];
}

std::string server_dsn() {
    const char* dsn = std::getenv("PROFO_TEST_PG_DSN");
    return dsn != nullptr ? dsn : "";
}

// The rows of the last statement of `sql` (several may be given), each column as text.
std::vector<std::vector<std::string>> rows_on_server(const std::string& sql) {
    PGconn* connection = PQconnectdb(server_dsn().c_str());
    if (PQstatus(connection) != CONNECTION_OK) {
        std::string message = PQerrorMessage(connection);
        PQfinish(connection);
        throw std::runtime_error("cannot connect to PROFO_TEST_PG_DSN: " + message);
    }
    PGresult* result = PQexec(connection, ("SET client_min_messages = warning; " + sql).c_str());
    const auto status = PQresultStatus(result);
    std::string message = PQresultErrorMessage(result);
    std::vector<std::vector<std::string>> rows;
    if (status == PGRES_TUPLES_OK)
        for (int r = 0; r < PQntuples(result); ++r) {
            auto& row = rows.emplace_back();
            for (int c = 0; c < PQnfields(result); ++c) row.emplace_back(PQgetvalue(result, r, c));
        }
    PQclear(result);
    PQfinish(connection);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        throw std::runtime_error("postgres: " + message + " in: " + sql);
    return rows;
}

void execute_on_server(const std::string& sql) {
    rows_on_server(sql);
}

}  // namespace

unsigned short free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// --- Emulator ---------------------------------------------------------------------------------

Emulator::Emulator(std::vector<std::string> flags)
    : process_([&] {
          // It announces its port on stdout; RunningProcess reads stderr.
          std::string command =
              "exec " + profo::build_tree::executable("profo-telegram-emulator") + " --listen 127.0.0.1:0";
          for (const auto& f : flags) command += " " + f;
          return std::vector<std::string>{"/bin/sh", "-c", command + " 1>&2"};
      }()) {
    port_ = static_cast<unsigned short>(
        number_in(process_.wait_for_stderr("listening on", 20s), R"(listening on [0-9.]+:([0-9]+))"));
}

json Emulator::post(const std::string& path, const json& body) {
    return student_answer(
        path, http_request(port_, "POST", path, body.dump(), {{"Content-Type", "application/json"}}));
}

json Emulator::get(const std::string& target) {
    return student_answer(target, http_request(port_, "GET", target));
}

json Emulator::wait(std::int64_t bot, std::int64_t user, int count, int timeout_ms) {
    auto reply = http_request(
        port_, "GET",
        "/_emulator/wait?bot_id=" + std::to_string(bot) + "&user_id=" + std::to_string(user) +
            "&bot_messages=" + std::to_string(count) + "&timeout_ms=" + std::to_string(timeout_ms));
    auto parsed = json::parse(reply.body);
    if (!parsed.value("ok", false))
        throw std::runtime_error("bot " + std::to_string(bot) + " did not send " + std::to_string(count) +
                                 " messages to user " + std::to_string(user) + ": " + reply.body);
    return parsed["result"];
}

void Emulator::wait_until_all_confirmed(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        const auto stats = get("/_emulator/stats");
        if (stats["updates_confirmed"] == stats["updates_queued"]) return;
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("updates still unconfirmed: " + stats.dump());
        std::this_thread::sleep_for(20ms);
    }
}

json Emulator::transcript(std::int64_t bot, std::int64_t user) {
    return get("/_emulator/transcript?bot_id=" + std::to_string(bot) + "&user_id=" + std::to_string(user));
}

// --- PostgresSchema ---------------------------------------------------------------------------

std::optional<std::string> PostgresSchema::unavailable() {
    if (!server_dsn().empty()) return std::nullopt;
    return std::string(
        "PROFO_TEST_PG_DSN is not set, so there is no PostgreSQL to test against; start one with "
        "`export PROFO_TEST_PG_DSN=\"$(scripts/pg-test-server.sh start)\"`");
}

PostgresSchema::PostgresSchema() {
    static std::atomic<int> counter{0};
    name_ = "profo_e2e_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    execute_on_server("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
}

PostgresSchema::~PostgresSchema() {
    try {
        execute_on_server("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {
    }
}

std::vector<std::vector<std::string>> PostgresSchema::rows(const std::string& sql) const {
    return rows_on_server("SET search_path = " + name_ + "; " + sql);
}

std::string PostgresSchema::dsn() const {
    return server_dsn() + " options='-csearch_path=" + name_ + "'";
}

std::optional<std::string> postgres_missing() {
    auto reason = PostgresSchema::unavailable();
    const char* required = std::getenv("PROFO_REQUIRE_PG");
    if (reason && required != nullptr && std::string(required) == "1")
        ADD_FAILURE() << *reason << " -- and PROFO_REQUIRE_PG=1 demands that PostgreSQL is tested";
    return reason;
}

void TelegramTransportOn::SetUp() {
    if (GetParam() != "postgres") return;
    if (auto reason = postgres_missing()) GTEST_SKIP() << *reason;
    schema_ = std::make_unique<PostgresSchema>();
}

PlatformOptions TelegramTransportOn::on_storage(PlatformOptions options) const {
    options.storage = GetParam();
    if (schema_) options.postgres_dsn = schema_->dsn();
    return options;
}

// --- the course ------------------------------------------------------------------------------

const char* const kQuizCourse = R"(Hello:
  type: message
  text: Welcome to the course
  button: Go
Pick:
  type: quiz
  text: Which one is right?
  answers:
    - text: The first
      correct: no
      feedback: Not this one
    - text: The second
      correct: yes
      feedback: Exactly
Capital:
  type: input
  text: Capital of France?
  correct_answer: Paris
  feedback_correct: Right
  feedback_incorrect: Wrong
Bye:
  type: end
  text: The end
)";

const std::vector<std::string> kQuizCourseShown = {"Welcome to the course",
                                                   "poll: Which one is right?",
                                                   "Exactly",
                                                   "Capital of France?",
                                                   "Right",
                                                   "The end"};

// --- Platform ---------------------------------------------------------------------------------

Platform::Platform(Emulator& e, PlatformOptions options) : emulator_(e), options_(std::move(options)) {
    TestConfig c;
    if (options_.mode == "webhook") {
        listen_port_ = free_port();
        c.listen = "127.0.0.1:" + std::to_string(listen_port_);
    }
    c.storage_plugin = options_.storage;
    if (options_.storage == "postgres") c.dsn = options_.postgres_dsn;
    std::string settings =
        "{\"base_url\": \"" + e.url() +
        "\", \"poll_timeout_s\": 2, \"bots_refresh_ms\": 300, \"backoff_initial_ms\": 200, "
        "\"backoff_max_ms\": 2000";
    if (listen_port_)
        settings += ", \"public_url\": \"http://127.0.0.1:" + std::to_string(listen_port_) + "\"";
    settings += options_.transport_settings + "}";
    c.settings["transport/telegram"] = settings;
    if (!options_.dialog_base_url.empty())
        c.settings["element/dialog"] =
            "{\"base_url\": \"" + options_.dialog_base_url +
            "\", \"api_key\": \"sk-e2e\", \"retries\": 2, \"retry_backoff_ms\": 50, "
            "\"timeout_ms\": 120000, \"allow_private_addresses\": true}";
    c.extra_yaml = options_.extra_yaml;
    config = write_test_config(dir_, c);
    std::ofstream(dir_ / "course.yml") << options_.course_yaml;
    auto imported = run_process(
        profo_command(config, {"course", "import", (dir_ / "course.yml").string(), "--name", "telegram"}));
    EXPECT_EQ(imported.exit_code, 0) << imported.err << imported.out;
    auto bot = e.post("/_emulator/bots", {{"username", "course_bot"}});
    bot_id = bot["id"].get<std::int64_t>();
    token = bot["token"].get<std::string>();
    add_bot(token, options_.mode);
    auto deployed =
        run_process(profo_command(config, {"deploy", "create", "--course", "telegram", "--bot", "1"}));
    EXPECT_EQ(deployed.exit_code, 0) << deployed.err << deployed.out;
}

std::string Platform::add_bot(const std::string& bot_token, const std::string& mode) {
    auto added = run_process(profo_command(config, {"bot", "add", bot_token, "--mode", mode}));
    EXPECT_EQ(added.exit_code, 0) << added.err << added.out;
    EXPECT_EQ(added.out.find(bot_token), std::string::npos) << "the token was printed";
    EXPECT_NE(added.out.find(bot_token.substr(0, bot_token.find(':')) + ":***"), std::string::npos)
        << added.out;
    return added.out;
}

std::int64_t Platform::add_deployed_bot(const std::string& username) {
    auto bot = emulator_.post("/_emulator/bots", {{"username", username}});
    const auto profo_id = number_in(add_bot(bot["token"], options_.mode), R"(added bot ([0-9]+))");
    auto deployed = run_process(profo_command(
        config, {"deploy", "create", "--course", "telegram", "--bot", std::to_string(profo_id)}));
    EXPECT_EQ(deployed.exit_code, 0) << deployed.err << deployed.out;
    return bot["id"].get<std::int64_t>();
}

std::vector<std::int64_t> Platform::add_deployed_bots(int count, const std::string& username_prefix) {
    std::vector<std::int64_t> ids;
    std::vector<std::string> add{"bot", "add", "--mode", options_.mode};
    for (int i = 0; i < count; ++i) {
        auto bot =
            emulator_.post("/_emulator/bots", {{"username", username_prefix + std::to_string(i) + "_bot"}});
        ids.push_back(bot["id"].get<std::int64_t>());
        add.push_back(bot["token"].get<std::string>());
    }
    auto added = run_process(profo_command(config, add));
    EXPECT_EQ(added.exit_code, 0) << added.err << added.out;
    std::string profo_ids;
    static const std::regex line(R"(added bot ([0-9]+) )");
    for (auto it = std::sregex_iterator(added.out.begin(), added.out.end(), line);
         it != std::sregex_iterator(); ++it)
        profo_ids += (profo_ids.empty() ? "" : ",") + (*it)[1].str();
    auto deployed =
        run_process(profo_command(config, {"deploy", "create", "--course", "telegram", "--bot", profo_ids}));
    EXPECT_EQ(deployed.exit_code, 0) << deployed.err << deployed.out;
    std::size_t created = 0;
    for (auto at = deployed.out.find("created deployment"); at != std::string::npos;
         at = deployed.out.find("created deployment", at + 1))
        ++created;
    EXPECT_EQ(created, static_cast<std::size_t>(count)) << deployed.out;
    return ids;
}

std::unique_ptr<RunningProcess> Platform::serve(const ExtraEnvironment& env) {
    auto p = std::make_unique<RunningProcess>(profo_command(config, {"serve"}), env);
    http_port = static_cast<unsigned short>(
        number_in(p->wait_for_stderr("serving on", 60s), R"(serving on [0-9.]+:([0-9]+))"));
    return p;
}

json Platform::runs() {
    auto listed = run_process(profo_command(config, {"run", "list", "--json", "--limit", "10000"}));
    EXPECT_EQ(listed.exit_code, 0) << listed.err << listed.out;
    return json::parse(listed.out)["runs"];
}

void stop(RunningProcess& serve) {
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait(30s), 0) << serve.err();
}

// --- transcripts ------------------------------------------------------------------------------

std::vector<json> bot_messages(const json& transcript) {
    std::vector<json> out;
    for (const auto& m : transcript["messages"])
        if (m.value("sender", "") == "bot") out.push_back(m);
    return out;
}

std::string shown(const json& m) {
    if (m.contains("poll")) return "poll: " + m["poll"]["question"].get<std::string>();
    if (m.contains("text")) return m["text"].get<std::string>();
    for (const char* media : {"photo", "audio", "video", "voice", "document"})
        if (m.contains(media))
            return std::string("<") + media + ">" +
                   (m.contains("caption") ? " " + m["caption"].get<std::string>() : std::string());
    return m.dump();
}

std::vector<std::string> shown_all(const json& transcript) {
    std::vector<std::string> out;
    for (const auto& m : bot_messages(transcript)) out.push_back(shown(m));
    return out;
}

}  // namespace profo::testing
