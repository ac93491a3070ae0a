// What the account's courses did with their students: runs by status, a
// funnel per course version with drop-off and average scores, cohorts by
// start week, tokens and UTM sources; runs and answers as CSV.
#include "admin/admin_catalogue.hpp"
#include "admin/record_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <sstream>

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

namespace {

using Code = sdk::AdminError::Code;

std::vector<ArgumentSpec> filter_specs() {
    return {{"course_id", Type::id, "only runs of this course"},
            {"version", Type::integer, "with course_id: only runs of this version (its number)"},
            {"deployment_id", Type::id, "only runs of this deployment"},
            {"from", Type::time, "only runs started at or after this"},
            {"to", Type::time, "only runs started before this"}};
}

// The versions a course's runs play, or one of them.
sdk::AnalyticsFilter filter_of(sdk::StorageTx& tx, const AdminCall& call) {
    const auto& a = call.arguments;
    sdk::AnalyticsFilter f;
    const auto account = call.caller.account_id;
    if (const auto course = a.optional_id("course_id")) {
        if (const auto number = a.integer("version"))
            f.version_ids.push_back(version_numbered(tx, account, *course, *number, "/version").id);
        else
            for (const auto& v : versions_of(tx, account, *course)) f.version_ids.push_back(v.id);
        // A course with no versions has no runs: select none rather than all.
        if (f.version_ids.empty()) f.version_ids.push_back(0);
    } else if (a.has("version")) {
        throw sdk::AdminError(Code::invalid_argument, "version: name the course_id it belongs to",
                              "/version");
    }
    if (const auto deployment = a.optional_id("deployment_id")) {
        if (!tx.get_deployment(account, *deployment))
            throw sdk::AdminError(
                Code::not_found,
                "account " + std::to_string(account) + " has no deployment " + std::to_string(*deployment),
                "/deployment_id");
        f.deployment_id = deployment;
    }
    f.started_from = a.time("from");
    f.started_before = a.time("to");
    return f;
}

// {"<key>": [{...}]}: a list of objects with these properties.
json list_of_object(const std::string& key, const json& properties) {
    return {{"type", "object"},
            {"properties",
             {{key, {{"type", "array"}, {"items", {{"type", "object"}, {"properties", properties}}}}}}},
            {"required", {key}}};
}

json utm_of(const std::string& utm_json) {
    auto utm = json::parse(utm_json, nullptr, false);
    return utm.is_object() ? utm : json::object();
}

std::string csv_cell(const std::string& text) {
    // A cell a spreadsheet would run as a formula is quoted as text.
    const bool formula = !text.empty() && std::string("=+-@").find(text.front()) != std::string::npos;
    if (!formula && text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    if (formula) out += "'";
    for (const char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string csv_row(const std::vector<std::string>& cells) {
    std::string row;
    for (std::size_t i = 0; i < cells.size(); ++i) row += (i ? "," : "") + csv_cell(cells[i]);
    return row + "\r\n";
}

std::string optional_text(const std::optional<double>& v) {
    if (!v) return "";
    std::ostringstream out;
    out << *v;
    return out.str();
}

// What a student said or chose, from an entry's payload.
std::string answer_text(const std::string& payload_json) {
    const auto p = json::parse(payload_json, nullptr, false);
    if (!p.is_object()) return "";
    for (const char* key : {"text", "answer", "data", "option_text"})
        if (p.contains(key) && p[key].is_string()) return p[key].get<std::string>();
    if (p.contains("option_ids")) return p["option_ids"].dump();
    return p.dump();
}

}  // namespace

void add_analytics_operations(AdminCatalogue& c) {
    json counts = {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}};
    c.add(
        {"analytics.runs", "runs by status", "GET", "/analytics/runs", AdminRole::admin}, filter_specs(),
        {{"type", "object"}, {"properties", {{"statuses", counts}, {"total", {{"type", "integer"}}}}}},
        [&c](const AdminCall& call) {
            auto tx = c.deps().storage.begin_read();
            json statuses = json::object();
            for (const auto s : {sdk::RunStatus::active, sdk::RunStatus::completed, sdk::RunStatus::abandoned,
                                 sdk::RunStatus::blocked, sdk::RunStatus::stopped})
                statuses[sdk::to_string(s)] = 0;
            std::int64_t total = 0;
            for (const auto& row : tx->run_status_counts(call.caller.account_id, filter_of(*tx, call))) {
                statuses[sdk::to_string(row.status)] =
                    statuses[sdk::to_string(row.status)].get<std::int64_t>() + row.runs;
                total += row.runs;
            }
            tx->commit();
            return json{{"statuses", statuses}, {"total", total}};
        });

    const json step = {
        {"type", "object"},
        {"properties",
         {{"element_id", {{"type", "string"}}},
          {"type", {{"type", "string"}}},
          {"reached", {{"type", "integer"}}},
          {"drop_off", {{"type", "integer"}, {"description", "reached this but not the next"}}},
          {"answers_scored", {{"type", "integer"}}},
          {"average_score", {{"type", {"number", "null"}}}},
          {"average_maxscore", {{"type", {"number", "null"}}}}}}};
    c.add({"analytics.funnel", "students reaching each element of a course version, and its average scores",
           "GET", "/analytics/funnel", AdminRole::admin},
          {{"course_id", Type::id, "the course", true},
           {"version", Type::integer, "the version's number (the latest when not given)"}},
          {{"type", "object"},
           {"properties",
            {{"course_id", {{"type", "integer"}}},
             {"version", {{"type", "integer"}}},
             {"steps", {{"type", "array"}, {"items", step}}}}}},
          [&c](const AdminCall& call) {
              const auto account = call.caller.account_id;
              const auto course = call.arguments.id("course_id");
              auto tx = c.deps().storage.begin_read();
              sdk::CourseVersion version;
              if (const auto number = call.arguments.integer("version")) {
                  version = version_numbered(*tx, account, course, *number, "/version");
              } else {
                  const auto all = versions_of(*tx, account, course);
                  if (all.empty())
                      throw sdk::AdminError(Code::not_found,
                                            "course " + std::to_string(course) + " has no versions",
                                            "/course_id");
                  version = all.back();
              }
              std::map<std::string, sdk::ElementProgress> progress;
              for (auto& p : tx->element_progress(account, version.id)) progress[p.element_id] = p;
              json steps = json::array();
              for (const auto& element : tx->version_elements(account, version.id)) {
                  const auto found = progress.find(element.element_id);
                  const sdk::ElementProgress p =
                      found == progress.end() ? sdk::ElementProgress{} : found->second;
                  json average = nullptr, average_max = nullptr;
                  if (p.scored > 0) {
                      average = p.score_sum / static_cast<double>(p.scored);
                      average_max = p.maxscore_sum / static_cast<double>(p.scored);
                  }
                  steps.push_back({{"element_id", element.element_id},
                                   {"type", element.type},
                                   {"reached", p.reached},
                                   {"drop_off", 0},
                                   {"answers_scored", p.scored},
                                   {"average_score", average},
                                   {"average_maxscore", average_max}});
              }
              tx->commit();
              for (std::size_t i = 0; i + 1 < steps.size(); ++i)
                  steps[i]["drop_off"] =
                      std::max<std::int64_t>(0, steps[i]["reached"].get<std::int64_t>() -
                                                    steps[i + 1]["reached"].get<std::int64_t>());
              return json{{"course_id", course}, {"version", version.number}, {"steps", steps}};
          });

    c.add({"analytics.cohorts", "runs by the week they started (Monday, UTC), with completion", "GET",
           "/analytics/cohorts", AdminRole::admin},
          filter_specs(),
          list_of_object("cohorts", {{"week", {{"type", "string"}, {"format", "date"}}},
                                     {"started", {{"type", "integer"}}},
                                     {"completed", {{"type", "integer"}}},
                                     {"completion_rate", {{"type", "number"}}}}),
          [&c](const AdminCall& call) {
              auto tx = c.deps().storage.begin_read();
              json list = json::array();
              for (const auto& row : tx->run_cohorts(call.caller.account_id, filter_of(*tx, call)))
                  list.push_back({{"week", time_json(row.week_start).get<std::string>().substr(0, 10)},
                                  {"started", row.started},
                                  {"completed", row.completed},
                                  {"completion_rate", row.started ? static_cast<double>(row.completed) /
                                                                        static_cast<double>(row.started)
                                                                  : 0.0}});
              tx->commit();
              return json{{"cohorts", list}};
          });

    c.add({"analytics.sources", "starts and completions by token and UTM source", "GET", "/analytics/sources",
           AdminRole::admin},
          filter_specs(),
          list_of_object("sources", {{"token_id", {{"type", {"integer", "null"}}}},
                                     {"token_label", {{"type", "string"}}},
                                     {"token_type", {{"type", "string"}}},
                                     {"utm_source", {{"type", "string"}}},
                                     {"utm_medium", {{"type", "string"}}},
                                     {"utm_campaign", {{"type", "string"}}},
                                     {"started", {{"type", "integer"}}},
                                     {"completed", {{"type", "integer"}}}}),
          [&c](const AdminCall& call) {
              const auto account = call.caller.account_id;
              auto tx = c.deps().storage.begin_read();
              std::map<sdk::Id, sdk::EnrollmentToken> tokens;
              for (const auto& d : tx->list_deployments(account))
                  for (auto& t : tx->list_tokens(account, d.id)) tokens[t.id] = t;
              json list = json::array();
              for (const auto& row : tx->run_sources(account, filter_of(*tx, call))) {
                  const auto utm = utm_of(row.utm_json);
                  const auto token = row.token_id ? tokens.find(*row.token_id) : tokens.end();
                  list.push_back({{"token_id", row.token_id ? json(*row.token_id) : json(nullptr)},
                                  {"token_label", token == tokens.end() ? "" : token->second.label},
                                  {"token_type", token == tokens.end() ? "" : token->second.type},
                                  {"utm_source", utm.value("source", "")},
                                  {"utm_medium", utm.value("medium", "")},
                                  {"utm_campaign", utm.value("campaign", "")},
                                  {"started", row.started},
                                  {"completed", row.completed}});
              }
              tx->commit();
              return json{{"sources", list}};
          });

    sdk::AdminOperation runs_csv{"exports.runs", "the runs as CSV, one per line", "GET", "/exports/runs.csv",
                                 AdminRole::admin};
    runs_csv.response_content_type = "text/csv";
    c.add(runs_csv, filter_specs(), {{"type", "object"}, {"properties", {{"content", {{"type", "string"}}}}}},
          [&c](const AdminCall& call) {
              const auto account = call.caller.account_id;
              auto tx = c.deps().storage.begin_read();
              const auto filter = filter_of(*tx, call);
              std::string csv = csv_row({"run_id", "deployment_id", "version_id", "bot_id", "user_id",
                                         "username", "token_id", "status", "at_element", "utm_source",
                                         "utm_medium", "utm_campaign", "started_at", "ended_at"});
              sdk::RunFilter page;
              page.deployment_id = filter.deployment_id;
              page.started_from = filter.started_from;
              page.started_before = filter.started_before;
              page.limit = 1000;
              for (;; page.offset += page.limit) {
                  const auto runs = tx->list_runs(account, page);
                  for (const auto& r : runs) {
                      if (!filter.version_ids.empty() &&
                          std::find(filter.version_ids.begin(), filter.version_ids.end(), r.version_id) ==
                              filter.version_ids.end())
                          continue;
                      const auto utm = utm_of(r.utm_json);
                      csv += csv_row(
                          {std::to_string(r.id), std::to_string(r.deployment_id),
                           std::to_string(r.version_id), std::to_string(r.bot_id), std::to_string(r.user_id),
                           r.username, r.token_id ? std::to_string(*r.token_id) : std::string(),
                           std::string(sdk::to_string(r.status)), r.cursor,
                           utm.value("source", std::string()), utm.value("medium", std::string()),
                           utm.value("campaign", std::string()), time_json(r.started_at).get<std::string>(),
                           r.ended_at ? time_json(r.ended_at).get<std::string>() : std::string()});
                  }
                  if (static_cast<int>(runs.size()) < page.limit) break;
              }
              tx->commit();
              return json{{"content", csv}};
          });

    sdk::AdminOperation answers_csv{"exports.answers", "students' answers as CSV, one per line", "GET",
                                    "/exports/answers.csv", AdminRole::admin};
    answers_csv.response_content_type = "text/csv";
    c.add(answers_csv, filter_specs(),
          {{"type", "object"}, {"properties", {{"content", {{"type", "string"}}}}}},
          [&c](const AdminCall& call) {
              const auto account = call.caller.account_id;
              auto tx = c.deps().storage.begin_read();
              const auto filter = filter_of(*tx, call);
              std::string csv =
                  csv_row({"run_id", "element_id", "answer", "score", "maxscore", "attempt", "at"});
              sdk::Id after = 0;
              for (;;) {
                  const auto page = tx->conversation_page(account, filter, after, 5000);
                  for (const auto& e : page) {
                      after = e.id;
                      if (e.role != "user") continue;
                      csv += csv_row({std::to_string(e.run_id), e.element_id, answer_text(e.payload_json),
                                      optional_text(e.score), optional_text(e.maxscore),
                                      std::to_string(e.attempt), time_json(e.created_at).get<std::string>()});
                  }
                  if (page.size() < 5000) break;
              }
              tx->commit();
              return json{{"content", csv}};
          });
}

}  // namespace profo::host
