// A course version as the engine plays it: compiled once per version (versions
// are immutable) and shared by every run of it.
#pragma once

#include "plugins/plugin_registry.hpp"

#include <profo/sdk/element.hpp>
#include <profo/sdk/storage.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace profo::host {

class CompiledCourse {
public:
    struct Element {
        std::string id;
        std::string type;
        nlohmann::json source;  // the element's fields as written
        // What its plugin's compile() made of them; null for sections.
        std::shared_ptr<const sdk::ElementSpec> compiled;
        std::size_t position = 0;
        bool section = false;                  // skipped at run time
        sdk::ElementPlugin* plugin = nullptr;  // null for sections
        std::string plugin_id;                 // "element/<id>", for its settings
    };

    // Compiles every element through its plugin. Throws std::runtime_error
    // naming the element when its type has no loaded plugin, its body is not
    // JSON, or its plugin refuses it (the problems it reported included).
    CompiledCourse(sdk::Id version_id, const std::vector<sdk::CourseElement>& rows,
                   const PluginRegistry& plugins);

    sdk::Id version_id() const { return version_id_; }
    const std::vector<std::string>& order() const { return order_; }
    const Element* find(const std::string& element_id) const;
    // The first element that is not a section; null for an empty course.
    const Element* first() const { return playable_from(0); }
    // The element after `e` in course order, skipping sections; null past the end.
    const Element* next_after(const Element& e) const { return playable_from(e.position + 1); }

private:
    const Element* playable_from(std::size_t position) const;

    sdk::Id version_id_;
    std::vector<Element> elements_;
    std::vector<std::string> order_;
    std::unordered_map<std::string, std::size_t> index_;
};

// Compiled versions by account and id, shared between threads. Keyed by the
// account too, so that a version is only ever served to the account it
// belongs to, whoever asked first.
class CourseCache {
public:
    explicit CourseCache(const PluginRegistry& plugins) : plugins_(plugins) {}

    // Reads the version's elements through `courses` on first use.
    std::shared_ptr<const CompiledCourse> get(sdk::CourseStore& courses, sdk::Id account_id,
                                              sdk::Id version_id);

private:
    struct Key {
        sdk::Id account_id;
        sdk::Id version_id;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept {
            return std::hash<sdk::Id>{}(k.account_id) * 31 + std::hash<sdk::Id>{}(k.version_id);
        }
    };

    const PluginRegistry& plugins_;
    std::shared_mutex mutex_;
    std::unordered_map<Key, std::shared_ptr<const CompiledCourse>, KeyHash> versions_;
};

}  // namespace profo::host
