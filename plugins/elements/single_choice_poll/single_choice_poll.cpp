#include "single_choice_poll.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

namespace profo::elements {

std::vector<std::string> SingleChoicePollElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json SingleChoicePollElement::json_schema() const {
    return element_schema(
        kind_.type, kind_.description,
        {{"text", text_schema("The question; beyond 300 characters it goes as a message first.")},
         {"answers", answers_schema(kind_.correct_answers)}},
        {"text", "answers"}, CommonFields::formatting_and_media);
}

void SingleChoicePollElement::validate(const nlohmann::json& spec, const sdk::CourseOutline&,
                                       sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "text", Presence::required, report);
    check_answers(spec, kind_.correct_answers, report);
    check_common_fields(spec, CommonFields::formatting_and_media, report);
}

sdk::Outcome SingleChoicePollElement::enter(sdk::ElementContext& ctx) {
    send_poll(ctx, kind_.poll);
    return sdk::Outcome::wait();
}

sdk::Outcome SingleChoicePollElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::poll_answer) return sdk::Outcome::ignored();
    if (event.options.empty()) return sdk::Outcome::wait();  // a retracted vote: the question stands
    const std::vector<PollAnswer> answers = read_answers(ctx.spec());
    const std::vector<int> chosen = chosen_answers(event.options, answers.size());
    if (chosen.size() != 1) return sdk::Outcome::ignored();
    const PollAnswer& answer = answers[static_cast<std::size_t>(chosen.front())];
    if (kind_.graded) {
        ctx.record("user", {{"options", chosen}, {"answer", answer.text}, {"correct", answer.correct}},
                   answer.correct ? 1.0 : 0.0, 1.0);
    } else {
        ctx.record("user", {{"options", chosen}, {"answer", answer.text}});
    }
    send_text(ctx, answer.feedback);
    return sdk::Outcome::next();
}

}  // namespace profo::elements
