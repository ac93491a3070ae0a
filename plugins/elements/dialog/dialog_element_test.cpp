#include "dialog_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <profo/sdk/engine.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

namespace profo::elements::dialog {
namespace {

using nlohmann::json;
using testing::compiled;
using testing::FakeElementContext;
using testing::KeptReport;
using testing::validated;

class KeptLog : public sdk::Logger {
public:
    void log(sdk::LogLevel, std::string_view message) override { lines.emplace_back(message); }
    std::vector<std::string> lines;
};

// Answers every request with the next scripted reply and keeps the requests.
class ScriptedClient : public sdk::HttpClient {
public:
    sdk::HttpClientResponse send(const sdk::HttpClientRequest& request) override {
        requests.push_back(request);
        if (replies.empty()) return {500, {}, R"({"error":{"message":"script exhausted"}})"};
        auto reply = replies.front();
        replies.pop_front();
        return reply;
    }
    sdk::HttpClientResponse send_to(const sdk::HttpClientRequest& request,
                                    const std::vector<std::string>& addresses) override {
        connected_to.push_back(addresses);
        return send(request);
    }
    std::vector<std::vector<std::string>> connected_to;  // of each send_to
    static sdk::HttpClientResponse ok(const std::string& content) {
        return {200,
                {},
                json{{"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}}}}}.dump()};
    }
    json body(std::size_t i) const { return json::parse(requests.at(i).body); }
    std::deque<sdk::HttpClientResponse> replies;
    std::vector<sdk::HttpClientRequest> requests;
};

// Seals as "sealed:<context>:<reversed plaintext>".
class ReversingBox : public sdk::SecretBox {
public:
    using sdk::SecretBox::open;
    using sdk::SecretBox::seal;
    std::string seal(std::string_view p, std::string_view context) const override {
        return "sealed:" + std::string(context) + ":" + std::string(p.rbegin(), p.rend());
    }
    std::string open(std::string_view s, std::string_view context) const override {
        const std::string prefix = "sealed:" + std::string(context) + ":";
        if (s.substr(0, prefix.size()) != prefix)
            throw std::runtime_error("not sealed here for this context");
        auto body = s.substr(prefix.size());
        return std::string(body.rbegin(), body.rend());
    }
};

// The parts of the host the dialog uses; the rest must not be touched.
class FakeHost : public sdk::ElementHost {
public:
    sdk::Logger& log() override { return log_; }
    const json& settings() const override { return settings_; }
    const sdk::Clock& clock() const override { throw std::logic_error("clock: not used"); }
    sdk::Executor& executor() override { throw std::logic_error("executor: not used"); }
    sdk::HttpRoutes& http() override { throw std::logic_error("http: not used"); }
    const sdk::SecretBox& secrets() const override { return box_; }
    sdk::HttpClient& http_client() override { return client; }
    sdk::CourseEngine& engine() override { throw std::logic_error("engine: not used"); }
    const sdk::TelegramSignatures& telegram() const override { throw std::logic_error("telegram: not used"); }

    json settings_ = json::object();
    ScriptedClient client;
    KeptLog log_;
    ReversingBox box_;
};

// Names from a table, literals as they are; every lookup is kept.
struct TableResolver {
    std::vector<IpAddress> operator()(const std::string& host, const std::string&) {
        asked->push_back(host);
        const auto found = names.find(host);
        if (found != names.end()) return {*parse_ip(found->second)};
        if (const auto literal = parse_ip(host)) return {*literal};
        throw std::runtime_error("resolving " + host + " failed: unknown name");
    }
    std::map<std::string, std::string> names = {{"tenant.example", "93.184.216.34"},
                                                {"internal.tenant.example", "10.0.0.5"},
                                                {"metadata.tenant.example", "169.254.169.254"}};
    std::shared_ptr<std::vector<std::string>> asked = std::make_shared<std::vector<std::string>>();
};

sdk::Event text_event(std::string text) {
    sdk::Event e;
    e.kind = sdk::Event::Kind::text;
    e.text = std::move(text);
    return e;
}

const json kSpec = json::parse(R"({"type": "dialog", "text": "Let's practise!",
    "prompt": "You talk to {{Name_1}}.<!-- keep it short -->", "model": "gpt-4", "temperature": 0.7})");

// The student says "hi" to a dialog on the platform's own settings; its
// call, if it makes one, is over when this returns.
FakeElementContext say_hi_on_platform_settings(DialogElement& dialog, const FakeHost& host) {
    FakeElementContext ctx("Dialog_1", compiled(dialog, kSpec, {"Dialog_1", "Name_1"}), kSpec);
    ctx.settings_ = host.settings_;
    dialog.enter(ctx);
    dialog.on_event(ctx, text_event("hi"));
    ctx.finish_deferred(dialog);
    return ctx;
}

class DialogTest : public ::testing::Test {
protected:
    void SetUp() override {
        // The fake model listens on this machine, which the operator allows.
        host.settings_ = {{"base_url", "http://127.0.0.1:9/v1"},
                          {"api_key", "sk-unit"},
                          {"retry_backoff_ms", 0},
                          {"allow_private_addresses", true}};
        dialog.start(host);
    }
    FakeElementContext context(const json& spec = kSpec) {
        FakeElementContext ctx("Dialog_1", compiled(dialog, spec, {"Dialog_1", "Name_1"}), spec,
                               {{"Name_1", {{"type", "input"}, {"text", "Your name?"}}}});
        ctx.settings_ = host.settings_;
        ctx.add_row("Name_1", "bot", {{"kind", "text"}, {"text", "Your name?"}});
        ctx.add_row("Name_1", "user", {{"text", "Анна"}});
        return ctx;
    }

    FakeHost host;
    TableResolver dns;
    DialogElement dialog{dns};
};

TEST(DialogValidate, LegacyDialogsAreValid) {
    const json course_example = json::parse(R"({"type": "dialog", "text": "Давай попрактикуемся!",
        "prompt": "Если пользователь говорит \"стоп\", заверши диалог фразой \"{STOP}\".", "model": "gpt-4",
        "temperature": 0.7, "max_messages": 150})");
    const json voice =
        json::parse(R"({"type": "dialog", "text": "Voice", "prompt": "Hi", "voice_response": true,
        "auto_start": true, "tts_voice": "21m00Tcm4TlvDq8ikWAM", "tts_model": "eleven_multilingual_v2",
        "tts_speed": 0.9, "transcription_language": "ru", "model": "gpt-4", "temperature": 0.7,
        "parse_mode": "HTML!", "conversation": [{"role": "assistant", "content": "Hello"}, {"user": "Hi"}]})");
    for (const auto& spec : {course_example, voice}) {
        const KeptReport report = validated<DialogElement>(spec, {"Dialog_1"});
        EXPECT_TRUE(report.issues.empty()) << spec.dump() << "\n"
                                           << ::testing::PrintToString(report.errors());
    }
    const auto fields = DialogElement().fields();
    for (const char* f : {"text", "prompt", "model", "temperature", "conversation", "auto_start",
                          "voice_response", "max_messages", "parse_mode", "reasoning"})
        EXPECT_NE(std::find(fields.begin(), fields.end(), f), fields.end()) << f;
}

TEST(DialogValidate, ReportsEveryBadField) {
    const KeptReport report = validated<DialogElement>(json::parse(R"({"type": "dialog", "temperature": 3,
        "model": 5, "conversation": [{"role": "narrator", "content": "x"}], "auto_start": "maybe",
        "max_messages": 0, "reasoning": "extreme", "tts_speed": 9})"));
    EXPECT_EQ(
        report.errors(),
        (std::vector<std::string>{
            "text: 'text' is required", "prompt: 'prompt' is required",
            "model: 'model' must be a model name, not '5'",
            "temperature: 'temperature' must be a number from 0 to 2, not '3'",
            "reasoning: 'reasoning' must be minimal, low, medium or high, not 'extreme'",
            "conversation[0]: 'conversation[0]' 'role' must be system, user or assistant, not 'narrator'",
            "auto_start: 'auto_start' must be yes or no, not 'maybe'",
            "max_messages: 'max_messages' must be a whole number of at least 1, not '0'",
            "tts_speed: 'tts_speed' must be a number from 0.25 to 4, not '9'"}));
}

TEST(DialogValidate, WarnsAboutVariablesNamingNoElement) {
    const KeptReport report = validated<DialogElement>(
        json::parse(
            R"({"type": "dialog", "text": "t", "prompt": "{{Known}} {{Nope[2}} <!-- {{Hidden}} -->"})"),
        {"Known"});
    EXPECT_TRUE(report.errors().empty());
    EXPECT_EQ(report.warnings(),
              std::vector<std::string>{"prompt: 'prompt' uses {{Nope}}, which is not an element "
                                       "of this course: it stays as written"});
}

TEST(DialogCompile, ReadsEveryFieldTheRunNeedsOnce) {
    const json fields = json::parse(R"({"type": "dialog", "text": "Hi", "parse_mode": "HTML!",
        "link_preview": "no", "prompt": "Talk to {{Name_1[1}}<!-- note -->", "model": "m1", "temperature": 0.5,
        "reasoning": "low", "conversation": [{"user": "u"}, {"role": "bot", "content": "b"}],
        "auto_start": "yes", "max_messages": 3})");
    const auto compiled_spec = compiled(DialogElement(), fields, {"Name_1"});
    const auto& spec = dynamic_cast<const DialogSpec&>(*compiled_spec);
    EXPECT_EQ(spec.text, "Hi");
    EXPECT_EQ(spec.style.parse_mode, "HTML");
    EXPECT_FALSE(spec.style.link_preview);
    EXPECT_EQ(spec.reply_parse_mode, "HTML");
    EXPECT_EQ(spec.prompt.text, "Talk to {{Name_1[1}}");
    ASSERT_EQ(spec.prompt.variables.size(), 1u);
    EXPECT_EQ(spec.prompt.variables[0].element_id, "Name_1");
    EXPECT_EQ(spec.model, "m1");
    EXPECT_EQ(spec.temperature, 0.5);
    EXPECT_EQ(spec.reasoning_effort, "low");
    EXPECT_EQ(spec.conversation, (std::vector<ChatTurn>{{"user", "u"}, {"assistant", "b"}}));
    EXPECT_TRUE(spec.auto_start);
    EXPECT_EQ(spec.max_messages, 3u);

    const auto plain_spec =
        compiled(DialogElement(), json{{"type", "dialog"}, {"text", "t"}, {"prompt", "p"}});
    const auto& plain = dynamic_cast<const DialogSpec&>(*plain_spec);
    EXPECT_EQ(plain.style.parse_mode, "MARKDOWN");
    EXPECT_EQ(plain.reply_parse_mode, "");
    EXPECT_FALSE(plain.model);
    EXPECT_FALSE(plain.temperature);
    EXPECT_TRUE(plain.conversation.empty());
    EXPECT_FALSE(plain.auto_start);
    EXPECT_FALSE(plain.max_messages);
}

TEST(DialogCompile, HostileFieldsAreReportedNotThrown) {
    EXPECT_EQ(validated<DialogElement>(json::array({1, 2})).errors(),
              std::vector<std::string>{": an element must be a mapping of fields, not '[1,2]'"});
    const KeptReport report = validated<DialogElement>(json::parse(R"({"type": "dialog", "text": "t",
        "prompt": ["p"], "max_messages": 18446744073709551615, "temperature": "hot", "conversation": {"a": 1},
        "tts_speed": "fast"})"));
    EXPECT_EQ(report.errors().size(), 5u) << ::testing::PrintToString(report.errors());
}

TEST(DialogSettingsTest, DefaultsStringsAndProblems) {
    std::vector<std::string> problems;
    auto s = read_settings(json::object(), problems);
    EXPECT_EQ(s.base_url, "https://api.openai.com/v1");
    EXPECT_EQ(s.model, "gpt-4o-mini");
    EXPECT_EQ(s.timeout, std::chrono::milliseconds(30000));
    EXPECT_EQ(s.retries, 2);
    EXPECT_EQ(s.retry_backoff, std::chrono::milliseconds(500));
    EXPECT_FALSE(s.temperature);
    EXPECT_TRUE(problems.empty());

    s = read_settings({{"timeout_ms", "1500"}, {"retries", "0"}, {"temperature", "0.2"}}, problems);
    EXPECT_EQ(s.timeout, std::chrono::milliseconds(1500));
    EXPECT_EQ(s.retries, 0);
    EXPECT_EQ(s.temperature, 0.2);
    EXPECT_TRUE(problems.empty());

    s = read_settings({{"timeout_ms", "soon"}, {"base_url", "ftp://x"}, {"api_key", 5}}, problems);
    EXPECT_EQ(s.timeout, std::chrono::milliseconds(30000));
    EXPECT_EQ(s.base_url, "https://api.openai.com/v1");
    EXPECT_EQ(problems.size(), 3u);
}

TEST(DialogSettingsTest, PlainHttpOnlyOnThisMachine) {
    for (const char* url : {"http://127.0.0.1:9/v1", "http://127.1.2.3/v1", "http://localhost:8080",
                            "http://[::1]:80/x", "https://10.0.0.5/v1", "https://llm.example/v1"}) {
        std::vector<std::string> problems;
        EXPECT_EQ(read_settings({{"base_url", url}}, problems).base_url, url);
        EXPECT_TRUE(problems.empty()) << url;
    }
    for (const char* url : {"http://10.0.0.5/v1", "http://169.254.169.254/latest",
                            "http://localhost.evil.example/", "http://127.0.0.1.evil.example/",
                            "http://127.0.0.1@evil.example/", "http://[::2]/", "http://1270.0.0.1/"}) {
        std::vector<std::string> problems;
        EXPECT_EQ(read_settings({{"base_url", url}}, problems).base_url, "https://api.openai.com/v1") << url;
        ASSERT_EQ(problems.size(), 1u) << url;
        EXPECT_NE(problems[0].find("http:// only on this machine"), std::string::npos);
    }
    EXPECT_EQ(DialogElement().overridable_settings(),
              (std::vector<std::string>{"base_url", "api_key_sealed", "model", "temperature", "error_text",
                                        "voice_unsupported_text"}));
}

TEST(DialogStart, RefusesBadSettingsWithoutShowingTheKey) {
    FakeHost host;
    host.settings_ = {{"api_key", "sk-hidden-value"}, {"retries", "many"}};
    DialogElement dialog;
    try {
        dialog.start(host);
        FAIL() << "started with bad settings";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("'retries'"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("sk-hidden-value"), std::string::npos) << e.what();
    }
}

TEST_F(DialogTest, EnterSendsTheTextAndWaits) {
    auto ctx = context();
    EXPECT_EQ(dialog.enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "Let's practise!");
    EXPECT_EQ(ctx.sent[0].parse_mode, "MARKDOWN");
    EXPECT_TRUE(ctx.deferred.empty());
}

TEST_F(DialogTest, AStudentMessageGoesToTheModelWithPromptAndHistory) {
    auto ctx = context();
    dialog.enter(ctx);
    EXPECT_EQ(dialog.on_event(ctx, text_event("Привет!")).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 2u);
    EXPECT_EQ(ctx.sent[1].kind, sdk::OutAction::Kind::typing);
    ASSERT_EQ(ctx.deferred.size(), 1u);
    EXPECT_TRUE(ctx.state()["pending"].get<bool>());
    // Nothing goes over the network inside the event.
    EXPECT_TRUE(host.client.requests.empty());

    host.client.replies.push_back(ScriptedClient::ok("Hi Анна! How are you?"));
    EXPECT_EQ(ctx.finish_deferred(dialog).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(host.client.requests.size(), 1u);
    const auto& request = host.client.requests[0];
    EXPECT_EQ(request.url, "http://127.0.0.1:9/v1/chat/completions");
    bool bearer = false;
    for (const auto& [k, v] : request.headers) bearer |= k == "Authorization" && v == "Bearer sk-unit";
    EXPECT_TRUE(bearer);
    EXPECT_EQ(host.client.body(0), json::parse(R"({"model": "gpt-4", "temperature": 0.7, "messages": [
        {"role": "system", "content": "You talk to Your name?\nStudent: Анна."},
        {"role": "user", "content": "Привет!"}]})"));
    EXPECT_EQ(ctx.texts().back(), "Hi Анна! How are you?");
    EXPECT_EQ(ctx.sent.back().parse_mode, "");
    EXPECT_FALSE(ctx.state()["pending"].get<bool>());

    // The next turn carries the whole dialog so far.
    dialog.on_event(ctx, text_event("Fine"));
    host.client.replies.push_back(ScriptedClient::ok("Great. {STOP}"));
    EXPECT_EQ(ctx.finish_deferred(dialog).kind, sdk::Outcome::Kind::next);
    const json messages = host.client.body(1)["messages"];
    ASSERT_EQ(messages.size(), 4u);
    EXPECT_EQ(messages[2], json({{"role", "assistant"}, {"content", "Hi Анна! How are you?"}}));
    EXPECT_EQ(messages[3], json({{"role", "user"}, {"content", "Fine"}}));
    EXPECT_EQ(ctx.texts().back(), "Great.");
}

TEST_F(DialogTest, StopMarkersEndTheDialog) {
    for (const auto& [reply, shown] : std::vector<std::pair<std::string, std::string>>{
             {"{STOP}", ""}, {"Пока! #конецдиалога", "Пока!"}, {"Bye {STOP} now", "Bye  now"}}) {
        auto ctx = context();
        dialog.enter(ctx);
        dialog.on_event(ctx, text_event("конец"));
        host.client.replies.push_back(ScriptedClient::ok(reply));
        EXPECT_EQ(ctx.finish_deferred(dialog).kind, sdk::Outcome::Kind::next) << reply;
        const auto texts = ctx.texts();
        if (shown.empty())
            EXPECT_EQ(texts, std::vector<std::string>{"Let's practise!"});
        else
            EXPECT_EQ(texts.back(), shown);
    }
}

TEST_F(DialogTest, ProviderFailureApologisesAndKeepsWaiting) {
    auto ctx = context();
    ctx.settings_["retries"] = 1;
    ctx.settings_["error_text"] = "Try again later";
    dialog.enter(ctx);
    dialog.on_event(ctx, text_event("Hello"));
    host.client.replies = {{503, {}, ""}, {503, {}, ""}};
    EXPECT_EQ(ctx.finish_deferred(dialog).kind, sdk::Outcome::Kind::wait);
    EXPECT_EQ(host.client.requests.size(), 2u);
    EXPECT_EQ(ctx.texts().back(), "Try again later");
    ASSERT_FALSE(ctx.log_.lines.empty());
    EXPECT_NE(ctx.log_.lines.back().find("HTTP 503"), std::string::npos);

    // The failed message is not lost: the next request has both, and no apology.
    dialog.on_event(ctx, text_event("Hello?"));
    host.client.replies.push_back(ScriptedClient::ok("Sorry, here I am"));
    ctx.finish_deferred(dialog);
    const json messages = host.client.body(2)["messages"];
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[1]["content"], "Hello");
    EXPECT_EQ(messages[2]["content"], "Hello?");
}

TEST_F(DialogTest, MessagesDuringAPendingAnswerAreAnsweredAfterIt) {
    auto ctx = context();
    dialog.enter(ctx);
    dialog.on_event(ctx, text_event("first"));
    dialog.on_event(ctx, text_event("second"));
    EXPECT_EQ(ctx.deferred.size(), 1u);  // no second request while one is pending
    EXPECT_TRUE(ctx.state()["queued"].get<bool>());

    host.client.replies.push_back(ScriptedClient::ok("answer to first"));
    EXPECT_EQ(ctx.finish_deferred(dialog).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.deferred.size(), 1u);  // the queued message starts the next one
    host.client.replies.push_back(ScriptedClient::ok("answer to second"));
    ctx.finish_deferred(dialog);
    const json messages = host.client.body(1)["messages"];
    ASSERT_EQ(messages.size(), 4u);
    EXPECT_EQ(messages[1]["content"], "first");
    EXPECT_EQ(messages[2], json({{"role", "assistant"}, {"content", "answer to first"}}));
    EXPECT_EQ(messages[3]["content"], "second");
    EXPECT_EQ(ctx.texts().back(), "answer to second");
    EXPECT_FALSE(ctx.state()["queued"].get<bool>());
}

TEST_F(DialogTest, AnInterruptedCallIsAskedAgainAfterAPauseAndAnswered) {
    auto ctx = context();
    ctx.settings_["retry_backoff_ms"] = 1000;
    dialog.enter(ctx);
    dialog.on_event(ctx, text_event("Hello"));
    const auto asked_at = ctx.now();

    // The process died during the call: the engine says so at the deadline.
    EXPECT_EQ(ctx.interrupt_deferred(dialog).kind, sdk::Outcome::Kind::wait);
    EXPECT_TRUE(ctx.deferred.empty());
    ASSERT_EQ(ctx.timers.size(), 1u);
    EXPECT_EQ(ctx.timers[0].first, asked_at + std::chrono::milliseconds(1000));
    EXPECT_TRUE(ctx.state()["pending"].get<bool>());
    EXPECT_EQ(ctx.texts(), std::vector<std::string>{"Let's practise!"});  // no apology yet

    // Written during the pause: it goes with the new call, not after it.
    dialog.on_event(ctx, text_event("Are you there?"));
    EXPECT_TRUE(ctx.deferred.empty());
    EXPECT_EQ(ctx.fire_timer(dialog).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.deferred.size(), 1u);
    EXPECT_EQ(ctx.sent.back().kind, sdk::OutAction::Kind::typing);

    host.client.replies.push_back(ScriptedClient::ok("Yes, hello!"));
    EXPECT_EQ(ctx.finish_deferred(dialog).kind, sdk::Outcome::Kind::wait);
    EXPECT_EQ(ctx.texts().back(), "Yes, hello!");
    ASSERT_EQ(host.client.requests.size(), 1u);
    const json messages = host.client.body(0)["messages"];
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[1]["content"], "Hello");
    EXPECT_EQ(messages[2]["content"], "Are you there?");
    EXPECT_TRUE(ctx.deferred.empty()) << "the queued message was already answered";
    EXPECT_FALSE(ctx.state()["pending"].get<bool>());
    EXPECT_EQ(ctx.state()["interruptions"], 0);
}

