#include "engine/compiled_course.hpp"

#include <mutex>
#include <stdexcept>

namespace profo::host {

namespace {

std::string qualified_id_of(const PluginRegistry& plugins, const sdk::ElementPlugin* element) {
    for (const auto& loaded : plugins.loaded())
        if (&loaded->object() == static_cast<const sdk::Plugin*>(element))
            return loaded->metadata().qualified_id();
    return {};
}

}  // namespace

CompiledCourse::CompiledCourse(sdk::Id version_id, const std::vector<sdk::CourseElement>& rows,
                               const PluginRegistry& plugins)
    : version_id_(version_id) {
    elements_.reserve(rows.size());
    order_.reserve(rows.size());
    for (const auto& row : rows) {
        Element e;
        e.id = row.element_id;
        e.type = row.type;
        e.position = elements_.size();
        e.section = row.type == "section";
        try {
            e.spec = nlohmann::json::parse(row.body_json);
        } catch (const nlohmann::json::exception& ex) {
            throw std::runtime_error("course version " + std::to_string(version_id) + ": element " + e.id +
                                     ": body is not JSON: " + ex.what());
        }
        if (!e.section) {
            e.plugin = plugins.element(e.type);
            if (e.plugin == nullptr)
                throw std::runtime_error("course version " + std::to_string(version_id) + ": element " +
                                         e.id + " has type '" + e.type +
                                         "', which no loaded element plugin provides");
            e.plugin_id = qualified_id_of(plugins, e.plugin);
        }
        index_.emplace(e.id, e.position);
        order_.push_back(e.id);
        elements_.push_back(std::move(e));
    }
}

const CompiledCourse::Element* CompiledCourse::find(const std::string& element_id) const {
    auto it = index_.find(element_id);
    return it == index_.end() ? nullptr : &elements_[it->second];
}

const CompiledCourse::Element* CompiledCourse::playable_from(std::size_t position) const {
    for (; position < elements_.size(); ++position)
        if (!elements_[position].section) return &elements_[position];
    return nullptr;
}

std::shared_ptr<const CompiledCourse> CourseCache::get(sdk::StorageTx& tx, sdk::Id account_id,
                                                       sdk::Id version_id) {
    {
        std::shared_lock lock(mutex_);
        auto it = versions_.find(version_id);
        if (it != versions_.end()) return it->second;
    }
    auto rows = tx.version_elements(account_id, version_id);
    if (rows.empty() && !tx.get_version(account_id, version_id))
        throw std::runtime_error("course version " + std::to_string(version_id) + " not found in account " +
                                 std::to_string(account_id));
    auto compiled = std::make_shared<const CompiledCourse>(version_id, rows, plugins_);
    std::unique_lock lock(mutex_);
    return versions_.emplace(version_id, std::move(compiled)).first->second;
}

}  // namespace profo::host
