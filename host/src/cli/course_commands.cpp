// profo course validate | import | export | list | schema.
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "cli/time_option.hpp"
#include "course/course_document.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/platform.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iomanip>
#include <ostream>

namespace profo::host {

namespace {

std::optional<std::int64_t> parse_positive(const std::string& text) {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value <= 0) return std::nullopt;
    return value;
}

// A transaction on an up-to-date schema, refused when the account does not exist.
std::unique_ptr<sdk::StorageTx> account_transaction(Platform& platform, sdk::Id account_id) {
    platform.migrate();
    auto tx = platform.storage().begin();
    if (!tx->get_account(account_id))
        throw std::runtime_error("account " + std::to_string(account_id) + " does not exist");
    return tx;
}

void print_problems(std::ostream& out, const std::vector<CourseProblem>& problems) {
    for (const auto& p : problems) out << p.to_string() << "\n";
}

// A course by id or, failing that, by name: names may look like numbers too.
std::optional<sdk::Course> find_course(sdk::StorageTx& tx, sdk::Id account_id, const std::string& ref) {
    if (auto id = parse_positive(ref))
        if (auto course = tx.get_course(account_id, *id)) return course;
    return tx.find_course(account_id, ref);
}

std::optional<sdk::CourseVersion> latest_version(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id course_id) {
    auto versions = tx.list_versions(account_id, course_id);
    if (versions.empty()) return std::nullopt;
    return *std::max_element(versions.begin(), versions.end(),
                             [](const auto& a, const auto& b) { return a.number < b.number; });
}

std::string counted(std::size_t n, const std::string& noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

int run_validate(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config"}, {});
    if (parsed.positionals().empty()) throw UsageError("name at least one course FILE");
    auto config = load_command_config(io, args);
    if (!config) return 2;
    PluginRegistry plugins(*config, discover_plugins(config->resolved_search_paths()));
    // Validation needs only the element plugins; other plugins' troubles are
    // worth a note but no reason to refuse.
    for (const auto& f : plugins.failures()) io.err << "plugin problem: " << f << "\n";

    bool errors = false;
    for (const auto& file : parsed.positionals()) {
        const auto check = check_course_file(file, plugins);
        print_problems(io.out, check.problems);
        const std::size_t warnings = static_cast<std::size_t>(std::count_if(
            check.problems.begin(), check.problems.end(), [](const CourseProblem& p) { return p.warning; }));
        const std::size_t error_count = check.problems.size() - warnings;
        if (check.ok()) {
            io.err << file << ": ok, " << counted(check.elements->size(), "element") << ", "
                   << counted(warnings, "warning") << "\n";
        } else {
            io.err << file << ": " << counted(error_count, "error") << ", " << counted(warnings, "warning")
                   << "\n";
            errors = true;
        }
    }
    return errors ? 1 : 0;
}

int run_import(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "name"}, {});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one course FILE");
    const sdk::Id account_id = account_option(parsed);
    const auto name = parsed.value("name");
    if (name && name->empty()) throw UsageError("--name must not be empty");
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        const auto result = import_course_file(platform.storage(), platform.plugins(),
                                               parsed.positionals()[0], account_id, name);
        print_problems(io.out, result.warnings);
        const auto tx = platform.storage().begin();
        const auto count = tx->version_elements(account_id, result.version.id).size();
        io.out << "imported course " << result.course.name << " (id " << result.course.id << ") version "
               << result.version.number << ": " << count << " elements\n";
    } catch (const CourseImportError& e) {
        print_problems(io.out, e.problems());
        return 1;
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
}

