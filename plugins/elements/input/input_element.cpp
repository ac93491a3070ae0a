#include "input_element.hpp"

#include "answer_matching.hpp"
#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

namespace {

constexpr const char* kDefaultInvalidText = "That does not look right. Please try again.";

InputType input_type_of(const nlohmann::json& spec) {
    auto name = text_field(spec, "input_type");
    return name ? input_type_named(*name).value_or(InputType::text) : InputType::text;
}

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

void InputElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                            sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "text", Presence::required, report);
    const bool has_answer = check_text(spec, "correct_answer", Presence::optional, report);
    check_text(spec, "feedback_correct", Presence::optional, report);
    check_text(spec, "feedback_incorrect", Presence::optional, report);
    if (check_text(spec, "input_type", Presence::optional, report)) {
        const std::string name = *text_field(spec, "input_type");
        if (!input_type_named(name)) {
            report.error("input_type", "'input_type' must be text or sequence, not " + shown(name));
        } else if (has_answer && *input_type_named(name) == InputType::sequence &&
                   digits_of(*text_field(spec, "correct_answer")).empty()) {
            report.error("correct_answer",
                         "'correct_answer' has no digits, but input_type sequence compares only the digits");
        }
    }
    if (!has_answer && field_value(spec, "feedback_incorrect") != nullptr)
        report.warning("feedback_incorrect", "'feedback_incorrect' is never sent without 'correct_answer'");
    if (check_text(spec, "validate", Presence::optional, report)) {
        std::string why;
        if (!reply_format_named(*text_field(spec, "validate"), &why))
            report.error("validate", "'validate' must be email, phone, number or regex:<expression>: " + why);
    }
    check_text(spec, "invalid_text", Presence::optional, report);
    if (field_value(spec, "invalid_text") != nullptr && field_value(spec, "validate") == nullptr)
        report.warning("invalid_text", "'invalid_text' is never sent without 'validate'");
    check_common_fields(spec, CommonFields::formatting_and_media, report);
}

sdk::Outcome InputElement::enter(sdk::ElementContext& ctx) {
    send_media(ctx);
    send_text(ctx, text_field(ctx.spec(), "text"));
    return sdk::Outcome::wait();
}

sdk::Outcome InputElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::text) return sdk::Outcome::ignored();
    const nlohmann::json& spec = ctx.spec();
    const std::string& reply = event.text;

    if (auto validate = text_field(spec, "validate")) {
        auto format = reply_format_named(*validate);
        if (format && !reply_fits(*format, reply)) {
            ctx.record("user", {{"text", reply}, {"valid", false}});
            std::optional<std::string> invalid_text = text_field(spec, "invalid_text");
            if (!invalid_text) invalid_text = text_field(ctx.settings(), "invalid_text");
            send_text(ctx, invalid_text.value_or(kDefaultInvalidText));
            return sdk::Outcome::wait();
        }
    }

    auto correct_answer = text_field(spec, "correct_answer");
    if (!correct_answer) {
        ctx.record("user", {{"text", reply}});
        send_text(ctx, text_field(spec, "feedback_correct"));
        return sdk::Outcome::next();
    }
    const bool correct = answer_matches(reply, *correct_answer, input_type_of(spec));
    ctx.record("user", {{"text", reply}, {"correct", correct}}, correct ? 1.0 : 0.0, 1.0);
    send_text(ctx, text_field(spec, correct ? "feedback_correct" : "feedback_incorrect"));
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::InputElement, element)
