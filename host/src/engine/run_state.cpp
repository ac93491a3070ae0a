#include "engine/run_state.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

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

namespace {

using json = nlohmann::json;

// Builds one json value from parser events: a part of the state the engine
// keeps as json (the elements' states, a pending switch), or one it skips.
class ValueBuilder {
public:
    // clang-tidy cannot see that json's default constructor, not marked
    // noexcept, throws nothing for a null value.
    ValueBuilder() = default;  // NOLINT(bugprone-exception-escape)
    // Holds pointers into itself.
    ValueBuilder(const ValueBuilder&) = delete;
    ValueBuilder& operator=(const ValueBuilder&) = delete;

    // Whether the value is complete.
    bool done() const { return started_ && open_.empty(); }
    json take() { return std::move(root_); }

    void scalar(json value) { place(std::move(value)); }
    void open(json container) { open_.push_back(place(std::move(container))); }
    void key(std::string name) { key_ = std::move(name); }
    void close() { open_.pop_back(); }

private:
    json* place(json value) {
        if (open_.empty()) {
            started_ = true;
            root_ = std::move(value);
            return &root_;
        }
        json& parent = *open_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        json& slot = parent[key_];  // a repeated key: the last one stands, as json::parse has it
        slot = std::move(value);
        return &slot;
    }

    json root_;
    std::vector<json*> open_;
    std::string key_;
    bool started_ = false;
};

// A whole number of type Int: an integer in its range, or a number with a
// fraction (cut, as json's get<>() does) in its range. A conversion out of
// range would be undefined, and wrapping would only misread the row.
template <class Int>
Int whole_number(const json& v, const std::string& what) {
    constexpr auto low = std::numeric_limits<Int>::min();
    constexpr auto high = std::numeric_limits<Int>::max();
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(high))
            throw std::runtime_error("run state: " + what + " is out of range");
        return static_cast<Int>(u);
    }
    if (v.is_number_integer()) {
        const auto i = v.get<std::int64_t>();
        if (i < low || i > high) throw std::runtime_error("run state: " + what + " is out of range");
        return static_cast<Int>(i);
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        // -low is 2^(bits-1) exactly as a double: [low, -low) is the range.
        if (!(d >= static_cast<double>(low) && d < -static_cast<double>(low)))
            throw std::runtime_error("run state: " + what + " is out of range");
        return static_cast<Int>(d);
    }
    throw std::runtime_error("run state: " + what + " is not a number");
}

// Reads a state as the parser streams it (nlohmann's SAX interface):
// parsing it into a json document first, and reading that, cost an event
// more than anything else the engine does with it. Only the elements' states
// and a pending switch become json. What it accepts and refuses is what
// reading the document did: missing keys take their defaults, unknown keys
// are skipped, a repeated key's last value stands, a value of the wrong type
// is refused.
class StateReader {
public:
    StateReader(RunState& state, const std::string& text) : state_(state), text_(text) {}

    bool null() { return value(nullptr); }
    bool boolean(bool v) { return value(v); }
    bool number_integer(json::number_integer_t v) { return value(v); }
    bool number_unsigned(json::number_unsigned_t v) { return value(v); }
    bool number_float(json::number_float_t v, const json::string_t&) { return value(v); }
    bool string(json::string_t& v) { return value(std::move(v)); }
    bool binary(json::binary_t&) { throw std::runtime_error("run state holds binary data"); }

    bool start_object(std::size_t) {
        if (capture_) {
            capture_->open(json::object());
            return true;
        }
        switch (at_) {
            case At::start: at_ = At::top; return true;
            case At::top:
                if (key_ == "visits") {
                    state_.visits.clear();
                    at_ = At::visits;
                    return true;
                }
                return start_capture(json::object());
            case At::stack:
                element_.reset();
                at_ = At::frame;
                return true;
            case At::frame:
                if (key_ == "element") refuse("a stack frame's element is not a string");
                return start_capture(json::object());
            case At::visits: refuse("a visit count is not a number");
            case At::end: refuse_document();
        }
        return true;
    }
    bool key(json::string_t& name) {
        if (capture_)
            capture_->key(std::move(name));
        else
            key_ = std::move(name);
        return true;
    }
    bool end_object() {
        if (capture_) {
            capture_->close();
            return finish_capture();
        }
        switch (at_) {
            case At::top: at_ = At::end; break;
            case At::visits: at_ = At::top; break;
            case At::frame:
                if (!element_) refuse("a stack frame names no element");
                state_.stack.push_back(std::move(*element_));
                at_ = At::stack;
                break;
            default: break;
        }
        return true;
    }
    bool start_array(std::size_t) {
        if (capture_) {
            capture_->open(json::array());
            return true;
        }
        switch (at_) {
            case At::start: refuse_document();
            case At::top:
                if (key_ == "stack") {
                    state_.stack.clear();
                    at_ = At::stack;
                    return true;
                }
                if (key_ == "visits") refuse("visits is not an object");
                return start_capture(json::array());
            case At::frame:
                if (key_ == "element") refuse("a stack frame's element is not a string");
                return start_capture(json::array());
            case At::stack: refuse("a stack frame is not an object");
            case At::visits: refuse("a visit count is not a number");
            case At::end: refuse_document();
        }
        return true;
    }
    bool end_array() {
        if (capture_) {
            capture_->close();
            return finish_capture();
        }
        at_ = At::top;  // only the stack is an array read here
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const json::exception& e) {
        throw std::runtime_error(std::string("run state is not JSON: ") + e.what());
    }

