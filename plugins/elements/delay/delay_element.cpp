#include "delay_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>
#include <profo/sdk/toolkit/quiet_hours.hpp>

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> DelayElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json DelayElement::json_schema() const {
    auto schema =
        element_schema("delay",
                       "Sends `text` (if any) and waits on a durable timer; when it fires the course "
                       "continues at `goto`. Without both (a legacy form) the run stays here for good.",
                       {{"wait", duration_schema("How long to wait")},
                        {"goto", element_id_schema("The element to continue at when the wait is over.")},
                        {"text", text_schema("Sent when the wait starts.")}},
                       {}, CommonFields::formatting);
    schema["dependentRequired"] = {{"wait", {"goto"}}, {"goto", {"wait"}}};
    return schema;
}

std::unique_ptr<sdk::ElementSpec> DelayElement::compile(const nlohmann::json& fields,
                                                        const sdk::CourseOutline& course,
                                                        sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    if (!fields.contains("wait") && !fields.contains("goto")) {
        // Real legacy courses have these: the legacy bot sent the text and
        // never moved the run on. Accepted, played the same, and flagged.
        check_text(fields, "text", Presence::optional, checked);
        check_common_fields(fields, CommonFields::formatting, checked);
        if (checked.has_errors()) return nullptr;
        checked.warning("",
                        "a delay with neither wait nor goto sends its text and the run stays here for "
                        "good, as in the legacy bot; give it wait and goto to move on");
        auto spec = std::make_unique<DelaySpec>();
        spec->style = message_style(fields);
        spec->text = text_field(fields, "text");
        spec->stays = true;
        return spec;
    }
    const auto wait = check_duration(fields, "wait", Presence::required, checked);
    check_goto(fields, "goto", Presence::required, course, checked);
    check_text(fields, "text", Presence::optional, checked);
    check_common_fields(fields, CommonFields::formatting, checked);
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<DelaySpec>();
    spec->style = message_style(fields);
    spec->text = text_field(fields, "text");
    spec->wait = *wait;
    spec->target = text_field(fields, "goto").value_or("");
    return spec;
}

sdk::Outcome DelayElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<DelaySpec>();
    send_text(ctx, spec.style, spec.text);
    if (!spec.stays)
        ctx.schedule(due_outside_quiet_hours(ctx, ctx.now() + spec.wait), nlohmann::json::object());
    return sdk::Outcome::wait();
}

sdk::Outcome DelayElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::timer || ctx.spec_as<DelaySpec>().stays)
        return sdk::Outcome::ignored();
    return sdk::Outcome::go_to(ctx.spec_as<DelaySpec>().target);
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::DelayElement, element)
