#include "config/config.hpp"

#include <gtest/gtest.h>

using profo::host::ConfigError;
using profo::host::Environment;
using profo::host::parse_config;

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

TEST(Config, ReportsUnknownKeysWithLineAndPath) {
    auto p = problems_of("http:\n  listn: 1.2.3.4:80\nlogg: {}\n");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0],
              "profo.yaml:2: http.listn: unknown key (known: listen, threads, max_connections, "
              "max_connections_per_address, max_pending_requests, header_timeout_ms)");
    EXPECT_EQ(p[1], "profo.yaml:3: logg: unknown key (known: http, log, storage, secrets, engine, plugins)");
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
