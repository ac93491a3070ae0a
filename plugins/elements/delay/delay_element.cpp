#include "delay_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>
#include <profo/sdk/toolkit/quiet_hours.hpp>

#include <profo/sdk/course_values.hpp>
#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> DelayElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json DelayElement::json_schema() const {
    return element_schema("delay",
                          "Sends `text` (if any) and waits on a durable timer; when it fires the course "
                          "continues at `goto`.",
                          {{"wait", duration_schema("How long to wait")},
                           {"goto", element_id_schema("The element to continue at when the wait is over.")},
                           {"text", text_schema("Sent when the wait starts.")}},
                          {"wait", "goto"}, CommonFields::formatting);
}

void DelayElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                            sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_duration(spec, "wait", Presence::required, report);
    check_goto(spec, "goto", Presence::required, course, report);
    check_text(spec, "text", Presence::optional, report);
    check_common_fields(spec, CommonFields::formatting, report);
}

sdk::Outcome DelayElement::enter(sdk::ElementContext& ctx) {
    send_text(ctx, text_field(ctx.spec(), "text"));
    const nlohmann::json* wait = field_value(ctx.spec(), "wait");
    std::optional<std::chrono::seconds> duration;
    if (wait != nullptr && wait->is_string()) duration = sdk::parse_duration(wait->get<std::string>());
    ctx.schedule(due_outside_quiet_hours(ctx, ctx.now() + duration.value_or(std::chrono::seconds(0))),
                 nlohmann::json::object());
    return sdk::Outcome::wait();
}

sdk::Outcome DelayElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::timer) return sdk::Outcome::ignored();
    auto target = text_field(ctx.spec(), "goto");
    return target ? sdk::Outcome::go_to(*target) : sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::DelayElement, element)
