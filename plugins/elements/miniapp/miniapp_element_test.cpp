#include "miniapp_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gtest/gtest.h>

namespace profo::elements::miniapp {
namespace {

using nlohmann::json;
using testing::KeptReport;
using testing::ListedOutline;

// miniapp.yml from the legacy courses.
const json kLegacy = json::parse(R"({"type": "miniapp", "text": "Mini App launch Test\n", "button": "Launch",
    "app_url": "https://73c7-24-54-90-118.ngrok-free.app",
    "question": {"type": "multiple_choice", "text": "What is the capital of France?\n",
                 "options": [{"text": "Paris"}, {"text": "London"}, {"text": "Berlin"}, {"text": "Madrid"}]},
    "answer": {"actual": "Paris", "correct_feedback": "Correct! Paris is the capital of France.",
               "incorrect_feedback": "Incorrect! The capital of France is Paris."}})");

class FakeContext : public sdk::ElementContext {
public:
    explicit FakeContext(json spec) : spec_(std::move(spec)) {
        run_.id = 55;
        run_.account_id = 3;
    }
    const std::string& element_id() const override { return id_; }
    const json& spec() const override { return spec_; }
    const std::vector<std::string>& course_order() const override { return order_; }
    const json* element_spec(const std::string& id) const override { return id == id_ ? &spec_ : nullptr; }
    json& state() override { return state_; }
    const sdk::Run& run() const override { return run_; }
    int attempt() const override { return attempt_; }
    sdk::TimePoint now() const override { return {}; }
    sdk::Logger& log() override { throw std::logic_error("no logging expected"); }
    const json& settings() const override { return settings_; }
    std::string bot_token() const override { return "1:t"; }
    void send(const sdk::OutAction& action) override { sent.push_back(action); }
    void record(const std::string& role, const json& payload, std::optional<double> score,
                std::optional<double> maxscore) override {
        records.push_back({{"role", role},
                           {"payload", payload},
                           {"score", score.value_or(-1)},
                           {"maxscore", maxscore.value_or(-1)}});
    }
    std::vector<sdk::ConversationEntry> history() const override { return {}; }
    void schedule(sdk::TimePoint, const json&) override { throw std::logic_error("no timers"); }
    void defer(std::function<json()>) override { throw std::logic_error("no deferred work"); }
    std::uint64_t random_seed() const override { return 1; }

    json settings_ = json::object();
    std::vector<sdk::OutAction> sent;
    std::vector<json> records;
    int attempt_ = 2;

private:
    std::string id_ = "Mini_App_Test_01";
    json spec_;
    json state_;
    sdk::Run run_;
    std::vector<std::string> order_{id_};
};

sdk::Event web_app(std::string data) {
    sdk::Event e;
    e.kind = sdk::Event::Kind::web_app_data;
    e.data = std::move(data);
    return e;
}

TEST(QuestionRefTest, RoundTripsAndRefusesJunk) {
    const QuestionRef ref{3, 55, 2, "Mini.App-1"};
    EXPECT_EQ(to_string(ref), "3.55.2.Mini.App-1");
    EXPECT_EQ(parse_question_ref("3.55.2.Mini.App-1"), ref);
    for (const char* bad :
         {"", "3.55.2.", "3.55.Mini", "x.55.2.M", "0.55.2.M", "3.-5.2.M", "3.55.2.M/../x", "3.55.2.M i"})
        EXPECT_FALSE(parse_question_ref(bad)) << bad;
}

TEST(QuestionRefTest, AppLinkKeepsTheAppsOwnQueryAndFragment) {
    const QuestionRef ref{1, 2, 1, "Q_1"};
    EXPECT_EQ(app_link("https://app.example/quiz", ref, ""), "https://app.example/quiz?q=1.2.1.Q_1");
    EXPECT_EQ(app_link("https://app.example/?lang=ru#top", ref, "https://profo.example"),
              "https://app.example/?lang=ru&q=1.2.1.Q_1&api=https%3A%2F%2Fprofo.example#top");
}

TEST(AnswerMatching, TrimsAndFoldsCaseForTypein) {
    EXPECT_TRUE(answer_matches("  Paris \n", "Paris", "multiple_choice"));
    EXPECT_FALSE(answer_matches("paris", "Paris", "multiple_choice"));
    EXPECT_TRUE(answer_matches("ПАРИЖ", "париж", "typein"));
    EXPECT_TRUE(answer_matches("Ёлка Über", "ёлка über", "typein"));
    EXPECT_FALSE(answer_matches("Лондон", "Париж", "typein"));
    EXPECT_EQ(fold_case("ABC Ωmega ДОМ 😀"), "abc ωmega дом 😀");
}

TEST(SubmittedAnswerTest, ReadsEveryShape) {
    auto s = read_submitted(R"({"ref": "3.55.2.X", "answer": "Paris"})");
    EXPECT_EQ(s.answer, "Paris");
    ASSERT_TRUE(s.ref);
    EXPECT_EQ(s.ref->run_id, 55);
    EXPECT_EQ(read_submitted(R"("Berlin")").answer, "Berlin");
    EXPECT_EQ(read_submitted("42").answer, "42");
    EXPECT_EQ(read_submitted("Madrid").answer, "Madrid");
    EXPECT_FALSE(read_submitted("Madrid").ref);
}

TEST(MiniappValidate, LegacyCourseIsValid) {
    KeptReport report;
    MiniappElement().validate(kLegacy, ListedOutline({}), report);
    EXPECT_TRUE(report.issues.empty()) << ::testing::PrintToString(report.errors());
    EXPECT_EQ(MiniappElement().aliases(), std::vector<std::string>{"miniapptest"});
    EXPECT_TRUE(MiniappElement().graded());
}

TEST(MiniappValidate, ReportsEveryBadField) {
    KeptReport report;
    MiniappElement().validate(json::parse(R"({"type": "miniapp", "app_url": "http://insecure.example",
        "question": {"type": "essay", "options": "Paris"}, "answer": {"correct_feedback": "Yes", "note": 1}})"),
                              ListedOutline({}), report);
    EXPECT_EQ(report.errors(),
              (std::vector<std::string>{
                  "text: 'text' is required", "button: 'button' is required",
                  "app_url: 'app_url' must be an https:// URL (Telegram opens only HTTPS Mini Apps), not "
                  "'http://insecure.example'",
                  "question.type: 'question.type' must be multiple_choice or typein, not 'essay'",
                  "question.text: 'question.text' is required",
                  "question.options: 'question.options' must be a list, not 'Paris'",
                  "answer.actual: 'answer.actual' is required"}));
    ASSERT_EQ(report.warnings().size(), 1u);
    EXPECT_EQ(report.warnings()[0].rfind("answer.note:", 0), 0u) << report.warnings()[0];

