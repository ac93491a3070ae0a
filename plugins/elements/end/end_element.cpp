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

std::unique_ptr<sdk::ElementSpec> EndElement::compile(const nlohmann::json& fields,
                                                      const sdk::CourseOutline& /*course*/,
                                                      sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    check_text(fields, "text", Presence::optional, checked);
    check_common_fields(fields, CommonFields::formatting, checked);
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<EndSpec>();
    spec->style = message_style(fields);
    spec->text = text_field(fields, "text");
    return spec;
}

sdk::Outcome EndElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<EndSpec>();
    send_text(ctx, spec.style, spec.text);
    return sdk::Outcome::end();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::EndElement, element)
