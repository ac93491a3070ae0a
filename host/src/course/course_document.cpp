#include "course/course_document.hpp"

#include "course/course_outline.hpp"
#include "course/element_id.hpp"
#include "text/record_name.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_json.hpp"

#include <profo/sdk/admin.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <istream>
#include <limits>
#include <map>
#include <set>
#include <system_error>

namespace profo::host {

namespace {

// Fields every element may carry whatever its type; the engine applies them.
const std::set<std::string> kCommonFields{"type", "parse_mode", "link_preview", "media"};

int line_of(const YAML::Mark& mark) {
    return mark.line >= 0 ? mark.line + 1 : 0;
}

std::string node_kind(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Scalar: return "a single value";
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: return "empty";
        case YAML::NodeType::Map: return "a mapping";
    }
    return "something else";
}

// One top-level entry of the document. A repeated id replaces the fields of the
// earlier entry but keeps its position, as the legacy loader (a Python dict) did.
struct Entry {
    std::string id;
    int line = 0;      // of the id
    std::string kind;  // of its YAML value, for messages
    nlohmann::ordered_json fields;
    LineMap lines;  // paths relative to the element
};

class IssueList final : public sdk::ValidationReport {
public:
    void add(sdk::ValidationIssue issue) override { issues.push_back(std::move(issue)); }
    std::vector<sdk::ValidationIssue> issues;
};

// The line of a field path, or of its nearest recorded ancestor: a missing
// required field is reported where its element starts.
int line_of_field(const Entry& entry, std::string path) {
    while (!path.empty()) {
        if (auto it = entry.lines.find(path); it != entry.lines.end()) return it->second;
        const auto cut = path.find_last_of(".[");
        if (cut == std::string::npos) break;
        path.erase(cut);
    }
    return entry.line;
}

std::string known_types_text(const PluginRegistry& plugins) {
    std::vector<std::string> names;
    for (const auto& type : plugins.element_types()) {
        names.push_back(type);
        if (auto* plugin = plugins.element(type)) {
            try {
                for (const auto& alias : plugin->aliases()) names.push_back(alias);
            } catch (const std::exception&) {
                // A plugin that cannot list its aliases still has its main type.
            }
        }
    }
    if (names.empty()) return "no element plugins are loaded";
    std::sort(names.begin(), names.end());
    std::string out = "known types: ";
    for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
    return out;
}

// yaml-cpp's words for a tab in indentation ("illegal map value") do not
// say what is wrong: a tab at the start of the line, or of the one before.
std::string tab_hint(const std::string& text, const YAML::Mark& mark) {
    if (mark.line < 0) return {};
    std::size_t start = 0;
    for (int line = 0; line < mark.line - 1 && start != std::string::npos; ++line) {
        start = text.find('\n', start);
        if (start != std::string::npos) ++start;
    }
    for (int line = std::max(0, mark.line - 1); line <= mark.line && start < text.size(); ++line) {
        const auto end = std::min(text.find('\n', start), text.size());
        const std::string_view row(text.data() + start, end - start);
        const auto indent = row.substr(0, row.find_first_not_of(" \t"));
        if (indent.find('\t') != std::string_view::npos)
            return " (line " + std::to_string(line + 1) +
                   " is indented with a tab; YAML indents with spaces)";
        start = end + 1;
    }
    return {};
}

// The element a syntax error is probably in: the last id written at the
// start of a line (`Q_1:`) before the error's line; empty when none.
std::string element_around(const std::string& text, const YAML::Mark& mark) {
    std::string id;
    std::size_t start = 0;
    for (int line = 0; line < mark.line && start < text.size(); ++line) {
        const auto end = std::min(text.find('\n', start), text.size());
        std::string_view row(text.data() + start, end - start);
        if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
        const auto colon = row.find(':');
        if (!row.empty() && row.front() != ' ' && row.front() != '\t' && row.front() != '#' &&
            row.front() != '-' && colon != std::string_view::npos && colon > 0 &&
            (colon + 1 == row.size() || row[colon + 1] == ' ' || row[colon + 1] == '\t')) {
            auto key = row.substr(0, colon);
            while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
            if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') && key.back() == key.front())
                key = key.substr(1, key.size() - 2);
            id = std::string(key);
        }
        start = end + 1;
    }
    return id;
}

class Checker {
public:
    Checker(const std::string& file, const PluginRegistry& plugins, const YamlLimits& limits)
        : file_(file), plugins_(plugins), to_json_(limits) {}

