#include "multi_choice_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>
#include <profo/sdk/toolkit/poll_answers.hpp>
#include "selection_score.hpp"

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> MultiChoiceElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json MultiChoiceElement::json_schema() const {
    return element_schema(
        "multi_choice",
        "A poll allowing several answers (after the media). Each chosen option's feedback is sent, then the "
        "summary: all correct answers and no wrong one score 1 (feedback_correct), none correct 0 "
        "(feedback_incorrect), anything else 0.5 (feedback_partial).",
        {{"text", text_schema("The question; beyond 300 characters it goes as a message first.")},
         {"answers", answers_schema(CorrectAnswers::at_least_one)},
         {"feedback_correct", text_schema("Sent when the selection scores 1.")},
         {"feedback_partial", text_schema("Sent when the selection scores 0.5.")},
         {"feedback_incorrect", text_schema("Sent when the selection scores 0.")}},
        {"text", "answers"}, CommonFields::formatting_and_media);
}

std::unique_ptr<sdk::ElementSpec> MultiChoiceElement::compile(const nlohmann::json& fields,
                                                              const sdk::CourseOutline&,
                                                              sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    check_text(fields, "text", Presence::required, checked);
    check_answers(fields, CorrectAnswers::at_least_one, checked);
    for (const char* feedback : {"feedback_correct", "feedback_partial", "feedback_incorrect"})
        check_text(fields, feedback, Presence::optional, checked);
    check_common_fields(fields, CommonFields::formatting_and_media, checked);
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<MultiChoiceSpec>();
    spec->style = message_style(fields);
    spec->question = text_field(fields, "text").value_or("");
    spec->answers = read_answers(fields);
    spec->feedback_correct = text_field(fields, "feedback_correct");
    spec->feedback_partial = text_field(fields, "feedback_partial");
    spec->feedback_incorrect = text_field(fields, "feedback_incorrect");
    return spec;
}

sdk::Outcome MultiChoiceElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<MultiChoiceSpec>();
    send_poll(ctx, spec.style, spec.question, spec.answers, PollKind::multiple_choice);
    return sdk::Outcome::wait();
}

sdk::Outcome MultiChoiceElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::poll_answer) return sdk::Outcome::ignored();
    if (event.options.empty()) return sdk::Outcome::wait();  // a retracted vote: the question stands
    const auto& spec = ctx.spec_as<MultiChoiceSpec>();
    const std::vector<int> chosen = chosen_answers(event.options, spec.answers.size());
    if (chosen.empty()) return sdk::Outcome::ignored();

    const double score = selection_score(spec.answers, chosen);
    nlohmann::json texts = nlohmann::json::array();
    for (int index : chosen) texts.push_back(spec.answers[static_cast<std::size_t>(index)].text);
    ctx.record("user", {{"options", chosen}, {"answers", texts}}, score, 1.0);
    for (int index : chosen)
        send_text(ctx, spec.style, spec.answers[static_cast<std::size_t>(index)].feedback);
    const std::optional<std::string>& summary = score == 1.0   ? spec.feedback_correct
                                                : score == 0.0 ? spec.feedback_incorrect
                                                               : spec.feedback_partial;
    send_text(ctx, spec.style, summary);
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::MultiChoiceElement, element)
