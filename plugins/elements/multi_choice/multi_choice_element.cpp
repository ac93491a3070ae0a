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

void MultiChoiceElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                                  sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "text", Presence::required, report);
    check_answers(spec, CorrectAnswers::at_least_one, report);
    for (const char* feedback : {"feedback_correct", "feedback_partial", "feedback_incorrect"})
        check_text(spec, feedback, Presence::optional, report);
    check_common_fields(spec, CommonFields::formatting_and_media, report);
}

sdk::Outcome MultiChoiceElement::enter(sdk::ElementContext& ctx) {
    send_poll(ctx, PollKind::multiple_choice);
    return sdk::Outcome::wait();
}

sdk::Outcome MultiChoiceElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::poll_answer) return sdk::Outcome::ignored();
    if (event.options.empty()) return sdk::Outcome::wait();  // a retracted vote: the question stands
    const std::vector<PollAnswer> answers = read_answers(ctx.spec());
    const std::vector<int> chosen = chosen_answers(event.options, answers.size());
    if (chosen.empty()) return sdk::Outcome::ignored();

    const double score = selection_score(answers, chosen);
    nlohmann::json texts = nlohmann::json::array();
    for (int index : chosen) texts.push_back(answers[static_cast<std::size_t>(index)].text);
    ctx.record("user", {{"options", chosen}, {"answers", texts}}, score, 1.0);
    for (int index : chosen) send_text(ctx, answers[static_cast<std::size_t>(index)].feedback);
    const char* summary = score == 1.0   ? "feedback_correct"
                          : score == 0.0 ? "feedback_incorrect"
                                         : "feedback_partial";
    send_text(ctx, text_field(ctx.spec(), summary));
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::MultiChoiceElement, element)
