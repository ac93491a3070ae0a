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

void JumpElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                           sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    // Telegram attaches buttons to a message, so there must be text to carry them.
    check_text(spec, "text", Presence::required, report);
    check_options(spec, Presence::required, course, report);
    check_common_fields(spec, CommonFields::formatting_and_media, report);
}

sdk::Outcome JumpElement::enter(sdk::ElementContext& ctx) {
    send_media(ctx);
    ctx.send(text_action(ctx.spec(), text_field(ctx.spec(), "text").value_or(""), option_labels(ctx.spec())));
    return sdk::Outcome::wait();
}

sdk::Outcome JumpElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    return on_option_event(ctx, event);
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::JumpElement, element)
