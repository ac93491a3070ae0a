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

void SectionElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                              sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "title", Presence::required, report);
}

// The engine skips sections when it looks for the next element; a run that is
// sent here anyway (a goto to a section) just moves on.
sdk::Outcome SectionElement::enter(sdk::ElementContext& ctx) {
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::SectionElement, element)
