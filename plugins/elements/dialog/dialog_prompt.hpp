// What the dialog sends to the model, computed from the course and the run's
// history alone (no I/O), so it is unit-tested without an engine: the system
// prompt with its {{...}} variables, the seed conversation and the turns of
// this dialog so far.
#pragma once

#include <profo/sdk/storage.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace profo::elements::dialog {

struct ChatTurn {
    std::string role;  // system | user | assistant
    std::string content;
    bool operator==(const ChatTurn&) const = default;
};

// Removes every `<!-- ... -->`; an unclosed comment runs to the end.
std::string strip_html_comments(std::string_view text);

// A prompt variable: {{id}}, {{N]id}} (first N messages), {{id[M}} (last M).
struct PromptVariable {
    std::size_t begin = 0;  // offset of "{{"
    std::size_t end = 0;    // offset just past "}}"
    std::string element_id;
    std::optional<std::size_t> first;
    std::optional<std::size_t> last;
};
std::vector<PromptVariable> prompt_variables(std::string_view prompt);

// A prompt as the course version compiles it: comments stripped and the
// variables found once, so a run only fills them in.
struct PromptTemplate {
    std::string text;  // without comments
    std::vector<PromptVariable> variables;
};
PromptTemplate compile_prompt(std::string_view prompt);

// The messages {{id}} stands for: the element's own text (from its fields as
// written), then what was said at that element in this run (every attempt),
// oldest first. Bot messages are "Bot: ...", the student's "Student: ...";
// the element's text is unlabelled.
std::vector<std::string> element_messages(const std::string& element_id, const nlohmann::json& source,
                                          const std::vector<sdk::ConversationEntry>& history);

// The system prompt: each variable of an element of the course replaced by
// its messages (joined by newlines). Variables naming no element are left as
// written: they may be literal text.
using SourceLookup = std::function<const nlohmann::json*(const std::string& element_id)>;
std::string render_prompt(const PromptTemplate& prompt, const SourceLookup& source_of,
                          const std::vector<sdk::ConversationEntry>& history);

// The seed conversation of an element (`conversation:`), as turns. Accepts
// {role, content} (or `text`) items and one-key items {user: ...},
// {assistant: ...} (`bot` is the assistant). Items that fit neither are
// skipped; compile() reports them.
std::vector<ChatTurn> seed_turns(const nlohmann::json& conversation);
// Why one seed item is not usable; empty when it is.
std::string seed_item_problem(const nlohmann::json& item);

// The turns of this dialog visit (rows of `element_id` with `attempt`):
// student texts as user turns, bot texts as assistant turns except the
// `service_texts` (the intro, apologies). A student message that arrived while
// an answer was pending (payload "queued": true) is placed after that answer,
// because that is the order in which the model must see them. `unrecorded_reply`
// is a reply sent in this very event that the history may not show yet.
std::vector<ChatTurn> dialog_turns(const std::vector<sdk::ConversationEntry>& history,
                                   const std::string& element_id, int attempt,
                                   const std::set<std::string>& service_texts,
                                   const std::optional<std::string>& unrecorded_reply = std::nullopt);

// `{STOP}` or `#конецдиалога` in a reply ends the dialog; both are removed
// from what the student sees.
struct StopCheck {
    bool stop = false;
    std::string text;  // the reply without the markers, trimmed
};
StopCheck check_stop(std::string_view reply);

}  // namespace profo::elements::dialog
