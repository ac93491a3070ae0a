// `input`: waits for one free-text reply, records it and, with
// `correct_answer`, grades it (1 or 0 out of 1) and sends the matching feedback.
#pragma once

#include "answer_matching.hpp"

#include <profo/sdk/element.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>

#include <optional>
#include <string>

namespace profo::elements {

struct InputSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::string text;
    std::optional<std::string> correct_answer;  // none: any reply is recorded ungraded
    InputType input_type = InputType::text;
    std::optional<std::string> feedback_correct;
    std::optional<std::string> feedback_incorrect;
    std::optional<ReplyFormat> format;        // `validate`
    std::optional<std::string> invalid_text;  // else the plugin setting, else a default
};

class InputElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "input"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
    bool graded() const override { return true; }
};

}  // namespace profo::elements
