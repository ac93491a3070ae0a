// A student takes tests/courses/telegram/test_all_elements.yml (the legacy
// course of every element type, with a short delay and a miniapp element;
// see its header) through Telegram: buttons, polls, typed answers, a Mini App
// answered over HTTP with signed initData, a durable delay, two dialogs with
// a model, a test and a revision. Every bot message is checked in order
// against the course, once over long polling and once over webhooks.
#include "build_tree.hpp"
#include "emulated_telegram.hpp"
#include "loopback_http.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace profo::testing;
using nlohmann::json;

namespace {

const std::filesystem::path kCourseFile =
    std::filesystem::path(PROFO_TELEGRAM_COURSES_DIR) / "test_all_elements.yml";

std::string file_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The top-level keys of a course file: its element ids in course order.
std::vector<std::string> element_ids(const std::string& course) {
    std::vector<std::string> out;
    static const std::regex key(R"(^([A-Za-z0-9_]+):[ \t]*$)", std::regex::multiline);
    for (auto it = std::sregex_iterator(course.begin(), course.end(), key); it != std::sregex_iterator();
         ++it)
        out.push_back((*it)[1].str());
    return out;
}

// A student in one chat, acting through the emulator as a person in the
// Telegram app would.
class Student {
public:
    Student(Emulator& e, Platform& p, std::int64_t user) : e_(e), p_(p), user_(user) {}

    json wait_for(int bot_messages) { return e_.wait(p_.bot_id, user_, bot_messages, 20000); }
    void start() { act("start", json::object()); }
    void say(const std::string& text) { act("messages", {{"text", text}}); }
    void press(const json& message, const std::string& button) {
        act("press_button", {{"message_id", message["message_id"]}, {"button_text", button}});
    }
    void vote(const json& message, const std::vector<int>& options) {
        act("answer_poll", {{"message_id", message["message_id"]}, {"option_ids", options}});
    }

    // Taps the message's web_app button; the Mini App reads its question and
    // posts `answer` to the platform with the initData Telegram handed it.
    void answer_in_mini_app(const json& message, const std::string& answer) {
        const auto opened = act("open_web_app", {{"message_id", message["message_id"]}});
        std::smatch m;
        const auto url = opened["url"].get<std::string>();
        ASSERT_TRUE(std::regex_search(url, m, std::regex(R"([?&]q=([^&]+))"))) << url;
        const std::string ref = m[1].str();
        const std::string init_data = opened["init_data"];

        const auto question = http_request(p_.http_port, "GET", "/miniapp/question?ref=" + ref, "",
                                           {{"X-Telegram-Init-Data", init_data}});
        ASSERT_EQ(question.status, 200) << question.body;
        const auto q = json::parse(question.body);
        EXPECT_EQ(q["text"], "What is the capital of France?");
        EXPECT_FALSE(q.contains("answer")) << "the answer reached the app";

        // A tampered signature is refused before anything reaches the run.
        auto forged = init_data;
        forged.replace(forged.size() - 4, 4, forged.substr(forged.size() - 4) == "0000" ? "1111" : "0000");
        const auto refused = http_request(p_.http_port, "POST", "/miniapp/answer",
                                          json{{"ref", ref}, {"answer", answer}, {"initData", forged}}.dump(),
                                          {{"Content-Type", "application/json"}});
        EXPECT_EQ(refused.status, 401) << refused.body;

        const auto answered =
            http_request(p_.http_port, "POST", "/miniapp/answer",
                         json{{"ref", ref}, {"answer", answer}, {"initData", init_data}}.dump(),
                         {{"Content-Type", "application/json"}});
        EXPECT_EQ(answered.status, 200) << answered.body;
    }

private:
    json act(const std::string& what, json body) {
        body["bot_id"] = p_.bot_id;
        body["user_id"] = user_;
        return e_.post("/_emulator/" + what, body);
    }