TEST_F(DialogTest, RepeatedInterruptionsEndInTheFallbackAndTheStudentGoesOn) {
    auto ctx = context();
    ctx.settings_["retries"] = 2;
    ctx.settings_["retry_backoff_ms"] = 100;
    ctx.settings_["error_text"] = "The tutor is unavailable, please write again later";
    dialog.enter(ctx);
    dialog.on_event(ctx, text_event("Hello"));
    const auto start = ctx.now();
    ctx.interrupt_deferred(dialog);
    EXPECT_EQ(ctx.timers.at(0).first, start + std::chrono::milliseconds(100));
    ctx.fire_timer(dialog);
    ctx.interrupt_deferred(dialog);
    EXPECT_EQ(ctx.timers.at(0).first, start + std::chrono::milliseconds(100 + 200));
    ctx.fire_timer(dialog);
    EXPECT_EQ(ctx.interrupt_deferred(dialog).kind, sdk::Outcome::Kind::wait);

    EXPECT_EQ(ctx.texts().back(), "The tutor is unavailable, please write again later");
    EXPECT_FALSE(ctx.state()["pending"].get<bool>());
    EXPECT_TRUE(ctx.timers.empty());
    EXPECT_TRUE(ctx.deferred.empty());
    EXPECT_TRUE(host.client.requests.empty());

    // Not stuck: the next message is asked at once, with the earlier one.
    dialog.on_event(ctx, text_event("Still there?"));
    ASSERT_EQ(ctx.deferred.size(), 1u);
    host.client.replies.push_back(ScriptedClient::ok("Back now"));
    ctx.finish_deferred(dialog);
    EXPECT_EQ(ctx.texts().back(), "Back now");
    const json messages = host.client.body(0)["messages"];
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[1]["content"], "Hello");
    EXPECT_EQ(messages[2]["content"], "Still there?");

    // A stale pause (the dialog answered meanwhile) asks nothing.
    sdk::Event stale;
    stale.kind = sdk::Event::Kind::timer;
    stale.data = R"({"ask_again": 1})";
    EXPECT_EQ(dialog.on_event(ctx, stale).kind, sdk::Outcome::Kind::wait);
    EXPECT_TRUE(ctx.deferred.empty());
}

