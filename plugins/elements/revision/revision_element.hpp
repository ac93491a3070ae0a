// `revision`: replays the mistaken answers under `prefix` (plus up to two answered correctly), then continues
// after itself.
#pragma once

#include <profo/sdk/toolkit/element_messages.hpp>

#include <profo/sdk/element.hpp>

#include <memory>
#include <optional>
#include <string>

namespace profo::elements {

struct RevisionSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::string prefix;
    std::optional<std::string> text;         // before the replay
    std::optional<std::string> no_mistakes;  // instead of it
    std::optional<std::string> button;       // starts the replay; only with `text`
};

class RevisionElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "revision"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
    sdk::Outcome on_return(sdk::ElementContext& ctx) override;
};

}  // namespace profo::elements
