#include "config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using profo::host::ConfigError;
using profo::host::default_config_locations;
using profo::host::Environment;
using profo::host::executable_dir;
using profo::host::find_default_config;
using profo::host::parse_config;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> problems_of(const std::string& yaml, const Environment& env = {}) {
    try {
        parse_config(yaml, "profo.yaml", env);
    } catch (const ConfigError& e) {
        return e.problems();
    }
    return {};
}

}  // namespace

TEST(Config, DefaultsWhenEmpty) {
    auto c = parse_config("", "profo.yaml", {});
    EXPECT_EQ(c.http.listen, "127.0.0.1:8080");
    EXPECT_EQ(c.storage.plugin, "sqlite");
    EXPECT_EQ(c.storage.dsn, "data/profo.db");
    EXPECT_EQ(c.log.format, "text");
    EXPECT_TRUE(c.plugins.empty());
}

TEST(Config, ReadsEverySection) {
    auto c = parse_config(R"(
http: {listen: "0.0.0.0:9000", threads: 4}
log: {level: debug, format: json}
storage: {plugin: postgres, dsn: "host=db", pool_size: 8, busy_timeout_ms: 100}
secrets: {key_file: /etc/profo/key}
plugins:
  search_paths: [/opt/profo/plugins]
  storage:
    postgres: {}
    sqlite: {enabled: false}
  element:
    dialog:
      settings: {base_url: "http://llm", retries: 3}
)",
                          "profo.yaml", {});
    EXPECT_EQ(c.http.listen, "0.0.0.0:9000");
    EXPECT_EQ(c.http.threads, 4);
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_EQ(c.log.format, "json");
    EXPECT_EQ(c.storage.plugin, "postgres");
    EXPECT_EQ(c.storage.pool_size, 8);
    EXPECT_EQ(c.secrets.key_file, "/etc/profo/key");
    EXPECT_EQ(c.plugin_search_paths, std::vector<std::string>{"/opt/profo/plugins"});
    ASSERT_TRUE(c.plugin("storage/postgres"));
    EXPECT_TRUE(c.plugin("storage/postgres")->enabled);
    EXPECT_FALSE(c.plugin("storage/sqlite")->enabled);
    EXPECT_EQ(c.plugin("element/dialog")->settings["base_url"], "http://llm");
    EXPECT_EQ(c.plugin("element/dialog")->settings["retries"], 3);
}

TEST(Config, AMetricsTokenIsLongAndPrintable) {
    EXPECT_TRUE(problems_of("http:\n  metrics_token: scrape-0123456789abcdef\n").empty());
    for (const char* weak : {"short", "'sixteen chars ok'", "\"tab\\there0123456789\""}) {
        const auto p = problems_of(std::string("http:\n  metrics_token: ") + weak + "\n");
        ASSERT_EQ(p.size(), 1u) << weak;
        EXPECT_NE(p[0].find("http.metrics_token: must be at least 16 printable ASCII characters"),
                  std::string::npos)
            << p[0];
    }
}

TEST(Config, ReportsUnknownKeysWithLineAndPath) {
    auto p = problems_of("http:\n  listn: 1.2.3.4:80\nlogg: {}\n");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(
        p[0],
        "profo.yaml:2: http.listn: unknown key (known: listen, threads, max_connections, "
        "max_connections_per_address, max_pending_requests, header_timeout_ms, max_body_bytes_in_flight, "
        "metrics_token)");
    EXPECT_EQ(p[1],
              "profo.yaml:3: logg: unknown key (known: http, log, storage, retention, secrets, "
              "telegram_login, engine, plugins)");
}

TEST(Config, ReportsWrongTypesWithLineAndPath) {
    auto p = problems_of("storage:\n  pool_size: many\nhttp:\n  threads: [1]\nlog:\n  format: xml\n");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0], "profo.yaml:2: storage.pool_size: expected an integer, got 'many'");
    EXPECT_EQ(p[1], "profo.yaml:4: http.threads: expected an integer");
    EXPECT_EQ(p[2], "profo.yaml:6: log.format: 'xml' is not one of text, json");
}

