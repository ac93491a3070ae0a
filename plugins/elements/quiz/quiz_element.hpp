// `quiz`: a Telegram quiz poll with one correct answer; the answer is recorded
// with score 1 or 0 out of 1 and answered with that option's feedback.
#pragma once

#include <profo/sdk/element.hpp>

namespace profo::elements {

class QuizElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "quiz"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    void validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                  sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
    bool graded() const override { return true; }
};

}  // namespace profo::elements