    CourseCheck run(const std::string& yaml_text) {
        if (yaml_text.size() > kMaxCourseBytes) {
            error(0, "",
                  "the file is " + std::to_string(yaml_text.size()) + " bytes; a course may be at most " +
                      std::to_string(kMaxCourseBytes) + " bytes");
            return finish();
        }
        YamlDocument document;
        try {
            document = read_yaml_document(yaml_text);
        } catch (const YAML::Exception& e) {
            error(line_of(e.mark), element_around(yaml_text, e.mark),
                  "YAML syntax error: " + e.msg + tab_hint(yaml_text, e.mark));
            return finish();
        }
        if (document.second_document) {
            // The legacy loader read one document; a second one is almost surely a mistake.
            error(line_of(*document.second_document), "",
                  "the file holds more than one YAML document; a course is one mapping of element id to "
                  "element");
            return finish();
        }
        const YAML::Node& root = document.root;
        if (root.IsNull() || !root.IsDefined()) {
            error(1, "", "the course is empty: expected a mapping of element id to element");
            return finish();
        }
        if (!root.IsMap()) {
            error(line_of(root.Mark()), "",
                  "the course must be a mapping of element id to element, not " + node_kind(root));
            return finish();
        }
        try {
            collect(root);
        } catch (const YamlContentError& e) {
            // Limits are for the document as a whole: checking further entries
            // would only repeat the expensive expansion.
            error(e.line(), "", e.what());
            return finish();
        }
        if (entries_.empty()) error(line_of(root.Mark()), "", "the course has no elements");
        check_elements();
        return finish();
    }

private:
    void error(int line, const std::string& id, std::string message) {
        problems_.push_back({false, file_, line, id, std::move(message)});
    }
    void warning(int line, const std::string& id, std::string message) {
        problems_.push_back({true, file_, line, id, std::move(message)});
    }

    void collect(const YAML::Node& root) {
        std::map<std::string, std::size_t> index;
        for (const auto& kv : root) {
            const int line = line_of(kv.first.Mark());
            if (!kv.first.IsScalar()) {
                error(line, "", "an element id must be a plain name, not " + node_kind(kv.first));
                continue;
            }
            const std::string id = kv.first.Scalar();
            if (const auto problem = element_id_problem(id); !problem.empty())
                error(line, "", "invalid element id '" + id + "': " + problem + "; " + kElementIdRule);
            else if (const auto mixed = mixed_script_warning(id))
                warning(line, id, *mixed);
            Entry entry{id, line, node_kind(kv.second), {}, {}};
            entry.fields = to_json_.convert(kv.second, &entry.lines);
            note_repeated_fields(id, kv.second);
            if (auto it = index.find(id); it != index.end()) {
                auto& earlier = entries_[it->second];
                warning(line, id,
                        "duplicate element id: this definition (line " + std::to_string(line) +
                            ") replaces the one at line " + std::to_string(earlier.line) +
                            ", which keeps its place in the course order");
                earlier.kind = std::move(entry.kind);
                earlier.fields = std::move(entry.fields);
                earlier.lines = std::move(entry.lines);
                // Problems of the surviving definition point at its own lines.
                earlier.line = line;
                continue;
            }
            index.emplace(id, entries_.size());
            entries_.push_back(std::move(entry));
        }
    }

