// The plugins this process runs: every module found, which of them the config
// enables, and a registry per kind keyed by id (element types by type name and
// alias). Duplicates are refused, never silently replaced.
#pragma once

#include "config/config.hpp"
#include "plugins/plugin_loader.hpp"

#include <profo/sdk/element.hpp>
#include <profo/sdk/enrollment.hpp>
#include <profo/sdk/storage.hpp>
#include <profo/sdk/transport.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace profo::host {

struct PluginStatus {
    PluginCandidate candidate;
    enum class State { enabled, disabled, refused } state = State::disabled;
    std::string reason;  // for refused: why, in one line
};

class PluginRegistry {
public:
    // Loads every candidate the config enables. Problems (refused modules that
    // are enabled, enabled ids no module provides, factories that throw,
    // duplicate element types) are collected in failures(), one line each.
    PluginRegistry(const Config& config, std::vector<PluginCandidate> candidates);
    ~PluginRegistry();
    PluginRegistry(const PluginRegistry&) = delete;
    PluginRegistry& operator=(const PluginRegistry&) = delete;

    const std::vector<PluginStatus>& statuses() const { return statuses_; }
    const std::vector<std::string>& failures() const { return failures_; }
    // Loaded plugins in load order (kind, then id).
    const std::vector<std::shared_ptr<LoadedPlugin>>& loaded() const { return loaded_; }

    sdk::ElementPlugin* element(const std::string& type_or_alias) const;
    std::vector<std::string> element_types() const;  // canonical types, sorted
    // For a type no loaded plugin provides: the module found with that id that
    // the config does not enable, and how to enable it; empty when there is none.
    // (Aliases are only known once a module is loaded, so they are not matched.)
    std::string disabled_element_hint(const std::string& type) const;
    sdk::EnrollmentPlugin* enrollment(const std::string& type) const;
    std::vector<std::string> enrollment_types() const;  // sorted
    std::shared_ptr<LoadedPlugin> storage(const std::string& id) const;
    std::vector<sdk::TransportPlugin*> transports() const;

private:
    std::vector<PluginStatus> statuses_;
    std::vector<std::string> failures_;
    std::vector<std::shared_ptr<LoadedPlugin>> loaded_;
    std::map<std::string, sdk::ElementPlugin*> elements_;  // type and aliases
    std::vector<std::string> element_types_;
    std::map<std::string, sdk::EnrollmentPlugin*> enrollments_;
};

}  // namespace profo::host
