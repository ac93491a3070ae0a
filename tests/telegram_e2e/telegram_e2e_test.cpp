// A student takes a course through Telegram as it will run in production:
// `profo serve` with the telegram transport, against the Bot API emulator.
#include "fake_llm.hpp"
#include "loopback_http.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

using namespace profo::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// message (button) -> quiz (poll) -> input (typed) -> end.
const char* kCourse = R"(Hello:
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

unsigned short port_in(const std::string& text, const std::string& pattern) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(pattern)))
        throw std::runtime_error("no '" + pattern + "' in:\n" + text);
    return static_cast<unsigned short>(std::stoi(m[1].str()));
}

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

class Emulator {
public:
    explicit Emulator(std::vector<std::string> flags = {})
        : process_([&] {
              // It announces its port on stdout; the test harness reads stderr.
              std::string command = std::string("exec ") + PROFO_TELEGRAM_EMULATOR + " --listen 127.0.0.1:0";
              for (const auto& f : flags) command += " " + f;
              return std::vector<std::string>{"/bin/sh", "-c", command + " 1>&2"};
          }()) {
        port_ = port_in(process_.wait_for_stderr("listening on", 20s), R"(listening on [0-9.]+:([0-9]+))");
    }
    unsigned short port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    json post(const std::string& path, const json& body) {
        auto reply = http_request(port_, "POST", path, body.dump(), {{"Content-Type", "application/json"}});
        auto parsed = json::parse(reply.body);
        if (!parsed.value("ok", false)) throw std::runtime_error(path + " refused: " + reply.body);
        return parsed["result"];
    }
    json get(const std::string& target) {
        auto reply = http_request(port_, "GET", target);
        auto parsed = json::parse(reply.body);
        if (!parsed.value("ok", false)) throw std::runtime_error(target + " failed: " + reply.body);
        return parsed["result"];
    }
    // The transcript once the bot has sent `count` messages to the user.
    json wait(std::int64_t bot, std::int64_t user, int count, int timeout_ms = 30000) {
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
    RunningProcess& process() { return process_; }

private:
    RunningProcess process_;
    unsigned short port_ = 0;
};

std::vector<json> bot_messages(const json& transcript) {
    std::vector<json> out;
    for (const auto& m : transcript["messages"])
        if (m.value("sender", "") == "bot") out.push_back(m);
    return out;
}

// What the student saw of a bot message, one line.
std::string shown(const json& m) {
    if (m.contains("poll")) return "poll: " + m["poll"]["question"].get<std::string>();
    if (m.contains("text")) return m["text"].get<std::string>();
    if (m.contains("caption")) return m["caption"].get<std::string>();
    return m.dump();
}

std::vector<std::string> shown_all(const json& transcript) {
    std::vector<std::string> out;
    for (const auto& m : bot_messages(transcript)) out.push_back(shown(m));
    return out;
}

const std::vector<std::string> kExpected = {"Welcome to the course",
                                            "poll: Which one is right?",
                                            "Exactly",
                                            "Capital of France?",
                                            "Right",
                                            "The end"};

// One student through kCourse; returns the final transcript.
json take_course(Emulator& e, std::int64_t bot, std::int64_t user, const std::string& start_payload = "") {
    e.post("/_emulator/start", {{"bot_id", bot}, {"user_id", user}, {"payload", start_payload}});
    auto t = e.wait(bot, user, 1);
    auto first = bot_messages(t).at(0);
    EXPECT_EQ(shown(first), "Welcome to the course");
    e.post("/_emulator/press_button",
           {{"bot_id", bot}, {"user_id", user}, {"message_id", first["message_id"]}, {"button_text", "Go"}});
    t = e.wait(bot, user, 2);
    auto poll = bot_messages(t).at(1);
    EXPECT_TRUE(poll.contains("poll")) << poll.dump();
    e.post("/_emulator/answer_poll",
           {{"bot_id", bot}, {"user_id", user}, {"message_id", poll["message_id"]}, {"option_ids", {1}}});
    t = e.wait(bot, user, 4);
    e.post("/_emulator/messages", {{"bot_id", bot}, {"user_id", user}, {"text", "Paris"}});
    return e.wait(bot, user, 6);
}

struct Platform {
    TempDir dir;
    std::filesystem::path config;
    std::int64_t bot_id = 0;  // the emulator's
    std::string token;