TEST(Config, ReportsBadPluginEntries) {
    auto p = problems_of("plugins:\n  elements:\n    quiz: {}\n  element:\n    quiz: {enable: true}\n");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0],
              "profo.yaml:2: plugins.elements: unknown key (known: search_paths, element, enrollment, "
              "storage, transport)");
    EXPECT_EQ(p[1], "profo.yaml:5: plugins.element.quiz.enable: unknown key (known: enabled, settings)");
}

TEST(Config, ReportsYamlSyntaxErrorsWithLine) {
    auto p = problems_of("http:\n  listen: [unclosed\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].rfind("profo.yaml:", 0), 0u);
}

TEST(Config, EnvironmentOverridesEverySetting) {
    Environment env{{"PROFO_HTTP_LISTEN", "127.0.0.1:0"},
                    {"PROFO_LOG_FORMAT", "json"},
                    {"PROFO_STORAGE_DSN", "/tmp/x.db"},
                    {"PROFO_STORAGE_POOL_SIZE", "2"},
                    {"PROFO_PLUGINS_SEARCH_PATHS", "/a:/b"},
                    {"PROFO_PLUGINS_ELEMENT_MULTI_CHOICE_ENABLED", "false"},
                    {"PROFO_PLUGINS_ELEMENT_DIALOG_SETTINGS_API_KEY", "sk-test"},
                    {"PROFO_PLUGINS_ELEMENT_DIALOG_SETTINGS_RETRIES", "5"}};
    auto c =
        parse_config("plugins:\n  element:\n    multi_choice: {}\n    dialog: {settings: {retries: 2}}\n",
                     "profo.yaml", env);
    EXPECT_EQ(c.http.listen, "127.0.0.1:0");
    EXPECT_EQ(c.log.format, "json");
    EXPECT_EQ(c.storage.dsn, "/tmp/x.db");
    EXPECT_EQ(c.storage.pool_size, 2);
    EXPECT_EQ(c.plugin_search_paths, (std::vector<std::string>{"/a", "/b"}));
    EXPECT_FALSE(c.plugin("element/multi_choice")->enabled);
    EXPECT_EQ(c.plugin("element/dialog")->settings["api_key"], "sk-test");
    EXPECT_EQ(c.plugin("element/dialog")->settings["retries"], 5);  // keeps the file's type
}

TEST(Config, ReportsBadEnvironmentValues) {
    auto p = problems_of(
        "", {{"PROFO_STORAGE_POOL_SIZE", "lots"}, {"PROFO_LOG_LEVEL", "loud"}, {"PROFO_SECRETS_KEY", "abc"}});
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0], "environment PROFO_LOG_LEVEL: 'loud' is not one of trace, debug, info, warn, error");
    EXPECT_EQ(p[1], "environment PROFO_STORAGE_POOL_SIZE: expected an integer, got 'lots'");
    EXPECT_EQ(p[2], "secrets.key: must be 64 hex digits (a 256-bit key)");
}

TEST(Config, RetentionAndSqliteDurabilityDefaults) {
    auto c = parse_config("", "profo.yaml", {});
    EXPECT_EQ(c.storage.sqlite.synchronous, "full");
    EXPECT_TRUE(c.retention.enabled);
    EXPECT_EQ(c.retention.interval, std::chrono::minutes(10));
    EXPECT_EQ(c.retention.batch_size, 1000);
    EXPECT_EQ(c.retention.processed_updates, std::chrono::hours(25));
    EXPECT_EQ(c.retention.timers, std::chrono::hours(7 * 24));
    EXPECT_EQ(c.retention.polls, std::chrono::hours(7 * 24));
    EXPECT_EQ(c.retention.failed_outbox, std::chrono::hours(30 * 24));
    EXPECT_EQ(c.retention.panel_access, std::chrono::hours(24));
}

TEST(Config, ReadsRetentionAndSqliteDurability) {
    auto c = parse_config(R"(
storage:
  sqlite: {synchronous: normal}
retention:
  enabled: false
  interval: 30s
  batch_size: 50
  processed_updates: 2d
  timers: 1d:12h
  polls: 90m
  failed_outbox: 60d
  panel_access: 2h
)",
                          "profo.yaml", {});
    EXPECT_EQ(c.storage.sqlite.synchronous, "normal");
    EXPECT_FALSE(c.retention.enabled);
    EXPECT_EQ(c.retention.interval, std::chrono::seconds(30));
    EXPECT_EQ(c.retention.batch_size, 50);
    EXPECT_EQ(c.retention.processed_updates, std::chrono::hours(48));
    EXPECT_EQ(c.retention.timers, std::chrono::hours(36));
    EXPECT_EQ(c.retention.polls, std::chrono::minutes(90));
    EXPECT_EQ(c.retention.failed_outbox, std::chrono::hours(60 * 24));
    EXPECT_EQ(c.retention.panel_access, std::chrono::hours(2));
}

