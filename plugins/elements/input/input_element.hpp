// `input`: waits for one free-text reply, records it and, with
// `correct_answer`, grades it (1 or 0 out of 1) and sends the matching feedback.
#pragma once

#include <profo/sdk/element.hpp>

namespace profo::elements {

class InputElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "input"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    void validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                  sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
    bool graded() const override { return true; }
};

}  // namespace profo::elements
