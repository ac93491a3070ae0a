#include "audio_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> AudioElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json AudioElement::json_schema() const {
    return element_schema(
        "audio", "Sends audio files with `text` as the caption of the first one, then continues.",
        {{"media",
          {{"type", "array"},
           {"minItems", 1},
           {"items", {{"type", "string"}}},
           {"description",
            "Audio file URLs (Google Drive share links are accepted), one audio message each."}}},
         {"text",
          text_schema("Caption of the first audio; beyond 1024 characters it goes as a message first.")}},
        {"media"}, CommonFields::formatting_and_media);
}

void AudioElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                            sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    const nlohmann::json* media = field_value(spec, "media");
    if (media == nullptr) {
        report.error("media", "'media' is required");
    } else if (media->is_array() && media->empty()) {
        report.error("media", "'media' must list at least one audio URL");
    }
    check_text(spec, "text", Presence::optional, report);
    check_common_fields(spec, CommonFields::formatting_and_media, report);
}

sdk::Outcome AudioElement::enter(sdk::ElementContext& ctx) {
    std::optional<std::string> caption = text_field(ctx.spec(), "text");
    for (const auto& url : media_of(ctx.spec())) {
        sdk::OutAction audio;
        audio.kind = sdk::OutAction::Kind::audio;
        audio.media = {url};
        audio.text = caption.value_or("");
        audio.parse_mode = parse_mode_of(ctx.spec());
        ctx.send(audio);
        caption.reset();  // the caption belongs to the first file only
    }
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::AudioElement, element)