TEST_F(DialogTest, AutoStartLetsTheModelSpeakFirst) {
    json spec = kSpec;
    spec["auto_start"] = "yes";
    spec["conversation"] = json::parse(R"([{"role": "user", "content": "seed question"}])");
    auto ctx = context(spec);
    EXPECT_EQ(dialog.enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 2u);
    EXPECT_EQ(ctx.sent[1].kind, sdk::OutAction::Kind::typing);
    host.client.replies.push_back(ScriptedClient::ok("Привет! Как дела?"));
    ctx.finish_deferred(dialog);
    EXPECT_EQ(host.client.body(0)["messages"],
              json::parse(R"([{"role": "system", "content": "You talk to Your name?\nStudent: Анна."},
                              {"role": "user", "content": "seed question"}])"));
    EXPECT_EQ(ctx.texts().back(), "Привет! Как дела?");
}

TEST_F(DialogTest, VoiceWithoutTranscriptionAsksForText) {
    auto ctx = context();
    dialog.enter(ctx);
    sdk::Event voice;
    voice.kind = sdk::Event::Kind::voice;
    voice.data = "voice-file-1";
    EXPECT_EQ(dialog.on_event(ctx, voice).kind, sdk::Outcome::Kind::wait);
    EXPECT_NE(ctx.texts().back().find("as text"), std::string::npos);
    EXPECT_TRUE(ctx.deferred.empty());

    ctx.settings_["voice_unsupported_text"] = "Текстом, пожалуйста";
    dialog.on_event(ctx, voice);
    EXPECT_EQ(ctx.texts().back(), "Текстом, пожалуйста");
}

