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
    return latest_graded_answers(ctx.history(), text_field(ctx.spec(), "prefix").value_or(""),
                                 ctx.course_order());
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
    if (element.empty() || ctx.element_spec(element) == nullptr) return replay_next(ctx);
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

void RevisionElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                               sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "prefix", Presence::required, report);
    check_text(spec, "text", Presence::optional, report);
    check_text(spec, "no_mistakes", Presence::optional, report);
    if (field_value(spec, "button") != nullptr) {
        if (check_text(spec, "button", Presence::required, report) && !text_field(spec, "text"))
            report.error("text", "'text' is required with 'button': the button needs a message to go with");
    }
    check_common_fields(spec, CommonFields::formatting, report);
}

sdk::Outcome RevisionElement::enter(sdk::ElementContext& ctx) {
    const std::vector<GradedAnswer> answers = answers_under_prefix(ctx);
    const bool mistaken = std::any_of(answers.begin(), answers.end(), [&](const GradedAnswer& a) {
        return a.mistaken() && a.element_id != ctx.element_id();
    });
    if (!mistaken) {
        send_text(ctx, text_field(ctx.spec(), "no_mistakes"));
        return sdk::Outcome::next();
    }
    if (auto button = text_field(ctx.spec(), "button")) {
        ctx.send(text_action(ctx.spec(), text_field(ctx.spec(), "text").value_or(""), {*button}));
        return sdk::Outcome::wait();
    }
    send_text(ctx, text_field(ctx.spec(), "text"));
    return start_replay(ctx);
}

sdk::Outcome RevisionElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    auto button = text_field(ctx.spec(), "button");
    const bool started = ctx.state().is_object() && ctx.state().contains("queue");
    if (!button || started || event.kind != sdk::Event::Kind::button || event.index != 0)
        return sdk::Outcome::ignored();
    record_press(ctx, event.index, *button);
    return start_replay(ctx);
}

sdk::Outcome RevisionElement::on_return(sdk::ElementContext& ctx) {
    return replay_next(ctx);
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::RevisionElement, element)
