// `reflection`: asks an open question, insists on a minimum length, and
// answers with a reply that quotes the student. The walkthrough in
// sdk/README.md builds this element step by step.
#pragma once

#include <profo/sdk/element.hpp>

#include <optional>
#include <string>

namespace profo::examples {

// The fields as compile() checked them, read once per course version and
// shared by every run of it.
struct ReflectionSpec final : sdk::ElementSpec {
    std::string question;
    std::optional<std::string> reply;  // "{answer}" quotes the student
    long min_length = 1;               // characters, as Telegram counts them
};

class ReflectionElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "reflection"; }
    std::vector<std::string> fields() const override { return {"text", "reply", "min_length"}; }
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
};

}  // namespace profo::examples
