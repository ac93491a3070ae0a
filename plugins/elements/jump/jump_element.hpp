// `jump`: `text` with one button per option; a press goes to `goto`, waits, or continues.
#pragma once

#include <profo/sdk/element.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/option_buttons.hpp>

#include <string>

namespace profo::elements {

struct JumpSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::string text;
    OptionButtons options;  // at least one
};

class JumpElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "jump"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
};

}  // namespace profo::elements