TEST_F(DialogTest, HtmlBangSendsRepliesAsHtmlAndOtherEventsAreIgnored) {
    json spec = kSpec;
    spec["parse_mode"] = "HTML!";
    auto ctx = context(spec);
    dialog.enter(ctx);
    EXPECT_EQ(ctx.sent[0].parse_mode, "HTML");
    dialog.on_event(ctx, text_event("hi"));
    host.client.replies.push_back(ScriptedClient::ok("<b>Hello</b>"));
    ctx.finish_deferred(dialog);
    EXPECT_EQ(ctx.sent.back().parse_mode, "HTML");

    sdk::Event button;
    button.kind = sdk::Event::Kind::button;
    button.index = 0;
    EXPECT_EQ(dialog.on_event(ctx, button).kind, sdk::Outcome::Kind::ignored);
}

TEST_F(DialogTest, ModelComesFromSettingsWhenTheElementHasNoneAndTheKeyMayBeSealed) {
    json spec = kSpec;
    spec.erase("model");
    spec.erase("temperature");
    auto ctx = context(spec);
    ctx.settings_ = {{"base_url", "http://127.0.0.1:9/v1"},
                     {"api_key_sealed", ReversingBox().seal("sk-sealed", kApiKeySealedContext)},
                     {"model", "local-model"}};
    dialog.enter(ctx);
    dialog.on_event(ctx, text_event("hi"));
    host.client.replies.push_back(ScriptedClient::ok("hey"));
    ctx.finish_deferred(dialog);
    EXPECT_EQ(host.client.body(0)["model"], "local-model");
    EXPECT_FALSE(host.client.body(0).contains("temperature"));
    bool bearer = false;
    for (const auto& [k, v] : host.client.requests[0].headers) bearer |= v == "Bearer sk-sealed";
    EXPECT_TRUE(bearer);
}

