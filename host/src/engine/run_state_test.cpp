#include "engine/run_state.hpp"

#include <gtest/gtest.h>

namespace profo::host {
namespace {

TEST(RunState, AnEmptyObjectIsAFreshState) {
    const auto s = RunState::parse("{}");
    EXPECT_EQ(s.version, 0);
    EXPECT_EQ(s.activation, 0);
    EXPECT_TRUE(s.visits.empty());
    EXPECT_TRUE(s.states.is_object() && s.states.empty());
    EXPECT_TRUE(s.stack.empty());
    EXPECT_EQ(s.waiting, Waiting::nothing);
    EXPECT_FALSE(s.timers);
}

TEST(RunState, RoundTripsThroughItsJson) {
    RunState s;
    s.version = 4;
    s.activation = 17;
    s.visits = {{"Quiz_1", 2}, {"Rev_01", 1}};
    s.states = {{"Rev_01", {{"queue", {"Quiz_1"}}}}};
    s.stack = {"Rev_01"};
    s.waiting = Waiting::poll;
    s.timers = true;
    const auto j = nlohmann::json::parse(s.dump());
    EXPECT_EQ(j["stack"], (nlohmann::json{{{"element", "Rev_01"}}}));
    const auto back = RunState::parse(s.dump());
    EXPECT_EQ(back.version, 4);
    EXPECT_EQ(back.activation, 17);
    EXPECT_EQ(back.visits, s.visits);
    EXPECT_EQ(back.states, s.states);
    EXPECT_EQ(back.stack, s.stack);
    EXPECT_EQ(back.waiting, Waiting::poll);
    EXPECT_TRUE(back.timers);
    EXPECT_FALSE(back.taken_up_at);
    EXPECT_EQ(j.count("taken_up_at"), 0u) << "nothing stored while unused";
    s.taken_up_at = 1700000000123;
    EXPECT_EQ(RunState::parse(s.dump()).taken_up_at, 1700000000123);
}

TEST(RunState, KeepsTheEmailStepAndAPendingSwitch) {
    RunState s;
    EXPECT_EQ(nlohmann::json::parse(s.dump()).count("email_pending"), 0u) << "nothing stored while unused";
    s.email_pending = true;
    s.pending_switch = {{"prompt", 17}, {"payload", "cd_2_abc"}, {"username", "ann"}};
    auto back = RunState::parse(s.dump());
    EXPECT_TRUE(back.email_pending);
    EXPECT_EQ(back.pending_switch["payload"], "cd_2_abc");
    back.email_pending = false;
    back.email = "ann@example.org";
    back.pending_switch = nullptr;
    const auto again = RunState::parse(back.dump());
    EXPECT_FALSE(again.email_pending);
    EXPECT_EQ(again.email, "ann@example.org");
    EXPECT_TRUE(again.pending_switch.is_null());
}

TEST(RunState, NullElementStatesAreNotStored) {
    RunState s;
    s.states["Intro"] = nullptr;
    s.states["Quiz"] = {{"sent", true}};
    EXPECT_EQ(nlohmann::json::parse(s.dump())["states"], (nlohmann::json{{"Quiz", {{"sent", true}}}}));
}

TEST(RunState, RejectsWhatIsNotAnObject) {
    EXPECT_ANY_THROW(RunState::parse("[]"));
    EXPECT_ANY_THROW(RunState::parse("not json"));
}

sdk::ConversationEntry row(const std::string& element, std::optional<double> score,
                           std::optional<double> max) {
    sdk::ConversationEntry e;
    e.element_id = element;
    e.role = "user";
    e.score = score;
    e.maxscore = max;
    return e;
}

TEST(RunScore, SumsTheLatestGradedRowOfEachElement) {
    const std::vector<sdk::ConversationEntry> history{
        row("Quiz_1", 0, 1),             // replaced by the revision's attempt below
        row("Quiz_1", std::nullopt, 1),  // a bot row: not graded
        row("Quiz_2", 0.5, 1),
        row("Intro", std::nullopt, std::nullopt),
        row("Quiz_1", 1, 1),
        row("Test", 1.5, 2),
    };
    const auto all = [](const std::string&) { return true; };
    const auto score = run_score(history, all);
    EXPECT_DOUBLE_EQ(score.score, 3.0);
    EXPECT_DOUBLE_EQ(score.maxscore, 4.0);
    EXPECT_EQ(score.graded_elements, 3);
    EXPECT_EQ(run_score({}, all).graded_elements, 0);

    // A test element's summary row repeats the quizzes' scores: left out.
    const auto quizzes = run_score(history, [](const std::string& id) { return id.rfind("Quiz_", 0) == 0; });
    EXPECT_DOUBLE_EQ(quizzes.score, 1.5);
    EXPECT_DOUBLE_EQ(quizzes.maxscore, 2.0);
    EXPECT_EQ(quizzes.graded_elements, 2);
}

}  // namespace
}  // namespace profo::host
