// `message`: text (after its media); with `button` one button that continues,
// with `options` the buttons of a jump; otherwise it continues at once.
#pragma once

#include <profo/sdk/element.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/option_buttons.hpp>

#include <optional>
#include <string>

namespace profo::elements {

struct MessageSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::string text;
    std::optional<std::string> button;  // never together with options
    OptionButtons options;
};

class MessageElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "message"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
};

}  // namespace profo::elements
