// Courses and their versions: YAML in (checked, all or nothing, problems with
// their lines), YAML out, the versions a course has had.
#include "admin/admin_catalogue.hpp"
#include "admin/record_json.hpp"
#include "course/course_document.hpp"
#include "text/record_name.hpp"

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

namespace {

json problem_json(const CourseProblem& p) {
    return {{"severity", p.warning ? "warning" : "error"},
            {"file", p.file},
            {"line", p.line},
            {"element_id", p.element_id},
            {"message", p.message}};
}

json problems_json(const std::vector<CourseProblem>& problems) {
    json list = json::array();
    for (const auto& p : problems) list.push_back(problem_json(p));
    return list;
}

// A course file with errors: refused, naming the first, with all of them in the details.
[[noreturn]] void refuse_course(const std::vector<CourseProblem>& problems) {
    std::string message = "the course has errors";
    for (const auto& p : problems)
        if (!p.warning) {
            message = p.to_string();
            break;
        }
    throw sdk::AdminError(sdk::AdminError::Code::invalid_argument, message, "/content",
                          json{{"problems", problems_json(problems)}}.dump());
}

const json kProblems = {{"type", "array"},
                        {"items",
                         {{"type", "object"},
                          {"properties",
                           {{"severity", {{"enum", {"error", "warning"}}}},
                            {"file", {{"type", "string"}}},
                            {"line", {{"type", "integer"}}},
                            {"element_id", {{"type", "string"}}},
                            {"message", {{"type", "string"}}}}}}}};

}  // namespace

sdk::Course course_of(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id course_id) {
    auto course = tx.get_course(account_id, course_id);
    if (!course)
        throw sdk::AdminError(
            sdk::AdminError::Code::not_found,
            "account " + std::to_string(account_id) + " has no course " + std::to_string(course_id),
            "/course_id");
    return *course;
}

std::vector<sdk::CourseVersion> versions_of(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id course_id) {
    course_of(tx, account_id, course_id);
    return tx.list_versions(account_id, course_id);
}

sdk::CourseVersion version_numbered(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id course_id,
                                    std::int64_t number, const std::string& field) {
    for (auto& v : versions_of(tx, account_id, course_id))
        if (v.number == number) return v;
    throw sdk::AdminError(sdk::AdminError::Code::not_found,
                          "course " + std::to_string(course_id) + " has no version " + std::to_string(number),
                          field);
}