    void finish() {
        const auto known = parse_waiting(waiting_);
        if (!known) throw std::runtime_error("run state waits for an unknown '" + waiting_ + "'");
        state_.waiting = *known;
    }

private:
    enum class At { start, top, visits, stack, frame, end };

    [[noreturn]] void refuse_document() const {
        throw std::runtime_error("run state is not a JSON object: " + text_);
    }
    [[noreturn]] static void refuse(const std::string& why) { throw std::runtime_error("run state: " + why); }

    bool start_capture(json container) {
        capture_.emplace();
        capture_->open(std::move(container));
        return true;
    }
    bool finish_capture() {
        if (!capture_->done()) return true;
        json captured = capture_->take();
        capture_.reset();
        return value(std::move(captured));
    }

    // A whole value: a scalar, or a container captured as json.
    bool value(json v) {
        if (capture_) {
            capture_->scalar(std::move(v));
            return finish_capture();
        }
        switch (at_) {
            case At::start:
            case At::end: refuse_document();
            case At::top: top(std::move(v)); break;
            case At::visits: state_.visits[key_] = whole_number<int>(v, "a visit count"); break;
            case At::frame:
                if (key_ == "element") element_ = v.get<std::string>();
                break;
            case At::stack: refuse("a stack frame is not an object");
        }
        return true;
    }

    void top(json v) {
        if (key_ == "version") {
            state_.version = whole_number<sdk::Id>(v, "version");
        } else if (key_ == "activation") {
            state_.activation = whole_number<std::int64_t>(v, "activation");
        } else if (key_ == "visits") {
            if (!v.is_null()) refuse("visits is not an object");
            state_.visits.clear();
        } else if (key_ == "states") {
            state_.states = v.is_object() ? std::move(v) : json::object();
        } else if (key_ == "stack") {
            if (!v.is_null()) refuse("the stack is not a list");
            state_.stack.clear();
        } else if (key_ == "waiting") {
            waiting_ = v.get<std::string>();
        } else if (key_ == "timers") {
            state_.timers = v.get<bool>();
        } else if (key_ == "email_pending") {
            state_.email_pending = v.get<bool>();
        } else if (key_ == "email") {
            state_.email = v.get<std::string>();
        } else if (key_ == "pending_switch") {
            state_.pending_switch = v.is_object() ? std::move(v) : json();
        } else if (key_ == "taken_up_at") {
            state_.taken_up_at = whole_number<sdk::Millis>(v, "taken_up_at");
        }
    }

    RunState& state_;
    const std::string& text_;
    At at_ = At::start;
    std::string key_;  // the key at the level being read
    std::optional<ValueBuilder> capture_;
    std::optional<std::string> element_;
    std::string waiting_;
};

// A byte nlohmann writes into a JSON string as itself: printable ASCII
// other than the quote and the backslash. dump() writes names of these
// bytes without nlohmann, and WrittenFormReader reads only such names.
bool written_as_is(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u <= 0x7f && c != '"' && c != '\\';
}

// Reads the text dump() writes, and nothing else: its keys in its order,
// no space, whole numbers in their field's range, names and the email in
// printable ASCII without escapes. Every event reads back the state the last
// one wrote, and this reads it in a fraction of StateReader's time (a token
// of nlohmann's lexer and a json value for every number and name). Any other
// form is StateReader's; the fuzz target holds the two to the same results.
class WrittenFormReader {
public:
    explicit WrittenFormReader(std::string_view text) : at_(text.data()), end_(text.data() + text.size()) {}

