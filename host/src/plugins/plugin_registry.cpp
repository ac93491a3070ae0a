#include "plugins/plugin_registry.hpp"

#include <algorithm>
#include <cctype>

namespace profo::host {

namespace {

std::string search_path_list(const Config& config) {
    std::string out;
    for (const auto& p : config.resolved_search_paths()) out += (out.empty() ? "" : ", ") + p.string();
    return out;
}

}  // namespace

PluginRegistry::PluginRegistry(const Config& config, std::vector<PluginCandidate> candidates) {
    std::map<std::string, bool> provided;
    for (auto& candidate : candidates) {
        PluginStatus status{std::move(candidate), PluginStatus::State::disabled, {}};
        const auto& meta = status.candidate.metadata;
        const PluginConfig* pc = meta ? config.plugin(meta->qualified_id()) : nullptr;
        const bool enabled = pc != nullptr && pc->enabled;
        if (meta)
            provided[meta->qualified_id()] =
                provided[meta->qualified_id()] || status.candidate.refusal.empty();

        if (!status.candidate.refusal.empty()) {
            status.state = PluginStatus::State::refused;
            status.reason = status.candidate.refusal;
            if (enabled) failures_.push_back(status.candidate.path.string() + ": " + status.reason);
        } else if (enabled) {
            try {
                loaded_.push_back(load_plugin(status.candidate));
                status.state = PluginStatus::State::enabled;
            } catch (const PluginLoadError& e) {
                status.state = PluginStatus::State::refused;
                status.reason = e.reason();
                failures_.push_back(e.what());
            }
        }
        statuses_.push_back(std::move(status));
    }
    for (const auto& [id, pc] : config.plugins)
        if (pc.enabled && !provided.count(id))
            failures_.push_back("plugin " + id +
                                " is enabled in the config but no module provides it (searched: " +
                                search_path_list(config) + ")");

    for (const auto& plugin : loaded_) {
        const auto kind = plugin->metadata().kind;
        try {
            if (kind == sdk::PluginKind::element) {
                auto& element = plugin->as<sdk::ElementPlugin>();
                std::vector<std::string> names{element.type()};
                for (auto& alias : element.aliases()) names.push_back(alias);
                for (const auto& name : names) {
                    auto [it, inserted] = elements_.emplace(name, &element);
                    if (!inserted)
                        failures_.push_back(plugin->path().string() + ": element type '" + name +
                                            "' is already provided by another element plugin");
                }
                element_types_.push_back(element.type());
            } else if (kind == sdk::PluginKind::enrollment) {
                auto& enrollment = plugin->as<sdk::EnrollmentPlugin>();
                if (!enrollments_.emplace(enrollment.type(), &enrollment).second)
                    failures_.push_back(plugin->path().string() + ": token type '" + enrollment.type() +
                                        "' is already provided by another enrollment plugin");
            }
        } catch (const std::exception& e) {
            failures_.push_back(plugin->path().string() + ": " + e.what());
        }
    }
    std::sort(element_types_.begin(), element_types_.end());
}

PluginRegistry::~PluginRegistry() {
    // Unload in reverse order of loading.
    while (!loaded_.empty()) loaded_.pop_back();
}

sdk::ElementPlugin* PluginRegistry::element(const std::string& type_or_alias) const {
    auto it = elements_.find(type_or_alias);
    return it == elements_.end() ? nullptr : it->second;
}

std::vector<std::string> PluginRegistry::element_types() const {
    return element_types_;
}

std::string PluginRegistry::disabled_element_hint(const std::string& type) const {
    for (const auto& s : statuses_) {
        const auto& meta = s.candidate.metadata;
        if (s.state != PluginStatus::State::disabled || !meta || meta->kind != sdk::PluginKind::element ||
            meta->id != type)
            continue;
        std::string variable = "PROFO_PLUGINS_ELEMENT_" + meta->id + "_ENABLED";
        std::transform(variable.begin(), variable.end(), variable.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        return "the element module " + s.candidate.path.string() +
               " provides it but is not enabled; enable it with 'plugins.element." + meta->id +
               "' in the config or " + variable + "=true";
    }
    return {};
}

sdk::EnrollmentPlugin* PluginRegistry::enrollment(const std::string& type) const {
    auto it = enrollments_.find(type);
    return it == enrollments_.end() ? nullptr : it->second;
}

std::vector<std::string> PluginRegistry::enrollment_types() const {
    std::vector<std::string> types;
    for (const auto& [type, plugin] : enrollments_) types.push_back(type);
    return types;
}

std::shared_ptr<LoadedPlugin> PluginRegistry::storage(const std::string& id) const {
    for (const auto& p : loaded_)
        if (p->metadata().kind == sdk::PluginKind::storage && p->metadata().id == id) return p;
    return nullptr;
}

std::vector<sdk::TransportPlugin*> PluginRegistry::transports() const {
    std::vector<sdk::TransportPlugin*> out;
    for (const auto& p : loaded_)
        if (p->metadata().kind == sdk::PluginKind::transport) out.push_back(&p->as<sdk::TransportPlugin>());
    return out;
}

}  // namespace profo::host
