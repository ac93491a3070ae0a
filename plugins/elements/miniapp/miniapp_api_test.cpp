#include "miniapp_api.hpp"

#include <profo/sdk/form.hpp>

#include <gtest/gtest.h>

namespace profo::elements::miniapp {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
constexpr const char* kNonce = "00112233445566778899aabbccddeeff";
const std::string kRef = std::string("3.55.1.") + kNonce + ".Mini_1";

const json kElement = json::parse(R"({"type": "miniapp", "text": "Launch", "button": "Go",
    "app_url": "https://app.example/quiz",
    "question": {"type": "multiple_choice", "text": "Capital of France?",
                 "options": [{"text": "Paris", "correct": true}, {"text": "London"}]},
    "answer": {"actual": "Paris"}})");

// initData in this test is "user=<id>&hash=<h>" signed with "good" as the hash:
// the real signature check is the host's (host/src/telegram), tested there
// and end to end; here only what the endpoints do with its verdict matters.
std::string init_data(std::int64_t user_id, const std::string& hash = "good") {
    return "user=" + std::to_string(user_id) + "&hash=" + hash;
}

class MiniappApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        target.run.id = 55;
        target.run.account_id = 3;
        target.run.bot_id = 9;
        target.run.chat_id = 4242;
        target.run.user_id = 4242;
        target.run.username = "anna";
        target.run.cursor = "Mini_1";
        target.element_id = "Mini_1";
        target.type = "miniapp";
        target.source = kElement;
        target.attempt = 1;
        target.current = true;
        target.state = {{"nonce", kNonce}};
        backend.find = [this](const QuestionRef& ref) -> std::optional<sdk::RunElement> {
            ++lookups;
            if (ref.account_id != target.run.account_id || ref.run_id != target.run.id ||
                ref.element_id != target.element_id)
                return std::nullopt;
            return target;
        };
        backend.check_init_data = [this](const sdk::Run& run, std::string_view text) {
            checked_bots.push_back(run.bot_id);
            const auto fields = sdk::parse_form(text);
            if (fields.count("hash") == 0 || fields.at("hash").rfind("good", 0) != 0)
                throw sdk::SignatureError("initData signature does not match this bot");
            sdk::SignedTelegramData data;
            data.fields = fields;
            data.user_id = std::stoll(fields.at("user"));
            data.auth_date =
                std::chrono::duration_cast<std::chrono::seconds>(kNow.time_since_epoch()).count();
            return data;
        };
        backend.dispatch = [this](const sdk::InboundEvent& e) {
            dispatched.push_back(e);
            return sdk::DispatchResult{dispatch_status, target.run.id, {}};
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
    sdk::HttpResponse get(const std::string& query, const std::string& header = "") {
        sdk::HttpRequest r;
        r.method = "GET";
        r.path = "/miniapp/question";
        r.query = query;
        if (!header.empty()) r.headers["x-telegram-init-data"] = header;
        return question_endpoint(backend, r);
    }
    static std::string error_of(const sdk::HttpResponse& r) { return json::parse(r.body).value("error", ""); }
    static std::string encoded(const std::string& init) {
        std::string out;
        for (char c : init)
            out += c == '&' ? std::string("%26") : c == '=' ? std::string("%3D") : std::string(1, c);
        return out;
    }

    sdk::RunElement target;
    MiniappBackend backend;
    std::vector<sdk::InboundEvent> dispatched;
    std::vector<sdk::Id> checked_bots;
    int lookups = 0;
    sdk::DispatchResult::Status dispatch_status = sdk::DispatchResult::Status::handled;
};

TEST_F(MiniappApiTest, QuestionIsServedToTheRunsStudentWithoutTheAnswer) {
    const auto r = get("ref=" + kRef + "&initData=" + encoded(init_data(4242)));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body), json::parse(R"({"type": "multiple_choice", "text": "Capital of France?",
        "options": [{"text": "Paris"}, {"text": "London"}]})"));
    EXPECT_EQ(r.body.find("actual"), std::string::npos);
    EXPECT_EQ(checked_bots, std::vector<sdk::Id>{9});
    bool cors = false;
    for (const auto& [k, v] : r.headers) cors |= k == "Access-Control-Allow-Origin" && v == "*";
    EXPECT_TRUE(cors);
    // The header works as well as the query parameter.
    EXPECT_EQ(get("ref=" + kRef, init_data(4242, "good2")).status, 200);
}

TEST_F(MiniappApiTest, QuestionNeedsInitDataAndTheVisitsNonce) {
    EXPECT_EQ(get("").status, 400);
    EXPECT_EQ(error_of(get("x=1")), "'ref' is required");
    EXPECT_EQ(error_of(get("ref=not-a-ref")), "'ref' is not a question reference");
    EXPECT_EQ(get("ref=%zz").status, 400);
    // Without initData nothing is looked up: a stranger learns nothing, not even whether a run exists.
    const auto anonymous = get("ref=" + kRef);
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(lookups, 0);
    EXPECT_EQ(get("ref=" + kRef + "&initData=" + encoded(init_data(4242, "forged"))).status, 401);
    EXPECT_EQ(get("ref=" + kRef + "&initData=" + encoded(init_data(7))).status, 403);
    // Another run, another element, or a guessed nonce: no such question.
    for (const std::string& ref : std::vector<std::string>{
             std::string("3.56.1.") + kNonce + ".Mini_1", std::string("3.55.1.") + kNonce + ".Other",
             "3.55.1." + std::string(32, 'a') + ".Mini_1", std::string("3.55.2.") + kNonce + ".Mini_1"}) {
        const auto r = get("ref=" + ref + "&initData=" + encoded(init_data(4242, "good-" + ref)));
        EXPECT_EQ(r.status, 404) << ref;
        EXPECT_EQ(error_of(r), "no such open question");
    }
    // The run has moved on: the visit's nonce is gone with it.
    target.current = false;
    target.state = nullptr;
    EXPECT_EQ(get("ref=" + kRef + "&initData=" + encoded(init_data(4242))).status, 404);
}

