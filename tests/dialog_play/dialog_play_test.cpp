// The dialog element through everything real: `profo course play` (engine,
// SQLite, the host's HTTP client, the plugin loaded from its module) against
// profo-fake-llm, which logs what the platform sent.
#include "build_tree.hpp"
#include "fake_llm.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace profo::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kApiKey = "sk-play-test-0123456789";

struct Played {
    ProcessResult result;
    std::vector<json> requests;
};

// Plays `course` with the student's `input` lines against a fake provider
// running `script`.
Played play(const std::filesystem::path& course, const std::string& input, const json& script,
            const std::string& extra_settings = "") {
    TempDir dir;
    FakeLlm llm(profo::build_tree::executable("profo-fake-llm"), dir, script);
    TestConfig config;
    config.settings["element/dialog"] =
        "{base_url: \"" + llm.base_url() + "\", api_key: \"" + kApiKey +
        "\", retries: 2, retry_backoff_ms: 50, timeout_ms: 5000, allow_private_addresses: true" +
        extra_settings + "}";
    const auto file = write_test_config(dir, config);
    Played played;
    // PROFO_CONFIG rather than --config: it reaches every subcommand the same way.
    played.result = run_process({profo::build_tree::executable("profo"), "course", "play", course.string()},
                                input, {{"PROFO_CONFIG", file.string()}}, 120s);
    played.requests = llm.requests();
    return played;
}

std::string transcript(const Played& p) {
    return "exit " + std::to_string(p.result.exit_code) + "\nstdout:\n" + p.result.out + "\nstderr:\n" +
           p.result.err;
}

std::filesystem::path write_course(const TempDir& dir, const std::string& yaml) {
    const auto path = dir / "course.yml";
    std::ofstream(path) << yaml;
    return path;
}

const char* kDialogCourse = R"(Name_1:
  type: input
  text: What is your name?
Talk_1:
  type: dialog
  text: Let's talk!
  prompt: |
    <!-- authors only: keep replies short -->
    You talk to {{Name_1}}. Answer {STOP} when the student says stop.
  model: fake-model-1
  temperature: 0.3
Bye:
  type: end
  text: Bye!
)";

TEST(DialogPlay, ConversationReachesTheProviderAndEndsOnStop) {
    TempDir dir;
    const json script = json::parse(R"({
        "rules": [{"when_last_user_contains": "stop", "reply": "Goodbye, Анна! {STOP}"}],
        "replies": ["Hi Анна, how are you?", {"status": 500}, "Tell me more about it."]})");
    const Played p =
        play(write_course(dir, kDialogCourse), "Анна\nHello there\nI am fine\nplease stop\n", script);

    ASSERT_EQ(p.result.exit_code, 0) << transcript(p);
    const std::string& out = p.result.out;
    EXPECT_NE(out.find("Let's talk!"), std::string::npos) << transcript(p);
    EXPECT_NE(out.find("Hi Анна, how are you?"), std::string::npos) << transcript(p);
    EXPECT_NE(out.find("Tell me more about it."), std::string::npos) << transcript(p);
    EXPECT_NE(out.find("Goodbye, Анна!"), std::string::npos) << transcript(p);
    EXPECT_EQ(out.find("{STOP}"), std::string::npos) << transcript(p);
    EXPECT_NE(out.find("Bye!"), std::string::npos) << transcript(p);
    EXPECT_NE(out.find("run completed"), std::string::npos) << transcript(p);
    // The 500 was retried: the student never saw an apology.
    EXPECT_EQ(out.find("Sorry"), std::string::npos) << transcript(p);

    // Three answers, one of them after a retry.
    ASSERT_EQ(p.requests.size(), 4u) << transcript(p);
    for (const auto& r : p.requests) {
        EXPECT_EQ(r["method"], "POST");
        EXPECT_EQ(r["target"], "/v1/chat/completions");
        EXPECT_EQ(r["authorization"], std::string("Bearer ") + kApiKey);
        EXPECT_EQ(r["body"]["model"], "fake-model-1");
        EXPECT_EQ(r["body"]["temperature"], 0.3);
    }
    const std::string system =
        "You talk to What is your name?\nStudent: Анна. Answer {STOP} when the student says stop.";
    const json system_turn = {{"role", "system"}, {"content", system}};
    EXPECT_EQ(p.requests[0]["body"]["messages"],
              json::array({system_turn, {{"role", "user"}, {"content", "Hello there"}}}))
        << p.requests[0].dump(2);
    // The failed attempt and its retry are the same request.
    EXPECT_EQ(p.requests[1]["body"], p.requests[2]["body"]);
    EXPECT_EQ(p.requests[2]["body"]["messages"],
              json::array({system_turn,
                           {{"role", "user"}, {"content", "Hello there"}},
                           {{"role", "assistant"}, {"content", "Hi Анна, how are you?"}},
                           {{"role", "user"}, {"content", "I am fine"}}}));
    ASSERT_EQ(p.requests[3]["body"]["messages"].size(), 6u);
    EXPECT_EQ(p.requests[3]["body"]["messages"][5]["content"], "please stop");
    // The key is in the header only, never in the output or the logs.
    EXPECT_EQ(p.result.err.find(kApiKey), std::string::npos);
    EXPECT_EQ(p.result.out.find(kApiKey), std::string::npos);
}