void add_course_operations(AdminCatalogue& c) {
    const ArgumentSpec course{"course_id", Type::id, "the course", true, true};
    const ArgumentSpec content{"content", Type::string, "the course as YAML", true};
    const json version_result = {{"type", "object"},
                                 {"properties",
                                  {{"course", record_schema("Course")},
                                   {"version", record_schema("Version")},
                                   {"warnings", kProblems},
                                   {"published", {{"type", "boolean"}}}}}};

    c.add({"courses.list", "the account's courses", "GET", "/courses", AdminRole::admin}, {},
          list_of("courses", "Course"), [&c](const AdminCall& call) {
              auto tx = c.deps().storage.begin_read();
              json list = json::array();
              for (const auto& course : tx->list_courses(call.caller.account_id)) {
                  auto item = course_json(course);
                  const auto versions = tx->list_versions(call.caller.account_id, course.id);
                  item["latest_version"] = versions.empty() ? json(nullptr) : json(versions.back().number);
                  list.push_back(std::move(item));
              }
              tx->commit();
              return json{{"courses", list}};
          });
    c.add({"courses.check", "check a course file without storing anything", "POST", "/courses/check",
           AdminRole::admin},
          {content, {"file", Type::string, "the name problems are reported under (course.yml)"}},
          {{"type", "object"}, {"properties", {{"ok", {{"type", "boolean"}}}, {"problems", kProblems}}}},
          [&c](const AdminCall& call) {
              const auto check =
                  check_course(*call.arguments.string("content"),
                               call.arguments.string("file").value_or("course.yml"), c.deps().plugins);
              return json{{"ok", check.ok()}, {"problems", problems_json(check.problems)}};
          });
    c.add(
        {"courses.create", "a new course from a course file: its version 1", "POST", "/courses",
         AdminRole::admin},
        {{"name", Type::string, "the course's name, unique in the account", true},
         content,
         {"file", Type::string, "the file's name, kept as the version's source"}},
        version_result, [&c](const AdminCall& call) {
            const auto name = *call.arguments.string("name");
            if (auto problem = record_name_problem(name, "course name", kMaxCourseNameCharacters))
                throw sdk::AdminError(sdk::AdminError::Code::invalid_argument, "name: " + *problem, "/name");
            const auto file = call.arguments.string("file").value_or("panel");
            {
                auto tx = c.deps().storage.begin();
                const auto existing = tx->find_course(call.caller.account_id, name);
                tx->commit();
                if (existing)
                    throw sdk::AdminError(sdk::AdminError::Code::conflict,
                                          "the account has a course called '" + name + "' already (course " +
                                              std::to_string(existing->id) + "): publish a new version of it",
                                          "/name");
            }
            try {
                auto result = import_course(
                    c.deps().storage, check_course(*call.arguments.string("content"), file, c.deps().plugins),
                    file, call.caller.account_id, name);
                return json{{"course", course_json(result.course)},
                            {"version", version_json(result.version)},
                            {"warnings", problems_json(result.warnings)},
                            {"published", true}};
            } catch (const CourseImportError& e) {
                refuse_course(e.problems());
            }
        });
    c.add({"versions.list", "a course's published versions", "GET", "/courses/{course_id}/versions",
           AdminRole::admin},
          {course}, list_of("versions", "Version"), [&c](const AdminCall& call) {
              auto tx = c.deps().storage.begin_read();
              const auto found = course_of(*tx, call.caller.account_id, call.arguments.id("course_id"));
              json list = json::array();
              for (const auto& v : tx->list_versions(call.caller.account_id, found.id))
                  list.push_back(version_json(v));
              tx->commit();
              return json{{"versions", list}};
          });
    c.add(
        {"versions.publish", "publish a course file as the course's next version", "POST",
         "/courses/{course_id}/versions", AdminRole::admin},
        {course, content, {"file", Type::string, "the file's name, kept as the version's source"}},
        version_result, [&c](const AdminCall& call) {
            const auto file = call.arguments.string("file").value_or("panel");
            // The id, and only the id: publishing goes by id first and then
            // by name, and a course named "2" is not course 2.
            course_of(*c.deps().storage.begin_read(), call.caller.account_id, call.arguments.id("course_id"));
            try {
                auto result = publish_course(
                    c.deps().storage, check_course(*call.arguments.string("content"), file, c.deps().plugins),
                    file, call.caller.account_id, std::to_string(call.arguments.id("course_id")));
                return json{{"course", course_json(result.course)},
                            {"version", version_json(result.version)},
                            {"warnings", problems_json(result.warnings)},
                            {"published", result.published}};
            } catch (const CourseImportError& e) {
                refuse_course(e.problems());
            }
        });
    sdk::AdminOperation source{"versions.source", "a version's course file (YAML)", "GET",
                               "/courses/{course_id}/versions/{number}/source", AdminRole::admin};
    source.response_content_type = "text/yaml";
    c.add(
        source, {course, {"number", Type::integer, "the version's number (1, 2, ...)", true, true}},
        {{"type", "object"}, {"properties", {{"content", {{"type", "string"}}}}}},
        [&c](const AdminCall& call) {
            auto tx = c.deps().storage.begin_read();
            const auto v = version_numbered(*tx, call.caller.account_id, call.arguments.id("course_id"),
                                            *call.arguments.integer("number"), "/number");
            return json{{"content", export_course_yaml(tx->version_elements(call.caller.account_id, v.id))}};
        });
    c.add({"versions.outline", "a version's elements in course order, each with the section it is in", "GET",
           "/courses/{course_id}/versions/{number}/outline", AdminRole::admin},
          {course, {"number", Type::integer, "the version's number (1, 2, ...)", true, true}},
          {{"type", "object"},
           {"properties",
            {{"elements",
              {{"type", "array"},
               {"items",
                {{"type", "object"},
                 {"properties",
                  {{"element_id", {{"type", "string"}}},
                   {"type", {{"type", "string"}}},
                   {"section",
                    {{"type", "string"}, {"description", "the title of the section above it"}}}}}}}}}}}},
          [&c](const AdminCall& call) {
              auto tx = c.deps().storage.begin_read();
              const auto v = version_numbered(*tx, call.caller.account_id, call.arguments.id("course_id"),
                                              *call.arguments.integer("number"), "/number");
              json elements = json::array();
              std::string section;
              for (const auto& e : tx->version_elements(call.caller.account_id, v.id)) {
                  if (e.type == "section") {
                      const auto body = json::parse(e.body_json, nullptr, false);
                      section = body.is_object() ? body.value("title", e.element_id) : e.element_id;
                  }
                  elements.push_back({{"element_id", e.element_id}, {"type", e.type}, {"section", section}});
              }
              return json{{"elements", elements}};
          });
    c.add({"courses.schema", "the course file's JSON Schema, with the fields of every enabled element type",
           "GET", "/courses/schema", AdminRole::admin},
          {}, {{"type", "object"}}, [&c](const AdminCall&) { return course_json_schema(c.deps().plugins); });
}

}  // namespace profo::host