TEST_F(MiniappApiTest, SignedAnswerIsDispatchedToTheRun) {
    const auto r = post({{"ref", kRef}, {"answer", "Paris"}, {"initData", init_data(4242)}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body), json({{"ok", true}}));
    ASSERT_EQ(dispatched.size(), 1u);
    const auto& e = dispatched[0];
    EXPECT_EQ(e.kind, sdk::InboundEvent::Kind::web_app_data);
    EXPECT_EQ(e.bot_id, 9);
    EXPECT_EQ(e.chat_id, 4242);
    EXPECT_EQ(e.user_id, 4242);
    EXPECT_EQ(json::parse(e.text), json({{"ref", kRef}, {"answer", "Paris"}}));
}

TEST_F(MiniappApiTest, MalformedBodiesNameTheField) {
    sdk::HttpRequest r;
    r.body = "not json";
    EXPECT_EQ(answer_endpoint(backend, r).status, 400);
    EXPECT_EQ(error_of(post({{"answer", "Paris"}, {"initData", "x"}})), "'ref' must be a string");
    EXPECT_EQ(error_of(post({{"ref", kRef}, {"initData", "x"}})), "'answer' must be a string");
    EXPECT_EQ(error_of(post({{"ref", kRef}, {"answer", "Paris"}})),
              "'initData' must be the Telegram.WebApp.initData string");
    EXPECT_EQ(post({{"ref", kRef}, {"answer", {1}}, {"initData", "x"}}).status, 400);
    EXPECT_EQ(post({{"ref", std::string("3.99.1.") + kNonce + ".Mini_1"},
                    {"answer", "Paris"},
                    {"initData", init_data(4242)}})
                  .status,
              404);
    EXPECT_TRUE(dispatched.empty());
}

TEST_F(MiniappApiTest, BadInitDataIsUnauthorizedAndLeaksNothing) {
    const auto r = post({{"ref", kRef}, {"answer", "Paris"}, {"initData", init_data(4242, "bad")}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(error_of(r), "initData signature does not match this bot");
    EXPECT_TRUE(dispatched.empty());
}

TEST_F(MiniappApiTest, AnotherStudentOrAClosedQuestionIsRefused) {
    EXPECT_EQ(post({{"ref", kRef}, {"answer", "Paris"}, {"initData", init_data(1)}}).status, 403);
    dispatch_status = sdk::DispatchResult::Status::ignored;  // e.g. the engine saw the visit pass
    auto r = post({{"ref", kRef}, {"answer", "Paris"}, {"initData", init_data(4242)}});
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(error_of(r), "this question is no longer open");
    dispatch_status = sdk::DispatchResult::Status::failed;
    EXPECT_EQ(post({{"ref", kRef}, {"answer", "Paris"}, {"initData", init_data(4242)}}).status, 503);
}

TEST_F(MiniappApiTest, ACapturedInitDataServesOnlyTheQuestionItWasFirstUsedFor) {
    EXPECT_EQ(get("ref=" + kRef, init_data(4242, "good-captured")).status, 200);
    EXPECT_EQ(
        post({{"ref", kRef}, {"answer", "Paris"}, {"initData", init_data(4242, "good-captured")}}).status,
        200);
    // The student's next question, with the initData of the first one.
    const std::string next_nonce(32, 'b');
    target.state = {{"nonce", next_nonce}};
    target.attempt = 2;
    const std::string next_ref = "3.55.2." + next_nonce + ".Mini_1";
    const auto r =
        post({{"ref", next_ref}, {"answer", "Paris"}, {"initData", init_data(4242, "good-captured")}});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(error_of(r), "this initData was issued for another question");
    EXPECT_EQ(
        post({{"ref", next_ref}, {"answer", "Paris"}, {"initData", init_data(4242, "good-fresh")}}).status,
        200);
}

TEST(InitDataBindingsTest, ExpiredBindingsMakeRoomAndCapacityHolds) {
    InitDataBindings bindings(2);
    EXPECT_TRUE(bindings.bind("h1", "A", kNow, kNow + 10s));
    EXPECT_TRUE(bindings.bind("h1", "A", kNow, kNow + 10s));
    EXPECT_FALSE(bindings.bind("h1", "B", kNow, kNow + 10s));
    EXPECT_TRUE(bindings.bind("h1", "B", kNow + 11s, kNow + 20s));  // the old binding expired
    EXPECT_TRUE(bindings.bind("h2", "C", kNow, kNow + 5s));
    EXPECT_TRUE(bindings.bind("h3", "D", kNow, kNow + 30s));  // full: the binding expiring first goes
    EXPECT_TRUE(bindings.bind("h2", "X", kNow, kNow + 30s));
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
