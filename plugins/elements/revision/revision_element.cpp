#include "revision_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>
#include <profo/sdk/toolkit/graded_answers.hpp>
#include "replay_queue.hpp"

#include <profo/sdk/plugin.hpp>

#include <algorithm>

namespace profo::elements {

namespace {

std::vector<GradedAnswer> answers_under_prefix(sdk::ElementContext& ctx) {
    return latest_graded_answers(ctx.history(), ctx.spec_as<RevisionSpec>().prefix, ctx.course_order());
}

// Calls the next element of the queue kept in the state, or goes on after the
// revision when the queue is empty.
sdk::Outcome replay_next(sdk::ElementContext& ctx) {
    nlohmann::json& state = ctx.state();
    if (!state.is_object() || !state.contains("queue") || !state["queue"].is_array() ||
        state["queue"].empty())
        return sdk::Outcome::next();
    nlohmann::json& queue = state["queue"];
    const std::string element = queue.front().is_string() ? queue.front().get<std::string>() : "";
    queue.erase(queue.begin());
    if (element.empty() || ctx.element_source(element) == nullptr) return replay_next(ctx);
    return sdk::Outcome::call(element);
}

sdk::Outcome start_replay(sdk::ElementContext& ctx) {
    std::vector<GradedAnswer> answers = answers_under_prefix(ctx);
    std::erase_if(answers, [&](const GradedAnswer& a) { return a.element_id == ctx.element_id(); });
    ctx.state() = {{"queue", replay_queue(answers, ctx.random_seed())}};
    return replay_next(ctx);
}

}  // namespace

std::vector<std::string> RevisionElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json RevisionElement::json_schema() const {
    return element_schema(
        "revision",
        "Replays this run's mistakes among the elements whose id starts with `prefix` (latest score below "
        "1), "
        "then up to two correctly answered ones, each graded again; afterwards the course continues after "
        "the "
        "revision. Without mistakes it sends `no_mistakes` and continues.",
        {{"prefix", text_schema("Element id prefix of the answers to revise.")},
         {"text", text_schema("Sent before the replay.")},
         {"no_mistakes", text_schema("Sent when there is nothing to revise.")},
         {"button", text_schema("Label of the button that starts the replay; without it the replay starts at "
                                "once.")}},
        {"prefix"}, CommonFields::formatting);
}

std::unique_ptr<sdk::ElementSpec> RevisionElement::compile(const nlohmann::json& fields,
                                                           const sdk::CourseOutline&,
                                                           sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    check_text(fields, "prefix", Presence::required, checked);
    check_text(fields, "text", Presence::optional, checked);
    check_text(fields, "no_mistakes", Presence::optional, checked);
    if (field_value(fields, "button") != nullptr) {
        // The legacy bot took such a revision; Telegram needs a message under a button.
        if (check_text(fields, "button", Presence::required, checked) && !text_field(fields, "text"))
            checked.warning("text", "'button' without 'text': the button's label is sent as the message");
    }
    check_common_fields(fields, CommonFields::formatting, checked);
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<RevisionSpec>();
    spec->style = message_style(fields);
    spec->prefix = text_field(fields, "prefix").value_or("");
    spec->text = text_field(fields, "text");
    spec->no_mistakes = text_field(fields, "no_mistakes");
    spec->button = text_field(fields, "button");
    return spec;
}

sdk::Outcome RevisionElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<RevisionSpec>();
    const std::vector<GradedAnswer> answers = answers_under_prefix(ctx);
    const bool mistaken = std::any_of(answers.begin(), answers.end(), [&](const GradedAnswer& a) {
        return a.mistaken() && a.element_id != ctx.element_id();
    });
    if (!mistaken) {
        send_text(ctx, spec.style, spec.no_mistakes);
        return sdk::Outcome::next();
    }
    if (spec.button) {
        ctx.send(text_action(spec.style, spec.text.value_or(*spec.button), {*spec.button}));
        return sdk::Outcome::wait();
    }
    send_text(ctx, spec.style, spec.text);
    return start_replay(ctx);
}

sdk::Outcome RevisionElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    const auto& spec = ctx.spec_as<RevisionSpec>();
    const bool started = ctx.state().is_object() && ctx.state().contains("queue");
    if (!spec.button || started || event.kind != sdk::Event::Kind::button || event.index != 0)
        return sdk::Outcome::ignored();
    record_press(ctx, event.index, *spec.button);
    return start_replay(ctx);
}

sdk::Outcome RevisionElement::on_return(sdk::ElementContext& ctx) {
    return replay_next(ctx);
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::RevisionElement, element)
