#include "input_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

namespace {

constexpr const char* kDefaultInvalidText = "That does not look right. Please try again.";

}  // namespace

std::vector<std::string> InputElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json InputElement::json_schema() const {
    return element_schema(
        "input",
        "Asks for one free-text reply and records it. With `correct_answer` the reply is graded 1 or 0 and "
        "the "
        "matching feedback is sent; without it `feedback_correct` thanks any reply.",
        {{"text", text_schema("The task.")},
         {"correct_answer", text_schema("The expected reply: compared trimmed and case-insensitively, or by "
                                        "its digits only with input_type sequence.")},
         {"feedback_correct",
          text_schema("Sent after a correct reply (after any reply without correct_answer).")},
         {"feedback_incorrect", text_schema("Sent after a wrong reply.")},
         {"input_type",
          {{"type", "string"},
           {"enum", {"text", "sequence"}},
           {"description", "text (default) compares the whole reply; sequence compares only its digits."}}},
         {"validate",
          {{"type", "string"},
           {"pattern", "^(email|phone|number|regex:.+)$"},
           {"description",
            "A format the reply must have (email, phone, number or regex:<expression> matching "
            "the whole reply); other replies get invalid_text and the element keeps waiting."}}},
         {"invalid_text", text_schema("Sent when a reply does not have the `validate` format.")}},
        {"text"}, CommonFields::formatting_and_media);
}

std::unique_ptr<sdk::ElementSpec> InputElement::compile(const nlohmann::json& fields,
                                                        const sdk::CourseOutline& /*course*/,
                                                        sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    auto spec = std::make_unique<InputSpec>();
    check_text(fields, "text", Presence::required, checked);
    const bool has_answer = check_text(fields, "correct_answer", Presence::optional, checked);
    check_text(fields, "feedback_correct", Presence::optional, checked);
    check_text(fields, "feedback_incorrect", Presence::optional, checked);
    if (check_text(fields, "input_type", Presence::optional, checked)) {
        const std::string name = *text_field(fields, "input_type");
        if (const auto type = input_type_named(name); !type) {
            checked.error("input_type", "'input_type' must be text or sequence, not " + shown(name));
        } else {
            spec->input_type = *type;
            if (has_answer && *type == InputType::sequence &&
                digits_of(*text_field(fields, "correct_answer")).empty())
                checked.error(
                    "correct_answer",
                    "'correct_answer' has no digits, but input_type sequence compares only the digits");
        }
    }
    if (!has_answer && field_value(fields, "feedback_incorrect") != nullptr)
        checked.warning("feedback_incorrect", "'feedback_incorrect' is never sent without 'correct_answer'");
    if (check_text(fields, "validate", Presence::optional, checked)) {
        std::string why;
        spec->format = reply_format_named(*text_field(fields, "validate"), &why);
        if (!spec->format)
            checked.error("validate",
                          "'validate' must be email, phone, number or regex:<expression>: " + why);
    }
    check_text(fields, "invalid_text", Presence::optional, checked);
    if (field_value(fields, "invalid_text") != nullptr && field_value(fields, "validate") == nullptr)
        checked.warning("invalid_text", "'invalid_text' is never sent without 'validate'");
    check_common_fields(fields, CommonFields::formatting_and_media, checked);
    if (checked.has_errors()) return nullptr;

    spec->style = message_style(fields);
    spec->text = text_field(fields, "text").value_or("");
    spec->correct_answer = text_field(fields, "correct_answer");
    spec->feedback_correct = text_field(fields, "feedback_correct");
    spec->feedback_incorrect = text_field(fields, "feedback_incorrect");
    spec->invalid_text = text_field(fields, "invalid_text");
    return spec;
}

sdk::Outcome InputElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<InputSpec>();
    send_media(ctx, spec.style);
    send_text(ctx, spec.style, spec.text);
    return sdk::Outcome::wait();
}

sdk::Outcome InputElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::text) return sdk::Outcome::ignored();
    const auto& spec = ctx.spec_as<InputSpec>();
    const std::string& reply = event.text;

    if (spec.format && !reply_fits(*spec.format, reply)) {
        ctx.record("user", {{"text", reply}, {"valid", false}});
        std::optional<std::string> invalid_text = spec.invalid_text;
        if (!invalid_text) invalid_text = text_field(ctx.settings(), "invalid_text");
        send_text(ctx, spec.style, invalid_text.value_or(kDefaultInvalidText));
        return sdk::Outcome::wait();
    }

    if (!spec.correct_answer) {
        ctx.record("user", {{"text", reply}});
        send_text(ctx, spec.style, spec.feedback_correct);
        return sdk::Outcome::next();
    }
    const bool correct = answer_matches(reply, *spec.correct_answer, spec.input_type);
    ctx.record("user", {{"text", reply}, {"correct", correct}}, correct ? 1.0 : 0.0, 1.0);
    send_text(ctx, spec.style, correct ? spec.feedback_correct : spec.feedback_incorrect);
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::InputElement, element)
