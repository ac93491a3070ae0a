#include "build_tree.hpp"
#include "loopback_http.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>
#include <profo/sdk/abi.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>

using namespace profo::testing;
using namespace std::chrono_literals;

namespace {

const std::string kProfo = profo::build_tree::executable("profo");

unsigned short serving_port(const std::string& log) {
    std::smatch m;
    static const std::regex re(R"(serving on [0-9.]+:([0-9]+))");
    if (!std::regex_search(log, m, re)) throw std::runtime_error("no 'serving on' line in:\n" + log);
    return static_cast<unsigned short>(std::stoi(m[1].str()));
}

}  // namespace

TEST(Serve, ServesHealthAndStopsCleanlyOnSigint) {
    TempDir dir;
    RunningProcess serve(profo_command(write_test_config(dir), {"serve"}));
    const std::string log = serve.wait_for_stderr("serving on", 60s);
    const auto port = serving_port(log);

    auto health = http_request(port, "GET", "/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(nlohmann::json::parse(health.body)["status"], "ok");
    // Ready once every transport has loaded its bots, which may trail
    // "serving on" on a busy machine; healthy meanwhile.
    int ready = 0;
    for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(50ms))
        if ((ready = http_request(port, "GET", "/readyz").status) == 200) break;
    EXPECT_EQ(ready, 200);
    EXPECT_EQ(http_request(port, "GET", "/no/such/route").status, 404);

    // It says which plugins it loaded.
    for (const auto& plugin : built_plugins())
        EXPECT_NE(log.find("loaded plugin " + plugin + " "), std::string::npos) << plugin << "\n" << log;
    // SQLite syncs every commit unless the config says otherwise, and
    // retention runs with the default windows.
    EXPECT_NE(log.find("(storage sqlite, synchronous=full, "), std::string::npos) << log;
    EXPECT_NE(log.find("retention every 600s, batches of 1000"), std::string::npos) << log;

    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait(20s), 0) << serve.err();
    EXPECT_NE(serve.err().find("received SIGINT, shutting down"), std::string::npos) << serve.err();
    EXPECT_NE(serve.err().find("stopped cleanly"), std::string::npos) << serve.err();
    EXPECT_THROW(http_request(port, "GET", "/healthz"), std::runtime_error);  // no longer listening
}

// The README's run command serves the committed config/profo.yaml; only the
// port and where data goes differ here, through the documented variables.
TEST(Serve, TheDefaultConfigLoadsEveryProductPluginAndServes) {
    TempDir dir;
    RunningProcess serve(profo_command(PROFO_DEFAULT_CONFIG, {"serve"}),
                         {{"PROFO_HTTP_LISTEN", "127.0.0.1:0"},
                          {"PROFO_STORAGE_DSN", (dir / "profo.db").string()},
                          {"PROFO_SECRETS_KEY_FILE", (dir / "secret.key").string()}});
    const std::string log = serve.wait_for_stderr("serving on", 60s);
    for (const char* plugin : {"storage/sqlite", "element/message", "element/quiz", "element/dialog",
                               "element/miniapp", "element/revision", "element/delay"})
        EXPECT_NE(log.find(std::string("loaded plugin ") + plugin + " "), std::string::npos) << plugin << "\n"
                                                                                             << log;
    EXPECT_EQ(http_request(serving_port(log), "GET", "/healthz").status, 200);
    EXPECT_TRUE(std::filesystem::exists(dir / "profo.db"));
    EXPECT_TRUE(std::filesystem::exists(dir / "secret.key"));
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait(20s), 0) << serve.err();
}

TEST(Serve, StopsCleanlyOnSigtermAndWritesJsonLines) {
    TempDir dir;
    RunningProcess serve(profo_command(write_test_config(dir), {"serve"}), {{"PROFO_LOG_FORMAT", "json"}});
    serve.wait_for_stderr("serving on", 60s);
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait(20s), 0) << serve.err();
    std::istringstream lines(serve.err());
    int parsed = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        auto entry = nlohmann::json::parse(line);  // throws (fails the test) on a non-JSON line
        EXPECT_TRUE(entry.contains("ts") && entry.contains("level") && entry.contains("msg")) << line;
        ++parsed;
    }
    EXPECT_GT(parsed, 3);
}

