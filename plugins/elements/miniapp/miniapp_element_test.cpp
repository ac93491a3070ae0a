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

constexpr const char* kNonce = "0123456789abcdef0123456789abcdef";

// The legacy miniapp element at its second visit of run 55 in account 3,
// entered with kNonce as its visit's nonce.
class MiniappContext : public testing::FakeElementContext {
public:
    explicit MiniappContext(const json& spec)
        : FakeElementContext("Mini_App_Test_01", testing::compiled(MiniappElement(), spec), spec) {
        run_.id = 55;
        run_.account_id = 3;
        attempt_ = 2;
        state() = {{"nonce", kNonce}};
    }
};

std::string ref_of(const std::string& rest) {
    return "3.55." + rest;
}

sdk::Event web_app(std::string data) {
    sdk::Event e;
    e.kind = sdk::Event::Kind::web_app_data;
    e.data = std::move(data);
    return e;
}

TEST(QuestionRefTest, RoundTripsAndRefusesJunk) {
    const QuestionRef ref{3, 55, 2, kNonce, "Mini.App-1"};
    const std::string text = std::string("3.55.2.") + kNonce + ".Mini.App-1";
    EXPECT_EQ(to_string(ref), text);
    EXPECT_EQ(parse_question_ref(text), ref);
    const std::string n = kNonce;
    for (const std::string& bad : std::vector<std::string>{
             std::string(), "3.55.2.", "3.55.2." + n + ".", "3.55.Mini", "x.55.2." + n + ".M",
             "0.55.2." + n + ".M", "3.-5.2." + n + ".M", "3.55.2." + n + ".M/../x", "3.55.2." + n + ".M i",
             "3.55.2.M", "3.55.2.0123.M", "3.55.2." + std::string(32, 'G') + ".M",
             "3.55.2." + std::string(32, 'A') + ".M"})
        EXPECT_FALSE(parse_question_ref(bad)) << bad;
}

TEST(QuestionRefTest, NoncesAreFreshAndWellFormed) {
    const std::string a = new_nonce(), b = new_nonce();
    EXPECT_NE(a, b);
    EXPECT_TRUE(parse_question_ref("1.1.1." + a + ".X"));
}

TEST(QuestionRefTest, AppLinkKeepsTheAppsOwnQueryAndFragment) {
    const QuestionRef ref{1, 2, 1, kNonce, "Q_1"};
    const std::string q = std::string("1.2.1.") + kNonce + ".Q_1";
    EXPECT_EQ(app_link("https://app.example/quiz", ref, ""), "https://app.example/quiz?q=" + q);
    EXPECT_EQ(app_link("https://app.example/?lang=ru#top", ref, "https://profo.example"),
              "https://app.example/?lang=ru&q=" + q + "&api=https%3A%2F%2Fprofo.example#top");
}

TEST(AnswerMatching, TrimsAndFoldsCaseForTypein) {
    EXPECT_TRUE(answer_matches("  Paris \n", "Paris", "multiple_choice"));
    EXPECT_FALSE(answer_matches("paris", "Paris", "multiple_choice"));
    EXPECT_TRUE(answer_matches("ПАРИЖ", "париж", "typein"));
    EXPECT_TRUE(answer_matches("Ёлка Über", "ёлка über", "typein"));
    EXPECT_FALSE(answer_matches("Лондон", "Париж", "typein"));
    // The same folding as every other element: Greek accents and characters
    // beyond the BMP included.
    EXPECT_TRUE(answer_matches("ΆΘΉΝΑ", "άθήνα", "typein"));
    EXPECT_TRUE(answer_matches("\xF0\x90\x90\x80", "\xF0\x90\x90\xA8", "typein"));
    EXPECT_TRUE(answer_matches("\xC2\xA0Straße", "STRASSE", "typein"));
}

TEST(SubmittedAnswerTest, ReadsEveryShape) {
    auto s = read_submitted(R"({"ref": "3.55.2.0123456789abcdef0123456789abcdef.X", "answer": "Paris"})");
    EXPECT_EQ(s.answer, "Paris");
    ASSERT_TRUE(s.ref);
    EXPECT_EQ(s.ref->run_id, 55);
    EXPECT_EQ(read_submitted(R"("Berlin")").answer, "Berlin");
    EXPECT_EQ(read_submitted("42").answer, "42");
    EXPECT_EQ(read_submitted("Madrid").answer, "Madrid");
    EXPECT_FALSE(read_submitted("Madrid").ref);
}

