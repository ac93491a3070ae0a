#include "question_element.hpp"

#include "element_messages.hpp"
#include "element_schema.hpp"
#include "field_checks.hpp"
#include "poll_answers.hpp"

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> QuestionElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json QuestionElement::json_schema() const {
    return element_schema(
        "question",
        "A regular poll without a right answer (after the media). The choice is recorded "
        "without a score and answered with its feedback.",
        {{"text", text_schema("The question; beyond 300 characters it goes as a message first.")},
         {"answers", answers_schema(CorrectAnswers::none)}},
        {"text", "answers"}, CommonFields::formatting_and_media);
}

void QuestionElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                               sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "text", Presence::required, report);
    check_answers(spec, CorrectAnswers::none, report);
    check_common_fields(spec, CommonFields::formatting_and_media, report);
}

sdk::Outcome QuestionElement::enter(sdk::ElementContext& ctx) {
    send_poll(ctx, PollKind::single_choice);
    return sdk::Outcome::wait();
}

sdk::Outcome QuestionElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::poll_answer) return sdk::Outcome::ignored();
    if (event.options.empty()) return sdk::Outcome::wait();  // a retracted vote: the question stands
    const std::vector<PollAnswer> answers = read_answers(ctx.spec());
    const std::vector<int> chosen = chosen_answers(event.options, answers.size());
    if (chosen.size() != 1) return sdk::Outcome::ignored();
    const PollAnswer& answer = answers[static_cast<std::size_t>(chosen.front())];
    ctx.record("user", {{"options", chosen}, {"answer", answer.text}});
    send_text(ctx, answer.feedback);
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::QuestionElement, element, "question", "1.0.0")
