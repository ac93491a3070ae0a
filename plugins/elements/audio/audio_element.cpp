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

std::unique_ptr<sdk::ElementSpec> AudioElement::compile(const nlohmann::json& fields,
                                                        const sdk::CourseOutline& /*course*/,
                                                        sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    const nlohmann::json* media = field_value(fields, "media");
    if (media == nullptr) {
        checked.error("media", "'media' is required");
    } else if (media->is_array() && media->empty()) {
        checked.error("media", "'media' must list at least one audio URL");
    }
    check_text(fields, "text", Presence::optional, checked);
    check_common_fields(fields, CommonFields::formatting_and_media, checked);
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<AudioSpec>();
    spec->style = message_style(fields);
    spec->caption = text_field(fields, "text");
    return spec;
}

sdk::Outcome AudioElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<AudioSpec>();
    std::optional<std::string> caption = spec.caption;
    for (const auto& url : spec.style.media) {
        sdk::OutAction audio;
        audio.kind = sdk::OutAction::Kind::audio;
        audio.media = {url};
        audio.text = caption.value_or("");
        audio.parse_mode = spec.style.parse_mode;
        ctx.send(audio);
        caption.reset();  // the caption belongs to the first file only
    }
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::AudioElement, element)
