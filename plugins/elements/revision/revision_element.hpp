// `revision`: replays the mistaken answers under `prefix` (plus up to two answered correctly), then continues
// after itself.
#pragma once

#include <profo/sdk/element.hpp>

namespace profo::elements {

class RevisionElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "revision"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    void validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                  sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
    sdk::Outcome on_return(sdk::ElementContext& ctx) override;
};

}  // namespace profo::elements