int run_publish(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    const auto& positionals = parsed.positionals();
    if (positionals.empty() || positionals.size() > 2)
        throw UsageError("name the COURSE (id or name) and, unless it comes on standard input, the FILE");
    const sdk::Id account_id = account_option(parsed);
    const std::string course = positionals[0];
    const bool from_stdin = positionals.size() == 1 || positionals[1] == "-";
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        const std::filesystem::path file = from_stdin ? std::string() : positionals[1];
        auto check = from_stdin ? check_course_stream(io.in, "<stdin>", platform.plugins())
                                : check_course_file(file, platform.plugins());
        const auto result =
            publish_course(platform.storage(), std::move(check),
                           from_stdin ? "stdin" : file.filename().string(), account_id, course);
        // Who still carries an older version, so the next step is plain.
        auto tx = platform.storage().begin();
        auto deployments = nlohmann::json::array();
        std::vector<std::pair<sdk::Id, std::string>> behind;  // id, "test, version 2"
        for (const auto& d : tx->list_deployments(account_id)) {
            if (d.course_id != result.course.id || d.archived_at) continue;
            const auto version = tx->get_version(account_id, d.version_id);
            const int number = version ? version->number : 0;
            deployments.push_back({{"id", d.id}, {"environment", d.environment}, {"version", number}});
            if (number != result.version.number)
                behind.emplace_back(d.id, d.environment + ", version " + std::to_string(number));
        }
        if (parsed.flag("json")) {
            auto warnings = nlohmann::json::array();
            for (const auto& w : result.warnings) warnings.push_back(w.to_string());
            io.out << nlohmann::json{{"course", result.course.name},
                                     {"course_id", result.course.id},
                                     {"version", result.version.number},
                                     {"version_id", result.version.id},
                                     {"published", result.published},
                                     {"elements", result.elements},
                                     {"warnings", warnings},
                                     {"deployments", deployments}}
                          .dump(2)
                   << "\n";
            return 0;
        }
        print_problems(io.out, result.warnings);
        if (result.published)
            io.out << "published course " << result.course.name << " (id " << result.course.id << ") version "
                   << result.version.number << ": " << result.elements << " elements\n";
        else
            io.out << "course " << result.course.name << " version " << result.version.number
                   << " has exactly these elements already: nothing published\n";
        for (const auto& [id, what] : behind)
            io.out << "deployment " << id << " (" << what << "): move it with profo deploy upgrade " << id
                   << "\n";
    } catch (const CourseImportError& e) {
        print_problems(io.out, e.problems());
        return 1;
    } catch (const PluginFailures& e) {
        return report_command_failure(io, e);
    } catch (const std::exception& e) {
        io.err << "profo course publish: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

int run_versions(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one COURSE (id or name)");
    const sdk::Id account_id = account_option(parsed);
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        auto tx = account_transaction(platform, account_id);
        const auto& ref = parsed.positionals()[0];
        const auto course = find_course(*tx, account_id, ref);
        if (!course)
            throw std::runtime_error("no course '" + ref + "' in account " + std::to_string(account_id));
        const auto deployments = tx->list_deployments(account_id);
        auto list = nlohmann::json::array();
        for (const auto& v : tx->list_versions(account_id, course->id)) {
            auto carried_by = nlohmann::json::array();
            for (const auto& d : deployments)
                if (d.version_id == v.id && !d.archived_at)
                    carried_by.push_back({{"id", d.id}, {"environment", d.environment}});
            list.push_back({{"number", v.number},
                            {"id", v.id},
                            {"source", v.source_name},
                            {"published_at", format_time(v.created_at)},
                            {"elements", tx->version_elements(account_id, v.id).size()},
                            {"deployments", carried_by}});
        }
        if (parsed.flag("json")) {
            io.out << nlohmann::json{{"course", course->name}, {"course_id", course->id}, {"versions", list}}
                          .dump(2)
                   << "\n";
            return 0;
        }
        io.out << std::left << std::setw(9) << "VERSION" << std::setw(23) << "PUBLISHED" << std::setw(10)
               << "ELEMENTS" << std::setw(24) << "SOURCE"
               << "DEPLOYMENTS\n";
        for (const auto& v : list) {
            std::string carried;
            for (const auto& d : v["deployments"])
                carried += (carried.empty() ? "" : ", ") + std::to_string(d["id"].get<sdk::Id>()) + " (" +
                           d["environment"].get<std::string>() + ")";
            io.out << std::setw(9) << v["number"].get<int>() << std::setw(23)
                   << v["published_at"].get<std::string>() << std::setw(10)
                   << v["elements"].get<std::size_t>() << std::setw(24) << v["source"].get<std::string>()
                   << (carried.empty() ? "-" : carried) << "\n";
        }
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
}

int run_export(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "version", "output"}, {});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one COURSE (id or name)");
    const sdk::Id account_id = account_option(parsed);
    std::optional<std::int64_t> number;
    if (auto v = parsed.value("version")) {
        number = parse_positive(*v);
        if (!number) throw UsageError("--version needs a positive version number, not '" + *v + "'");
    }
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        auto tx = account_transaction(platform, account_id);
        const auto& ref = parsed.positionals()[0];
        const auto course = find_course(*tx, account_id, ref);
        if (!course)
            throw std::runtime_error("no course '" + ref + "' in account " + std::to_string(account_id));
        std::optional<sdk::CourseVersion> version;
        if (number) {
            for (const auto& v : tx->list_versions(account_id, course->id))
                if (v.number == *number) version = v;
            if (!version)
                throw std::runtime_error("course " + course->name + " has no version " +
                                         std::to_string(*number));
        } else {
            version = latest_version(*tx, account_id, course->id);
            if (!version) throw std::runtime_error("course " + course->name + " has no versions");
        }
        const auto yaml = export_course_yaml(tx->version_elements(account_id, version->id));
        if (auto output = parsed.value("output")) {
            std::ofstream out(*output, std::ios::binary | std::ios::trunc);
            out << yaml;
            out.close();
            if (!out) throw std::runtime_error("cannot write " + *output);
            io.err << "exported course " << course->name << " version " << version->number << " to "
                   << *output << "\n";
        } else {
            io.out << yaml;
        }
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
}

