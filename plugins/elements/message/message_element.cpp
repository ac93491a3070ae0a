#include "message_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>
#include <profo/sdk/toolkit/option_buttons.hpp>

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> MessageElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json MessageElement::json_schema() const {
    return element_schema(
        "message",
        "A text message after its media. With `button` it waits for that button; with "
        "`options` it offers the buttons of a jump; otherwise the course continues at once.",
        {{"text", text_schema("The message text.")},
         {"button", text_schema("Label of one button that continues the course.")},
         {"options", options_schema()}},
        {"text"}, CommonFields::formatting_and_media);
}

void MessageElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                              sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "text", Presence::required, report);
    if (field_value(spec, "button") != nullptr) check_text(spec, "button", Presence::required, report);
    check_options(spec, Presence::optional, course, report);
    if (field_value(spec, "button") != nullptr && field_value(spec, "options") != nullptr)
        report.error("options",
                     "'button' and 'options' cannot both be given: use one button or a list of options");
    check_common_fields(spec, CommonFields::formatting_and_media, report);
}

sdk::Outcome MessageElement::enter(sdk::ElementContext& ctx) {
    send_media(ctx);
    std::vector<std::string> buttons;
    if (auto button = text_field(ctx.spec(), "button")) {
        buttons.push_back(*button);
    } else {
        buttons = option_labels(ctx.spec());
    }
    ctx.send(text_action(ctx.spec(), text_field(ctx.spec(), "text").value_or(""), buttons));
    return buttons.empty() ? sdk::Outcome::next() : sdk::Outcome::wait();
}

sdk::Outcome MessageElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    auto button = text_field(ctx.spec(), "button");
    if (!button) return on_option_event(ctx, event);
    if (event.kind != sdk::Event::Kind::button || event.index != 0) return sdk::Outcome::ignored();
    record_press(ctx, event.index, *button);
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::MessageElement, element)
