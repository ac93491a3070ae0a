// The JSON Schema editors use to check and complete course YAML (the YAML
// language server reads `# yaml-language-server: $schema=...`).
#include "course/course_document.hpp"

#include <algorithm>

namespace profo::host {

namespace {

std::string pointer_token(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

// A plugin writes its schema as a document of its own; once it sits under
// $defs, its local references must point below its new place.
void rebase_refs(nlohmann::json& schema, const std::string& base) {
    if (schema.is_object()) {
        for (auto& [key, value] : schema.items()) {
            if ((key == "$ref" || key == "$dynamicRef") && value.is_string()) {
                const auto ref = value.get<std::string>();
                if (ref == "#")
                    value = base;
                else if (ref.rfind("#/", 0) == 0)
                    value = base + ref.substr(1);
            } else {
                rebase_refs(value, base);
            }
        }
    } else if (schema.is_array()) {
        for (auto& item : schema) rebase_refs(item, base);
    }
}

nlohmann::json common_fields() {
    return {
        {"parse_mode",
         {{"title", "Text format"},
          {"description",
           "How Telegram renders the element's text: MARKDOWN (legacy Markdown, the default), HTML, "
           "MarkdownV2, or HTML! (dialog replies are HTML too)."},
          {"enum", {"MARKDOWN", "Markdown", "HTML", "HTML!", "MarkdownV2"}}}},
        {"link_preview",
         {{"title", "Link preview"},
          {"description", "Whether Telegram shows a preview of the first link (yes/no)."},
          // Spelled any way sdk::truthy() reads: yes/no, true/false, on/off, 1/0.
          {"type", {"boolean", "string", "integer"}}}},
        {"media",
         {{"title", "Media"},
          {"description",
           "URLs of images (.mp4: videos) sent before the text, as one album of up to 10; Google Drive "
           "share links are turned into direct downloads."},
          {"type", "array"},
          {"items", {{"type", "string"}}}}},
    };
}

}  // namespace

nlohmann::json course_json_schema(const PluginRegistry& plugins) {
    nlohmann::json defs = nlohmann::json::object();
    nlohmann::json all_names = nlohmann::json::array();
    nlohmann::json dispatch = nlohmann::json::array();

    for (const auto& type : plugins.element_types()) {
        auto* plugin = plugins.element(type);
        if (plugin == nullptr) continue;
        nlohmann::json names = nlohmann::json::array({type});
        nlohmann::json schema;
        try {
            for (const auto& alias : plugin->aliases()) names.push_back(alias);
            schema = plugin->json_schema();
        } catch (const std::exception&) {
            // A plugin whose schema cannot be had still names its type for editors.
            schema = nlohmann::json::object();
        }
        if (!schema.is_object()) schema = nlohmann::json::object();
        const std::string def_name = "element-" + type;
        const std::string base = "#/$defs/" + pointer_token(def_name);
        schema.erase("$schema");
        schema.erase("$id");
        rebase_refs(schema, base);
        if (!schema.contains("title")) schema["title"] = type;
        if (!schema.contains("description")) schema["description"] = "A course element of type " + type + ".";
        // Aliases must pass the element's own `type` check as well.
        if (!schema.contains("properties") || !schema["properties"].is_object())
            schema["properties"] = nlohmann::json::object();
        auto& type_schema = schema["properties"]["type"];
        const std::string type_description = type_schema.is_object() && type_schema.contains("description")
                                                 ? type_schema["description"].get<std::string>()
                                                 : "The element type.";
        type_schema = {{"description", type_description}, {"enum", names}};

        for (const auto& name : names) all_names.push_back(name);
        dispatch.push_back({{"if", {{"properties", {{"type", {{"enum", names}}}}}, {"required", {"type"}}}},
                            {"then", {{"$ref", base}}}});
        defs[def_name] = std::move(schema);
    }

    std::vector<std::string> sorted_names = all_names.get<std::vector<std::string>>();
    std::sort(sorted_names.begin(), sorted_names.end());

    nlohmann::json element = {
        {"title", "Course element"},
        {"description",
         "One step of the course. `type` selects what it does; the other fields depend on the type. "
         "Unknown fields are kept but reported as warnings."},
        {"type", "object"},
        {"required", {"type"}},
        {"properties", common_fields()},
    };
    element["properties"]["type"] = {
        {"title", "Element type"},
        {"description", "What this element does: one of the loaded element types."},
        {"enum", sorted_names}};
    if (!dispatch.empty()) element["allOf"] = dispatch;
    defs["element"] = element;

    return {
        {"$schema", "https://json-schema.org/draft/2020-12/schema"},
        {"title", "ProfoChatBot course"},
        {"description",
         "A course: a mapping of element id to element. The order of the ids is the course order. Ids are 1 "
         "to 128 letters or digits (any script) and _ . -"},
        {"type", "object"},
        {"minProperties", 1},
        {"propertyNames", {{"pattern", "^[\\p{L}\\p{N}_.-]{1,128}$"}}},
        {"additionalProperties", {{"$ref", "#/$defs/element"}}},
        {"$defs", defs},
    };
}

}  // namespace profo::host
