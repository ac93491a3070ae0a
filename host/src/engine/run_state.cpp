#include "engine/run_state.hpp"

#include <stdexcept>
#include <unordered_map>

namespace profo::host {

std::string_view to_string(Waiting waiting) noexcept {
    switch (waiting) {
        case Waiting::nothing: return "";
        case Waiting::input: return "input";
        case Waiting::button: return "button";
        case Waiting::poll: return "poll";
        case Waiting::timer: return "timer";
        case Waiting::deferred: return "deferred";
    }
    return "";
}

std::optional<Waiting> parse_waiting(std::string_view name) noexcept {
    for (const auto w : {Waiting::nothing, Waiting::input, Waiting::button, Waiting::poll, Waiting::timer,
                         Waiting::deferred})
        if (to_string(w) == name) return w;
    return std::nullopt;
}

RunState RunState::parse(const std::string& state_json) {
    RunState state;
    auto j = nlohmann::json::parse(state_json);
    if (!j.is_object()) throw std::runtime_error("run state is not a JSON object: " + state_json);
    state.version = j.value("version", sdk::Id{0});
    state.activation = j.value("activation", std::int64_t{0});
    if (auto it = j.find("visits"); it != j.end())
        for (const auto& [id, n] : it->items()) state.visits[id] = n.get<int>();
    if (auto it = j.find("states"); it != j.end() && it->is_object()) state.states = std::move(*it);
    if (auto it = j.find("stack"); it != j.end())
        for (const auto& frame : *it) state.stack.push_back(frame.at("element").get<std::string>());
    const std::string waiting = j.value("waiting", std::string());
    const auto known = parse_waiting(waiting);
    if (!known) throw std::runtime_error("run state waits for an unknown '" + waiting + "'");
    state.waiting = *known;
    state.timers = j.value("timers", false);
    state.email_pending = j.value("email_pending", false);
    state.email = j.value("email", std::string());
    if (auto it = j.find("pending_switch"); it != j.end() && it->is_object())
        state.pending_switch = std::move(*it);
    if (auto it = j.find("taken_up_at"); it != j.end()) state.taken_up_at = it->get<sdk::Millis>();
    return state;
}

// Written field by field rather than through a json object, which would
// copy every element's state once more for every event; the text is what
// nlohmann::json would write for that object (keys in its sorted order).
std::string RunState::dump() const {
    std::string out = "{\"activation\":" + std::to_string(activation);
    const auto field = [&out](std::string_view name) {
        out += ",\"";
        out += name;
        out += "\":";
    };
    const auto text = [&out](const std::string& value) { out += nlohmann::json(value).dump(); };
    if (!email.empty()) {
        field("email");
        text(email);
    }
    if (email_pending) {
        field("email_pending");
        out += "true";
    }
    if (pending_switch.is_object()) {
        field("pending_switch");
        out += pending_switch.dump();
    }
    field("stack");
    out += '[';
    for (std::size_t i = 0; i < stack.size(); ++i) {
        out += i == 0 ? "{\"element\":" : ",{\"element\":";
        text(stack[i]);
        out += '}';
    }
    out += ']';
    // Entered elements start with a null state; storing those would only grow the row.
    field("states");
    out += '{';
    bool first = true;
    for (const auto& [id, s] : states.items()) {
        if (s.is_null()) continue;
        if (!first) out += ',';
        first = false;
        text(id);
        out += ':';
        out += s.dump();
    }
    out += '}';
    if (taken_up_at) {
        field("taken_up_at");
        out += std::to_string(*taken_up_at);
    }
    if (timers) {
        field("timers");
        out += "true";
    }
    field("version");
    out += std::to_string(version);
    field("visits");
    out += '{';
    first = true;
    for (const auto& [id, n] : visits) {
        if (!first) out += ',';
        first = false;
        text(id);
        out += ':';
        out += std::to_string(n);
    }
    out += '}';
    if (waiting != Waiting::nothing) {
        field("waiting");
        out += '"';
        out += to_string(waiting);
        out += '"';
    }
    out += '}';
    return out;
}

RunScore run_score(const std::vector<sdk::ConversationEntry>& history,
                   const std::function<bool(const std::string& element_id)>& counts) {
    std::unordered_map<std::string, const sdk::ConversationEntry*> latest;
    for (const auto& row : history)
        if (row.score && counts(row.element_id)) latest[row.element_id] = &row;
    RunScore total;
    for (const auto& [id, row] : latest) {
        total.score += *row->score;
        total.maxscore += row->maxscore.value_or(0);
        ++total.graded_elements;
    }
    return total;
}

}  // namespace profo::host
