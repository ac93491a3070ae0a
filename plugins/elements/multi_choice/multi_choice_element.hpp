// `multi_choice`: a poll allowing several answers; each chosen option's
// feedback, then the summary feedback of the score (1, 0.5 or 0 out of 1).
#pragma once

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/poll_answers.hpp>

#include <profo/sdk/element.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace profo::elements {

struct MultiChoiceSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::string question;
    std::vector<PollAnswer> answers;
    // The summary after the chosen options' feedback, by score: 1, 0.5, 0.
    std::optional<std::string> feedback_correct;
    std::optional<std::string> feedback_partial;
    std::optional<std::string> feedback_incorrect;
};

class MultiChoiceElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "multi_choice"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
    bool graded() const override { return true; }
};

}  // namespace profo::elements