TEST(Config, RetentionAndSqliteDurabilityFromTheEnvironment) {
    auto c = parse_config("retention: {timers: 1d}\n", "profo.yaml",
                          {{"PROFO_STORAGE_SQLITE_SYNCHRONOUS", "normal"},
                           {"PROFO_RETENTION_ENABLED", "false"},
                           {"PROFO_RETENTION_INTERVAL", "1h"},
                           {"PROFO_RETENTION_BATCH_SIZE", "10"},
                           {"PROFO_RETENTION_PROCESSED_UPDATES", "36h"},
                           {"PROFO_RETENTION_TIMERS", "3d"},
                           {"PROFO_RETENTION_POLLS", "14d"},
                           {"PROFO_RETENTION_FAILED_OUTBOX", "90d"},
                           {"PROFO_RETENTION_PANEL_ACCESS", "12h"}});
    EXPECT_EQ(c.storage.sqlite.synchronous, "normal");
    EXPECT_FALSE(c.retention.enabled);
    EXPECT_EQ(c.retention.interval, std::chrono::hours(1));
    EXPECT_EQ(c.retention.batch_size, 10);
    EXPECT_EQ(c.retention.processed_updates, std::chrono::hours(36));
    EXPECT_EQ(c.retention.timers, std::chrono::hours(3 * 24));  // the environment wins over the file
    EXPECT_EQ(c.retention.polls, std::chrono::hours(14 * 24));
    EXPECT_EQ(c.retention.failed_outbox, std::chrono::hours(90 * 24));
    EXPECT_EQ(c.retention.panel_access, std::chrono::hours(12));
}

TEST(Config, ReportsBadRetentionAndSqliteDurabilityNamingTheKey) {
    auto p = problems_of(R"(storage:
  sqlite: {synchronous: off, journal: wal}
retention:
  interval: soon
  batch_size: 0
  processed_updates: 12h
  timers: [7d]
  polls: 0s
  failed_outbox: 30 days
  windows: {}
)");
    ASSERT_EQ(p.size(), 9u);
    EXPECT_EQ(p[0], "profo.yaml:2: storage.sqlite.synchronous: 'off' is not one of full, normal");
    EXPECT_EQ(p[1], "profo.yaml:2: storage.sqlite.journal: unknown key (known: synchronous)");
    EXPECT_EQ(
        p[2],
        "profo.yaml:4: retention.interval: expected a duration such as 10m, 25h, 7d or 1d:12h, got 'soon'");
    EXPECT_EQ(p[3], "profo.yaml:5: retention.batch_size: must be between 1 and 100000, got 0");
    EXPECT_EQ(p[4],
              "profo.yaml:6: retention.processed_updates: must be at least 86400s (Telegram redelivers an "
              "update for up to 24 hours, and a forgotten one would be handled twice), got '12h'");
    EXPECT_EQ(p[5], "profo.yaml:7: retention.timers: expected a duration such as 10m, 25h or 7d");
    EXPECT_EQ(p[6],
              "profo.yaml:8: retention.polls: must be at least 1s (a window of nothing would delete rows "
              "as they settle), got '0s'");
    EXPECT_EQ(
        p[7],
        "profo.yaml:9: retention.failed_outbox: expected a duration such as 10m, 25h, 7d or 1d:12h, got "
        "'30 days'");
    EXPECT_EQ(p[8],
              "profo.yaml:10: retention.windows: unknown key (known: enabled, interval, batch_size, "
              "processed_updates, timers, polls, failed_outbox, panel_access)");

    auto e = problems_of("", {{"PROFO_STORAGE_SQLITE_SYNCHRONOUS", "extra"},
                              {"PROFO_RETENTION_PROCESSED_UPDATES", "23h"},
                              {"PROFO_RETENTION_FAILED_OUTBOX", "month"}});
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(
        e[0],
        "environment PROFO_RETENTION_FAILED_OUTBOX: expected a duration such as 10m, 25h, 7d or 1d:12h, "
        "got 'month'");
    EXPECT_EQ(
        e[1],
        "environment PROFO_RETENTION_PROCESSED_UPDATES: must be at least 86400s (Telegram redelivers an "
        "update for up to 24 hours, and a forgotten one would be handled twice), got '23h'");
    EXPECT_EQ(e[2], "environment PROFO_STORAGE_SQLITE_SYNCHRONOUS: 'extra' is not one of full, normal");
}

