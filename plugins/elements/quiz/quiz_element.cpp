#include "quiz_element.hpp"

#include "element_messages.hpp"
#include "element_schema.hpp"
#include "field_checks.hpp"
#include "poll_answers.hpp"

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> QuizElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json QuizElement::json_schema() const {
    return element_schema(
        "quiz",
        "A Telegram quiz poll (after the media). The chosen answer is recorded with score 1 "
        "(correct) or 0 out of 1 and answered with its feedback.",
        {{"text", text_schema("The question; beyond 300 characters it goes as a message first.")},
         {"answers", answers_schema(CorrectAnswers::exactly_one)}},
        {"text", "answers"}, CommonFields::formatting_and_media);
}

void QuizElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                           sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "text", Presence::required, report);
    check_answers(spec, CorrectAnswers::exactly_one, report);
    check_common_fields(spec, CommonFields::formatting_and_media, report);
}

sdk::Outcome QuizElement::enter(sdk::ElementContext& ctx) {
    send_poll(ctx, PollKind::quiz);
    return sdk::Outcome::wait();
}

sdk::Outcome QuizElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::poll_answer) return sdk::Outcome::ignored();
    if (event.options.empty()) return sdk::Outcome::wait();  // a retracted vote: the question stands
    const std::vector<PollAnswer> answers = read_answers(ctx.spec());
    const std::vector<int> chosen = chosen_answers(event.options, answers.size());
    if (chosen.size() != 1) return sdk::Outcome::ignored();
    const PollAnswer& answer = answers[static_cast<std::size_t>(chosen.front())];
    ctx.record("user", {{"options", chosen}, {"answer", answer.text}, {"correct", answer.correct}},
               answer.correct ? 1.0 : 0.0, 1.0);
    send_text(ctx, answer.feedback);
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::QuizElement, element, "quiz", "1.0.0")