    // `adjust` changes the config before it is written (other plugins'
    // settings, an engine section).
    Platform(Emulator& e, const std::string& mode = "poll", std::string extra_settings = "",
             unsigned short listen_port = 0, const std::string& course = kCourse,
             const std::function<void(TestConfig&)>& adjust = {}) {
        TestConfig c;
        if (listen_port) c.listen = "127.0.0.1:" + std::to_string(listen_port);
        std::string settings =
            "{\"base_url\": \"" + e.url() +
            "\", \"poll_timeout_s\": 2, \"bots_refresh_ms\": 300, \"backoff_initial_ms\": 200, "
            "\"backoff_max_ms\": 2000";
        if (listen_port)
            settings += ", \"public_url\": \"http://127.0.0.1:" + std::to_string(listen_port) + "\"";
        settings += extra_settings + "}";
        c.settings["transport/telegram"] = settings;
        if (adjust) adjust(c);
        config = write_test_config(dir, c);
        std::ofstream(dir / "course.yml") << course;
        auto imported = run_process(
            profo_command(config, {"course", "import", (dir / "course.yml").string(), "--name", "telegram"}));
        EXPECT_EQ(imported.exit_code, 0) << imported.err << imported.out;
        auto bot = e.post("/_emulator/bots", {{"username", "course_bot"}});
        bot_id = bot["id"].get<std::int64_t>();
        token = bot["token"].get<std::string>();
        add_bot(token, mode);
        auto deployed =
            run_process(profo_command(config, {"deploy", "create", "--course", "telegram", "--bot", "1"}));
        EXPECT_EQ(deployed.exit_code, 0) << deployed.err << deployed.out;
    }

    std::string add_bot(const std::string& bot_token, const std::string& mode) {
        auto added = run_process(profo_command(config, {"bot", "add", bot_token, "--mode", mode}));
        EXPECT_EQ(added.exit_code, 0) << added.err << added.out;
        EXPECT_EQ(added.out.find(bot_token), std::string::npos) << "the token was printed";
        EXPECT_NE(added.out.find(bot_token.substr(0, bot_token.find(':')) + ":***"), std::string::npos)
            << added.out;
        return added.out;
    }

    std::unique_ptr<RunningProcess> serve() {
        auto p = std::make_unique<RunningProcess>(profo_command(config, {"serve"}));
        p->wait_for_stderr("serving on", 60s);
        return p;
    }
};

void stop(RunningProcess& serve) {
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait(30s), 0) << serve.err();
}

}  // namespace

TEST(TelegramTransport, AStudentCompletesACourseByLongPolling) {
    Emulator e;
    Platform p(e);
    auto serve = p.serve();
    auto t = take_course(e, p.bot_id, 42);
    EXPECT_EQ(shown_all(t), kExpected) << t.dump(1);
    EXPECT_FALSE(t["callback_answers"].empty()) << "the button press was answered";

    auto listed = run_process(profo_command(p.config, {"bot", "list", "--json"}));
    auto bots = json::parse(listed.out)["bots"];
    ASSERT_EQ(bots.size(), 1u);
    EXPECT_EQ(bots[0]["username"], "course_bot");
    EXPECT_EQ(bots[0]["enabled"], true);
    EXPECT_GT(bots[0]["update_offset"].get<int>(), 1) << "the offset advanced after each commit";
    stop(*serve);
    EXPECT_EQ(serve->err().find(p.token), std::string::npos) << "the token reached the log";
}