    // A field written twice in one element: the later value wins, as in the
    // legacy loader, but silently losing text is worth a warning.
    void note_repeated_fields(const std::string& id, const YAML::Node& node) {
        if (!node.IsMap()) return;
        std::map<std::string, int> seen;
        for (const auto& kv : node) {
            if (!kv.first.IsScalar()) continue;
            const int line = line_of(kv.first.Mark());
            auto [it, inserted] = seen.emplace(kv.first.Scalar(), line);
            if (!inserted) {
                warning(line, id,
                        "field '" + kv.first.Scalar() +
                            "' is repeated: this value replaces the one at line " +
                            std::to_string(it->second));
                it->second = line;
            }
        }
    }

    void check_elements() {
        std::vector<std::string> ids;
        std::map<std::string, std::string> types;
        for (const auto& e : entries_) {
            ids.push_back(e.id);
            std::string type;
            if (e.fields.is_object() && e.fields.contains("type") && e.fields["type"].is_string()) {
                type = e.fields["type"].get<std::string>();
                // Elements compare against canonical types, whatever spelling the course uses.
                if (auto* plugin = plugins_.element(type)) type = canonical_type(*plugin, type);
            }
            types[e.id] = type;
        }
        const ListedCourseOutline outline(ids, types);

        for (auto& e : entries_) {
            if (!e.fields.is_object()) {
                error(e.line, e.id,
                      "an element must be a mapping of fields with at least 'type', not " + e.kind);
                continue;
            }
            if (!e.fields.contains("type") || e.fields["type"].is_null()) {
                error(e.line, e.id, "missing 'type'");
                continue;
            }
            const auto& type_value = e.fields["type"];
            const int type_line = line_of_field(e, "type");
            if (!type_value.is_string()) {
                error(type_line, e.id, "'type' must be a type name, not " + type_value.dump());
                continue;
            }
            const std::string type = type_value.get<std::string>();
            auto* plugin = plugins_.element(type);
            if (plugin == nullptr) {
                const auto disabled = plugins_.disabled_element_hint(type);
                error(type_line, e.id,
                      "unknown type '" + type + "' (" +
                          (disabled.empty() ? known_types_text(plugins_) : disabled) + ")");
                continue;
            }
            check_fields(e, *plugin, type);
            validate(e, *plugin, type, outline);
        }
    }

    static std::string canonical_type(sdk::ElementPlugin& plugin, const std::string& written) {
        try {
            return plugin.type();
        } catch (const std::exception&) {
            return written;
        }
    }

    void check_fields(const Entry& e, sdk::ElementPlugin& plugin, const std::string& type) {
        std::vector<std::string> known;
        try {
            known = plugin.fields();
        } catch (const std::exception& ex) {
            error(e.line, e.id, "the '" + type + "' element plugin failed to list its fields: " + ex.what());
            return;
        }
        for (const auto& [name, value] : e.fields.items()) {
            if (kCommonFields.count(name) || std::find(known.begin(), known.end(), name) != known.end())
                continue;
            warning(
                line_of_field(e, name), e.id,
                "unknown field '" + name + "' for type " + type + " (kept, but the element does not use it)");
        }
    }

    void validate(const Entry& e, sdk::ElementPlugin& plugin, const std::string& type,
                  const ListedCourseOutline& outline) {
        const nlohmann::json spec(e.fields);
        IssueList report;
        try {
            const auto compiled = plugin.compile(spec, outline, report);
            const bool reported_error =
                std::any_of(report.issues.begin(), report.issues.end(), [](const sdk::ValidationIssue& i) {
                    return i.severity == sdk::ValidationIssue::Severity::error;
                });
            if (!compiled && !reported_error)
                error(e.line, e.id, "the '" + type + "' element plugin refused it without saying why");
        } catch (const std::exception& ex) {
            error(e.line, e.id, "the '" + type + "' element plugin failed to compile it: " + ex.what());
        } catch (...) {
            error(e.line, e.id, "the '" + type + "' element plugin failed to compile it (unknown exception)");
        }
        for (const auto& issue : report.issues) {
            const int line = line_of_field(e, issue.field);
            if (issue.severity == sdk::ValidationIssue::Severity::warning) {
                warning(line, e.id, issue.message);
            } else {
                error(line, e.id, issue.message);
            }
        }
    }

