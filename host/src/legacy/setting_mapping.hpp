// The legacy bot's gen_settings as deployment overrides: a key that names a
// system text (config `texts`) or a setting some element plugin lets a
// deployment override becomes that override; the rest are reported, never
// guessed at. Secrets (API keys, tokens) are never carried over: they must
// be sealed for their deployment, which `profo deploy update` does.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>

namespace profo::host::legacy {

struct SettingCatalogue {
    std::set<std::string> texts;                   // system text names
    std::map<std::string, std::string> plugin_of;  // overridable setting -> plugin id
};

struct MappedSetting {
    bool mapped = false;
    nlohmann::json patch;  // merged into the deployment's overrides_json (when mapped)
    std::string target;    // "texts.banned", "plugins.element/dialog.model"
    std::string reason;    // why not (when not mapped)
};

MappedSetting map_setting(const std::string& key, const std::string& value,
                          const SettingCatalogue& catalogue);

}  // namespace profo::host::legacy