    Emulator& e_;
    Platform& p_;
    std::int64_t user_;
};

// One bot message as the course makes it, and what the student does then.
struct Turn {
    std::string element;  // where it comes from: a course element, or "" for the model's words
    std::string shows;    // how shown() begins: a text's or caption's first line, "poll: " + question
    std::function<void(Student&, const json& message)> then;
};

auto press(std::string button) {
    return [button](Student& s, const json& m) { s.press(m, button); };
}
auto vote(std::vector<int> options) {
    return [options](Student& s, const json& m) { s.vote(m, options); };
}
auto say(std::string text) {
    return [text](Student& s, const json&) { s.say(text); };
}
auto mini_app(std::string answer) {
    return [answer](Student& s, const json& m) { s.answer_in_mini_app(m, answer); };
}

// The whole course, every answer right but Test_Score_02's, so the test
// reports 2 of 3 and the revision replays that question and then both right
// ones (it adds up to two, in course order).
const std::vector<Turn> kTurns = {
    {"Test_Message_01", "📝 ТЕСТ: Message без кнопки", {}},
    {"Test_Message_02", "📝 ТЕСТ: Message с кнопкой", press("Продолжить")},
    {"Test_Message_03", "📝 ТЕСТ: Message с HTML форматированием", press("Далее")},
    {"Test_Message_04", "<photo>", {}},
    {"Test_Message_04", "📝 ТЕСТ: Message с медиа (изображениями)", press("Продолжить")},
    {"Test_Audio_01", "<audio> 🎧 ТЕСТ: Audio с текстом", {}},
    {"Test_Audio_02", "<audio> 🎧 ТЕСТ: Audio без текста (только файл)", {}},
    {"Test_Input_01", "✏️ ТЕСТ: Input с проверкой правильного ответа",
     say("ТЕСТ")},
    {"Test_Input_01", "✅ Правильно! Регистронезависимое сравнение работает.", {}},
    {"Test_Input_02", "✏️ ТЕСТ: Input без проверки (свободный ввод)",
     say("какой-то ответ")},
    {"Test_Input_02", "Спасибо за ответ!", {}},
    {"Test_Input_03",
     "✏️ ТЕСТ: Input с типом sequence (нормализация "
     "последовательностей)",
     say("1,2,3")},
    {"Test_Input_03", "✅ Правильно! Нормализация последовательностей работает.", {}},
    {"Test_Quiz_01", "poll: ❓ ТЕСТ: Quiz (викторина с одним правильным ответом)", vote({1})},
    {"Test_Quiz_01", "✅ Правильно! Quiz работает корректно.", {}},
    {"Test_Quiz_02", "<photo>", {}},
    {"Test_Quiz_02", "poll: ❓ ТЕСТ: Quiz с изображением", vote({0})},
    {"Test_Quiz_02", "✅ Правильно!", {}},
    {"Test_Question_01", "poll: 📊 ТЕСТ: Question (опрос без правильного ответа)", vote({0})},
    {"Test_Question_01", "Спасибо за отзыв!", {}},
    {"Test_MultiChoice_01", "poll: ☑️ ТЕСТ: MultiChoice (множественный выбор)",
     vote({0, 2})},
    {"Test_MultiChoice_01", "✅ Правильно! Вариант 1 - один из правильных ответов.", {}},
    {"Test_MultiChoice_01", "✅ Правильно! Вариант 3 - один из правильных ответов.", {}},
    {"Test_MultiChoice_01", "✅ Отлично! Все правильные ответы выбраны.", {}},
    {"Test_Miniapp_01", "📱 ТЕСТ: Miniapp (вопрос в мини-приложении)", mini_app("Paris")},
    {"Test_Miniapp_01", "✅ Правильно! Miniapp работает.", {}},
    {"Test_Score_01", "poll: 📊 ТЕСТ: Quiz для подсчета баллов (правильный ответ)", vote({0})},
    {"Test_Score_01", "✅ Правильно! Ты получил балл.", {}},
    {"Test_Score_02", "poll: 📊 ТЕСТ: Quiz для подсчета баллов (неправильный ответ)", vote({1})},
    {"Test_Score_02", "❌ Неправильно. Эта ошибка будет использована для Revision.", {}},
    {"Test_Score_03", "poll: 📊 ТЕСТ: Quiz для подсчета баллов (еще один правильный)", vote({0})},
    {"Test_Score_03", "✅ Правильно!", {}},
    {"Test_Final_Test", "📈 ТЕСТ: Test (итоговый тест с подсчетом баллов)", press("Продолжить")},
    {"Test_Revision_01", "🔄 ТЕСТ: Revision (повторение ошибок)", press("Начать повторение")},
    {"Test_Score_02", "poll: 📊 ТЕСТ: Quiz для подсчета баллов (неправильный ответ)", vote({0})},
    {"Test_Score_02", "✅ Правильно!", {}},
    {"Test_Score_01", "poll: 📊 ТЕСТ: Quiz для подсчета баллов (правильный ответ)", vote({0})},
    {"Test_Score_01", "✅ Правильно! Ты получил балл.", {}},
    {"Test_Score_03", "poll: 📊 ТЕСТ: Quiz для подсчета баллов (еще один правильный)", vote({0})},
    {"Test_Score_03", "✅ Правильно!", {}},
    {"Test_Jump_01", "🔀 ТЕСТ: Jump (навигация с опциями)", press("Продолжить тест")},
    {"Test_Delay_01", "⏰ ТЕСТ: Delay (задержка)", {}},
    {"Test_Message_After_Delay", "✅ Проверка Delay завершена!", press("Продолжить")},
    {"Test_Dialog_01", "💬 ТЕСТ: Dialog (диалог с ИИ)", say("Привет")},
    {"", "Привет! Как дела?", say("конец")},
    {"", "Пока!", {}},
    // auto_start: the model speaks first.
    {"Test_Dialog_02", "💬 ТЕСТ: Dialog с голосовыми ответами и автоматическим стартом", {}},
    {"", "Привет! Как дела?", say("конец")},
    {"", "Пока!", {}},
    {"Test_End_01", "🎉 ТЕСТ: End (завершение курса)", {}},
};

const std::vector<std::string> kFastChats = {"--chat-rate", "20", "--chat-burst", "20"};

const json kModelScript = json::parse(R"({
    "rules": [{"when_last_user_contains": "конец", "reply": "Пока! {STOP}"}],
    "default": "Привет! Как дела?"})");

