#include "legacy/setting_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace profo::host::legacy {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Names the legacy bot's installations used for what has another name here.
const std::map<std::string, std::string> kAliases = {
    {"llm_model", "model"}, {"openai_model", "model"},
    {"gpt_model", "model"}, {"llm_temperature", "temperature"},
    {"ban_text", "banned"}, {"banned_text", "banned"},
};

bool secret_name(const std::string& key) {
    for (const char* word : {"key", "token", "secret", "password"})
        if (key.find(word) != std::string::npos) return true;
    return false;
}

// Settings are typed: "0.7" is a number to the plugin, as it would be in YAML.
nlohmann::json typed(const std::string& value) {
    if (value.empty()) return value;
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (end == value.c_str() + value.size() && !std::isspace(static_cast<unsigned char>(value[0])))
        return number;
    return value;
}

}  // namespace

MappedSetting map_setting(const std::string& key, const std::string& value,
                          const SettingCatalogue& catalogue) {
    MappedSetting out;
    auto name = lower(key);
    if (const auto alias = kAliases.find(name); alias != kAliases.end()) name = alias->second;
    if (secret_name(name)) {
        out.reason = "a secret: not carried over (set it with 'profo deploy update --api-key-env')";
        return out;
    }
    if (catalogue.texts.count(name) != 0) {
        out.mapped = true;
        out.target = "texts." + name;
        out.patch = {{"texts", {{name, value}}}};
        return out;
    }
    if (const auto plugin = catalogue.plugin_of.find(name); plugin != catalogue.plugin_of.end()) {
        out.mapped = true;
        out.target = "plugins." + plugin->second + "." + name;
        out.patch = {{"plugins", {{plugin->second, {{name, typed(value)}}}}}};
        return out;
    }
    out.reason = "no matching setting";
    return out;
}

}  // namespace profo::host::legacy
