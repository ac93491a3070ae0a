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
        nlohmann::json spec;  // the element's fields
        std::size_t position = 0;
        bool section = false;                  // skipped at run time
        sdk::ElementPlugin* plugin = nullptr;  // null for sections
        std::string plugin_id;                 // "element/<id>", for its settings
    };

    // Throws std::runtime_error naming the element when its type has no
    // loaded plugin or its body is not JSON.
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

// Compiled versions by id, shared between threads.
class CourseCache {
public:
    explicit CourseCache(const PluginRegistry& plugins) : plugins_(plugins) {}

    // Reads the version's elements through `tx` on first use.
    std::shared_ptr<const CompiledCourse> get(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id version_id);

private:
    const PluginRegistry& plugins_;
    std::shared_mutex mutex_;
    std::unordered_map<sdk::Id, std::shared_ptr<const CompiledCourse>> versions_;
};

}  // namespace profo::host