int turn_of(const std::string& shows_prefix, std::size_t from = 0) {
    for (std::size_t i = from; i < kTurns.size(); ++i)
        if (kTurns[i].shows.rfind(shows_prefix, 0) == 0) return static_cast<int>(i);
    return -1;
}

// The table is the course: its elements come first in course order, and each
// text it expects is written in the course file.
TEST(TestAllElementsCourse, TheExpectedTranscriptFollowsTheCourseFile) {
    const auto course = file_text(kCourseFile);
    std::vector<std::string> first_seen;
    for (const auto& t : kTurns) {
        if (t.element.empty()) continue;
        if (std::find(first_seen.begin(), first_seen.end(), t.element) == first_seen.end())
            first_seen.push_back(t.element);
        std::string text = t.shows;
        for (const char* kind : {"poll: ", "<audio> ", "<photo>"}) {
            if (text.rfind(kind, 0) == 0) text = text.substr(std::string(kind).size());
        }
        if (!text.empty()) {
            EXPECT_NE(course.find(text), std::string::npos) << "not in the course: " << text;
        }
    }
    EXPECT_EQ(first_seen, element_ids(course));
}

// Plays kTurns: waits for each bot message, checks it, acts on it.
void take_the_course(Emulator& e, Platform& p, std::int64_t user) {
    Student student(e, p, user);
    student.start();
    json transcript;
    for (std::size_t i = 0; i < kTurns.size(); ++i) {
        transcript = student.wait_for(static_cast<int>(i) + 1);
        const auto message = bot_messages(transcript).at(i);
        ASSERT_EQ(shown(message).rfind(kTurns[i].shows, 0), 0u)
            << "bot message " << i + 1 << " is not the expected one from " << kTurns[i].element
            << "\nexpected: " << kTurns[i].shows << "\nshown:    " << shown(message) << "\ntranscript:\n"
            << transcript.dump(1);
        if (kTurns[i].then) kTurns[i].then(student, message);
        if (::testing::Test::HasFatalFailure()) return;
    }
    // The end is the end: nothing more comes.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    transcript = e.transcript(p.bot_id, user);
    EXPECT_EQ(transcript["bot_messages"], kTurns.size()) << transcript.dump(1);

    const auto bot = bot_messages(transcript);
    // HTML became entities, as Telegram shows it.
    std::set<std::string> entities;
    for (const auto& entity : bot.at(turn_of("📝 ТЕСТ: Message с HTML")).value("entities", json::array()))
        entities.insert(entity["type"].get<std::string>());
    EXPECT_EQ(entities, (std::set<std::string>{"bold", "italic", "underline", "spoiler"}));
    const auto test = shown(bot.at(turn_of("📈 ТЕСТ: Test")));
    EXPECT_NE(test.find("Твой результат: 2 из 3 баллов."), std::string::npos) << test;
    EXPECT_NE(test.find("⚠️ Есть ошибки, стоит повторить."), std::string::npos)
        << test;
    // The durable timer fired after its 2 s (dates are whole seconds).
    const auto delay = turn_of("⏰ ТЕСТ: Delay");
    EXPECT_GE(bot.at(delay + 1)["date"].get<std::int64_t>() - bot.at(delay)["date"].get<std::int64_t>(), 1);
    EXPECT_FALSE(transcript["callback_answers"].empty());

    const auto runs = p.runs();
    ASSERT_EQ(runs.size(), 1u) << runs.dump(1);
    EXPECT_EQ(runs[0]["status"], "completed");
    EXPECT_EQ(runs[0]["cursor"], "Test_End_01");
}

