#include "openapi.hpp"

#include "api_request.hpp"

#include <algorithm>
#include <cctype>

namespace profo::panel {

using nlohmann::json;

namespace {

const json kErrorRef = {{"$ref", "#/components/schemas/Error"}};

json error_responses(bool changes_state) {
    json out = {{"400", {{"description", "an argument was wrong; error.field names it"}}},
                {"401", {{"description", "no session or API key, or an expired one"}}},
                {"403", {{"description", "the role is too weak, or the CSRF token is missing or wrong"}}},
                {"404", {{"description", "no such thing in this account (also another account's)"}}},
                {"503", {{"description", "a dependency failed; nothing was changed"}}}};
    if (changes_state) out["409"] = {{"description", "the state forbids it; nothing was changed"}};
    for (auto& [code, response] : out.items())
        response["content"] = {{"application/json", {{"schema", kErrorRef}}}};
    return out;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

json operation_entry(const sdk::AdminOperation& op) {
    const auto arguments = json::parse(op.arguments_schema);
    json parameters = json::array({{{"name", "account_id"},
                                    {"in", "path"},
                                    {"required", true},
                                    {"schema", {{"type", "integer"}, {"minimum", 1}}}}});
    json body_properties = json::object();
    json body_required = json::array();
    const auto& required = arguments.at("required");
    const bool in_query = !op.changes_state();
    for (const auto& [name, schema] : arguments.at("properties").items()) {
        const bool is_required = std::find(required.begin(), required.end(), name) != required.end();
        json clean = schema;
        clean.erase("x-in");
        if (schema.value("x-in", "") == "path") {
            parameters.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", clean}});
        } else if (in_query) {
            parameters.push_back({{"name", name},
                                  {"in", "query"},
                                  {"required", is_required},
                                  {"description", clean.value("description", "")},
                                  {"schema", clean}});
        } else if (op.request_content_type.empty() || name != "content") {
            body_properties[name] = clean;
            if (is_required) body_required.push_back(name);
        }
    }
    json entry = {{"operationId", op.name},
                  {"summary", op.summary},
                  {"tags", {op.name.substr(0, op.name.find('.'))}},
                  {"parameters", parameters},
                  {"x-role", sdk::to_string(op.role)}};
    if (!op.request_content_type.empty()) {
        entry["requestBody"] = {{"required", true},
                                {"content", {{op.request_content_type, {{"schema", {{"type", "string"}}}}}}}};
    } else if (!in_query) {
        entry["requestBody"] = {{"required", !body_required.empty()},
                                {"content",
                                 {{"application/json",
                                   {{"schema",
                                     {{"type", "object"},
                                      {"properties", body_properties},
                                      {"required", body_required},
                                      {"additionalProperties", false}}}}}}}};
    }
    json ok = {{"description", op.summary}};
    if (!op.response_content_type.empty())
        ok["content"] = {{op.response_content_type, {{"schema", {{"type", "string"}}}}}};
    else
        ok["content"] = {{"application/json", {{"schema", json::parse(op.result_schema)}}}};
    entry["responses"] = error_responses(op.changes_state());
    entry["responses"]["200"] = ok;
    return entry;
}

json path_parameters_of(const std::string& path) {
    json out = json::array();
    for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1)) {
        const auto end = path.find('}', at);
        out.push_back({{"name", path.substr(at + 1, end - at - 1)},
                       {"in", "path"},
                       {"required", true},
                       {"schema", {{"type", "string"}}}});
    }
    return out;
}

}  // namespace

std::vector<sdk::AdminOperation> served_operations(const std::vector<sdk::AdminOperation>& operations) {
    std::vector<sdk::AdminOperation> out;
    for (const auto& op : operations)
        if (op.role != sdk::AdminRole::platform) out.push_back(op);
    return out;
}

json openapi_document(const std::vector<sdk::AdminOperation>& operations,
                      const std::vector<PanelRoute>& panel_routes, const std::string& version) {
    json paths = json::object();
    for (const auto& op : served_operations(operations))
        paths[std::string(kAccountPrefix) + op.path][lower(op.method)] = operation_entry(op);
    for (const auto& route : panel_routes) {
        json entry = {
            {"summary", route.summary}, {"tags", {"session"}}, {"responses", error_responses(true)}};
        entry["responses"]["200"] = {{"description", route.summary}};
        if (const auto params = path_parameters_of(route.path); !params.empty()) entry["parameters"] = params;
        if (!route.needs_session) entry["security"] = json::array();
        paths[route.path][lower(route.method)] = entry;
    }
    return {
        {"openapi", "3.1.0"},
        {"info",
         {{"title", "ProfoChatBot panel API"},
          {"version", version},
          {"description",
           "Every account's courses, bots, deployments, tokens and runs. Sign in with Telegram (a session "
           "cookie; state-changing requests then carry its CSRF token in X-CSRF-Token) or send an API key "
           "as `Authorization: Bearer pk_...`. Lists take limit, offset and sort. Errors are "
           "{\"error\": {\"code\", \"message\", \"field\"?, \"details\"?, \"request_id\"}}."}}},
        {"paths", paths},
        {"components",
         {{"securitySchemes",
           {{"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "profo_session"}}},
            {"apiKey", {{"type", "http"}, {"scheme", "bearer"}}}}},
          {"schemas",
           {{"Error",
             {{"type", "object"},
              {"required", {"error"}},
              {"properties",
               {{"error",
                 {{"type", "object"},
                  {"required", {"code", "message", "request_id"}},
                  {"properties",
                   {{"code", {{"type", "string"}}},
                    {"message", {{"type", "string"}}},
                    {"field", {{"type", "string"}, {"description", "JSON Pointer to the argument"}}},
                    {"details", {{"description", "more, for programs: a course file's problems with lines"}}},
                    {"request_id", {{"type", "string"}}}}}}}}}}}}}}},
        {"security", json::array({{{"session", json::array()}}, {{"apiKey", json::array()}}})}};
}

}  // namespace profo::panel
