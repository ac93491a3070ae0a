#include "engine/run_state.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

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
    full.visits = {{"Q\"1", 2}, {"Вопрос", 1}, {"a\n", 7}, {"", 1}, {"~\x7f", 3}, {"x/y z", 4}, {"\x1f", 5}};
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

void expect_same(const RunState& a, const RunState& b) {
    EXPECT_EQ(a.version, b.version);
    EXPECT_EQ(a.activation, b.activation);
    EXPECT_EQ(a.visits, b.visits);
    EXPECT_EQ(a.states, b.states);
    EXPECT_EQ(a.stack, b.stack);
    EXPECT_EQ(a.waiting, b.waiting);
    EXPECT_EQ(a.timers, b.timers);
    EXPECT_EQ(a.email_pending, b.email_pending);
    EXPECT_EQ(a.email, b.email);
    EXPECT_EQ(a.pending_switch, b.pending_switch);
    EXPECT_EQ(a.taken_up_at, b.taken_up_at);
}

// parse() streams the text; this is what it stands for: the document
// parsed whole, then read (as parse() did until it streamed, except that
// visits other than an object and a stack other than a list were read
// oddly then and are refused now). Both take and refuse the same texts.
RunState parse_as_document(const std::string& text) {
    RunState state;
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object()) throw std::runtime_error("not an object");
    state.version = j.value("version", sdk::Id{0});
    state.activation = j.value("activation", std::int64_t{0});
    if (auto it = j.find("visits"); it != j.end()) {
        if (!it->is_object() && !it->is_null()) throw std::runtime_error("visits");
        for (const auto& [id, n] : it->items()) state.visits[id] = n.get<int>();
    }
    if (auto it = j.find("states"); it != j.end() && it->is_object()) state.states = *it;
    if (auto it = j.find("stack"); it != j.end()) {
        if (!it->is_array() && !it->is_null()) throw std::runtime_error("stack");
        for (const auto& frame : *it) state.stack.push_back(frame.at("element").get<std::string>());
    }
    const std::string waiting = j.value("waiting", std::string());
    const auto known = parse_waiting(waiting);
    if (!known) throw std::runtime_error("waiting");
    state.waiting = *known;
    state.timers = j.value("timers", false);
    state.email_pending = j.value("email_pending", false);
    state.email = j.value("email", std::string());
    if (auto it = j.find("pending_switch"); it != j.end() && it->is_object()) state.pending_switch = *it;
    if (auto it = j.find("taken_up_at"); it != j.end()) state.taken_up_at = it->get<sdk::Millis>();
    return state;
}

TEST(RunState, ReadsWhatParsingTheWholeDocumentWouldAndRefusesTheSame) {
    const std::vector<std::string> texts{
        "{}",
        // Long texts are split over lines on purpose.
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
        R"({"activation":57,"stack":[],"states":{"Q2":{"attempts":1,"sent":true}},"version":1,)"
        R"("visits":{"Again":4,"Intro":1,"Q1":5,"Q2":5,"Q3":4},"waiting":"input"})",
        R"({"activation":3,"email":"a@b.c","email_pending":true,"pending_switch":{"prompt":2,"payload":"cd_1_x"},)"
        R"("stack":[{"element":"Rev"},{"element":"Call","extra":[1,{"a":null}]}],"states":{"Rev":{"queue":["Q1"]},)"
        R"("Q1":[1,2.5,null,"x",{"deep":{"deeper":[]}}]},"taken_up_at":1700000000123,"timers":true,"version":9,)"
        R"("visits":{},"waiting":"deferred"})",
        // Unknown keys of every shape are skipped.
        R"({"future":{"a":[1,{"b":2}]},"also":[[],{}],"more":null,"version":2,"then":"x"})",
        // A repeated key: the last value stands.
        R"({"version":1,"version":2,"visits":{"a":1},"visits":{"b":2},"stack":[{"element":"A"}],"stack":null})",
        R"({"states":{"A":1},"states":5,"pending_switch":{"p":1},"pending_switch":[1]})",
        R"({"visits":{"a":1,"a":3},"stack":[{"element":"A","element":"B"}]})",
        R"({"visits":null,"stack":null,"states":null,"pending_switch":null})",
        // dump()'s own form, and texts that differ from it by a little.
        R"({"activation":5,"stack":[],"states":{},"version":1,"visits":{"a":1}})",
        R"({"activation":5, "stack":[],"states":{},"version":1,"visits":{}})",
        R"({"activation":5,"stack":[],"states":{},"version":1,"visits":{}} )",
        R"({"activation":-0,"stack":[],"states":{},"version":1,"visits":{}})",
        R"({"activation":1.5,"stack":[],"states":{},"version":1,"visits":{}})",
        R"({"activation":5,"stack":[],"states":{"A":{"s":"}\"{["}},"version":1,"visits":{}})",
        R"({"activation":5,"stack":[],"states":{"A":[1,{"b":"]"}],"B":null},"version":1,"visits":{}})",
        R"({"activation":5,"stack":[],"states":{},"version":1,"visits":{},"waiting":""})",
        R"({"activation":5,"stack":[{"element":"A\u0042"}],"states":{},"version":1,"visits":{}})",
        R"({"activation":5,"stack":[],"states":{},"version":1,"visits":{"a":1,"a":2}})",
        R"({"activation":5,"pending_switch":{},"stack":[],"states":{},"version":1,"visits":{}})",
        // Numbers as the document reads them: a fraction is cut.
        R"({"version":2.9,"activation":-4,"visits":{"a":7.0},"taken_up_at":1.5e3})",
        // Refused, by both.
        "[]", "5", "\"x\"", "null", "", "{", R"({"version":"1"})", R"({"version":null})",
        R"({"activation":true})", R"({"visits":[1,2]})", R"({"visits":5})", R"({"visits":{"a":"1"}})",
        R"({"visits":{"a":null}})", R"({"visits":{"a":{}}})", R"({"visits":{"a":[]}})", R"({"stack":{}})",
        R"({"stack":5})", R"({"stack":[5]})", R"({"stack":[null]})", R"({"stack":[[]]})", R"({"stack":[{}]})",
        R"({"stack":[{"element":5}]})", R"({"stack":[{"element":{}}]})", R"({"stack":[{"element":[]}]})",
        R"({"waiting":"nonsense"})", R"({"waiting":5})", R"({"timers":1})", R"({"email_pending":"yes"})",
        R"({"email":5})", R"({"taken_up_at":"soon"})", R"({} {})", R"({"a":1}x)",
        R"({"activation":01,"stack":[],"states":{},"version":1,"visits":{}})",
        R"({"activation":5,"stack":[],"states":{"A":{},"version":1,"visits":{}})",
        R"({"activation":5,"stack":[],"states":{},"version":1,"visits":{}}x)"};
    for (const auto& text : texts) {
        SCOPED_TRACE(text);
        std::optional<RunState> expected;
        try {
            expected = parse_as_document(text);
        } catch (const std::exception&) {
        }
        if (!expected) {
            EXPECT_ANY_THROW(RunState::parse(text));
            continue;
        }
        const auto got = RunState::parse(text);
        EXPECT_EQ(got.dump(), expected->dump());
        EXPECT_EQ(RunState::parse_streamed(text).dump(), expected->dump());
        expect_same(got, *expected);
    }
}

