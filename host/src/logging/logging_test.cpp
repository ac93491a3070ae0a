#include "logging/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace profo::host {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

class LoggingTest : public ::testing::Test {
protected:
    void SetUp() override { set_log_output(&out_); }
    void TearDown() override {
        set_log_output(nullptr);
        configure_logging(Config::Log{});
    }
    std::ostringstream out_;
};

TEST_F(LoggingTest, JsonLinesAreValidJsonWithAllKeys) {
    configure_logging({"debug", "json"});
    auto log = make_logger("storage/sqlite");
    log->info("opened \"data/profo.db\"\nwith\ttabs and \\ backslashes");
    spdlog::warn("from the default logger");

    const auto lines = lines_of(out_.str());
    ASSERT_EQ(lines.size(), 2u);
    const auto first = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(first.at("level"), "info");
    EXPECT_EQ(first.at("logger"), "storage/sqlite");
    EXPECT_EQ(first.at("msg"), "opened \"data/profo.db\"\nwith\ttabs and \\ backslashes");
    EXPECT_TRUE(std::regex_match(first.at("ts").get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << first.at("ts");
    const auto second = nlohmann::json::parse(lines[1]);
    EXPECT_EQ(second.at("level"), "warn");
    EXPECT_EQ(second.at("logger"), "host");
    EXPECT_EQ(second.at("msg"), "from the default logger");
}

TEST_F(LoggingTest, JsonSurvivesInvalidUtf8) {
    configure_logging({"info", "json"});
    make_logger("transport/telegram")->info(std::string("cut \xD0 mid-character"));
    const auto lines = lines_of(out_.str());
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NO_THROW(nlohmann::json::parse(lines[0]));
}

TEST_F(LoggingTest, TextFormatShowsTimeLevelLoggerAndMessage) {
    configure_logging({"info", "text"});
    make_logger("storage/sqlite")->info("message");
    const auto lines = lines_of(out_.str());
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(std::regex_match(
        lines[0], std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} info \[storage/sqlite\] message)")))
        << lines[0];
}

TEST_F(LoggingTest, TextLinesCannotBeForgedByWhatAMessageCarries) {
    configure_logging({"info", "text"});
    // A request path decoded from %0a, %0d, %1b and %00, as an outsider can send it.
    make_logger("transport/panel")
        ->warn(std::string(
                   "GET /api/v1/accounts/9\n2026-12-03 18:00:00.000 error [host] FORGED\r\x1b[31m\0end", 76) +
               "\ttab");
    const auto lines = lines_of(out_.str());
    ASSERT_EQ(lines.size(), 1u) << out_.str();
    EXPECT_NE(
        lines[0].find("accounts/9\\n2026-12-03 18:00:00.000 error [host] FORGED\\r\\x1b[31m\\x00end\ttab"),
        std::string::npos)
        << lines[0];
}

TEST_F(LoggingTest, LevelFiltersPluginAndDefaultLoggers) {
    auto log = make_logger("elements/quiz");
    configure_logging({"warn", "text"});
    log->info("hidden");
    spdlog::info("hidden too");
    log->error("shown");
    const auto lines = lines_of(out_.str());
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find(" error [elements/quiz] shown"), std::string::npos) << lines[0];
}

TEST_F(LoggingTest, RejectsUnknownLevelAndFormat) {
    EXPECT_THROW(configure_logging({"verbose", "text"}), std::invalid_argument);
    EXPECT_THROW(configure_logging({"info", "xml"}), std::invalid_argument);
}

TEST_F(LoggingTest, RegisteredSecretNeverAppearsInEitherFormat) {
    const std::string token = "123456789:AAE-secret-bot-token_xyz";
    const std::string quoted = "api\"key\\with-escapes";
    register_secret(token);
    register_secret(quoted);

    for (const char* format : {"text", "json"}) {
        configure_logging({"info", format});
        make_logger("transport/telegram")->info("calling https://api.telegram.org/bot" + token + "/getMe");
        spdlog::error("request failed for {} and {}", token, quoted);
        spdlog::default_logger()->info("via the default logger {}", token);
    }
    const auto text = out_.str();
    EXPECT_EQ(text.find(token), std::string::npos) << text;
    EXPECT_EQ(text.find("AAE-secret"), std::string::npos) << text;
    EXPECT_EQ(text.find("api\"key"), std::string::npos) << text;
    EXPECT_EQ(text.find("api\\\"key"), std::string::npos) << text;  // its JSON-escaped form
    EXPECT_NE(text.find("bot***/getMe"), std::string::npos) << text;
    const auto lines = lines_of(text);
    ASSERT_EQ(lines.size(), 6u);
    for (std::size_t i = 3; i < lines.size(); ++i)
        EXPECT_EQ(nlohmann::json::parse(lines[i]).at("msg").get<std::string>().find("secret"),
                  std::string::npos);
}

TEST_F(LoggingTest, RedactMasksEveryOccurrenceAndIgnoresShortSecrets) {
    register_secret("abc");  // too short: would mask ordinary words
    register_secret("hunter22-long");
    register_secret("hunter22-longer-still");
    EXPECT_EQ(redact("abc hunter22-long, hunter22-long"), "abc ***, ***");
    // The longer secret is masked whole, not as "***er-still".
    EXPECT_EQ(redact("x hunter22-longer-still y"), "x *** y");
}

TEST_F(LoggingTest, ConcurrentLoggingAndRegistrationKeepLinesWholeAndRedacted) {
    configure_logging({"info", "json"});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([t] {
            auto log = make_logger("worker/" + std::to_string(t));
            const std::string secret = "concurrent-secret-" + std::to_string(t);
            register_secret(secret);
            for (int i = 0; i < 200; ++i) log->info("value " + secret);
        });
    for (auto& t : threads) t.join();
    const auto lines = lines_of(out_.str());
    ASSERT_EQ(lines.size(), 800u);
    for (const auto& line : lines) {
        const auto j = nlohmann::json::parse(line);
        EXPECT_EQ(j.at("msg"), "value ***");
    }
}

}  // namespace
}  // namespace profo::host