int run_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    const sdk::Id account_id = account_option(parsed);
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        auto tx = account_transaction(platform, account_id);
        const auto courses = tx->list_courses(account_id);
        std::size_t width = 4;
        for (const auto& c : courses) width = std::max(width, c.name.size());
        io.out << std::left << std::setw(8) << "ID" << std::setw(static_cast<int>(width) + 2) << "NAME"
               << std::setw(9) << "VERSION"
               << "ELEMENTS\n";
        for (const auto& c : courses) {
            const auto version = latest_version(*tx, account_id, c.id);
            io.out << std::setw(8) << c.id << std::setw(static_cast<int>(width) + 2) << c.name << std::setw(9)
                   << (version ? std::to_string(version->number) : "-")
                   << (version ? tx->version_elements(account_id, version->id).size() : 0) << "\n";
        }
        if (courses.empty()) io.err << "no courses in account " << account_id << "\n";
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
}

int run_schema(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config"}, {});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    auto config = load_command_config(io, args);
    if (!config) return 2;
    PluginRegistry plugins(*config, discover_plugins(config->resolved_search_paths()));
    for (const auto& f : plugins.failures()) io.err << "plugin problem: " << f << "\n";
    io.out << course_json_schema(plugins).dump(2) << "\n";
    return 0;
}

}  // namespace

