// The miniapp element inside a real Platform: the plugin loaded from its
// module by the real loader, its routes on the host's HTTP server, the real
// engine and SQLite. The test plays the part of Telegram (it signs initData
// with the bot's token) and of the Mini App (it calls the endpoints over HTTP).
// `profo serve` has no way yet to start a run without a transport, so the run
// is started in-process through the engine, as a transport would.
#include "bots/bot_registry.hpp"
#include "config/config.hpp"
#include "course/course_document.hpp"
#include "engine/engine.hpp"
#include "http/http_server.hpp"
#include "runtime/platform.hpp"

#include "loopback_http.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <chrono>

using namespace profo;
using namespace profo::testing;
using nlohmann::json;

namespace {

constexpr const char* kToken = "4242:miniapp-test-bot-token";
constexpr std::int64_t kStudent = 777001;

std::string hex_hmac(const std::string& key, const std::string& message) {
    unsigned char out[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &n);
    std::string hex;
    char buf[3];
    for (unsigned char b : out) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        hex += buf;
    }
    return hex;
}

// initData as the Telegram client hands it to a Mini App.
std::string init_data(std::int64_t user_id, const std::string& token = kToken, std::int64_t age_s = 10) {
    const auto auth =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count() -
        age_s;
    const std::string user = R"({"id":)" + std::to_string(user_id) + R"(,"first_name":"Test"})";
    const std::string check = "auth_date=" + std::to_string(auth) + "\nquery_id=AAE1\nuser=" + user;
    unsigned char secret[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), "WebAppData", 10, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         secret, &n);
    const std::string hash = hex_hmac(std::string(reinterpret_cast<char*>(secret), 32), check);
    return "query_id=AAE1&user=%7B%22id%22%3A" + std::to_string(user_id) +
           "%2C%22first_name%22%3A%22Test%22%7D&auth_date=" + std::to_string(auth) + "&hash=" + hash;
}

class MiniappPlatform : public ::testing::Test {
protected:
    void SetUp() override {
        TestConfig tc;
        // Transports would start talking to Telegram; this test is the transport.
        for (const auto& p : built_plugins())
            if (p.rfind("transport/", 0) == 0) tc.disabled.push_back(p);
        tc.settings["element/miniapp"] = "{init_data_max_age_s: 3600, public_url: \"https://profo.example\"}";
        platform_ = std::make_unique<host::Platform>(host::load_config(write_test_config(dir_, tc), {}));
        platform_->migrate();
        platform_->start_plugins();

        auto imported = host::import_course_file(
            platform_->storage(), platform_->plugins(),
            std::filesystem::path(PROFO_LEGACY_COURSES_DIR) / "miniapp.yml", sdk::kDefaultAccountId);
        auto tx = platform_->storage().begin();
        sdk::Bot bot;
        bot.username = "miniapp_test_bot";
        bot_id_ =
            host::create_bot_with_token(*tx, platform_->secrets(), sdk::kDefaultAccountId, bot, kToken).id;
        sdk::CourseDeployment d;
        d.course_id = imported.course.id;
        d.version_id = imported.version.id;
        d.bot_id = bot_id_;
        const auto deployment_id = tx->create_deployment(sdk::kDefaultAccountId, d).id;
        tx->commit();

        sdk::InboundEvent start;
        start.kind = sdk::InboundEvent::Kind::start;
        start.bot_id = bot_id_;
        start.chat_id = kStudent;
        start.user_id = kStudent;
        start.deployment_id = deployment_id;
        const auto result = platform_->engine().dispatch(start);
        ASSERT_EQ(result.status, sdk::DispatchResult::Status::handled) << result.message;
        run_id_ = *result.run_id;

        platform_->http().start();
        port_ = platform_->http().port();
    }

    std::vector<json> outbox() {
        std::vector<json> out;
        auto tx = platform_->storage().begin();
        for (const auto& row : tx->list_outbox(sdk::kDefaultAccountId, bot_id_, kStudent))
            out.push_back(json::parse(row.payload_json));
        return out;
    }

    // The ref from the web_app button the element sent.
    std::string ref() {
        for (const auto& action : outbox())
            for (const auto& button : action.value("buttons", json::array()))
                if (button.contains("web_app_url")) {
                    const std::string url = button["web_app_url"];
                    const auto q = url.find("?q=");
                    const auto end = url.find('&', q);
                    return url.substr(q + 3, end - q - 3);
                }
        return {};
    }

    HttpReply post_answer(const json& body) {
        return http_request(port_, "POST", "/miniapp/answer", body.dump(),
                            {{"Content-Type", "application/json"}});
    }

    sdk::Run run() {
        auto tx = platform_->storage().begin();
        return *tx->get_run(sdk::kDefaultAccountId, run_id_);
    }

    TempDir dir_;
    std::unique_ptr<host::Platform> platform_;
    sdk::Id bot_id_ = 0;
    sdk::Id run_id_ = 0;
    unsigned short port_ = 0;
};

TEST_F(MiniappPlatform, TheButtonOpensTheAppWithARefAndThePlatformAddress) {
    bool found = false;
    for (const auto& action : outbox())
        for (const auto& button : action.value("buttons", json::array()))
            if (button.contains("web_app_url")) {
                found = true;
                EXPECT_EQ(button["text"], "Launch");
                // q=<account>.<run>.<attempt>.<nonce>.<element>: 32 hex digits of nonce.
                const std::string url = button["web_app_url"];
                const std::string head =
                    "https://73c7-24-54-90-118.ngrok-free.app?q=1." + std::to_string(run_id_) + ".1.";
                const std::string tail = ".Mini_App_Test_01&api=https%3A%2F%2Fprofo.example";
                ASSERT_EQ(url.size(), head.size() + 32 + tail.size()) << url;
                EXPECT_EQ(url.substr(0, head.size()), head);
                EXPECT_EQ(url.substr(head.size() + 32), tail);
            }
    EXPECT_TRUE(found) << json(outbox()).dump(2);
    EXPECT_EQ(run().cursor, "Mini_App_Test_01");
}

