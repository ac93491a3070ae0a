#include "engine/compiled_course.hpp"

#include "course/course_outline.hpp"

#include <map>
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

// Keeps the errors a plugin reports, to name them when it refuses an element.
class ErrorText final : public sdk::ValidationReport {
public:
    void add(sdk::ValidationIssue issue) override {
        if (issue.severity != sdk::ValidationIssue::Severity::error) return;
        text += (text.empty() ? "" : "; ") + (issue.field.empty() ? "" : issue.field + ": ") + issue.message;
    }
    std::string text;
};

}  // namespace

CompiledCourse::CompiledCourse(sdk::Id version_id, const std::vector<sdk::CourseElement>& rows,
                               const PluginRegistry& plugins)
    : version_id_(version_id) {
    elements_.reserve(rows.size());
    order_.reserve(rows.size());
    std::map<std::string, std::string> types;
    for (const auto& row : rows) {
        order_.push_back(row.element_id);
        types.emplace(row.element_id, row.type);
    }
    const ListedCourseOutline outline(order_, std::move(types));
    const auto refused = [&](const std::string& id, const std::string& why) {
        return std::runtime_error("course version " + std::to_string(version_id) + ": element " + id + ": " +
                                  why);
    };
    for (const auto& row : rows) {
        Element e;
        e.id = row.element_id;
        e.type = row.type;
        e.position = elements_.size();
        e.section = row.type == "section";
        e.source = nlohmann::json::parse(row.body_json, nullptr, /*allow_exceptions=*/false);
        if (e.source.is_discarded()) throw refused(e.id, "its stored fields are not JSON");
        if (!e.section) {
            e.plugin = plugins.element(e.type);
            if (e.plugin == nullptr)
                throw refused(e.id, "type '" + e.type + "', which no loaded element plugin provides");
            e.plugin_id = qualified_id_of(plugins, e.plugin);
            ErrorText errors;
            try {
                e.compiled = e.plugin->compile(e.source, outline, errors);
            } catch (const std::exception& ex) {
                throw refused(e.id, "its plugin failed to compile it: " + std::string(ex.what()));
            }
            // A version that imported fine can fail here when its plugin grew stricter since.
            if (!e.compiled)
                throw refused(e.id, "its plugin refuses it: " +
                                        (errors.text.empty() ? "no reason given" : errors.text));
        }
        index_.emplace(e.id, e.position);
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

std::shared_ptr<const CompiledCourse> CourseCache::get(sdk::CourseStore& courses, sdk::Id account_id,
                                                       sdk::Id version_id) {
    const Key key{account_id, version_id};
    {
        std::shared_lock lock(mutex_);
        auto it = versions_.find(key);
        if (it != versions_.end()) return it->second;
    }
    auto rows = courses.version_elements(account_id, version_id);
    if (rows.empty() && !courses.get_version(account_id, version_id))
        throw std::runtime_error("course version " + std::to_string(version_id) + " not found in account " +
                                 std::to_string(account_id));
    auto compiled = std::make_shared<const CompiledCourse>(version_id, rows, plugins_);
    std::unique_lock lock(mutex_);
    return versions_.emplace(key, std::move(compiled)).first->second;
}

}  // namespace profo::host