TEST(MiniappValidate, LegacyCourseIsValid) {
    const KeptReport report = testing::validated<MiniappElement>(kLegacy);
    EXPECT_TRUE(report.issues.empty()) << ::testing::PrintToString(report.errors());
    EXPECT_EQ(MiniappElement().aliases(), std::vector<std::string>{"miniapptest"});
    EXPECT_TRUE(MiniappElement().graded());
}

TEST(MiniappValidate, ReportsEveryBadField) {
    const KeptReport report = testing::validated<MiniappElement>(
        json::parse(R"({"type": "miniapp", "app_url": "http://insecure.example",
        "question": {"type": "essay", "options": "Paris"}, "answer": {"correct_feedback": "Yes", "note": 1}})"));
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

    const KeptReport missing =
        testing::validated<MiniappElement>(json::parse(R"({"type": "miniapp", "text": "t", "button": "b",
        "app_url": "https://a.example"})"));
    EXPECT_EQ(missing.errors(),
              (std::vector<std::string>{"question: 'question' is required", "answer: 'answer' is required"}));
}

TEST(MiniappValidate, WarnsWhenTheAnswerIsNoOption) {
    json spec = kLegacy;
    spec["answer"]["actual"] = "Rome";
    const KeptReport report = testing::validated<MiniappElement>(spec);
    EXPECT_TRUE(report.errors().empty());
    EXPECT_EQ(report.warnings(),
              std::vector<std::string>{"answer.actual: 'answer.actual' 'Rome' is none of the "
                                       "options: no choice can be right"});
}

TEST(MiniappElementTest, EnterSendsAWebAppButtonWithTheQuestionRef) {
    MiniappContext ctx(kLegacy);
    ctx.state() = nullptr;  // as the engine enters an element
    ctx.settings_ = {{"public_url", "https://profo.example"}};
    EXPECT_EQ(MiniappElement().enter(ctx).kind, sdk::Outcome::Kind::wait);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].text, "Mini App launch Test\n");
    ASSERT_EQ(ctx.sent[0].buttons.size(), 1u);
    EXPECT_EQ(ctx.sent[0].buttons[0].text, "Launch");
    const std::string nonce = ctx.state().at("nonce").get<std::string>();
    EXPECT_NE(nonce, kNonce);
    EXPECT_EQ(ctx.sent[0].buttons[0].web_app_url, "https://73c7-24-54-90-118.ngrok-free.app?q=3.55.2." +
                                                      nonce +
                                                      ".Mini_App_Test_01&api=https%3A%2F%2Fprofo.example");
}

TEST(MiniappElementTest, RightAnswerScoresOneAndContinues) {
    MiniappContext ctx(kLegacy);
    MiniappElement element;
    const json answer = {{"ref", ref_of(std::string("2.") + kNonce + ".Mini_App_Test_01")},
                         {"answer", " Paris "}};
    EXPECT_EQ(element.on_event(ctx, web_app(answer.dump())).kind, sdk::Outcome::Kind::next);
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
    MiniappContext ctx(spec);
    EXPECT_EQ(MiniappElement().on_event(ctx, web_app("paris")).kind, sdk::Outcome::Kind::next);
    EXPECT_EQ(ctx.records.at(0)["score"], 0.0);
    EXPECT_EQ(ctx.sent.at(0).text, "Incorrect.");

    spec["question"]["type"] = "typein";
    MiniappContext typein(spec);
    MiniappElement().on_event(typein, web_app(R"("PARIS")"));
    EXPECT_EQ(typein.records.at(0)["score"], 1.0);
    EXPECT_EQ(typein.sent.at(0).text, "Correct!");
}

TEST(MiniappElementTest, AnswersForAnotherVisitAndOtherEventsAreIgnored) {
    MiniappContext ctx(kLegacy);
    MiniappElement element;
    const std::string n = kNonce;
    const std::string other_nonce(32, 'f');
    for (const std::string& stale : std::vector<std::string>{
             ref_of("1." + n + ".Mini_App_Test_01"), "3.56.2." + n + ".Mini_App_Test_01",
             ref_of("2." + n + ".Other"), ref_of("2." + other_nonce + ".Mini_App_Test_01")})
        EXPECT_EQ(element.on_event(ctx, web_app(json{{"ref", stale}, {"answer", "Paris"}}.dump())).kind,
                  sdk::Outcome::Kind::ignored)
            << stale;
    sdk::Event text;
    text.kind = sdk::Event::Kind::text;
    text.text = "Paris";
    EXPECT_EQ(element.on_event(ctx, text).kind, sdk::Outcome::Kind::ignored);
    EXPECT_TRUE(ctx.records.empty());
    EXPECT_TRUE(ctx.sent.empty());
}

}  // namespace
}  // namespace profo::elements::miniapp