TEST_F(MiniappPlatform, QuestionIsServedOverHttpWithoutTheAnswer) {
    // Without initData the question is not served, whatever the ref.
    EXPECT_EQ(http_request(port_, "GET", "/miniapp/question?ref=" + ref()).status, 401);
    const auto reply = http_request(port_, "GET", "/miniapp/question?ref=" + ref(), "",
                                    {{"X-Telegram-Init-Data", init_data(kStudent)}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    const json q = json::parse(reply.body);
    EXPECT_EQ(q["type"], "multiple_choice");
    EXPECT_EQ(q["text"], "What is the capital of France?\n");
    ASSERT_EQ(q["options"].size(), 4u);
    EXPECT_EQ(q["options"][0]["text"], "Paris");
    EXPECT_EQ(reply.body.find("correct_feedback"), std::string::npos);
    EXPECT_EQ(reply.headers.at("access-control-allow-origin"), "*");

    const std::string nonce = ref().substr(ref().size() - std::string(".Mini_App_Test_01").size() - 32, 32);
    const auto signed_get = [&](const std::string& query, std::int64_t age) {
        // A fresh initData per question: one is bound to the question it was first used for.
        return http_request(port_, "GET", "/miniapp/question?" + query, "",
                            {{"X-Telegram-Init-Data", init_data(kStudent, kToken, age)}});
    };
    EXPECT_EQ(signed_get("ref=1.999.1." + nonce + ".Mini_App_Test_01", 11).status, 404);
    EXPECT_EQ(signed_get("ref=1." + std::to_string(run_id_) + ".1." + nonce + ".Course_intro_01", 12).status,
              404);  // not a miniapp element
    EXPECT_EQ(signed_get(
                  "ref=1." + std::to_string(run_id_) + ".1." + std::string(32, '0') + ".Mini_App_Test_01", 13)
                  .status,
              404);  // a guessed nonce
    EXPECT_EQ(http_request(port_, "GET", "/miniapp/question").status, 400);
}

TEST_F(MiniappPlatform, ASignedRightAnswerScoresAndTheCourseGoesOn) {
    const std::string r = ref();
    // Refused first: forged, another student, malformed. None of them moves the run.
    auto reply =
        post_answer({{"ref", r}, {"answer", "Paris"}, {"initData", init_data(kStudent, "1:other-bot")}});
    EXPECT_EQ(reply.status, 401) << reply.body;
    EXPECT_EQ(json::parse(reply.body)["error"], "initData signature does not match this bot");
    reply = post_answer({{"ref", r}, {"answer", "Paris"}, {"initData", init_data(kStudent, kToken, 7200)}});
    EXPECT_EQ(reply.status, 401) << reply.body;
    EXPECT_EQ(post_answer({{"ref", r}, {"answer", "Paris"}, {"initData", init_data(kStudent + 1)}}).status,
              403);
    reply = post_answer({{"ref", r}, {"initData", init_data(kStudent)}});
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(json::parse(reply.body)["error"], "'answer' must be a string");
    EXPECT_EQ(run().cursor, "Mini_App_Test_01");

    reply = post_answer({{"ref", r}, {"answer", "Paris"}, {"initData", init_data(kStudent)}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(json::parse(reply.body), json({{"ok", true}}));

    const auto after = run();
    EXPECT_EQ(after.status, sdk::RunStatus::completed);
    bool feedback = false;
    for (const auto& action : outbox())
        feedback |= action.value("text", "") == "Correct! Paris is the capital of France.";
    EXPECT_TRUE(feedback) << json(outbox()).dump(2);
    auto tx = platform_->storage().begin();
    bool scored = false;
    for (const auto& row : tx->conversation(sdk::kDefaultAccountId, run_id_))
        if (row.element_id == "Mini_App_Test_01" && row.role == "user") {
            EXPECT_EQ(row.score, 1.0);
            EXPECT_EQ(row.maxscore, 1.0);
            scored = true;
        }
    EXPECT_TRUE(scored);
    tx.reset();

    // The question is closed now: its visit's nonce went with it.
    EXPECT_EQ(post_answer({{"ref", r}, {"answer", "Paris"}, {"initData", init_data(kStudent)}}).status, 404);
}

TEST_F(MiniappPlatform, AWrongAnswerScoresZero) {
    const auto reply = post_answer({{"ref", ref()}, {"answer", "London"}, {"initData", init_data(kStudent)}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    bool feedback = false;
    for (const auto& action : outbox())
        feedback |= action.value("text", "") == "Incorrect! The capital of France is Paris.";
    EXPECT_TRUE(feedback) << json(outbox()).dump(2);
    auto tx = platform_->storage().begin();
    for (const auto& row : tx->conversation(sdk::kDefaultAccountId, run_id_))
        if (row.element_id == "Mini_App_Test_01" && row.role == "user") {
            EXPECT_EQ(row.score, 0.0);
        }
}

TEST_F(MiniappPlatform, TelegramsOwnWebAppDataReachesTheElementToo) {
    sdk::InboundEvent e;
    e.kind = sdk::InboundEvent::Kind::web_app_data;
    e.bot_id = bot_id_;
    e.chat_id = kStudent;
    e.user_id = kStudent;
    e.text = "Paris";
    EXPECT_EQ(platform_->engine().dispatch(e).status, sdk::DispatchResult::Status::handled);
    EXPECT_EQ(run().status, sdk::RunStatus::completed);
}

}  // namespace