TEST(TelegramTransport, AStudentCompletesACourseByWebhook) {
    Emulator e;
    const auto port = free_port();
    Platform p(e, "webhook", "", port);
    auto serve = p.serve();
    serve->wait_for_stderr("webhook set", 20s);
    auto info = e.post("/bot" + p.token + "/getWebhookInfo", json::object());
    EXPECT_EQ(info["url"], "http://127.0.0.1:" + std::to_string(port) + "/telegram/webhook/1");
    auto t = take_course(e, p.bot_id, 43);
    EXPECT_EQ(shown_all(t), kExpected) << t.dump(1);

    // Without the secret Telegram echoes, a delivery is refused.
    auto forged = http_request(port, "POST", "/telegram/webhook/1", R"({"update_id":999,"message":{}})",
                               {{"Content-Type", "application/json"}});
    EXPECT_EQ(forged.status, 401);
    stop(*serve);
}

TEST(TelegramTransport, FloodLimitsAndServerErrorsLoseAndRepeatNothing) {
    // A tight per-chat limit the transport does not know about, and 5xx on sends.
    Emulator e({"--chat-burst", "1", "--error-probability", "0.3", "--fault-methods",
                "sendMessage,sendPoll,answerCallbackQuery"});
    Platform p(e, "poll", ", \"chat_burst\": 3, \"chat_per_second\": 3");
    auto serve = p.serve();
    auto t = take_course(e, p.bot_id, 44);
    EXPECT_EQ(shown_all(t), kExpected) << t.dump(1);
    auto stats = e.get("/_emulator/stats");
    EXPECT_GT(stats["injected_errors"].get<int>() + stats["too_many_requests"].get<int>(), 0) << stats.dump();
    stop(*serve);
}

TEST(TelegramTransport, KilledMidCourseItContinuesAfterARestart) {
    Emulator e;
    Platform p(e);
    auto serve = p.serve();
    e.post("/_emulator/start", {{"bot_id", p.bot_id}, {"user_id", 45}});
    auto first = bot_messages(e.wait(p.bot_id, 45, 1)).at(0);
    serve->signal(SIGKILL);
    serve->wait(10s);
    // The press arrives while nothing serves; the restarted process picks it up.
    e.post(
        "/_emulator/press_button",
        {{"bot_id", p.bot_id}, {"user_id", 45}, {"message_id", first["message_id"]}, {"button_text", "Go"}});
    serve = p.serve();
    // The message in flight at the kill may come twice (sent, not yet marked);
    // nothing else may.
    auto t = e.wait(p.bot_id, 45, 2);
    if (!bot_messages(t).at(1).contains("poll")) t = e.wait(p.bot_id, 45, 3);
    auto poll = bot_messages(t).back();
    ASSERT_TRUE(poll.contains("poll")) << t.dump(1);
    const int extra = static_cast<int>(bot_messages(t).size()) - 2;
    e.post("/_emulator/answer_poll",
           {{"bot_id", p.bot_id}, {"user_id", 45}, {"message_id", poll["message_id"]}, {"option_ids", {1}}});
    e.wait(p.bot_id, 45, 4 + extra);
    e.post("/_emulator/messages", {{"bot_id", p.bot_id}, {"user_id", 45}, {"text", "Paris"}});
    t = e.wait(p.bot_id, 45, 6 + extra);
    auto seen = shown_all(t);
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    EXPECT_EQ(seen, kExpected) << t.dump(1);
    EXPECT_LE(extra, 1);
    stop(*serve);
}

TEST(TelegramTransport, ABotDisabledWhileServingStopsAndAnAddedOneStarts) {
    Emulator e;
    Platform p(e);
    auto serve = p.serve();
    auto second = e.post("/_emulator/bots", {{"username", "late_bot"}});
    p.add_bot(second["token"], "poll");
    auto deployed =
        run_process(profo_command(p.config, {"deploy", "create", "--course", "telegram", "--bot", "2"}));
    ASSERT_EQ(deployed.exit_code, 0) << deployed.err;
    const auto late = second["id"].get<std::int64_t>();
    e.post("/_emulator/start", {{"bot_id", late}, {"user_id", 46}});
    EXPECT_EQ(shown(bot_messages(e.wait(late, 46, 1)).at(0)), "Welcome to the course");

    ASSERT_EQ(run_process(profo_command(p.config, {"bot", "disable", "2"})).exit_code, 0);
    serve->wait_for_stderr("no longer serving bot 2", 20s);
    stop(*serve);
}

