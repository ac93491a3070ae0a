// `section`: an editor-only divider; the engine skips it, and entering it continues.
#pragma once

#include <profo/sdk/element.hpp>

namespace profo::elements {

class SectionElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "section"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    void validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                  sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
};

}  // namespace profo::elements
