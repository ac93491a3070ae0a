// `end`: sends `text` (if any) and completes the run.
#pragma once

#include <profo/sdk/element.hpp>

namespace profo::elements {

class EndElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "end"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    void validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                  sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
};

}  // namespace profo::elements