TEST_F(DialogTest, ADeploymentsKeyOpensOnlyUnderItsOwnRowsContext) {
    const std::string row = sdk::deployment_override_context(1, 5, "element/dialog", "api_key_sealed");
    auto ctx = context(kSpec);
    ctx.settings_ = {{"base_url", "https://tenant.example/v1"},
                     {"api_key_sealed", ReversingBox().seal("sk-tenant", row)}};
    ctx.sealed_contexts_["api_key_sealed"] = row;
    dialog.enter(ctx);
    dialog.on_event(ctx, text_event("hi"));
    host.client.replies.push_back(ScriptedClient::ok("hey"));
    ctx.finish_deferred(dialog);
    ASSERT_EQ(host.client.requests.size(), 1u);
    bool bearer = false;
    for (const auto& [k, v] : host.client.requests[0].headers) bearer |= v == "Bearer sk-tenant";
    EXPECT_TRUE(bearer);

    // The same key copied into another deployment's overrides does not open there.
    auto moved = context(kSpec);
    moved.settings_ = ctx.settings_;
    moved.sealed_contexts_["api_key_sealed"] =
        sdk::deployment_override_context(1, 6, "element/dialog", "api_key_sealed");
    dialog.enter(moved);
    dialog.on_event(moved, text_event("hi"));
    moved.finish_deferred(dialog);
    EXPECT_EQ(host.client.requests.size(), 1u) << "no request goes out without a key that opens";
    EXPECT_EQ(moved.texts().back(), DialogSettings{}.error_text);
}