    CourseCheck finish() {
        CourseCheck check;
        // Unknown lines (0) go last; otherwise the order found within a line is kept.
        std::stable_sort(problems_.begin(), problems_.end(),
                         [](const CourseProblem& a, const CourseProblem& b) {
                             const int la = a.line == 0 ? std::numeric_limits<int>::max() : a.line;
                             const int lb = b.line == 0 ? std::numeric_limits<int>::max() : b.line;
                             return la < lb;
                         });
        const bool has_errors = std::any_of(problems_.begin(), problems_.end(),
                                            [](const CourseProblem& p) { return !p.warning; });
        if (!has_errors) {
            std::vector<sdk::CourseElement> elements;
            for (std::size_t i = 0; i < entries_.size(); ++i) {
                const auto& e = entries_[i];
                sdk::CourseElement element;
                element.position = static_cast<int>(i);
                element.element_id = e.id;
                element.type = e.fields["type"].get<std::string>();
                element.body_json = e.fields.dump();  // the conversion let only UTF-8 through
                elements.push_back(std::move(element));
            }
            check.elements = std::move(elements);
        }
        check.problems = std::move(problems_);
        return check;
    }

    std::string file_;
    const PluginRegistry& plugins_;
    YamlToJson to_json_;  // one budget for the whole document
    std::vector<Entry> entries_;
    std::vector<CourseProblem> problems_;
};

std::string problem_lines(const std::vector<CourseProblem>& problems) {
    std::string out;
    for (const auto& p : problems) out += (out.empty() ? "" : "\n") + p.to_string();
    return out.empty() ? "course import failed" : out;
}

}  // namespace

std::string CourseProblem::to_string() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
    if (warning) out += "warning: ";
    if (!element_id.empty()) out += "element " + element_id + ": ";
    return out + message;
}

CourseCheck check_course(const std::string& yaml_text, const std::string& file, const PluginRegistry& plugins,
                         const YamlLimits& limits) {
    return Checker(file, plugins, limits).run(yaml_text);
}

CourseCheck check_course_file(const std::filesystem::path& file, const PluginRegistry& plugins) {
    // A directory opens as a stream that reads nothing, which would pass for an empty course.
    if (std::error_code ec; std::filesystem::is_directory(file, ec)) {
        CourseCheck check;
        check.problems.push_back({false, file.string(), 0, "", "is a directory, not a course file"});
        return check;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        CourseCheck check;
        check.problems.push_back(
            {false, file.string(), 0, "", std::string("cannot read: ") + std::strerror(errno)});
        return check;
    }
    // Reads one byte past the limit, never the whole of a huge (or endless) file.
    std::string text(kMaxCourseBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxCourseBytes) {
        CourseCheck check;
        check.problems.push_back({false, file.string(), 0, "",
                                  "the file is larger than " + std::to_string(kMaxCourseBytes) +
                                      " bytes, the most a course may be"});
        return check;
    }
    return check_course(text, file.string(), plugins);
}

CourseImportError::CourseImportError(std::vector<CourseProblem> problems)
    : std::runtime_error(problem_lines(problems)), problems_(std::move(problems)) {}

