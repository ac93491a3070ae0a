#include "single_choice_poll.hpp"

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

std::unique_ptr<sdk::ElementSpec> SingleChoicePollElement::compile(const nlohmann::json& fields,
                                                                   const sdk::CourseOutline&,
                                                                   sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    check_text(fields, "text", Presence::required, checked);
    check_answers(fields, kind_.correct_answers, checked);
    check_common_fields(fields, CommonFields::formatting_and_media, checked);
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<SingleChoicePollSpec>();
    spec->style = message_style(fields);
    spec->question = text_field(fields, "text").value_or("");
    spec->answers = read_answers(fields);
    return spec;
}

sdk::Outcome SingleChoicePollElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<SingleChoicePollSpec>();
    send_poll(ctx, spec.style, spec.question, spec.answers, kind_.poll);
    return sdk::Outcome::wait();
}

sdk::Outcome SingleChoicePollElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::poll_answer) return sdk::Outcome::ignored();
    if (event.options.empty()) return sdk::Outcome::wait();  // a retracted vote: the question stands
    const auto& spec = ctx.spec_as<SingleChoicePollSpec>();
    const std::vector<int> chosen = chosen_answers(event.options, spec.answers.size());
    if (chosen.size() != 1) return sdk::Outcome::ignored();
    const PollAnswer& answer = spec.answers[static_cast<std::size_t>(chosen.front())];
    if (kind_.graded) {
        ctx.record("user", {{"options", chosen}, {"answer", answer.text}, {"correct", answer.correct}},
                   answer.correct ? 1.0 : 0.0, 1.0);
    } else {
        ctx.record("user", {{"options", chosen}, {"answer", answer.text}});
    }
    send_text(ctx, spec.style, answer.feedback);
    return sdk::Outcome::next();
}

}  // namespace profo::elements