void expect_the_dialogs_reached_the_model(const FakeLlm& llm) {
    // Dialog 1: "Привет", "конец"; dialog 2: its auto start, "конец".
    const auto requests = llm.requests();
    ASSERT_EQ(requests.size(), 4u);
    EXPECT_EQ(requests[0]["body"]["model"], "gpt-4");
    EXPECT_EQ(requests[0]["body"]["messages"].back()["content"], "Привет");
    EXPECT_EQ(requests[1]["body"]["messages"].back()["content"], "конец");
    EXPECT_EQ(requests[2]["body"]["messages"].size(), 1u) << "the auto start sends the prompt alone";
    EXPECT_EQ(requests[3]["body"]["messages"].back()["content"], "конец");
}

PlatformOptions all_elements(const FakeLlm& llm, PlatformOptions options = {}) {
    options.course_yaml = file_text(kCourseFile);
    options.dialog_base_url = llm.base_url();
    // A person reads; this student answers at once, and at Telegram's one
    // message a second per chat the course would take a minute. The emulator
    // (kFastChats) and the transport's pacing agree on a faster chat instead.
    options.transport_settings += ", \"chat_burst\": 20, \"chat_per_second\": 20";
    return options;
}

}  // namespace

TEST_P(TelegramTransportOn, AStudentCompletesTestAllElementsByLongPolling) {
    TempDir dir;
    FakeLlm llm(profo::build_tree::executable("profo-fake-llm"), dir, kModelScript);
    Emulator e(kFastChats);
    Platform p(e, on_storage(all_elements(llm)));
    auto serve = p.serve();
    take_the_course(e, p, 4242);
    expect_the_dialogs_reached_the_model(llm);
    stop(*serve);
}

TEST(TelegramTransport, AStudentCompletesTestAllElementsByWebhook) {
    TempDir dir;
    FakeLlm llm(profo::build_tree::executable("profo-fake-llm"), dir, kModelScript);
    Emulator e(kFastChats);
    PlatformOptions webhook;
    webhook.mode = "webhook";
    Platform p(e, all_elements(llm, webhook));
    auto serve = p.serve();
    serve->wait_for_stderr("webhook set", std::chrono::seconds(20));
    take_the_course(e, p, 4343);
    expect_the_dialogs_reached_the_model(llm);
    const auto info = e.post("/bot" + p.token + "/getWebhookInfo", json::object());
    EXPECT_EQ(info["pending_update_count"], 0) << info.dump();
    stop(*serve);
}

// A quarter of the sends fail with a 5xx: every message still arrives once
// and in course order, bursts (a photo then its text, three poll feedbacks)
// included, because a retried message holds back the ones after it.
TEST(TelegramTransport, TestAllElementsArriveInOrderThroughServerErrors) {
    TempDir dir;
    FakeLlm llm(profo::build_tree::executable("profo-fake-llm"), dir, kModelScript);
    auto flags = kFastChats;
    for (const char* flag :
         {"--error-probability", "0.25", "--fault-methods", "sendMessage,sendPoll,sendPhoto,sendAudio"})
        flags.push_back(flag);
    Emulator e(flags);
    Platform p(e, all_elements(llm));
    auto serve = p.serve();
    take_the_course(e, p, 4444);
    const auto stats = e.get("/_emulator/stats");
    EXPECT_GT(stats["injected_errors"].get<int>(), 3) << stats.dump();
    stop(*serve);
}