    KeptReport missing;
    MiniappElement().validate(json::parse(R"({"type": "miniapp", "text": "t", "button": "b",
        "app_url": "https://a.example"})"),
                              ListedOutline({}), missing);
    EXPECT_EQ(missing.errors(),
              (std::vector<std::string>{"question: 'question' is required", "answer: 'answer' is required"}));
}

TEST(MiniappValidate, WarnsWhenTheAnswerIsNoOption) {
    json spec = kLegacy;
    spec["answer"]["actual"] = "Rome";
    KeptReport report;
    MiniappElement().validate(spec, ListedOutline({}), report);
    EXPECT_TRUE(report.errors().empty());
    EXPECT_EQ(report.warnings(),
              std::vector<std::string>{"answer.actual: 'answer.actual' 'Rome' is none of the "
                                       "options: no choice can be right"});
}

TEST(MiniappElementTest, EnterSendsAWebAppButtonWithTheQuestionRef) {
    FakeContext ctx(kLegacy);
    ctx.settings_ = {{"public_url", "https://profo.example"}};
    EXPECT_EQ(MiniappElement().enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "Mini App launch Test\n");
    ASSERT_EQ(ctx.sent[0].buttons.size(), 1u);
    EXPECT_EQ(ctx.sent[0].buttons[0].text, "Launch");
    EXPECT_EQ(
        ctx.sent[0].buttons[0].web_app_url,
        "https://73c7-24-54-90-118.ngrok-free.app?q=3.55.2.Mini_App_Test_01&api=https%3A%2F%2Fprofo.example");
}

TEST(MiniappElementTest, RightAnswerScoresOneAndContinues) {
    FakeContext ctx(kLegacy);
    MiniappElement element;
    EXPECT_EQ(
        element.on_event(ctx, web_app(R"({"ref": "3.55.2.Mini_App_Test_01", "answer": " Paris "})")).kind,
        sdk::Outcome::Kind::next);
    ASSERT_EQ(ctx.records.size(), 1u);
    EXPECT_EQ(ctx.records[0], json({{"role", "user"},
                                    {"payload", {{"answer", " Paris "}, {"correct", true}}},
                                    {"score", 1.0},
                                    {"maxscore", 1.0}}));
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "Correct! Paris is the capital of France.");
}

TEST(MiniappElementTest, WrongAnswerScoresZeroWithDefaultFeedback) {
    json spec = kLegacy;
    spec["answer"] = {{"actual", "Paris"}};
    FakeContext ctx(spec);
    EXPECT_EQ(MiniappElement().on_event(ctx, web_app("paris")).kind, sdk::Outcome::Kind::next);
    EXPECT_EQ(ctx.records.at(0)["score"], 0.0);
    EXPECT_EQ(ctx.sent.at(0).text, "Incorrect.");

    spec["question"]["type"] = "typein";
    FakeContext typein(spec);
    MiniappElement().on_event(typein, web_app(R"("PARIS")"));
    EXPECT_EQ(typein.records.at(0)["score"], 1.0);
    EXPECT_EQ(typein.sent.at(0).text, "Correct!");
}

TEST(MiniappElementTest, AnswersForAnotherVisitAndOtherEventsAreIgnored) {
    FakeContext ctx(kLegacy);
    MiniappElement element;
    for (const char* stale : {R"({"ref": "3.55.1.Mini_App_Test_01", "answer": "Paris"})",
                              R"({"ref": "3.56.2.Mini_App_Test_01", "answer": "Paris"})",
                              R"({"ref": "3.55.2.Other", "answer": "Paris"})"})
        EXPECT_EQ(element.on_event(ctx, web_app(stale)).kind, sdk::Outcome::Kind::ignored) << stale;
    sdk::Event text;
    text.kind = sdk::Event::Kind::text;
    text.text = "Paris";
    EXPECT_EQ(element.on_event(ctx, text).kind, sdk::Outcome::Kind::ignored);
    EXPECT_TRUE(ctx.records.empty());
    EXPECT_TRUE(ctx.sent.empty());
}

}  // namespace
}  // namespace profo::elements::miniapp
