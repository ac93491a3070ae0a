// A student takes a course through Telegram as it will run in production:
// `profo serve` with the telegram transport, against the Bot API emulator.
#include "build_tree.hpp"
#include "emulated_telegram.hpp"
#include "loopback_http.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

using namespace profo::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* const kCourse = kQuizCourse;
const std::vector<std::string>& kExpected = kQuizCourseShown;

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

PlatformOptions course_options(PlatformOptions options = {}) {
    options.course_yaml = kCourse;
    return options;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(, TelegramTransportOn, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(TelegramTransportOn, AStudentCompletesACourseByLongPolling) {
    Emulator e;
    Platform p(e, on_storage(course_options()));
    // The offset is saved after the first reply, then (here) only at stop.
    auto serve = p.serve({{"PROFO_PLUGINS_TRANSPORT_TELEGRAM_SETTINGS_OFFSET_SAVE_MS", "600000"}});
    auto t = take_course(e, p.bot_id, 42);
    EXPECT_EQ(shown_all(t), kExpected) << t.dump(1);
    EXPECT_FALSE(t["callback_answers"].empty()) << "the button press was answered";

    auto listed = run_process(profo_command(p.config, {"bot", "list", "--json"}));
    auto bots = json::parse(listed.out)["bots"];
    ASSERT_EQ(bots.size(), 1u);
    EXPECT_EQ(bots[0]["username"], "course_bot");
    EXPECT_EQ(bots[0]["enabled"], true);
    EXPECT_GT(bots[0]["update_offset"].get<int>(), 1) << "the offset was saved while polling";
    const auto runs = p.runs();
    ASSERT_EQ(runs.size(), 1u) << runs.dump(1);
    EXPECT_EQ(runs[0]["status"], "completed");
    EXPECT_EQ(runs[0]["cursor"], "Bye");
    EXPECT_EQ(runs[0]["user_id"], 42);
    stop(*serve);
    EXPECT_EQ(serve->err().find(p.token), std::string::npos) << "the token reached the log";
    // Stopping saves where polling stood: past every update (ids count from 1 per bot).
    const auto queued = e.get("/_emulator/stats")["updates_queued"].get<int>();
    listed = run_process(profo_command(p.config, {"bot", "list", "--json"}));
    EXPECT_EQ(json::parse(listed.out)["bots"][0]["update_offset"].get<int>(), queued + 1) << listed.out;
}

TEST(TelegramTransport, AStudentCompletesACourseByWebhook) {
    Emulator e;
    PlatformOptions webhook;
    webhook.mode = "webhook";
    Platform p(e, course_options(webhook));
    auto serve = p.serve();
    const auto port = p.http_port;
    serve->wait_for_stderr("webhook set", 20s);
    auto info = e.post("/bot" + p.token + "/getWebhookInfo", json::object());
    EXPECT_EQ(info["url"], "http://127.0.0.1:" + std::to_string(port) + "/telegram/webhook/1");
    auto t = take_course(e, p.bot_id, 43);
    EXPECT_EQ(shown_all(t), kExpected) << t.dump(1);

    // Without the secret Telegram echoes, a delivery is refused.
    auto forged = http_request(port, "POST", "/telegram/webhook/1", R"({"update_id":999,"message":{}})",
                               {{"Content-Type", "application/json"}});
    EXPECT_EQ(forged.status, 401);
    // A bot id that is not there is refused the same way, so the answers
    // do not tell which bots exist.
    for (const std::string path : {"/telegram/webhook/2", "/telegram/webhook/x"}) {
        auto unknown = http_request(
            port, "POST", path, R"({"update_id":999,"message":{}})",
            {{"Content-Type", "application/json"}, {"X-Telegram-Bot-Api-Secret-Token", "guess"}});
        EXPECT_EQ(unknown.status, 401) << path;
        EXPECT_EQ(unknown.body, forged.body) << path;
    }
    stop(*serve);
}

TEST(TelegramTransport, FloodLimitsAndServerErrorsLoseAndRepeatNothing) {
    // A tight per-chat limit the transport does not know about, and 5xx on sends.
    Emulator e({"--chat-burst", "1", "--error-probability", "0.3", "--fault-methods",
                "sendMessage,sendPoll,answerCallbackQuery"});
    PlatformOptions paced;
    paced.transport_settings = ", \"chat_burst\": 3, \"chat_per_second\": 3";
    Platform p(e, course_options(paced));
    auto serve = p.serve();
    auto t = take_course(e, p.bot_id, 44);
    EXPECT_EQ(shown_all(t), kExpected) << t.dump(1);
    auto stats = e.get("/_emulator/stats");
    EXPECT_GT(stats["injected_errors"].get<int>() + stats["too_many_requests"].get<int>(), 0) << stats.dump();
    stop(*serve);
}

TEST_P(TelegramTransportOn, KilledMidCourseItContinuesAfterARestart) {
    Emulator e;
    Platform p(e, on_storage(course_options()));
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
    const auto runs = p.runs();
    ASSERT_EQ(runs.size(), 1u) << runs.dump(1);
    EXPECT_EQ(runs[0]["status"], "completed");
    stop(*serve);
}

// kill -9 between a send and its `sent` mark: Telegram carried the poll out
// but its answer was still on the way. After the restart the poll goes again
// (the one repeat the student may see), the newer poll counts, and the course
// completes.
TEST_P(TelegramTransportOn, KilledBetweenASendAndItsSentMarkOnlyThatMessageComesTwice) {
    Emulator e;
    Platform p(e, on_storage(course_options()));
    auto serve = p.serve();
    e.post("/_emulator/start", {{"bot_id", p.bot_id}, {"user_id", 50}});
    auto first = bot_messages(e.wait(p.bot_id, 50, 1)).at(0);
    e.post(
        "/_emulator/config",
        {{"faults", {{"latency_ms", 60000}, {"latency_after_processing", true}, {"methods", {"sendPoll"}}}}});
    e.post(
        "/_emulator/press_button",
        {{"bot_id", p.bot_id}, {"user_id", 50}, {"message_id", first["message_id"]}, {"button_text", "Go"}});
    auto t = e.wait(p.bot_id, 50, 2);  // in the chat; its answer held
    ASSERT_TRUE(bot_messages(t).at(1).contains("poll")) << t.dump(1);
    serve->signal(SIGKILL);
    serve->wait(10s);
    e.post(
        "/_emulator/config",
        {{"faults", {{"latency_ms", 0}, {"latency_after_processing", false}, {"methods", json::array()}}}});

    serve = p.serve();
    t = e.wait(p.bot_id, 50, 3);
    const auto again = bot_messages(t).at(2);
    ASSERT_TRUE(again.contains("poll")) << t.dump(1);
    e.post("/_emulator/answer_poll",
           {{"bot_id", p.bot_id}, {"user_id", 50}, {"message_id", again["message_id"]}, {"option_ids", {1}}});
    e.wait(p.bot_id, 50, 5);
    e.post("/_emulator/messages", {{"bot_id", p.bot_id}, {"user_id", 50}, {"text", "Paris"}});
    t = e.wait(p.bot_id, 50, 7);
    auto expected = kExpected;
    expected.insert(expected.begin() + 1, kExpected[1]);
    EXPECT_EQ(shown_all(t), expected) << t.dump(1);
    const auto runs = p.runs();
    ASSERT_EQ(runs.size(), 1u) << runs.dump(1);
    EXPECT_EQ(runs[0]["status"], "completed");
    stop(*serve);
}

TEST(TelegramTransport, AStudentWhoBlocksTheBotAndRestartsItCarriesOnWhereTheyWere) {
    Emulator e;
    Platform p(e, course_options());
    auto serve = p.serve();
    const std::int64_t user = 46;
    e.post("/_emulator/start", {{"bot_id", p.bot_id}, {"user_id", user}, {"payload", ""}});
    auto first = bot_messages(e.wait(p.bot_id, user, 1)).at(0);
    e.post("/_emulator/press_button", {{"bot_id", p.bot_id},
                                       {"user_id", user},
                                       {"message_id", first["message_id"]},
                                       {"button_text", "Go"}});
    e.wait(p.bot_id, user, 2);
    e.post("/_emulator/block", {{"bot_id", p.bot_id}, {"user_id", user}});
    for (int i = 0; i < 200 && p.runs().at(0)["status"] != "blocked"; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(p.runs().at(0)["status"], "blocked");

    // The app's Restart: the bot is unblocked, then /start is sent.
    e.post("/_emulator/start", {{"bot_id", p.bot_id}, {"user_id", user}, {"payload", ""}});
    auto t = e.wait(p.bot_id, user, 4);
    const auto poll = bot_messages(t).at(3);
    ASSERT_TRUE(poll.contains("poll")) << t.dump(1);
    e.post(
        "/_emulator/answer_poll",
        {{"bot_id", p.bot_id}, {"user_id", user}, {"message_id", poll["message_id"]}, {"option_ids", {1}}});
    e.wait(p.bot_id, user, 6);
    e.post("/_emulator/messages", {{"bot_id", p.bot_id}, {"user_id", user}, {"text", "Paris"}});
    t = e.wait(p.bot_id, user, 8);
    EXPECT_EQ(shown_all(t),
              (std::vector<std::string>{"Welcome to the course", "poll: Which one is right?",
                                        "Welcome back to \"telegram\"! Here is where you left off.",
                                        "poll: Which one is right?", "Exactly", "Capital of France?", "Right",
                                        "The end"}))
        << t.dump(1);
    const auto runs = p.runs();
    ASSERT_EQ(runs.size(), 1u) << "the same run went on";
    EXPECT_EQ(runs[0]["status"], "completed");
    stop(*serve);
    EXPECT_EQ(bot_messages(e.wait(p.bot_id, user, 8)).size(), 8u) << "nothing came twice";
}

TEST(TelegramTransport, ABotDisabledWhileServingStopsAndAnAddedOneStarts) {
    Emulator e;
    Platform p(e, course_options());
    // A numeric setting only the environment gives arrives as text.
    auto serve = p.serve({{"PROFO_PLUGINS_TRANSPORT_TELEGRAM_SETTINGS_IO_THREADS", "3"}});
    EXPECT_NE(serve->err().find(", 3 network threads"), std::string::npos) << serve->err();
    const auto late = p.add_deployed_bot("late_bot");
    e.post("/_emulator/start", {{"bot_id", late}, {"user_id", 46}});
    EXPECT_EQ(shown(bot_messages(e.wait(late, 46, 1)).at(0)), "Welcome to the course");

    ASSERT_EQ(run_process(profo_command(p.config, {"bot", "disable", "2"})).exit_code, 0);
    serve->wait_for_stderr("no longer serving bot 2", 20s);
    stop(*serve);
}

// Formatting Telegram cannot parse (a tag it does not know, an author's
// stray marker) costs the student nothing: the message goes as plain text,
// and the run goes on past it.
TEST(TelegramTransport, AMessageTelegramCannotParseArrivesAsPlainText) {
    Emulator e;
    PlatformOptions options;
    options.course_yaml =
        "Broken:\n  type: message\n  parse_mode: HTML\n  text: <b>Bold <blink>never closed</b>\n"
        "  button: Next\n"
        "Fine:\n  type: message\n  parse_mode: HTML\n  text: <b>The end</b>\n";
    Platform p(e, options);
    auto serve = p.serve();
    e.post("/_emulator/start", {{"bot_id", p.bot_id}, {"user_id", 47}});
    const auto first = bot_messages(e.wait(p.bot_id, 47, 1)).at(0);
    EXPECT_EQ(shown(first), "<b>Bold <blink>never closed</b>");
    e.post("/_emulator/press_button", {{"bot_id", p.bot_id},
                                       {"user_id", 47},
                                       {"message_id", first["message_id"]},
                                       {"button_text", "Next"}});
    EXPECT_EQ(shown(bot_messages(e.wait(p.bot_id, 47, 2)).at(1)), "The end");
    serve->wait_for_stderr("sent without HTML formatting", 20s);
    stop(*serve);
}

// An answer to a poll profo never sent (another client of the bot's token sent
// it) is not waited for: while a poll batch waits, no student of the bot is
// answered, and profo has no poll of its own awaiting its record.
TEST(TelegramTransport, AnAnswerToAPollProfoNeverSentHoldsNoStudentBack) {
    Emulator e;
    PlatformOptions options;
    options.course_yaml =
        "Ask:\n  type: input\n  text: Your name?\n"
        "Thanks:\n  type: message\n  text: Thanks\n";
    Platform p(e, options);
    auto serve = p.serve();
    for (const int user : {61, 62}) e.post("/_emulator/start", {{"bot_id", p.bot_id}, {"user_id", user}});
    for (const int user : {61, 62}) e.wait(p.bot_id, user, 1);
    // A teacher's script with the bot's token polls student 61, who answers.
    const auto foreign = e.post("/bot" + p.token + "/sendPoll", {{"chat_id", 61},
                                                                 {"question", "How was the week?"},
                                                                 {"options", {"good", "bad"}},
                                                                 {"is_anonymous", false}});
    e.post(
        "/_emulator/answer_poll",
        {{"bot_id", p.bot_id}, {"user_id", 61}, {"message_id", foreign["message_id"]}, {"option_ids", {0}}});
    const auto asked = std::chrono::steady_clock::now();
    e.post("/_emulator/messages", {{"bot_id", p.bot_id}, {"user_id", 62}, {"text", "Ada"}});
    EXPECT_EQ(shown(bot_messages(e.wait(p.bot_id, 62, 2)).at(1)), "Thanks");
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 5s)
        << "the other student waited for the unknown poll";
    stop(*serve);
}

// Many bots in one process: every bot polls, every student finishes, each
// step taken by all students at once so they progress in parallel.
TEST(TelegramTransport, ManyBotsManyStudentsInOneProcess) {
    constexpr int kBots = 50;
    constexpr int kStudents = 20;
    Emulator e({"--no-rate-limits"});
    PlatformOptions fast;
    fast.transport_settings =
        ", \"chat_burst\": 10, \"chat_per_second\": 10, \"bot_per_second\": 100, \"bot_burst\": 100";
    Platform p(e, course_options(fast));
    std::vector<std::int64_t> bots{p.bot_id};
    for (auto id : p.add_deployed_bots(kBots - 1, "many_")) bots.push_back(id);
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
    const auto took = std::chrono::steady_clock::now() - began;
    std::printf("%d bots x %d students completed in %.1f s\n", kBots, kStudents,
                std::chrono::duration<double>(took).count());
    EXPECT_LT(took, 60s);
    const auto runs = p.runs();
    EXPECT_EQ(runs.size(), static_cast<std::size_t>(kBots * kStudents));
    EXPECT_EQ(
        std::count_if(runs.begin(), runs.end(), [](const auto& r) { return r["status"] == "completed"; }),
        kBots * kStudents);
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
    PlatformOptions options;
    options.course_yaml = kDialogCourse;
    options.dialog_base_url = llm.base_url();
    options.extra_yaml = "engine:\n  deferred:\n    deadline_ms: " + std::to_string(deadline_ms) + "\n";
    return std::make_unique<Platform>(e, options);
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
        profo::build_tree::executable("profo-fake-llm"), llm_dir,
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

// kill -9 after an update committed, before its deferred work ran: the one
// deferred thread is held by another student's hanging call, so the second
// student's call still waits in the queue when the process dies. Its
// deadline marker was committed with the update; after the restart both
// calls are made and both students get their answers.
TEST(TelegramTransport, KilledAfterACommitBeforeItsDeferredWorkRanTheCallIsMadeAfterARestart) {
    Emulator e;
    TempDir llm_dir;
    FakeLlm llm(
        profo::build_tree::executable("profo-fake-llm"), llm_dir,
        {{"replies", {{{"reply", "lost with the process"}, {"delay_ms", 60000}}, "Answer", "Answer"}}});
    PlatformOptions options;
    options.course_yaml = kDialogCourse;
    options.dialog_base_url = llm.base_url();
    options.extra_yaml = "engine:\n  deferred:\n    threads: 1\n    deadline_ms: 3000\n";
    Platform p(e, options);
    auto serve = p.serve();
    for (std::int64_t user : {51, 52}) {
        e.post("/_emulator/start", {{"bot_id", p.bot_id}, {"user_id", user}});
        e.wait(p.bot_id, user, 1);
    }
    e.post("/_emulator/messages", {{"bot_id", p.bot_id}, {"user_id", 51}, {"text", "Hello"}});
    wait_for_requests(llm, 1);  // the only deferred thread hangs in it
    e.post("/_emulator/messages", {{"bot_id", p.bot_id}, {"user_id", 52}, {"text", "Hi"}});
    e.wait_until_all_confirmed();  // "Hi" and its deferred call's deadline are committed
    ASSERT_EQ(llm.requests().size(), 1u) << "the second call was made before the kill";
    serve->signal(SIGKILL);
    serve->wait(10s);

    serve = p.serve();
    for (std::int64_t user : {51, 52})
        EXPECT_EQ(shown(bot_messages(e.wait(p.bot_id, user, 2)).at(1)), "Answer") << user;
    std::vector<std::string> asked;
    for (const auto& request : llm.requests()) asked.push_back(last_user_message(request));
    std::sort(asked.begin() + 1, asked.end());
    EXPECT_EQ(asked, (std::vector<std::string>{"Hello", "Hello", "Hi"}));
    stop(*serve);
}

// Two provider calls that hang hold the engine's deferred pool, not the
// workers that answer HTTP requests (Mini App endpoints among them).
TEST(TelegramTransport, StalledDialogCallsDoNotDelayHttpRequests) {
    Emulator e;
    TempDir llm_dir;
    FakeLlm llm(
        profo::build_tree::executable("profo-fake-llm"), llm_dir,
        {{"replies",
          {{{"reply", "slow one"}, {"delay_ms", 6000}}, {{"reply", "slow two"}, {"delay_ms", 6000}}}}});
    auto p = dialog_platform(e, llm);
    auto serve = p->serve();
    const auto port = p->http_port;
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

// Course authors in the chat (docs/chat-authoring.md): a member sends a
// course as a file and gets it back with /edit; a student's /create is an
// ordinary message.
TEST_P(TelegramTransportOn, AMemberMakesAndChangesACourseInTheChat) {
    Emulator e;
    Platform p(e, on_storage(course_options()));
    const auto added = run_process(profo_command(p.config, {"member", "add", "77", "--username", "author"}));
    ASSERT_EQ(added.exit_code, 0) << added.err;
    auto serve = p.serve();
    const std::int64_t author = 77;
    const std::int64_t student = 78;
    auto say = [&](std::int64_t user, const std::string& text) {
        e.post("/_emulator/messages", {{"bot_id", p.bot_id}, {"user_id", user}, {"text", text}});
    };
    auto send_file = [&](std::int64_t user, const std::string& name, const std::string& content) {
        e.post("/_emulator/document",
               {{"bot_id", p.bot_id}, {"user_id", user}, {"file_name", name}, {"content", content}});
    };
    auto answer = [&](std::int64_t user, int count) {
        return shown(bot_messages(e.wait(p.bot_id, user, count)).back());
    };

    say(author, "/create");
    EXPECT_EQ(
        answer(author, 1),
        "Send the course now: a YAML file, or its text in a message. /cancel stops. The course takes the "
        "file's name (/create NAME names it).");

    // A broken course: refused with the very lines `profo course validate` prints.
    const std::string broken =
        "welcome:\n  type: message\n  text: Hi\nask:\n  type: quiz\n  text: Q\n  answers:\n    - text: A\n"
        "    - text: B\nmissing:\n  type: nope\n";
    TempDir files;
    const auto broken_path = files.path() / "broken.yml";
    { std::ofstream(broken_path) << broken; }
    const auto validated = run_process(profo_command(p.config, {"course", "validate", broken_path.string()}));
    ASSERT_NE(validated.exit_code, 0);
    std::string lines;
    for (std::size_t at = 0; at < validated.out.size();) {
        const auto end = validated.out.find('\n', at);
        std::string line = validated.out.substr(at, end - at);
        // FILE:LINE: lines only, not the closing count.
        const auto prefix = broken_path.string() + ":";
        if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && std::isdigit(line[prefix.size()]))
            lines += "\n" + line.replace(0, broken_path.string().size(), "broken.yml");
        at = end == std::string::npos ? validated.out.size() : end + 1;
    }
    ASSERT_NE(lines.find("\nbroken.yml:7: element ask: "), std::string::npos)
        << validated.out << validated.err;
    send_file(author, "broken.yml", broken);
    EXPECT_EQ(answer(author, 2),
              "The course was not imported:" + lines + "\nFix it and send it again, or /cancel.");
    EXPECT_NE(run_process(profo_command(p.config, {"course", "versions", "broken"})).exit_code, 0)
        << "nothing was imported";

    // A good one becomes a course of the account, named by its file.
    send_file(author, "chat_course.yml", "welcome:\n  type: message\n  text: Made in the chat\n");
    EXPECT_EQ(answer(author, 3).rfind("Imported course 'chat_course' (course 2), version 1: 1 elements.", 0),
              0u);

    // /edit sends the file; a changed one sent back is version 2.
    say(author, "/edit chat_course");
    const auto t = e.wait(p.bot_id, author, 5);
    const auto file_message = bot_messages(t).at(3);
    ASSERT_TRUE(file_message.contains("document")) << file_message.dump();
    EXPECT_EQ(file_message["document"]["file_name"], "chat_course.yml");
    EXPECT_EQ(file_message["caption"], "chat_course, version 1");
    const auto file = e.post("/_emulator/file", {{"file_id", file_message["document"]["file_id"]}});
    std::string yaml = file.at("content").get<std::string>();
    const auto at = yaml.find("Made in the chat");
    ASSERT_NE(at, std::string::npos) << yaml;
    yaml.replace(at, 16, "Changed in the chat");
    send_file(author, "chat_course.yml", yaml);
    EXPECT_EQ(answer(author, 6).rfind("Published version 2 of 'chat_course': 1 elements.", 0), 0u);
    const auto versions =
        run_process(profo_command(p.config, {"course", "versions", "chat_course", "--json"}));
    ASSERT_EQ(versions.exit_code, 0) << versions.err;
    EXPECT_EQ(json::parse(versions.out)["versions"].size(), 2u);

    // A student's /create is an answer to the course like any other text.
    e.post("/_emulator/start", {{"bot_id", p.bot_id}, {"user_id", student}, {"payload", ""}});
    EXPECT_EQ(answer(student, 1), "Welcome to the course");
    say(student, "/create");
    send_file(student, "mine.yml", "welcome:\n  type: message\n  text: Mine\n");
    EXPECT_EQ(answer(student, 2), "Please use the buttons above 👆");
    EXPECT_NE(run_process(profo_command(p.config, {"course", "versions", "mine"})).exit_code, 0);
    stop(*serve);
}

// The same over a webhook: the delivery waits for the file to be fetched.
TEST(TelegramTransport, AMembersCourseFileArrivesByWebhook) {
    Emulator e;
    PlatformOptions webhook;
    webhook.mode = "webhook";
    Platform p(e, course_options(webhook));
    const auto added = run_process(profo_command(p.config, {"member", "add", "77"}));
    ASSERT_EQ(added.exit_code, 0) << added.err;
    auto serve = p.serve();
    serve->wait_for_stderr("webhook set", 20s);
    e.post("/_emulator/document", {{"bot_id", p.bot_id},
                                   {"user_id", 77},
                                   {"file_name", "hooked.yml"},
                                   {"content", "welcome:\n  type: message\n  text: By webhook\n"},
                                   {"caption", "/create"}});
    const auto t = e.wait(p.bot_id, 77, 1);
    EXPECT_EQ(
        shown(bot_messages(t).at(0)).rfind("Imported course 'hooked' (course 2), version 1: 1 elements.", 0),
        0u)
        << t.dump(1);
    stop(*serve);
}
