#include <profo/sdk/toolkit/option_buttons.hpp>

#include <profo/sdk/json_input.hpp>

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/quiet_hours.hpp>

#include <profo/sdk/course_values.hpp>

namespace profo::elements {

namespace {

// Telegram's limit on the buttons of one message.
constexpr std::size_t kMaxOptions = 100;

const nlohmann::json* options_of(const nlohmann::json& spec) {
    const nlohmann::json* options = field_value(spec, "options");
    return options != nullptr && options->is_array() ? options : nullptr;
}

sdk::Outcome continue_after(const std::string& target) {
    return target.empty() ? sdk::Outcome::next() : sdk::Outcome::go_to(target);
}

}  // namespace

void check_options(const nlohmann::json& spec, Presence presence, const sdk::CourseOutline& course,
                   sdk::ValidationReport& report) {
    const nlohmann::json* options = field_value(spec, "options");
    if (options == nullptr) {
        if (presence == Presence::required) report.error("options", "'options' is required");
        return;
    }
    if (!options->is_array() || options->empty() || options->size() > kMaxOptions) {
        report.error("options", "'options' must be a list of 1 to " + std::to_string(kMaxOptions) +
                                    " options, each with a 'text'");
        return;
    }
    for (std::size_t i = 0; i < options->size(); ++i) {
        const nlohmann::json& option = (*options)[i];
        const std::string prefix = "options[" + std::to_string(i) + "].";
        if (!option.is_object()) {
            report.error(
                prefix.substr(0, prefix.size() - 1),
                field_name(prefix.substr(0, prefix.size() - 1)) + " must be a mapping with a 'text'");
            continue;
        }
        check_text(option, "text", Presence::required, report, prefix);
        check_goto(option, "goto", Presence::optional, course, report, prefix);
        check_duration(option, "wait", Presence::optional, report, prefix);
        check_text(option, "wait_text", Presence::optional, report, prefix);
        if (field_value(option, "wait") == nullptr && field_value(option, "wait_text") != nullptr)
            report.warning(prefix + "wait_text",
                           field_name(prefix + "wait_text") + " is only sent by an option with a 'wait'");
        warn_unknown_fields(option, {"text", "goto", "wait", "wait_text"}, prefix, report);
    }
}

nlohmann::json options_schema() {
    return {
        {"type", "array"},
        {"minItems", 1},
        {"maxItems", kMaxOptions},
        {"description",
         "One button per option. Pressing it goes to `goto`; with `wait` it sends `wait_text` and continues "
         "after that time (at `goto` if given, else with the next element); with neither, the next element."},
        {"items",
         {{"type", "object"},
          {"required", {"text"}},
          {"properties",
           {{"text", text_schema("The button label.")},
            {"goto", element_id_schema("The element to continue at.")},
            {"wait", duration_schema("How long to wait before continuing")},
            {"wait_text", text_schema("Sent when the option starts waiting.")}}}}}};
}

bool has_options(const nlohmann::json& spec) {
    return options_of(spec) != nullptr;
}

std::vector<std::string> option_labels(const nlohmann::json& spec) {
    std::vector<std::string> labels;
    if (const nlohmann::json* options = options_of(spec)) {
        for (const auto& option : *options) labels.push_back(text_field(option, "text").value_or(""));
    }
    return labels;
}

OptionChoice choose_option(const nlohmann::json& spec, int index) {
    OptionChoice choice;
    const nlohmann::json* options = options_of(spec);
    if (options == nullptr || index < 0 || static_cast<std::size_t>(index) >= options->size()) return choice;
    const nlohmann::json& option = (*options)[static_cast<std::size_t>(index)];
    choice.label = text_field(option, "text").value_or("");
    choice.target = text_field(option, "goto").value_or("");
    const nlohmann::json* wait = field_value(option, "wait");
    std::optional<std::chrono::seconds> duration;
    if (wait != nullptr && wait->is_string()) duration = sdk::parse_duration(wait->get<std::string>());
    if (duration) {
        choice.kind = OptionChoice::Kind::wait;
        choice.wait = *duration;
        choice.wait_text = text_field(option, "wait_text");
    } else {
        choice.kind = choice.target.empty() ? OptionChoice::Kind::next : OptionChoice::Kind::go_to;
    }
    return choice;
}

std::vector<std::string> OptionButtons::labels() const {
    std::vector<std::string> out;
    out.reserve(choices.size());
    for (const auto& choice : choices) out.push_back(choice.label);
    return out;
}

OptionButtons read_options(const nlohmann::json& spec) {
    OptionButtons out;
    if (const nlohmann::json* options = options_of(spec))
        for (std::size_t i = 0; i < options->size(); ++i)
            out.choices.push_back(choose_option(spec, static_cast<int>(i)));
    return out;
}

namespace {

const OptionChoice* choice_at(const OptionButtons& options, int index) {
    if (index < 0 || static_cast<std::size_t>(index) >= options.choices.size()) return nullptr;
    return &options.choices[static_cast<std::size_t>(index)];
}

}  // namespace

sdk::Outcome on_option_event(sdk::ElementContext& ctx, const MessageStyle& style,
                             const OptionButtons& options, const sdk::Event& event) {
    if (event.kind == sdk::Event::Kind::timer) {
        // The payload names the option that started the wait, so a later
        // press of another waiting option cannot change where this one goes.
        const nlohmann::json payload = sdk::parse_json_input(event.data);
        if (!payload.is_object() || !payload.contains("option") || !payload["option"].is_number_integer())
            return sdk::Outcome::ignored();
        const OptionChoice* choice = choice_at(options, payload["option"].get<int>());
        if (choice == nullptr || choice->kind != OptionChoice::Kind::wait) return sdk::Outcome::ignored();
        return continue_after(choice->target);
    }
    if (event.kind != sdk::Event::Kind::button) return sdk::Outcome::ignored();

    const OptionChoice* found = choice_at(options, event.index);
    if (found == nullptr || found->kind == OptionChoice::Kind::invalid) return sdk::Outcome::ignored();
    const OptionChoice& choice = *found;
    record_press(ctx, event.index, choice.label);
    switch (choice.kind) {
        case OptionChoice::Kind::go_to: return sdk::Outcome::go_to(choice.target);
        case OptionChoice::Kind::wait:
            send_text(ctx, style, choice.wait_text);
            ctx.schedule(due_outside_quiet_hours(ctx, ctx.now() + choice.wait), {{"option", event.index}});
            return sdk::Outcome::wait();
        default: return sdk::Outcome::next();
    }
}

}  // namespace profo::elements
