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

// dump() writes its text by hand: it must be what nlohmann::json writes for
// the same object, so stored states read back and compare as before.
TEST(RunState, WritesWhatNlohmannWouldForTheSameObject) {
    const auto as_nlohmann = [](const RunState& s) {
        nlohmann::json j{{"version", s.version}, {"activation", s.activation}, {"visits", s.visits}};
        auto kept = nlohmann::json::object();
        for (const auto& [id, state] : s.states.items())
            if (!state.is_null()) kept[id] = state;
        j["states"] = kept;
        auto frames = nlohmann::json::array();
        for (const auto& caller : s.stack) frames.push_back({{"element", caller}});
        j["stack"] = frames;
        if (s.waiting != Waiting::nothing) j["waiting"] = to_string(s.waiting);
        if (s.timers) j["timers"] = true;
        if (s.email_pending) j["email_pending"] = true;
        if (!s.email.empty()) j["email"] = s.email;
        if (s.pending_switch.is_object()) j["pending_switch"] = s.pending_switch;
        if (s.taken_up_at) j["taken_up_at"] = *s.taken_up_at;
        return j.dump();
    };
    RunState fresh;
    EXPECT_EQ(fresh.dump(), as_nlohmann(fresh));
    EXPECT_EQ(fresh.dump(), R"({"activation":0,"stack":[],"states":{},"version":0,"visits":{}})");

    RunState full;
    full.version = -3;
    full.activation = 9007199254740993;
    full.visits = {{"Q\"1", 2}, {"Вопрос", 1}, {"a\n", 7}, {"", 1}};
    full.states = {{"Q\"1", {{"tries", 2}, {"text", "ответ \u0001"}, {"ratio", 0.1}}},
                   {"Gone", nullptr},
                   {"Rev", {{"queue", {"Q\"1", "Вопрос"}}, {"nested", {{"deep", {1, 2.5, nullptr}}}}}}};
    full.stack = {"Rev", "Call \\ er"};
    full.waiting = Waiting::deferred;
    full.timers = true;
    full.email_pending = true;
    full.email = "ann@example.org";
    full.pending_switch = {{"prompt", 17}, {"payload", "cd_2_abc"}, {"username", "ann"}};
    full.taken_up_at = 1700000000123;
    EXPECT_EQ(full.dump(), as_nlohmann(full));
    const auto back = RunState::parse(full.dump());
    EXPECT_EQ(back.dump(), full.dump());
    EXPECT_EQ(back.visits, full.visits);

    for (const auto waiting : {Waiting::input, Waiting::button, Waiting::poll, Waiting::timer}) {
        RunState s;
        s.waiting = waiting;
        s.states = nlohmann::json::object({{"Only", nullptr}});
        EXPECT_EQ(s.dump(), as_nlohmann(s)) << to_string(waiting);
    }
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