TEST(Serve, MetricsAnswerOnlyTheOperatorsTokenWhenOneIsSet) {
    TempDir dir;
    const std::string token = "scrape-0123456789abcdef";
    RunningProcess serve(profo_command(write_test_config(dir), {"serve"}),
                         {{"PROFO_HTTP_METRICS_TOKEN", token}});
    const auto port = serving_port(serve.wait_for_stderr("serving on", 60s));
    const auto anonymous = http_request(port, "GET", "/metrics");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(anonymous.body.find("profo_"), std::string::npos) << anonymous.body;
    for (const std::string wrong :
         {"Bearer " + token + "x", "Bearer " + token.substr(1), "Basic " + token, token})
        EXPECT_EQ(http_request(port, "GET", "/metrics", "", {{"Authorization", wrong}}).status, 401) << wrong;
    const auto scraped = http_request(port, "GET", "/metrics", "", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(scraped.status, 200);
    EXPECT_NE(scraped.body.find("profo_timer_lag_seconds"), std::string::npos) << scraped.body;
    EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200) << "probes need no token";
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait(20s), 0) << serve.err();
    EXPECT_EQ(serve.err().find(token), std::string::npos) << "the token reached the log";

    RunningProcess weak(profo_command(write_test_config(dir), {"serve"}),
                        {{"PROFO_HTTP_METRICS_TOKEN", "short"}});
    EXPECT_NE(weak.wait(20s), 0);
    EXPECT_NE(weak.err().find("http.metrics_token"), std::string::npos) << weak.err();
}

TEST(Serve, RefusesToStartWhenAnEnabledPluginIsMissing) {
    TempDir dir;
    TestConfig config;
    config.extra_yaml = "  transport:\n    carrier_pigeon: {}\n";
    auto result = run_process(profo_command(write_test_config(dir, config), {"serve"}));
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(
        result.err.find("plugin refused: plugin transport/carrier_pigeon is enabled in the config but no "
                        "module provides it"),
        std::string::npos)
        << result.err;
}

TEST(Serve, ReportsConfigErrorsWithFileLineAndPath) {
    TempDir dir;
    const auto file = dir / "bad.yaml";
    std::ofstream(file) << "http:\n  listen: 127.0.0.1:0\n  thread: 2\nstorage:\n  pool_size: lots\n";
    auto result = run_process(profo_command(file, {"serve"}));
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(file.string() + ":3: http.thread: unknown key"), std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find(file.string() + ":5: storage.pool_size: expected an integer, got 'lots'"),
              std::string::npos)
        << result.err;
}

TEST(Plugins, ListsEveryPluginTheBuildProduced) {
    TempDir dir;
    TestConfig config;
    config.disabled = {"storage/postgres"};
    auto result = run_process(profo_command(write_test_config(dir, config), {"plugins", "--json"}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto listed = nlohmann::json::parse(result.out);
    std::map<std::string, std::string> states;
    for (const auto& p : listed["plugins"])
        states[p["kind"].get<std::string>() + "/" + p["id"].get<std::string>()] = p["state"];
    for (const auto& plugin : built_plugins())
        EXPECT_EQ(states[plugin], plugin == "storage/postgres" ? "disabled" : "enabled") << plugin;
    EXPECT_GE(states.size(), built_plugins().size());

    auto table = run_process(profo_command(write_test_config(dir, config), {"plugins"}));
    EXPECT_NE(table.out.find("KIND"), std::string::npos);
    EXPECT_TRUE(std::regex_search(table.out, std::regex("\\nstorage +sqlite +"))) << table.out;
}

TEST(Migrate, AppliesOnceThenIsANoOp) {
    TempDir dir;
    const auto config = write_test_config(dir);
    auto first = run_process(profo_command(config, {"migrate"}));
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_NE(first.out.find("schema migrated to version"), std::string::npos) << first.out;
    auto second = run_process(profo_command(config, {"migrate"}));
    EXPECT_EQ(second.exit_code, 0);
    EXPECT_NE(second.out.find("schema is up to date at version"), std::string::npos) << second.out;
    auto status = run_process(profo_command(config, {"migrate", "--status"}));
    EXPECT_NE(status.out.find("(up to date)"), std::string::npos) << status.out;
}

TEST(Cli, HelpEverywhereAndClearUsageErrors) {
    auto help = run_process({kProfo, "--help"});
    EXPECT_EQ(help.exit_code, 0);
    for (const char* command : {"serve", "migrate", "plugins", "version", "course"})
        EXPECT_NE(help.out.find(std::string("  ") + command), std::string::npos) << command;
    for (const char* command : {"serve", "migrate", "plugins", "version"}) {
        auto sub = run_process({kProfo, command, "--help"});
        EXPECT_EQ(sub.exit_code, 0) << command;
        EXPECT_NE(sub.out.find(std::string("Usage: profo ") + command), std::string::npos) << sub.out;
    }
    auto unknown = run_process({kProfo, "frobnicate"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos);
    auto bad_option = run_process({kProfo, "migrate", "--colour"});
    EXPECT_EQ(bad_option.exit_code, 2);
    EXPECT_NE(bad_option.err.find("profo migrate: unknown option --colour"), std::string::npos)
        << bad_option.err;
    auto version = run_process({kProfo, "version"});
    EXPECT_NE(version.out.find("SDK ABI " + std::to_string(profo::sdk::kAbiMajor) + "." +
                               std::to_string(profo::sdk::kAbiMinor)),
              std::string::npos)
        << version.out;
}
