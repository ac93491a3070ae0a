// `end`: sends `text` (if any) and completes the run.
#pragma once

#include <profo/sdk/element.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>

#include <optional>
#include <string>

namespace profo::elements {

struct EndSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::optional<std::string> text;
};

class EndElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "end"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
};

}  // namespace profo::elements
