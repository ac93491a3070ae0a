// The element behind `quiz` and `question`: one poll, one answer chosen,
// that answer's feedback, then on. They differ only in whether an answer is
// marked correct (and so scored) and in the poll Telegram shows.
#pragma once

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/poll_answers.hpp>

#include <profo/sdk/element.hpp>

#include <memory>
#include <string>
#include <vector>

namespace profo::elements {

struct SingleChoicePollKind {
    std::string type;
    std::string description;  // for the JSON Schema
    CorrectAnswers correct_answers;
    PollKind poll;
    bool graded;  // records score 1/0 out of 1 when true
};

// A quiz's or question's fields, checked.
struct SingleChoicePollSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::string question;
    std::vector<PollAnswer> answers;
};

class SingleChoicePollElement : public sdk::ElementPlugin {
public:
    explicit SingleChoicePollElement(SingleChoicePollKind kind) : kind_(std::move(kind)) {}

    std::string type() const override { return kind_.type; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
    bool graded() const override { return kind_.graded; }

private:
    SingleChoicePollKind kind_;
};

}  // namespace profo::elements