TEST(DialogPlay, ProviderDownApologisesAndTheStudentCanGoOn) {
    TempDir dir;
    const json script = json::parse(R"({"replies": [{"status": 503}, {"status": 503}, {"status": 503},
        "Back again. {STOP}"]})");
    const Played p = play(write_course(dir, kDialogCourse), "Анна\nHello?\nStill there?\n", script,
                          ", error_text: \"No answer, try again\"");
    ASSERT_EQ(p.result.exit_code, 0) << transcript(p);
    EXPECT_NE(p.result.out.find("No answer, try again"), std::string::npos) << transcript(p);
    EXPECT_NE(p.result.out.find("Back again."), std::string::npos) << transcript(p);
    ASSERT_EQ(p.requests.size(), 4u) << transcript(p);
    // Nothing was lost: the last request carries both student messages.
    const auto& messages = p.requests[3]["body"]["messages"];
    ASSERT_EQ(messages.size(), 3u) << messages.dump(2);
    EXPECT_EQ(messages[1]["content"], "Hello?");
    EXPECT_EQ(messages[2]["content"], "Still there?");
}

TEST(DialogPlay, TimeoutCountsAsAFailedAttempt) {
    TempDir dir;
    const json script =
        json::parse(R"({"replies": [{"reply": "too late", "delay_ms": 3000}, "In time. {STOP}"]})");
    const Played p = play(write_course(dir, kDialogCourse), "Анна\nHello\n", script, ", timeout_ms: 500");
    ASSERT_EQ(p.result.exit_code, 0) << transcript(p);
    EXPECT_EQ(p.result.out.find("too late"), std::string::npos) << transcript(p);
    EXPECT_NE(p.result.out.find("In time."), std::string::npos) << transcript(p);
    EXPECT_EQ(p.requests.size(), 2u) << transcript(p);
}

TEST(DialogPlay, LegacyTestAllElementsCourseCompletes) {
    // Every answer right, so the revision finds no mistakes and moves on.
    const std::string input =
        "/press 1\n/press 1\n/press 1\n"                                     // messages with buttons
        "тест\nкакой-то ответ\n1 2 3\n"                                      // inputs
        "/vote 2\n/vote 1\n/vote 1\n/vote 1,3\n/vote 1\n/vote 1\n/vote 1\n"  // polls
        "/press 1\n"                                                         // the test summary
        "/press 1\n/skip\n/press 1\n"                                        // jump, delay, message after it
        "Привет\nконец\n"                                                    // Test_Dialog_01
        "конец\n";  // Test_Dialog_02 (auto_start: the model spoke first)
    const json script = json::parse(R"({
        "rules": [{"when_last_user_contains": "конец", "reply": "Пока! {STOP}"}],
        "default": "Привет! Как дела?"})");
    const Played p =
        play(std::filesystem::path(PROFO_LEGACY_COURSES_DIR) / "test_all_elements.yml", input, script);
    ASSERT_EQ(p.result.exit_code, 0) << transcript(p);
    EXPECT_NE(p.result.out.find("run completed"), std::string::npos) << transcript(p);
    EXPECT_EQ(p.result.out.find("{STOP}"), std::string::npos) << transcript(p);
    // Dialog 1: "Привет", "конец"; dialog 2: its auto start, "конец".
    ASSERT_EQ(p.requests.size(), 4u) << transcript(p);
    EXPECT_EQ(p.requests[0]["body"]["model"], "gpt-4");
    EXPECT_EQ(p.requests[0]["body"]["messages"].back()["content"], "Привет");
    const auto& auto_start = p.requests[2]["body"]["messages"];
    ASSERT_EQ(auto_start.size(), 1u) << auto_start.dump(2);
    EXPECT_EQ(auto_start[0]["role"], "system");
    EXPECT_NE(auto_start[0]["content"].get<std::string>().find("Начни диалог с приветствия"),
              std::string::npos);
}

TEST(DialogPlay, LegacyCourseExampleCompletes) {
    const std::string input =
        "/press 1\n"                     // Начать курс
        "/vote 2\n/vote 1\n/vote 2,4\n"  // quiz, question, multi_choice
        "привет\n"                       // input
        "Привет!\nстоп\n"                // dialog
        "/press 1\n"                     // jump: Продолжим!
        "/press 1\n"                     // test: OK
        "/press 1\n";                    // final message: Завершить
    const json script = json::parse(R"({
        "rules": [{"when_last_user_contains": "стоп", "reply": "{STOP}"}],
        "default": "Рад поговорить!"})");
    const Played p =
        play(std::filesystem::path(PROFO_LEGACY_COURSES_DIR) / "course_example.yml", input, script);
    ASSERT_EQ(p.result.exit_code, 0) << transcript(p);
    EXPECT_NE(p.result.out.find("Рад поговорить!"), std::string::npos) << transcript(p);
    EXPECT_NE(p.result.out.find("run completed"), std::string::npos) << transcript(p);
    ASSERT_EQ(p.requests.size(), 2u) << transcript(p);
    EXPECT_EQ(p.requests[1]["body"]["messages"].size(), 4u);  // system, Привет!, reply, стоп
}

}  // namespace
