// Element toolkit: `options` as `jump` defines them and `message` reuses them: each option is a
// button; pressing it goes to `goto`, or waits `wait` (after sending
// `wait_text`) and then goes on with `goto` or the next element, or simply
// goes on with the next element.
#pragma once

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/element.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace profo::elements {

void check_options(const nlohmann::json& spec, Presence presence, const sdk::CourseOutline& course,
                   sdk::ValidationReport& report);
nlohmann::json options_schema();

bool has_options(const nlohmann::json& spec);
// Button labels, one per option, in order.
std::vector<std::string> option_labels(const nlohmann::json& spec);

// What pressing option `index` does.
struct OptionChoice {
    enum class Kind { invalid, next, go_to, wait } kind = Kind::invalid;
    std::string label;
    std::string target;  // go_to, or wait with a goto: where to continue
    std::chrono::seconds wait{0};
    std::optional<std::string> wait_text;
};
OptionChoice choose_option(const nlohmann::json& spec, int index);

// Every option of an element, read once when it is compiled.
struct OptionButtons {
    std::vector<OptionChoice> choices;
    bool empty() const { return choices.empty(); }
    std::vector<std::string> labels() const;
};
// Reads checked `options` (check_options); empty when there are none.
OptionButtons read_options(const nlohmann::json& spec);

// The event handling of an element whose buttons are its options: a press is
// recorded and acted on; the timer of a waiting option continues the run.
sdk::Outcome on_option_event(sdk::ElementContext& ctx, const MessageStyle& style,
                             const OptionButtons& options, const sdk::Event& event);

}  // namespace profo::elements
