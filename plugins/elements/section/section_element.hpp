// `section`: an editor-only divider; the engine skips it, and entering it continues.
#pragma once

#include <profo/sdk/element.hpp>

namespace profo::elements {

// Nothing of a section matters to a run: its title is for the editor.
struct SectionSpec final : sdk::ElementSpec {};

class SectionElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "section"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
};

}  // namespace profo::elements
