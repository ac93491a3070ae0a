// `test`: sums the graded answers under `prefix` and sends the score with the band message that fits the
// share of mistakes.
#pragma once

#include <profo/sdk/toolkit/element_messages.hpp>
#include "score_bands.hpp"

#include <profo/sdk/element.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace profo::elements {

struct TestSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::string prefix;
    std::string text;              // with {score} and {maxscore} still in it
    std::vector<ScoreBand> bands;  // ascending keys
    std::optional<std::string> button;
};

class TestElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "test"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
};

}  // namespace profo::elements