CourseCheck check_course_stream(std::istream& in, const std::string& name, const PluginRegistry& plugins) {
    // Reads one byte past the limit, never the whole of an endless stream.
    std::string text(kMaxCourseBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return check_course(text, name, plugins);
}

std::optional<sdk::Course> find_course_by_ref(sdk::StorageTx& tx, sdk::Id account_id,
                                              const std::string& ref) {
    sdk::Id id = 0;
    const auto [end, error] = std::from_chars(ref.data(), ref.data() + ref.size(), id);
    if (error == std::errc() && end == ref.data() + ref.size() && id > 0)
        if (auto course = tx.get_course(account_id, id)) return course;
    return tx.find_course(account_id, ref);
}

PublishResult publish_course(sdk::Storage& storage, CourseCheck check, const std::string& source_name,
                             sdk::Id account_id, const std::string& course_ref) {
    auto tx = storage.begin();
    auto result = publish_course(*tx, std::move(check), source_name, account_id, course_ref);
    if (result.published) tx->commit();
    return result;
}

PublishResult publish_course(sdk::StorageTx& tx, CourseCheck check, const std::string& source_name,
                             sdk::Id account_id, const std::string& course_ref) {
    if (!check.ok()) throw CourseImportError(std::move(check.problems));
    PublishResult result;
    for (auto& p : check.problems)
        if (p.warning) result.warnings.push_back(std::move(p));
    auto elements = std::move(*check.elements);
    for (auto& e : elements) e.account_id = account_id;
    result.elements = elements.size();

    if (!tx.get_account(account_id))
        throw sdk::AdminError(sdk::AdminError::Code::not_found,
                              "account " + std::to_string(account_id) + " does not exist");
    const auto course = find_course_by_ref(tx, account_id, course_ref);
    if (!course)
        throw sdk::AdminError(sdk::AdminError::Code::not_found,
                              "account " + std::to_string(account_id) + " has no course '" + course_ref +
                                  "': make it with profo course import FILE --name '" + course_ref + "'");
    result.course = *course;

    const auto versions = tx.list_versions(account_id, course->id);
    if (!versions.empty()) {
        const auto& latest =
            *std::max_element(versions.begin(), versions.end(),
                              [](const auto& a, const auto& b) { return a.number < b.number; });
        const auto stored = tx.version_elements(account_id, latest.id);
        const bool same = std::equal(stored.begin(), stored.end(), elements.begin(), elements.end(),
                                     [](const sdk::CourseElement& a, const sdk::CourseElement& b) {
                                         return a.element_id == b.element_id && a.type == b.type &&
                                                a.body_json == b.body_json;
                                     });
        // Publishing what is already published again would only make a
        // version nobody can tell apart from the last.
        if (same) {
            result.version = latest;
            result.published = false;
            return result;
        }
    }
    result.version = tx.create_version(account_id, course->id, source_name, elements);
    return result;
}

ImportResult import_course_file(sdk::Storage& storage, const PluginRegistry& plugins,
                                const std::filesystem::path& file, sdk::Id account_id,
                                const std::optional<std::string>& name) {
    return import_course(storage, check_course_file(file, plugins), file.filename().string(), account_id,
                         name.value_or(file.stem().string()), file.string());
}

ImportResult import_course(sdk::Storage& storage, CourseCheck check, const std::string& source_name,
                           sdk::Id account_id, const std::string& course_name, const std::string& shown_as) {
    auto tx = storage.begin();
    auto result = import_course(*tx, std::move(check), source_name, account_id, course_name, shown_as);
    tx->commit();
    return result;
}

ImportResult import_course(sdk::StorageTx& tx, CourseCheck check, const std::string& source_name,
                           sdk::Id account_id, const std::string& course_name, const std::string& shown_as) {
    const auto& where = shown_as.empty() ? source_name : shown_as;
    if (!check.ok()) throw CourseImportError(std::move(check.problems));

    ImportResult result;
    for (auto& p : check.problems)
        if (p.warning) result.warnings.push_back(std::move(p));

    if (!tx.get_account(account_id))
        throw CourseImportError(
            {{false, where, 0, "", "account " + std::to_string(account_id) + " does not exist"}});
    auto elements = std::move(*check.elements);
    for (auto& e : elements) e.account_id = account_id;
    if (auto existing = tx.find_course(account_id, course_name)) {
        result.course = *existing;
    } else {
        // A course made before names were checked keeps taking versions.
        if (auto problem = record_name_problem(course_name, "course name", kMaxCourseNameCharacters))
            throw CourseImportError({{false, where, 0, "", *problem}});
        result.course = tx.create_course(account_id, course_name);
        result.created = true;
    }
    result.version = tx.create_version(account_id, result.course.id, source_name, elements);
    return result;
}

}  // namespace profo::host
