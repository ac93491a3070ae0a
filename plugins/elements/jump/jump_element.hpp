// `jump`: `text` with one button per option; a press goes to `goto`, waits, or continues.
#pragma once

#include <profo/sdk/element.hpp>

namespace profo::elements {

class JumpElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "jump"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    void validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                  sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
};

}  // namespace profo::elements
