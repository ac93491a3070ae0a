#include "jump_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>
#include <profo/sdk/toolkit/option_buttons.hpp>

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> JumpElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json JumpElement::json_schema() const {
    return element_schema(
        "jump",
        "A question with one button per option: go to another element, wait and continue "
        "later, or continue with the next element.",
        {{"text", text_schema("The text the buttons are attached to.")}, {"options", options_schema()}},
        {"text", "options"}, CommonFields::formatting_and_media);
}

std::unique_ptr<sdk::ElementSpec> JumpElement::compile(const nlohmann::json& fields,
                                                       const sdk::CourseOutline& course,
                                                       sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    // Telegram attaches buttons to a message, so there must be text to carry them.
    check_text(fields, "text", Presence::required, checked);
    check_options(fields, Presence::required, course, checked);
    check_common_fields(fields, CommonFields::formatting_and_media, checked);
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<JumpSpec>();
    spec->style = message_style(fields);
    spec->text = text_field(fields, "text").value_or("");
    spec->options = read_options(fields);
    return spec;
}

sdk::Outcome JumpElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<JumpSpec>();
    send_media(ctx, spec.style);
    ctx.send(text_action(spec.style, spec.text, spec.options.labels()));
    return sdk::Outcome::wait();
}

sdk::Outcome JumpElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    const auto& spec = ctx.spec_as<JumpSpec>();
    return on_option_event(ctx, spec.style, spec.options, event);
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::JumpElement, element)