TEST_F(DialogTest, MaxMessagesKeepsOnlyTheLatestTurns) {
    json spec = kSpec;
    spec["max_messages"] = 2;
    auto ctx = context(spec);
    dialog.enter(ctx);
    for (const char* said : {"one", "two"}) {
        dialog.on_event(ctx, text_event(said));
        host.client.replies.push_back(ScriptedClient::ok(std::string("re ") + said));
        ctx.finish_deferred(dialog);
    }
    const json messages = host.client.body(1)["messages"];
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[0]["role"], "system");
    EXPECT_EQ(messages[1]["content"], "re one");
    EXPECT_EQ(messages[2]["content"], "two");
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

// A deployment that brought its own endpoint and key, as the engine merges
// them over the operator's settings.
class DialogEndpointTest : public ::testing::Test {
protected:
    void start(json operator_settings) {
        host.settings_ = std::move(operator_settings);
        dialog.start(host);
    }
    // The student says one thing to a dialog calling `base_url`.
    FakeElementContext ask_at(const std::string& base_url, const json& more_overrides = json::object()) {
        const std::string row = sdk::deployment_override_context(1, 5, "element/dialog", "api_key_sealed");
        FakeElementContext ctx("Dialog_1", compiled(dialog, kSpec, {"Dialog_1", "Name_1"}), kSpec);
        ctx.settings_ = host.settings_;
        ctx.settings_.erase("api_key");
        ctx.settings_.merge_patch({{"base_url", base_url},
                                   {"api_key_sealed", ReversingBox().seal(kTenantKey, row)},
                                   {"retry_backoff_ms", 0}});
        ctx.settings_.merge_patch(more_overrides);
        ctx.sealed_contexts_["api_key_sealed"] = row;
        dialog.enter(ctx);
        dialog.on_event(ctx, text_event("hi"));
        host.client.replies.push_back(ScriptedClient::ok("hey"));
        ctx.finish_deferred(dialog);
        return ctx;
    }