// parse() reads what dump() writes its own way: for every state, what
// StateReader reads from the same text.
TEST(RunState, ReadsItsOwnTextAsTheStreamingReaderDoes) {
    std::mt19937_64 random(11);
    const std::vector<std::string> names{"Intro", "Q_1", "Вопрос", "a\"b", "tab\there", "", "x y", "~\x7f"};
    const std::vector<std::int64_t> numbers{0,
                                            1,
                                            -1,
                                            9,
                                            10,
                                            std::numeric_limits<std::int64_t>::max(),
                                            std::numeric_limits<std::int64_t>::min(),
                                            std::numeric_limits<int>::max(),
                                            std::numeric_limits<int>::min()};
    const auto pick = [&](const auto& from) { return from[random() % from.size()]; };
    for (int round = 0; round < 2000; ++round) {
        RunState s;
        s.version = pick(numbers);
        s.activation = pick(numbers);
        for (int k = static_cast<int>(random() % 4); k > 0; --k)
            s.visits[pick(names)] = static_cast<int>(pick(numbers) % std::numeric_limits<int>::max());
        for (int k = static_cast<int>(random() % 3); k > 0; --k) s.stack.push_back(pick(names));
        for (int k = static_cast<int>(random() % 3); k > 0; --k)
            s.states[pick(names)] = nlohmann::json{{"n", pick(numbers)}, {"text", pick(names)}, {"x", 2.5}};
        s.waiting = static_cast<Waiting>(random() % 6);
        s.timers = random() % 2 == 0;
        s.email_pending = random() % 2 == 0;
        if (random() % 2 == 0) s.email = pick(names);
        if (random() % 3 == 0) s.pending_switch = {{"prompt", 3}, {"payload", pick(names)}};
        if (random() % 2 == 0) s.taken_up_at = pick(numbers);
        const auto text = s.dump();
        SCOPED_TRACE(text);
        const auto fast = RunState::parse(text);
        expect_same(fast, RunState::parse_streamed(text));
        EXPECT_EQ(fast.dump(), text);
    }
}

// Converting a number out of range is undefined behaviour (a fuzzer found
// a 1e77 activation); wrapping it would misread the row. Both are refused.
TEST(RunState, RefusesNumbersOutOfTheirFieldsRange) {
    for (const std::string text :
         {R"({"activation":1e77})", R"({"activation":-1e300})", R"({"version":18446744073709551615})",
          R"({"version":9223372036854775808})", R"({"taken_up_at":9.3e18})", R"({"visits":{"a":2147483648}})",
          R"({"visits":{"a":-2147483649}})", R"({"visits":{"a":3e9}})",
          // In dump()'s own form too.
          R"({"activation":5,"stack":[],"states":{},"version":9223372036854775808,"visits":{}})",
          R"({"activation":5,"stack":[],"states":{},"version":1,"visits":{"a":2147483648}})",
          R"({"activation":5,"stack":[],"states":{},"version":1,"visits":{"a":-2147483649}})"})
        EXPECT_ANY_THROW(RunState::parse(text)) << text;
    const auto edge = RunState::parse(
        R"({"version":9223372036854775807,"activation":-9223372036854775808,"visits":{"a":2147483647,"b":-2147483648,"c":2147483647.5}})");
    EXPECT_EQ(edge.version, std::numeric_limits<sdk::Id>::max());
    const auto written = RunState::parse(
        R"({"activation":-9223372036854775808,"stack":[],"states":{},"version":9223372036854775807,"visits":{"a":2147483647,"b":-2147483648}})");
    EXPECT_EQ(written.activation, std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(written.version, std::numeric_limits<sdk::Id>::max());
    EXPECT_EQ(written.visits.at("a"), 2147483647);
    EXPECT_EQ(written.visits.at("b"), -2147483648);
    EXPECT_EQ(edge.activation, std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(edge.visits.at("a"), 2147483647);
    EXPECT_EQ(edge.visits.at("b"), -2147483648);
    EXPECT_EQ(edge.visits.at("c"), 2147483647);
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
