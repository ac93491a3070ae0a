// For unit tests of validate(): a report that keeps what it is told and a
// course outline listing a fixed set of element ids.
#pragma once

#include <profo/sdk/element.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace profo::elements::testing {

class KeptReport : public sdk::ValidationReport {
public:
    void add(sdk::ValidationIssue issue) override { issues.push_back(std::move(issue)); }

    // "field: message" of every error, in the order they were reported.
    std::vector<std::string> errors() const { return lines(sdk::ValidationIssue::Severity::error); }
    std::vector<std::string> warnings() const { return lines(sdk::ValidationIssue::Severity::warning); }

    std::vector<sdk::ValidationIssue> issues;

private:
    std::vector<std::string> lines(sdk::ValidationIssue::Severity severity) const {
        std::vector<std::string> out;
        for (const auto& issue : issues)
            if (issue.severity == severity) out.push_back(issue.field + ": " + issue.message);
        return out;
    }
};

class ListedOutline : public sdk::CourseOutline {
public:
    explicit ListedOutline(std::vector<std::string> ids, std::string type = "message")
        : ids_(std::move(ids)), type_(std::move(type)) {}
    bool has_element(const std::string& id) const override {
        return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
    }
    const std::vector<std::string>& element_ids() const override { return ids_; }
    std::string type_of(const std::string& id) const override { return has_element(id) ? type_ : ""; }

private:
    std::vector<std::string> ids_;
    std::string type_;
};

// What Element::validate() reports for `spec` in a course of the given ids.
template <class Element>
KeptReport validated(const nlohmann::json& spec, std::vector<std::string> course_ids = {}) {
    KeptReport report;
    Element().validate(spec, ListedOutline(std::move(course_ids)), report);
    return report;
}

}  // namespace profo::elements::testing