// Many bots in one process: every bot polls, every student finishes, each
// step taken by all students at once so they progress in parallel.
TEST(TelegramTransport, ManyBotsManyStudentsInOneProcess) {
    constexpr int kBots = 20;
    constexpr int kStudents = 10;
    Emulator e({"--no-rate-limits"});
    Platform p(e, "poll",
               ", \"chat_burst\": 10, \"chat_per_second\": 10, \"bot_per_second\": 100, \"bot_burst\": 100");
    std::vector<std::int64_t> bots{p.bot_id};
    for (int b = 1; b < kBots; ++b) {
        auto bot = e.post("/_emulator/bots", {{"username", "many_" + std::to_string(b) + "_bot"}});
        p.add_bot(bot["token"], "poll");
        auto deployed = run_process(profo_command(
            p.config, {"deploy", "create", "--course", "telegram", "--bot", std::to_string(b + 1)}));
        ASSERT_EQ(deployed.exit_code, 0) << deployed.err;
        bots.push_back(bot["id"].get<std::int64_t>());
    }
    auto serve = p.serve();
    const auto began = std::chrono::steady_clock::now();
    auto each = [&](auto step) {
        for (auto bot : bots)
            for (int s = 0; s < kStudents; ++s) step(bot, 1000 + s);
    };
    each([&](auto bot, auto user) { e.post("/_emulator/start", {{"bot_id", bot}, {"user_id", user}}); });
    each([&](auto bot, auto user) {
        auto first = bot_messages(e.wait(bot, user, 1, 60000)).at(0);
        e.post(
            "/_emulator/press_button",
            {{"bot_id", bot}, {"user_id", user}, {"message_id", first["message_id"]}, {"button_text", "Go"}});
    });
    each([&](auto bot, auto user) {
        auto poll = bot_messages(e.wait(bot, user, 2, 60000)).at(1);
        e.post("/_emulator/answer_poll",
               {{"bot_id", bot}, {"user_id", user}, {"message_id", poll["message_id"]}, {"option_ids", {1}}});
    });
    each([&](auto bot, auto user) {
        e.wait(bot, user, 4, 60000);
        e.post("/_emulator/messages", {{"bot_id", bot}, {"user_id", user}, {"text", "Paris"}});
    });
    each([&](auto bot, auto user) { EXPECT_EQ(shown_all(e.wait(bot, user, 6, 60000)), kExpected); });
    EXPECT_LT(std::chrono::steady_clock::now() - began, 60s);
    stop(*serve);
}

namespace {

const char* kDialogCourse = R"(Talk:
  type: dialog
  text: Let's talk
  prompt: You are a tutor. Answer {STOP} when the student says stop.
Bye:
  type: end
  text: The end
)";

// A platform playing kDialogCourse against `llm`, deferred work bounded by `deadline_ms`.
std::unique_ptr<Platform> dialog_platform(Emulator& e, const FakeLlm& llm, int deadline_ms = 180000) {
    return std::make_unique<Platform>(e, "poll", "", 0, kDialogCourse, [&](TestConfig& c) {
        c.settings["element/dialog"] = "{base_url: \"" + llm.base_url() +
                                       "\", api_key: \"sk-e2e\", retries: 2, retry_backoff_ms: 50, "
                                       "timeout_ms: 120000}";
        c.extra_yaml = "engine:\n  deferred:\n    deadline_ms: " + std::to_string(deadline_ms) + "\n";
    });
}

// Waits until the fake provider has received `count` requests.
void wait_for_requests(const FakeLlm& llm, std::size_t count, std::chrono::milliseconds limit = 20s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (llm.requests().size() < count) {
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("the provider got " + std::to_string(llm.requests().size()) +
                                     " requests, not " + std::to_string(count));
        std::this_thread::sleep_for(20ms);
    }
}