TEST(Config, WarnsAboutVariablesThatMatchNoSetting) {
    std::vector<std::string> warnings;
    parse_config("", "profo.yaml", {{"PROFO_HTTP_LISTN", "x"}, {"PROFO_CONFIG", "c.yaml"}}, &warnings);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], "environment PROFO_HTTP_LISTN matches no setting");
}

TEST(Config, ExpandsTheExecutableFolderInSearchPaths) {
    auto c = parse_config("plugins:\n  search_paths: ['{exe_dir}/../plugins', /abs]\n", "profo.yaml", {});
    auto paths = c.resolved_search_paths();
    ASSERT_EQ(paths.size(), 2u);
    EXPECT_EQ(paths[0].string().find("{exe_dir}"), std::string::npos);
    EXPECT_EQ(paths[0].filename(), "plugins");
    EXPECT_EQ(paths[1], "/abs");
}

TEST(Config, SearchPathsFromTheEnvironmentAreAColonSeparatedList) {
    auto c = parse_config("plugins:\n  search_paths: [/from/file]\n", "profo.yaml",
                          {{"PROFO_PLUGINS_SEARCH_PATHS", "{exe_dir}/../plugins::/opt/profo/plugins:"}});
    EXPECT_EQ(c.plugin_search_paths,
              (std::vector<std::string>{"{exe_dir}/../plugins", "/opt/profo/plugins"}));
    const auto paths = c.resolved_search_paths();
    ASSERT_EQ(paths.size(), 2u);
    EXPECT_EQ(paths[0], executable_dir() / ".." / "plugins");
}

class DefaultConfigLookup : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("profo_config_lookup_" +
                 std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(root_);
        fs::create_directories(root_ / "work");
        fs::create_directories(root_ / "prefix" / "bin");
    }
    void TearDown() override { fs::remove_all(root_); }
    void touch(const fs::path& file) {
        fs::create_directories(file.parent_path());
        std::ofstream(file) << "log: {level: warn}\n";
    }
    std::vector<fs::path> locations() const {
        return default_config_locations(root_ / "work", root_ / "prefix" / "bin");
    }
    fs::path root_;
};

TEST_F(DefaultConfigLookup, WorkingFolderThenInstallThenBuildTree) {
    EXPECT_EQ(locations(), (std::vector<fs::path>{root_ / "work" / "config" / "profo.yaml",
                                                  root_ / "prefix" / "etc" / "profo" / "profo.yaml",
                                                  root_ / "prefix" / "config" / "profo.yaml"}));
    touch(root_ / "prefix" / "config" / "profo.yaml");
    EXPECT_EQ(find_default_config(locations()), root_ / "prefix" / "config" / "profo.yaml");
    touch(root_ / "prefix" / "etc" / "profo" / "profo.yaml");
    EXPECT_EQ(find_default_config(locations()), root_ / "prefix" / "etc" / "profo" / "profo.yaml");
    touch(root_ / "work" / "config" / "profo.yaml");
    EXPECT_EQ(find_default_config(locations()), root_ / "work" / "config" / "profo.yaml");
}

TEST_F(DefaultConfigLookup, NoneFoundNamesEveryPlaceLookedIn) {
    try {
        find_default_config(locations());
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        const auto& p = e.problems();
        ASSERT_EQ(p.size(), 4u) << e.what();
        EXPECT_EQ(
            p[0],
            "no config file: neither --config FILE nor PROFO_CONFIG names one, and none of these exists:");
        for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(p[i + 1], "  " + locations()[i].string());
    }
}
