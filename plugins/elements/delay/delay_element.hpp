// `delay`: sends `text` (if any), waits `wait` on a durable timer, then continues at `goto`.
#pragma once

#include <profo/sdk/element.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace profo::elements {

struct DelaySpec final : sdk::ElementSpec {
    MessageStyle style;
    std::optional<std::string> text;
    std::chrono::seconds wait{0};
    std::string target;  // `goto`
    // The legacy form with neither `wait` nor `goto`: the text is sent and
    // the run stays at the element for good, as the legacy bot did.
    bool stays = false;
};

class DelayElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "delay"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
};

}  // namespace profo::elements
