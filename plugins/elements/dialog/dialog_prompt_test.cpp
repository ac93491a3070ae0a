#include "dialog_prompt.hpp"

#include <gtest/gtest.h>

#include <map>

namespace profo::elements::dialog {
namespace {

using nlohmann::json;

sdk::ConversationEntry row(std::string element, std::string role, json payload, int attempt = 1) {
    sdk::ConversationEntry e;
    e.element_id = std::move(element);
    e.role = std::move(role);
    e.payload_json = payload.dump();
    e.attempt = attempt;
    return e;
}

json text(const std::string& t) {
    return {{"kind", "text"}, {"text", t}};
}

TEST(StripHtmlComments, RemovesEveryCommentAndAnUnclosedTail) {
    EXPECT_EQ(strip_html_comments("a<!-- one -->b<!--\ntwo\n-->c"), "abc");
    EXPECT_EQ(strip_html_comments("keep <!-- open to the end"), "keep ");
    EXPECT_EQ(strip_html_comments("no comments -- here ->"), "no comments -- here ->");
}

TEST(PromptVariables, ReadsAllThreeFormsAndSkipsOtherBraces) {
    auto vars = prompt_variables(
        "A {{Intro_1}} B {{3]Dialog.2}} C {{Input-3[2}} D {{ 2]X[1 }} {{not an id}} {{x]Y}}");
    ASSERT_EQ(vars.size(), 4u);
    EXPECT_EQ(vars[0].element_id, "Intro_1");
    EXPECT_FALSE(vars[0].first);
    EXPECT_FALSE(vars[0].last);
    EXPECT_EQ(vars[1].element_id, "Dialog.2");
    EXPECT_EQ(vars[1].first, 3u);
    EXPECT_EQ(vars[2].element_id, "Input-3");
    EXPECT_EQ(vars[2].last, 2u);
    EXPECT_EQ(vars[3].element_id, "X");
    EXPECT_EQ(vars[3].first, 2u);
    EXPECT_EQ(vars[3].last, 1u);
    EXPECT_EQ(vars[0].begin, 2u);
    EXPECT_EQ(vars[0].end, 13u);
}

TEST(CompilePrompt, StripsCommentsBeforeFindingVariables) {
    const PromptTemplate prompt = compile_prompt("Hi {{Name_1[1}}<!-- {{Hidden}} --> and {{2]Intro}}.");
    EXPECT_EQ(prompt.text, "Hi {{Name_1[1}} and {{2]Intro}}.");
    ASSERT_EQ(prompt.variables.size(), 2u);
    EXPECT_EQ(prompt.variables[0].element_id, "Name_1");
    EXPECT_EQ(prompt.variables[0].last, 1u);
    EXPECT_EQ(prompt.variables[1].element_id, "Intro");
    EXPECT_EQ(prompt.variables[1].first, 2u);
    EXPECT_EQ(
        prompt.text.substr(prompt.variables[1].begin, prompt.variables[1].end - prompt.variables[1].begin),
        "{{2]Intro}}");
}

TEST(ElementMessages, TextThenTranscriptWithoutRepeatsTypingOrIgnoredRows) {
    const json spec = {{"type", "dialog"}, {"text", "Tell me about your day.\n"}};
    const std::vector<sdk::ConversationEntry> history = {
        row("Other", "bot", text("unrelated")),
        row("D1", "bot", text("Tell me about your day.")),
        row("D1", "user", {{"text", "It was fine"}}),
        row("D1", "bot", {{"kind", "typing"}}),
        row("D1", "bot", text("Why only fine?")),
        row("D1", "user", {{"ignored", true}, {"text", "/help"}}),
        row("D1", "user", {{"voice", "file-1"}}),
        row("D1", "user", {{"text", "Rain"}}, 2),
    };
    EXPECT_EQ(element_messages("D1", spec, history),
              (std::vector<std::string>{"Tell me about your day.", "Student: It was fine",
                                        "Bot: Why only fine?", "Student: Rain"}));
    // Not visited yet: just its text.
    EXPECT_EQ(element_messages("D2", {{"text", "Hi"}}, history), std::vector<std::string>{"Hi"});
}

TEST(RenderPrompt, SubstitutesVariablesOfCourseElementsOnly) {
    const std::map<std::string, json> course = {
        {"Input_1", {{"type", "input"}, {"text", "What is your name?"}}},
        {"Dialog_1", {{"type", "dialog"}, {"text", "Let's talk"}}},
    };
    const SourceLookup lookup = [&](const std::string& id) -> const json* {
        auto it = course.find(id);
        return it == course.end() ? nullptr : &it->second;
    };
    const std::vector<sdk::ConversationEntry> history = {
        row("Input_1", "bot", text("What is your name?")),
        row("Input_1", "user", {{"text", "Анна"}}),
        row("Dialog_1", "bot", text("Let's talk")),
        row("Dialog_1", "user", {{"text", "one"}}),
        row("Dialog_1", "bot", text("two")),
        row("Dialog_1", "user", {{"text", "three"}}),
    };
    const std::string prompt =
        "<!-- author's note: {{Input_1}} -->You talk to {{Input_1}}.\n"
        "Start: {{2]Dialog_1}}\nEnd: {{Dialog_1[1}}\nKeep {{Missing_1}} and {{ not a var }}.";
    EXPECT_EQ(render_prompt(compile_prompt(prompt), lookup, history),
              "You talk to What is your name?\nStudent: Анна.\n"
              "Start: Let's talk\nStudent: one\nEnd: Student: three\n"
              "Keep {{Missing_1}} and {{ not a var }}.");
}

TEST(RenderPrompt, TranscriptTextIsNeverReparsed) {
    const json spec = {{"text", "Q"}};
    const SourceLookup lookup = [&](const std::string& id) -> const json* {
        return id == "A" ? &spec : nullptr;
    };
    const std::vector<sdk::ConversationEntry> history = {row("A", "user", {{"text", "{{A}} <!-- x -->"}})};
    EXPECT_EQ(render_prompt(compile_prompt("[{{A}}]"), lookup, history), "[Q\nStudent: {{A}} <!-- x -->]");
}

TEST(SeedTurns, AcceptsRoleContentAndOneKeyItems) {
    const json seed = json::parse(R"([
        {"role": "user", "content": "Hi"},
        {"role": "bot", "text": "Hello"},
        {"assistant": "How are you?"},
        {"user": 42},
        {"role": "narrator", "content": "skipped"},
        "skipped too"
    ])");
    EXPECT_EQ(seed_turns(seed),
              (std::vector<ChatTurn>{
                  {"user", "Hi"}, {"assistant", "Hello"}, {"assistant", "How are you?"}, {"user", "42"}}));
    EXPECT_EQ(seed_item_problem(seed[4]), "'role' must be system, user or assistant, not 'narrator'");
    EXPECT_EQ(seed_item_problem(seed[5]), "must be a mapping such as {role: user, content: ...}");
    EXPECT_EQ(seed_item_problem(json{{"role", "user"}}), "needs 'content' text");
    EXPECT_EQ(seed_item_problem(json{{"user", "a"}, {"assistant", "b"}}),
              "must be {role: ..., content: ...} or one of {user: ...}, {assistant: ...}");
}

TEST(DialogTurns, ThisVisitOnlyWithoutServiceTexts) {
    const std::vector<sdk::ConversationEntry> history = {
        row("D", "bot", text("Old visit"), 1),
        row("D", "user", {{"text", "old"}}, 1),
        row("D", "bot", text("Intro"), 2),
        row("Other", "user", {{"text", "elsewhere"}}, 2),
        row("D", "user", {{"text", " hi "}}, 2),
        row("D", "bot", {{"kind", "typing"}}, 2),
        row("D", "bot", text("Sorry, try again"), 2),
        row("D", "user", {{"voice", "f"}}, 2),
        row("D", "user", {{"text", "hi again"}}, 2),
        row("D", "bot", text("Hello!"), 2),
    };
    EXPECT_EQ(dialog_turns(history, "D", 2, {"Intro\n", "Sorry, try again"}),
              (std::vector<ChatTurn>{{"user", "hi"}, {"user", "hi again"}, {"assistant", "Hello!"}}));
}

TEST(DialogTurns, QueuedMessagesFollowTheAnswerTheyWaitedFor) {
    std::vector<sdk::ConversationEntry> history = {
        row("D", "user", {{"text", "first"}}),
        row("D", "user", {{"text", "second"}, {"queued", true}}),
        row("D", "user", {{"text", "third"}, {"queued", true}}),
    };
    // The answer to "first" was sent in this event and is not in the history yet.
    const std::vector<ChatTurn> expected = {
        {"user", "first"}, {"assistant", "reply"}, {"user", "second"}, {"user", "third"}};
    EXPECT_EQ(dialog_turns(history, "D", 1, {}, std::string("reply")), expected);
    // ... or it is: it must not appear twice.
    history.push_back(row("D", "bot", text("reply")));
    EXPECT_EQ(dialog_turns(history, "D", 1, {}, std::string("reply")), expected);
}

TEST(CheckStop, RemovesMarkersAndTrims) {
    auto s = check_stop("Thanks, that was great! {STOP}");
    EXPECT_TRUE(s.stop);
    EXPECT_EQ(s.text, "Thanks, that was great!");
    s = check_stop("{STOP}");
    EXPECT_TRUE(s.stop);
    EXPECT_EQ(s.text, "");
    s = check_stop("Пока! #конецдиалога");
    EXPECT_TRUE(s.stop);
    EXPECT_EQ(s.text, "Пока!");
    // Unicode spaces around the marker go too, as everywhere typed text is trimmed.
    s = check_stop("Пока!\u00a0{STOP}\u3000");
    EXPECT_TRUE(s.stop);
    EXPECT_EQ(s.text, "Пока!");
    s = check_stop("  Keep going, say STOP when done ");
    EXPECT_FALSE(s.stop);
    EXPECT_EQ(s.text, "Keep going, say STOP when done");
}

}  // namespace
}  // namespace profo::elements::dialog