    static constexpr const char* kTenantKey = "sk-tenant-secret";
    FakeHost host;
    TableResolver dns;
    DialogElement dialog{dns};
};

TEST_F(DialogEndpointTest, ATenantsPrivateOrLoopbackEndpointIsRefusedOnceWithTheUsualApology) {
    start({{"api_key", "sk-platform"}});
    for (const std::string url :
         {"https://internal.tenant.example/v1", "https://10.0.0.5/v1", "http://127.0.0.1:8443/admin",
          "https://169.254.169.254/latest", "https://[::ffff:10.0.0.5]/v1",
          "https://metadata.tenant.example/", "https://[fd00::1]/v1", "https://100.64.0.1/v1"}) {
        host.log_.lines.clear();
        dns.asked->clear();
        const auto ctx = ask_at(url);
        EXPECT_TRUE(host.client.requests.empty()) << url;
        EXPECT_EQ(ctx.texts().back(), DialogSettings{}.error_text) << url;
        // Not asked again despite `retries`: a refusal would only repeat itself.
        EXPECT_EQ(dns.asked->size(), 1u) << url;
        ASSERT_EQ(host.log_.lines.size(), 1u) << url << ::testing::PrintToString(host.log_.lines);
        EXPECT_NE(host.log_.lines[0].find("chat completion failed: refused "), std::string::npos)
            << host.log_.lines[0];
        EXPECT_TRUE(mentions(ctx.log_.lines, "no answer from the model: refused ")) << url;
        EXPECT_FALSE(mentions(host.log_.lines, kTenantKey));
        EXPECT_FALSE(mentions(ctx.log_.lines, kTenantKey));
    }
    host.log_.lines.clear();
    ask_at("https://internal.tenant.example/v1");
    EXPECT_EQ(
        host.log_.lines,
        (std::vector<std::string>{
            "chat completion failed: refused https://internal.tenant.example:443: internal.tenant.example "
            "resolves to 10.0.0.5, which is a private address; only public addresses are called unless "
            "the operator's config sets allow_private_addresses"}));
}

TEST_F(DialogEndpointTest, APublicEndpointIsCalled) {
    start({{"api_key", "sk-platform"}});
    const auto ctx = ask_at("https://tenant.example/v1");
    ASSERT_EQ(host.client.requests.size(), 1u);
    EXPECT_EQ(host.client.requests[0].url, "https://tenant.example/v1/chat/completions");
    EXPECT_EQ(host.client.connected_to, (std::vector<std::vector<std::string>>{{"93.184.216.34"}}))
        << "connected to the address that was checked";
    EXPECT_EQ(ctx.texts().back(), "hey");
}

TEST_F(DialogEndpointTest, TheOperatorsSettingAllowsPrivateAndLoopbackButNeverLinkLocal) {
    start({{"api_key", "sk-platform"}, {"allow_private_addresses", true}});
    const auto private_host = ask_at("https://internal.tenant.example/v1");
    ASSERT_EQ(host.client.requests.size(), 1u);
    EXPECT_EQ(host.client.requests[0].url, "https://internal.tenant.example/v1/chat/completions");
    EXPECT_EQ(private_host.texts().back(), "hey");
    const auto loopback = ask_at("http://127.0.0.1:9/v1");
    ASSERT_EQ(host.client.requests.size(), 2u);
    EXPECT_EQ(loopback.texts().back(), "hey");
    const auto link_local = ask_at("https://metadata.tenant.example/latest");
    EXPECT_EQ(host.client.requests.size(), 2u);
    EXPECT_EQ(link_local.texts().back(), DialogSettings{}.error_text);
    EXPECT_TRUE(mentions(host.log_.lines,
                         "169.254.169.254, which is a link-local address; such an address "
                         "is never called"));
}

