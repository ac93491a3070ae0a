#include <profo/sdk/toolkit/element_schema.hpp>

namespace profo::elements {

nlohmann::json text_schema(std::string description) {
    return {{"type", {"string", "number"}}, {"description", std::move(description)}};
}

nlohmann::json flag_schema(std::string description) {
    // Legacy courses spell booleans as yes/no, which YAML 1.2 reads as strings.
    return {{"type", {"boolean", "string", "integer"}},
            {"description", std::move(description) + " (yes/no, true/false, on/off, 1/0)"}};
}

nlohmann::json duration_schema(std::string description) {
    return {{"type", "string"},
            {"pattern", "^(?=.)([0-9]{1,9}d)?(:?[0-9]{1,9}h)?(:?[0-9]{1,9}m)?(:?[0-9]{1,9}s)?$"},
            {"description", std::move(description) + " (30s, 2m, 1h:30m, 1d:2h:3m:4s)"}};
}

nlohmann::json element_id_schema(std::string description) {
    return {{"type", "string"},
            {"pattern", "^[\\p{L}\\p{N}_.-]{1,128}$"},
            {"description", std::move(description)}};
}

nlohmann::json element_schema(std::string_view type, std::string description, nlohmann::json properties,
                              const std::vector<std::string>& required, CommonFields common) {
    nlohmann::json all = nlohmann::json::object();
    all["type"] = {{"const", type}, {"description", "The element type."}};
    if (common != CommonFields::none) {
        all["parse_mode"] = {
            {"type", "string"},
            {"enum", {"HTML", "HTML!", "MARKDOWN", "Markdown", "MarkdownV2"}},
            {"description", "How the texts are formatted; MARKDOWN (legacy Markdown) when absent."}};
        all["link_preview"] = flag_schema("Whether links in the text get a preview; yes when absent");
    }
    if (common == CommonFields::formatting_and_media) {
        all["media"] = {{"type", "array"},
                        {"items", {{"type", "string"}}},
                        {"description",
                         "Image or .mp4 video URLs sent before the text, as albums of up to 10; Google Drive "
                         "share links are accepted."}};
    }
    for (auto& [name, schema] : properties.items()) all[name] = schema;

    nlohmann::json required_fields = nlohmann::json::array({"type"});
    for (const auto& name : required) required_fields.push_back(name);
    return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
            {"title", type},
            {"description", std::move(description)},
            {"type", "object"},
            {"properties", std::move(all)},
            {"required", std::move(required_fields)}};
}

std::vector<std::string> schema_fields(const nlohmann::json& schema) {
    std::vector<std::string> names;
    for (const auto& [name, property] : schema.at("properties").items())
        if (name != "type") names.push_back(name);
    return names;
}

}  // namespace profo::elements