void add_course_commands(CommandTree& tree) {
    add_course_subcommand(tree,
                          {"validate",
                           "check course files without storing them",
                           "Usage: profo course validate [--config FILE] FILE...\n\n"
                           "Parses each course file and has every element checked by the plugin of its\n"
                           "type. Prints one line per problem, in file order:\n\n"
                           "  FILE:LINE: element ID: message            (an error)\n"
                           "  FILE:LINE: warning: element ID: message   (a warning)\n\n"
                           "Errors are YAML syntax errors, bad element ids, missing or unknown types and\n"
                           "whatever the element plugins refuse (missing fields, bad durations, goto\n"
                           "targets that do not exist, ...). Warnings are unknown fields (kept as they\n"
                           "are) and repeated element ids (the later definition replaces the earlier one\n"
                           "at the earlier one's position, as the legacy bot did). A summary per file\n"
                           "goes to stderr. Only the element plugins are loaded; no database is opened.\n\n"
                           "Exit status: 0 when no file has errors (warnings allowed), 1 when any has,\n"
                           "2 on a usage or config error.",
                           run_validate,
                           {}});
    add_course_subcommand(tree,
                          {"import",
                           "store a course file as a new course or a new version",
                           "Usage: profo course import [--config FILE] [--account ID] [--name NAME] FILE\n\n"
                           "Validates FILE like 'profo course validate' and, when it has no errors,\n"
                           "stores its elements in one transaction: as version 1 of a new course named\n"
                           "NAME, or as the next version of the account's course of that name. With any\n"
                           "error nothing is stored: every problem is printed and the exit status is 1.\n"
                           "Warnings are printed and do not stop the import. Migrates the database first.\n\n"
                           "  --account ID   the account (tenant) to import into; default 1\n"
                           "  --name NAME    the course name; default the file name without extension\n\n"
                           "Prints: imported course NAME (id N) version V: K elements",
                           run_import,
                           {}});
    add_course_subcommand(
        tree, {"publish",
               "publish a course file as the next version of a course",
               "Usage: profo course publish [--config FILE] [--account ID] [--json] COURSE [FILE|-]\n\n"
               "Validates FILE (standard input when it is left out or '-') like 'profo course\n"
               "validate' and, when it has no errors, stores it in one transaction as the next\n"
               "version of the account's existing COURSE (id or name). A published version never\n"
               "changes: deployments carry one (profo deploy create --version N, profo deploy\n"
               "upgrade) and each run plays the version it started on to its end. With any error\n"
               "nothing is stored: every problem is printed as FILE:LINE: ... and the exit status\n"
               "is 1. When the latest version has exactly these elements, nothing is published.\n"
               "A new course is made by 'profo course import FILE --name NAME'.\n\n"
               "  --account ID   the account (tenant); default 1\n"
               "  --json         the result as JSON, with the course's deployments\n\n"
               "Prints: published course NAME (id N) version V: K elements, then the deployments\n"
               "of the course that carry an older version.",
               run_publish,
               {}});
    add_course_subcommand(tree,
                          {"versions",
                           "list a course's published versions",
                           "Usage: profo course versions [--config FILE] [--account ID] [--json] COURSE\n\n"
                           "Prints each version of COURSE (id or name), oldest first: its number, when\n"
                           "it was published, its elements, the file it came from and the deployments\n"
                           "that carry it (archived ones left out).",
                           run_versions,
                           {}});
    add_course_subcommand(tree,
                          {"export",
                           "write a stored course version as YAML",
                           "Usage: profo course export [--config FILE] [--account ID] [--version N]\n"
                           "                           [--output FILE] COURSE\n\n"
                           "Writes the elements of a stored version as a course file: elements in course\n"
                           "order, fields in their original order, unknown fields included, multi-line\n"
                           "text as literal blocks. Importing the result yields the same elements.\n\n"
                           "  COURSE         the course id or name\n"
                           "  --account ID   the account (tenant) the course belongs to; default 1\n"
                           "  --version N    the version number; default the latest\n"
                           "  --output FILE  write to FILE instead of stdout",
                           run_export,
                           {}});
    add_course_subcommand(tree, {"list",
                                 "list an account's courses",
                                 "Usage: profo course list [--config FILE] [--account ID]\n\n"
                                 "Prints each course of the account with its id, name, latest version\n"
                                 "number and the number of elements in that version.\n\n"
                                 "  --account ID   the account (tenant); default 1",
                                 run_list,
                                 {}});
    add_course_subcommand(tree,
                          {"schema",
                           "print the JSON Schema of course files",
                           "Usage: profo course schema [--config FILE]\n\n"
                           "Prints the JSON Schema (draft 2020-12) of a course document for the element\n"
                           "plugins the config enables, with a title and description for every field,\n"
                           "so editors can check and complete course YAML. For the YAML language server\n"
                           "save it and start the course file with:\n\n"
                           "  # yaml-language-server: $schema=./course.schema.json",
                           run_schema,
                           {}});
}

}  // namespace profo::host