TEST_F(DialogEndpointTest, PlatformAllowsPrivateAddressesForThePlatformsOwnEndpointOnly) {
    start({{"base_url", "http://127.0.0.1:9/v1"},
           {"api_key", "sk-platform"},
           {"retry_backoff_ms", 0},
           {"allow_private_addresses", "platform"}});
    EXPECT_TRUE(host.log_.lines.empty()) << host.log_.lines.front();
    FakeElementContext platforms("Dialog_1", compiled(dialog, kSpec, {"Dialog_1", "Name_1"}), kSpec);
    platforms.settings_ = host.settings_;
    dialog.enter(platforms);
    dialog.on_event(platforms, text_event("hi"));
    host.client.replies.push_back(ScriptedClient::ok("from the platform's model"));
    platforms.finish_deferred(dialog);
    ASSERT_EQ(host.client.requests.size(), 1u);
    EXPECT_EQ(platforms.texts().back(), "from the platform's model");

    const auto tenants = ask_at("https://internal.tenant.example/v1");
    EXPECT_EQ(host.client.requests.size(), 1u);
    EXPECT_EQ(tenants.texts().back(), DialogSettings{}.error_text);
    EXPECT_TRUE(mentions(host.log_.lines, "internal.tenant.example resolves to 10.0.0.5"));
    const auto loopback = ask_at("http://127.0.0.1:8443/admin");
    EXPECT_EQ(host.client.requests.size(), 1u);
    EXPECT_EQ(loopback.texts().back(), DialogSettings{}.error_text);
    // The platform's own endpoint with a key of the deployment's: nothing the operator did not choose.
    const auto same_endpoint = ask_at("http://127.0.0.1:9/v1");
    ASSERT_EQ(host.client.requests.size(), 2u);
    EXPECT_EQ(same_endpoint.texts().back(), "hey");
}

TEST_F(DialogEndpointTest, ADeploymentCannotAllowPrivateAddressesItself) {
    // The engine drops overrides of keys outside this list; the plugin reads
    // the setting from the operator's config alone besides.
    const auto overridable = dialog.overridable_settings();
    EXPECT_EQ(std::find(overridable.begin(), overridable.end(), kAllowPrivateAddresses), overridable.end());
    start({{"api_key", "sk-platform"}});
    const auto ctx = ask_at("https://internal.tenant.example/v1", {{"allow_private_addresses", true}});
    EXPECT_TRUE(host.client.requests.empty());
    EXPECT_EQ(ctx.texts().back(), DialogSettings{}.error_text);
}

TEST_F(DialogEndpointTest, TheOperatorsOwnLoopbackEndpointIsReportedAtStartAndRefused) {
    start({{"base_url", "http://127.0.0.1:9/v1"}, {"api_key", "sk-platform"}, {"retry_backoff_ms", 0}});
    EXPECT_EQ(
        host.log_.lines,
        (std::vector<std::string>{
            "dialog base_url: every call of the platform's own endpoint will be refused "
            "http://127.0.0.1:9: 127.0.0.1 is a loopback address; only public addresses are called unless "
            "the operator's config sets allow_private_addresses"}));
    const auto ctx = say_hi_on_platform_settings(dialog, host);
    EXPECT_TRUE(host.client.requests.empty());
    EXPECT_EQ(ctx.texts().back(), DialogSettings{}.error_text);
}

TEST(DialogStart, LocalhostIsRefusedByDefaultWhateverItResolvesTo) {
    FakeHost host;
    host.settings_ = {{"base_url", "http://localhost:9/v1"}, {"api_key", "sk-unit"}, {"retry_backoff_ms", 0}};
    DialogElement dialog;  // the system's resolver
    dialog.start(host);
    const auto ctx = say_hi_on_platform_settings(dialog, host);
    EXPECT_TRUE(host.client.requests.empty());
    EXPECT_EQ(ctx.texts().back(), DialogSettings{}.error_text);
    EXPECT_TRUE(mentions(host.log_.lines,
                         "chat completion failed: refused http://localhost:9: localhost resolves "
                         "to "))
        << ::testing::PrintToString(host.log_.lines);
    EXPECT_TRUE(mentions(host.log_.lines, "which is a loopback address"));
}

TEST(DialogStart, AllowPrivateAddressesIsAFlagOrPlatform) {
    std::vector<std::string> problems;
    const auto read = [&](const json& value) {
        return read_private_addresses({{"allow_private_addresses", value}}, problems);
    };
    EXPECT_EQ(read_private_addresses(json::object(), problems), PrivateAddresses::refused);
    EXPECT_EQ(read(true), PrivateAddresses::every_endpoint);
    EXPECT_EQ(read(false), PrivateAddresses::refused);
    // As an environment override spells them.
    EXPECT_EQ(read("true"), PrivateAddresses::every_endpoint);
    EXPECT_EQ(read("no"), PrivateAddresses::refused);
    EXPECT_EQ(read("platform"), PrivateAddresses::platform_endpoint);
    EXPECT_TRUE(problems.empty());
    FakeHost host;
    host.settings_ = {{"allow_private_addresses", "sometimes"}};
    DialogElement dialog;
    try {
        dialog.start(host);
        FAIL() << "started with a setting that is no flag";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("'allow_private_addresses' must be true, false or platform"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace profo::elements::dialog
