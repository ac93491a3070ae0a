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

std::unique_ptr<sdk::ElementSpec> MessageElement::compile(const nlohmann::json& fields,
                                                          const sdk::CourseOutline& course,
                                                          sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    check_text(fields, "text", Presence::required, checked);
    if (field_value(fields, "button") != nullptr) check_text(fields, "button", Presence::required, checked);
    check_options(fields, Presence::optional, course, checked);
    if (field_value(fields, "button") != nullptr && field_value(fields, "options") != nullptr)
        checked.error("options",
                      "'button' and 'options' cannot both be given: use one button or a list of options");
    check_common_fields(fields, CommonFields::formatting_and_media, checked);
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<MessageSpec>();
    spec->style = message_style(fields);
    spec->text = text_field(fields, "text").value_or("");
    spec->button = text_field(fields, "button");
    spec->options = read_options(fields);
    return spec;
}

sdk::Outcome MessageElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<MessageSpec>();
    send_media(ctx, spec.style);
    const std::vector<std::string> buttons = spec.button ? std::vector{*spec.button} : spec.options.labels();
    ctx.send(text_action(spec.style, spec.text, buttons));
    return buttons.empty() ? sdk::Outcome::next() : sdk::Outcome::wait();
}

sdk::Outcome MessageElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    const auto& spec = ctx.spec_as<MessageSpec>();
    if (!spec.button) return on_option_event(ctx, spec.style, spec.options, event);
    if (event.kind != sdk::Event::Kind::button || event.index != 0) return sdk::Outcome::ignored();
    record_press(ctx, event.index, *spec.button);
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::MessageElement, element)
