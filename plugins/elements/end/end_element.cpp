#include "end_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> EndElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json EndElement::json_schema() const {
    return element_schema("end", "Sends `text` (if any) and completes the run.",
                          {{"text", text_schema("The final message.")}}, {}, CommonFields::formatting);
}

void EndElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                          sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "text", Presence::optional, report);
    check_common_fields(spec, CommonFields::formatting, report);
}

sdk::Outcome EndElement::enter(sdk::ElementContext& ctx) {
    send_text(ctx, text_field(ctx.spec(), "text"));
    return sdk::Outcome::end();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::EndElement, element)