    // False, with `state` half filled, when the text is not in dump()'s form.
    bool read(RunState& state) {
        if (!literal("{\"activation\":") || !whole(state.activation)) return false;
        if (literal(",\"email\":") && (!name(state.email) || state.email.empty())) return false;
        if (literal(",\"email_pending\":true")) state.email_pending = true;
        if (literal(",\"pending_switch\":") && !object(state.pending_switch)) return false;
        if (!literal(",\"stack\":[")) return false;
        if (!literal("]")) {
            do {
                std::string element;
                if (!literal("{\"element\":") || !name(element) || !literal("}")) return false;
                state.stack.push_back(std::move(element));
            } while (literal(","));
            if (!literal("]")) return false;
        }
        if (!literal(",\"states\":") || !object(state.states)) return false;
        if (literal(",\"taken_up_at\":") && !whole(state.taken_up_at.emplace())) return false;
        if (literal(",\"timers\":true")) state.timers = true;
        if (!literal(",\"version\":") || !whole(state.version)) return false;
        if (!literal(",\"visits\":{")) return false;
        if (!literal("}")) {
            do {
                std::string element;
                int visits = 0;
                if (!name(element) || !literal(":") || !whole(visits)) return false;
                state.visits[std::move(element)] = visits;
            } while (literal(","));
            if (!literal("}")) return false;
        }
        if (literal(",\"waiting\":")) {
            std::string waiting;
            if (!name(waiting)) return false;
            const auto known = parse_waiting(waiting);
            if (!known || *known == Waiting::nothing) return false;
            state.waiting = *known;
        }
        return literal("}") && at_ == end_;
    }

private:
    bool literal(std::string_view expected) {
        if (static_cast<std::size_t>(end_ - at_) < expected.size() ||
            std::string_view(at_, expected.size()) != expected)
            return false;
        at_ += expected.size();
        return true;
    }

    // JSON's form of a whole number (no leading zero, no "-0", no fraction
    // or exponent), in Int's range.
    template <class Int>
    bool whole(Int& out) {
        const bool negative = at_ != end_ && *at_ == '-';
        if (negative) ++at_;
        if (at_ == end_ || *at_ < '0' || *at_ > '9' || (*at_ == '0' && negative)) return false;
        const auto limit = negative ? static_cast<std::uint64_t>(-(std::numeric_limits<Int>::min() + 1)) + 1
                                    : static_cast<std::uint64_t>(std::numeric_limits<Int>::max());
        std::uint64_t value = 0;
        const char* first = at_;
        while (at_ != end_ && *at_ >= '0' && *at_ <= '9') {
            const auto digit = static_cast<std::uint64_t>(*at_ - '0');
            if (value > (limit - digit) / 10) return false;
            value = value * 10 + digit;
            ++at_;
        }
        if (*first == '0' && at_ - first > 1) return false;
        if (at_ != end_ && (*at_ == '.' || *at_ == 'e' || *at_ == 'E')) return false;
        out =
            negative ? static_cast<Int>(-static_cast<std::int64_t>(value - 1) - 1) : static_cast<Int>(value);
        return true;
    }

    bool name(std::string& out) {
        if (!literal("\"")) return false;
        const char* first = at_;
        while (at_ != end_ && *at_ != '"') {
            if (!written_as_is(*at_)) return false;
            ++at_;
        }
        if (at_ == end_) return false;
        out.assign(first, at_);
        ++at_;
        return true;
    }

    // An object, whole, read by json::parse (element states and a pending
    // switch are any JSON); its extent is found first, strings skipped.
    bool object(json& out) {
        if (at_ == end_ || *at_ != '{') return false;
        const char* first = at_;
        if (literal("{}")) {
            out = json::object();
            return true;
        }
        int depth = 0;
        bool in_string = false;
        for (; at_ != end_; ++at_) {
            const char c = *at_;
            if (in_string) {
                if (c == '\\') {
                    if (++at_ == end_) return false;
                } else if (c == '"') {
                    in_string = false;
                }
            } else if (c == '"') {
                in_string = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                ++at_;
                break;
            }
        }
        if (depth != 0) return false;
        out = json::parse(first, at_, nullptr, false);
        return out.is_object();
    }

    const char* at_;
    const char* end_;
};

}  // namespace

RunState RunState::parse(const std::string& state_json) {
    RunState state;
    if (WrittenFormReader(state_json).read(state)) return state;
    return parse_streamed(state_json);
}

RunState RunState::parse_streamed(const std::string& state_json) {
    RunState state;
    StateReader reader(state, state_json);
    json::sax_parse(state_json, &reader);
    reader.finish();
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
    const auto text = [&out](const std::string& value) {
        // Names are mostly printable ASCII, which nlohmann writes as it is.
        if (!std::all_of(value.begin(), value.end(), written_as_is)) {
            out += nlohmann::json(value).dump();
            return;
        }
        out += '"';
        out += value;
        out += '"';
    };
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
