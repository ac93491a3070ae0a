// The engine's part of a run: Run.state_json as described in
// docs/course-runtime.md, and the run's score read from its history.
#pragma once

#include <profo/sdk/storage.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace profo::host {

// What the element the run is at waits for; docs/course-runtime.md.
enum class Waiting {
    nothing,   // the run is not waiting (it just started, or ended)
    input,     // an answer typed in the chat
    button,    // a press of one of the buttons it sent
    poll,      // an answer to the poll it sent
    timer,     // a durable timer it scheduled
    deferred,  // the result of work it deferred (an LLM call)
};
std::string_view to_string(Waiting waiting) noexcept;
// Empty for a name this build does not know.
std::optional<Waiting> parse_waiting(std::string_view name) noexcept;

struct RunState {
    sdk::Id version = 0;                // the course version the run plays, fixed at start
    std::int64_t activation = 0;        // +1 on every element entry and every return from a call
    std::map<std::string, int> visits;  // entries per element: ElementContext::attempt()
    // ElementContext::state() of the elements still in play (the current one
    // and the callers on the stack); objects keep references stable.
    nlohmann::json states = nlohmann::json::object();
    std::vector<std::string> stack;  // callers waiting in on_return(), innermost last
    Waiting waiting = Waiting::nothing;
    bool timers = false;  // the run may have pending durable timers
    // The run waits for the student's email address before its first element.
    bool email_pending = false;
    std::string email;  // the address the student gave, when the deployment asks for one
    // The start of another deployment the student was asked to confirm:
    // {"prompt": <number on its buttons>, "payload": <start link>, "username": ...};
    // null when none waits.
    nlohmann::json pending_switch;
    // When unblocking the bot took the run up again (its element entered
    // anew); a resume right after it has nothing to show.
    std::optional<sdk::Millis> taken_up_at;

    // Missing keys take their defaults, so "{}" is a fresh state. Throws
    // std::exception (nlohmann's or runtime_error) for anything else.
    static RunState parse(const std::string& state_json);
    // parse() for any form JSON allows; parse() reads the form dump() writes
    // by a faster way first. For the tests and the fuzz target that hold
    // the two to the same results.
    static RunState parse_streamed(const std::string& state_json);
    std::string dump() const;
};

struct RunScore {
    double score = 0;
    double maxscore = 0;
    int graded_elements = 0;
};

// Sum over the latest graded row (non-null score) of every element that
// `counts`: the elements whose plugin is graded(), so that a `test`
// element's summary of other elements' scores is not added to them again.
RunScore run_score(const std::vector<sdk::ConversationEntry>& history,
                   const std::function<bool(const std::string& element_id)>& counts);

}  // namespace profo::host
