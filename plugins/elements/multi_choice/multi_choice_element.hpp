// `multi_choice`: a poll allowing several answers; each chosen option's
// feedback, then the summary feedback of the score (1, 0.5 or 0 out of 1).
#pragma once

#include <profo/sdk/element.hpp>

namespace profo::elements {

class MultiChoiceElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "multi_choice"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    void validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                  sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
    bool graded() const override { return true; }
};

}  // namespace profo::elements
