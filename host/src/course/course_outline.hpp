// A course as its elements' ids and types, in course order: what an element
// plugin may ask about the rest of the course while it is compiled, whether
// the course comes from a YAML file or from a stored version.
#pragma once

#include <profo/sdk/element.hpp>

#include <map>
#include <string>
#include <vector>

namespace profo::host {

class ListedCourseOutline final : public sdk::CourseOutline {
public:
    ListedCourseOutline(std::vector<std::string> ids, std::map<std::string, std::string> types)
        : ids_(std::move(ids)), types_(std::move(types)) {}
    bool has_element(const std::string& element_id) const override { return types_.count(element_id) > 0; }
    const std::vector<std::string>& element_ids() const override { return ids_; }
    std::string type_of(const std::string& element_id) const override {
        auto it = types_.find(element_id);
        return it == types_.end() ? std::string() : it->second;
    }

private:
    std::vector<std::string> ids_;
    std::map<std::string, std::string> types_;
};

}  // namespace profo::host
