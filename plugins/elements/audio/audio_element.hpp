// `audio`: sends the `media` audio files with `text` as the caption, then continues.
#pragma once

#include <profo/sdk/element.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>

#include <optional>
#include <string>

namespace profo::elements {

struct AudioSpec final : sdk::ElementSpec {
    MessageStyle style;  // style.media: the audio files, one message each
    std::optional<std::string> caption;
};

class AudioElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "audio"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
};

}  // namespace profo::elements
