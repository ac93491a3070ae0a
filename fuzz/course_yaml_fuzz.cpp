// Course YAML: the document checks over the YAML-to-JSON layer (no element
// plugins: every element ends as "unknown type", after its fields were
// converted), then export of whatever converted, as `course export` would
// write it after an import.
#include "config/config.hpp"
#include "course/course_document.hpp"
#include "plugins/plugin_registry.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace profo::host;
    static const PluginRegistry plugins(Config{}, {});
    // Lower than the defaults: under ASan a million values take seconds, and
    // the limit logic is the same at any size.
    constexpr YamlLimits kLimits{.max_nodes = 20000, .max_bytes = 1024 * 1024, .max_depth = 64};
    const std::string text(reinterpret_cast<const char*>(data), size);
    (void)check_course(text, "fuzz.yaml", plugins, kLimits);

    YAML::Node root;
    try {
        root = read_yaml_document(text).root;
    } catch (const YAML::Exception&) {
        return 0;
    }
    if (!root.IsMap()) return 0;
    std::vector<profo::sdk::CourseElement> elements;
    YamlToJson to_json(kLimits);
    try {
        for (const auto& kv : root) {
            profo::sdk::CourseElement element;
            element.element_id = kv.first.Scalar();
            element.type = "message";
            LineMap lines;
            element.body_json = to_json.convert(kv.second, &lines).dump();
            elements.push_back(std::move(element));
        }
    } catch (const YamlContentError&) {
        return 0;
    } catch (const nlohmann::json::exception&) {
        return 0;  // text that is not UTF-8: the import refuses it too
    }
    try {
        (void)export_course_yaml(elements);
    } catch (const std::runtime_error&) {
        // The emitter refusing an element is reported, not a crash.
    }
    return 0;
}
