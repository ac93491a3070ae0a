#include "section_element.hpp"

#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> SectionElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json SectionElement::json_schema() const {
    return element_schema("section", "A divider shown in the editor; skipped when the course runs.",
                          {{"title", text_schema("The divider's title in the editor.")}}, {"title"},
                          CommonFields::none);
}

std::unique_ptr<sdk::ElementSpec> SectionElement::compile(const nlohmann::json& fields,
                                                          const sdk::CourseOutline& /*course*/,
                                                          sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    check_text(fields, "title", Presence::required, checked);
    if (checked.has_errors()) return nullptr;
    return std::make_unique<SectionSpec>();
}

// The engine skips sections when it looks for the next element; a run that is
// sent here anyway (a goto to a section) just moves on.
sdk::Outcome SectionElement::enter(sdk::ElementContext& /*ctx*/) {
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::SectionElement, element)
