// Course YAML in and out: parsing with positions, validation through the
// element plugins, all-or-nothing import, export that keeps order and unknown
// fields, and the JSON Schema of the format.
#pragma once

#include "plugins/plugin_registry.hpp"
#include "yaml/yaml_json.hpp"

#include <profo/sdk/admin.hpp>
#include <profo/sdk/storage.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::host {

// Courses are a few hundred KiB at most; anything far larger is a mistake or
// an attack, and yaml-cpp holds the whole node graph in memory.
inline constexpr std::size_t kMaxCourseBytes = sdk::kMaxCourseSourceBytes;

// One finding, printed as `FILE:LINE: element ID: message` (errors) or
// `FILE:LINE: warning: element ID: message`.
struct CourseProblem {
    bool warning = false;
    std::string file;
    int line = 0;            // 0 when unknown
    std::string element_id;  // empty for problems of the document as a whole
    std::string message;
    std::string to_string() const;
};

struct CourseCheck {
    std::vector<CourseProblem> problems;  // errors and warnings, in file order
    // The elements as they would be stored (ids, types, fields in file order),
    // present only when there are no errors.
    std::optional<std::vector<sdk::CourseElement>> elements;
    bool ok() const { return elements.has_value(); }
};

// Parses and validates YAML text; `file` names it in problems. `limits`
// bound what its aliases may expand to (tests and fuzzing lower them).
CourseCheck check_course(const std::string& yaml_text, const std::string& file, const PluginRegistry& plugins,
                         const YamlLimits& limits = {});
CourseCheck check_course_file(const std::filesystem::path& file, const PluginRegistry& plugins);

// check_course() of what `in` holds (a course piped to `profo course
// publish`), named `name` in problems; reads no more than the limit allows.
CourseCheck check_course_stream(std::istream& in, const std::string& name, const PluginRegistry& plugins);

class CourseImportError : public std::runtime_error {
public:
    explicit CourseImportError(std::vector<CourseProblem> problems);
    const std::vector<CourseProblem>& problems() const noexcept { return problems_; }

private:
    std::vector<CourseProblem> problems_;
};

// A course's name: UTF-8 of 1 to this many characters, no control
// character, no space at either end (checked when a course is made).
inline constexpr std::size_t kMaxCourseNameCharacters = 200;

struct ImportResult {
    sdk::Course course;
    sdk::CourseVersion version;
    std::vector<CourseProblem> warnings;
    bool created = false;  // a new course, rather than a new version of an existing one
};

// Validates, then in one transaction creates the course named `name` (the file
// name without extension by default) in `account_id`, or adds a version to
// the existing course of that name. Throws CourseImportError with every
// problem and stores nothing when the file has errors.
ImportResult import_course_file(sdk::Storage& storage, const PluginRegistry& plugins,
                                const std::filesystem::path& file, sdk::Id account_id,
                                const std::optional<std::string>& name = std::nullopt);

// import_course_file() of a course already checked (`check`), kept as
// coming from `source_name` and named `shown_as` (source_name when empty)
// in its problems; the same all-or-nothing rules.
ImportResult import_course(sdk::Storage& storage, CourseCheck check, const std::string& source_name,
                           sdk::Id account_id, const std::string& course_name,
                           const std::string& shown_as = {});
// The same inside the caller's transaction, which the caller commits.
ImportResult import_course(sdk::StorageTx& tx, CourseCheck check, const std::string& source_name,
                           sdk::Id account_id, const std::string& course_name,
                           const std::string& shown_as = {});

// The account's course named by `ref`: its id, else its name.
std::optional<sdk::Course> find_course_by_ref(sdk::StorageTx& tx, sdk::Id account_id, const std::string& ref);

struct PublishResult {
    sdk::Course course;
    sdk::CourseVersion version;  // the new one, or the latest when nothing changed
    std::vector<CourseProblem> warnings;
    std::size_t elements = 0;
    bool published = true;  // false: the latest version holds exactly these elements already
};

// Publishing: a checked course becomes, in one transaction, the next
// immutable version of the account's existing course `course` (its id or
// name), recorded as coming from `source_name`. Throws CourseImportError
// with every problem when `check` has errors, std::runtime_error when the
// course does not exist; either way nothing is stored. When the latest
// version has exactly these elements nothing is stored either, and the
// result says so.
PublishResult publish_course(sdk::Storage& storage, CourseCheck check, const std::string& source_name,
                             sdk::Id account_id, const std::string& course);
// The same inside the caller's transaction, which the caller commits.
PublishResult publish_course(sdk::StorageTx& tx, CourseCheck check, const std::string& source_name,
                             sdk::Id account_id, const std::string& course);

// YAML text of a stored version: elements in course order, fields in their
// original order, unknown fields included; importing it yields the same
// elements.
std::string export_course_yaml(const std::vector<sdk::CourseElement>& elements);

// JSON Schema (draft 2020-12) of a course document for the loaded element types.
nlohmann::json course_json_schema(const PluginRegistry& plugins);

}  // namespace profo::host