std::string last_user_message(const json& request) {
    std::string out;
    for (const auto& m : request["body"]["messages"])
        if (m["role"] == "user") out = m["content"];
    return out;
}

}  // namespace

// The process is killed while the provider holds the dialog's call open.
// The call lived only in memory; its deadline did not: after the restart the
// dialog asks again, the student gets the answer and the course goes on.
TEST(TelegramTransport, KilledDuringADialogCallTheStudentStillGetsTheReply) {
    Emulator e;
    TempDir llm_dir;
    FakeLlm llm(
        PROFO_FAKE_LLM, llm_dir,
        {{"rules", {{{"when_last_user_contains", {"stop"}}, {"reply", "Bye {STOP}"}}}},
         {"replies", {{{"reply", "lost with the process"}, {"delay_ms", 60000}}, "Here is my answer"}}});
    auto p = dialog_platform(e, llm, 3000);
    auto serve = p->serve();
    e.post("/_emulator/start", {{"bot_id", p->bot_id}, {"user_id", 47}});
    EXPECT_EQ(shown(bot_messages(e.wait(p->bot_id, 47, 1)).at(0)), "Let's talk");
    e.post("/_emulator/messages", {{"bot_id", p->bot_id}, {"user_id", 47}, {"text", "Hello"}});
    wait_for_requests(llm, 1);
    serve->signal(SIGKILL);
    serve->wait(10s);
    ASSERT_EQ(llm.requests().size(), 1u) << "killed only after its deadline";

    serve = p->serve();
    auto t = e.wait(p->bot_id, 47, 2);
    EXPECT_EQ(shown(bot_messages(t).at(1)), "Here is my answer") << t.dump(1);
    const auto requests = llm.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(last_user_message(requests[1]), "Hello");

    // Not stuck: the next message is answered and the dialog can end.
    e.post("/_emulator/messages", {{"bot_id", p->bot_id}, {"user_id", 47}, {"text", "stop"}});
    t = e.wait(p->bot_id, 47, 4);
    EXPECT_EQ(shown_all(t), (std::vector<std::string>{"Let's talk", "Here is my answer", "Bye", "The end"}))
        << t.dump(1);
    stop(*serve);
}

// Two provider calls that hang hold the engine's deferred pool, not the
// workers that answer HTTP requests (Mini App endpoints among them).
TEST(TelegramTransport, StalledDialogCallsDoNotDelayHttpRequests) {
    Emulator e;
    TempDir llm_dir;
    FakeLlm llm(
        PROFO_FAKE_LLM, llm_dir,
        {{"replies",
          {{{"reply", "slow one"}, {"delay_ms", 6000}}, {{"reply", "slow two"}, {"delay_ms", 6000}}}}});
    auto p = dialog_platform(e, llm);
    auto serve = p->serve();
    const auto port = port_in(serve->err(), R"(serving on [0-9.]+:([0-9]+))");
    for (std::int64_t user : {48, 49}) e.post("/_emulator/start", {{"bot_id", p->bot_id}, {"user_id", user}});
    for (std::int64_t user : {48, 49}) {
        e.wait(p->bot_id, user, 1);
        e.post("/_emulator/messages", {{"bot_id", p->bot_id}, {"user_id", user}, {"text", "Hello"}});
    }
    wait_for_requests(llm, 2);  // both calls hang now (http.threads is 2)

    const auto asked = std::chrono::steady_clock::now();
    const auto reply =
        http_request(port, "OPTIONS", "/miniapp/question", "",
                     {{"Origin", "https://example.org"}, {"Access-Control-Request-Method", "GET"}});
    const auto took = std::chrono::steady_clock::now() - asked;
    EXPECT_LT(reply.status, 500) << reply.body;
    EXPECT_LT(took, 2s) << "the handler waited "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";

    for (std::int64_t user : {48, 49}) {
        const auto seen = shown_all(e.wait(p->bot_id, user, 2));
        EXPECT_TRUE(seen.back() == "slow one" || seen.back() == "slow two") << seen.back();
    }
    stop(*serve);
}
