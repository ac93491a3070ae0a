#include "miniapp_api.hpp"
#include "init_data.hpp"

#include <gtest/gtest.h>

namespace profo::elements::miniapp {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "777:bot-token-of-the-run";
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));

const json kElement = json::parse(R"({"type": "miniapp", "text": "Launch", "button": "Go",
    "app_url": "https://app.example/quiz",
    "question": {"type": "multiple_choice", "text": "Capital of France?",
                 "options": [{"text": "Paris", "correct": true}, {"text": "London"}]},
    "answer": {"actual": "Paris"}})");

// initData as Telegram would sign it for `user_id`, `age` ago.
std::string signed_init_data(std::int64_t user_id, std::chrono::seconds age = 60s,
                             const std::string& token = kToken) {
    const std::int64_t auth =
        std::chrono::duration_cast<std::chrono::seconds>((kNow - age).time_since_epoch()).count();
    std::map<std::string, std::string> fields = {{"auth_date", std::to_string(auth)},
                                                 {"query_id", "AAQ"},
                                                 {"user", R"({"id":)" + std::to_string(user_id) + "}"}};
    return "auth_date=" + std::to_string(auth) + "&query_id=AAQ&user=%7B%22id%22%3A" +
           std::to_string(user_id) + "%7D&hash=" + init_data_hash(fields, token);
}

class MiniappApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        run.id = 55;
        run.account_id = 3;
        run.bot_id = 9;
        run.chat_id = 4242;
        run.user_id = 4242;
        run.username = "anna";
        run.cursor = "Mini_1";
        backend.find = [this](const QuestionRef& ref) -> std::optional<RefTarget> {
            if (ref.account_id != run.account_id || ref.run_id != run.id || ref.element_id != "Mini_1")
                return std::nullopt;
            return RefTarget{run, kElement};
        };
        backend.bot_token = [](const sdk::Run&) { return std::string(kToken); };
        backend.dispatch = [this](const sdk::InboundEvent& e) {
            dispatched.push_back(e);
            return sdk::DispatchResult{dispatch_status, run.id, {}};
        };
        backend.now = [] { return kNow; };
    }

    sdk::HttpResponse post(const json& body) {
        sdk::HttpRequest r;
        r.method = "POST";
        r.path = "/miniapp/answer";
        r.body = body.dump();
        return answer_endpoint(backend, r);
    }
    sdk::HttpResponse get(const std::string& query) {
        sdk::HttpRequest r;
        r.method = "GET";
        r.path = "/miniapp/question";
        r.query = query;
        return question_endpoint(backend, r);
    }
    static std::string error_of(const sdk::HttpResponse& r) { return json::parse(r.body).value("error", ""); }

    sdk::Run run;
    MiniappBackend backend;
    std::vector<sdk::InboundEvent> dispatched;
    sdk::DispatchResult::Status dispatch_status = sdk::DispatchResult::Status::handled;
};

TEST_F(MiniappApiTest, QuestionIsServedWithoutTheAnswer) {
    const auto r = get("ref=3.55.1.Mini_1");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body), json::parse(R"({"type": "multiple_choice", "text": "Capital of France?",
        "options": [{"text": "Paris"}, {"text": "London"}]})"));
    EXPECT_EQ(r.body.find("actual"), std::string::npos);
    bool cors = false;
    for (const auto& [k, v] : r.headers) cors |= k == "Access-Control-Allow-Origin" && v == "*";
    EXPECT_TRUE(cors);
}

TEST_F(MiniappApiTest, QuestionErrors) {
    EXPECT_EQ(get("").status, 400);
    EXPECT_EQ(error_of(get("x=1")), "'ref' is required");
    EXPECT_EQ(error_of(get("ref=not-a-ref")), "'ref' is not a question reference");
    EXPECT_EQ(get("ref=3.56.1.Mini_1").status, 404);
    EXPECT_EQ(get("ref=3.55.1.Other").status, 404);
    EXPECT_EQ(get("ref=%zz").status, 400);
}

TEST_F(MiniappApiTest, SignedAnswerIsDispatchedToTheRun) {
    const auto r =
        post({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}, {"initData", signed_init_data(4242)}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body), json({{"ok", true}}));
    ASSERT_EQ(dispatched.size(), 1u);
    const auto& e = dispatched[0];
    EXPECT_EQ(e.kind, sdk::InboundEvent::Kind::web_app_data);
    EXPECT_EQ(e.bot_id, 9);
    EXPECT_EQ(e.chat_id, 4242);
    EXPECT_EQ(e.user_id, 4242);
    EXPECT_EQ(json::parse(e.text), json({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}}));
}

TEST_F(MiniappApiTest, MalformedBodiesNameTheField) {
    sdk::HttpRequest r;
    r.body = "not json";
    EXPECT_EQ(answer_endpoint(backend, r).status, 400);
    EXPECT_EQ(error_of(post({{"answer", "Paris"}, {"initData", "x"}})), "'ref' must be a string");
    EXPECT_EQ(error_of(post({{"ref", "3.55.1.Mini_1"}, {"initData", "x"}})), "'answer' must be a string");
    EXPECT_EQ(error_of(post({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}})),
              "'initData' must be the Telegram.WebApp.initData string");
    EXPECT_EQ(post({{"ref", "3.55.1.Mini_1"}, {"answer", {1}}, {"initData", "x"}}).status, 400);
    EXPECT_EQ(
        post({{"ref", "3.99.1.Mini_1"}, {"answer", "Paris"}, {"initData", signed_init_data(4242)}}).status,
        404);
    EXPECT_TRUE(dispatched.empty());
}

TEST_F(MiniappApiTest, BadInitDataIsUnauthorized) {
    auto r = post({{"ref", "3.55.1.Mini_1"},
                   {"answer", "Paris"},
                   {"initData", signed_init_data(4242, 60s, "1:other")}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(error_of(r), "initData signature does not match this bot");
    r = post({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}, {"initData", signed_init_data(4242, 90000s)}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(error_of(r), "initData has expired (auth_date too old)");
    backend.init_data_max_age = 100000s;
    EXPECT_EQ(
        post({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}, {"initData", signed_init_data(4242, 90000s)}})
            .status,
        200);
    EXPECT_EQ(dispatched.size(), 1u);
    EXPECT_EQ(r.body.find(kToken), std::string::npos);
}

TEST_F(MiniappApiTest, AnotherStudentOrAnOldQuestionIsRefused) {
    EXPECT_EQ(post({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}, {"initData", signed_init_data(1)}}).status,
              403);
    run.cursor = "Next_Element";
    auto r = post({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}, {"initData", signed_init_data(4242)}});
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(error_of(r), "this question is no longer open");
    run.cursor = "Mini_1";
    run.active = false;
    EXPECT_EQ(
        post({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}, {"initData", signed_init_data(4242)}}).status,
        409);
    EXPECT_TRUE(dispatched.empty());

    run.active = true;
    dispatch_status = sdk::DispatchResult::Status::ignored;  // e.g. the visit's attempt has passed
    EXPECT_EQ(
        post({{"ref", "3.55.1.Mini_1"}, {"answer", "Paris"}, {"initData", signed_init_data(4242)}}).status,
        409);
}

TEST(MiniappPreflight, AllowsCrossOriginPosts) {
    const auto r = preflight_endpoint({});
    EXPECT_EQ(r.status, 204);
    bool methods = false;
    for (const auto& [k, v] : r.headers)
        methods |= k == "Access-Control-Allow-Methods" && v.find("POST") != std::string::npos;
    EXPECT_TRUE(methods);
}

}  // namespace
}  // namespace profo::elements::miniapp
