// The REST API's side of one request, kept apart from the module so the unit
// tests reach it: an operation's arguments from the path, the query and the
// body; the HTTP status and JSON body of an error; cookies.
#pragma once

#include <profo/sdk/admin.hpp>
#include <profo/sdk/host.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace profo::panel {

// Where the API serves every account's operations.
inline constexpr const char* kApiPrefix = "/api/v1";
inline constexpr const char* kAccountPrefix = "/api/v1/accounts/{account_id}";

// A request the API refuses before any operation runs; `code` is the stable
// error code ("unauthenticated", "csrf_token_invalid", "invalid_argument").
class ApiRefusal : public std::runtime_error {
public:
    ApiRefusal(int status, std::string code, const std::string& message, std::string field = {})
        : std::runtime_error(message), status_(status), code_(std::move(code)), field_(std::move(field)) {}
    int status() const noexcept { return status_; }
    const std::string& code() const noexcept { return code_; }
    const std::string& field() const noexcept { return field_; }

private:
    int status_;
    std::string code_;
    std::string field_;
};

// The arguments of `operation` in one JSON object: the route's "{name}"
// segments but `account_id`, the query's pairs, and the body: a JSON object
// whose members are merged (a member that repeats a path or query value
// differently is refused), or, for an operation that takes another content
// type (a course's YAML), the body as the "content" argument. Throws
// ApiRefusal naming what was wrong.
nlohmann::json operation_arguments(const sdk::AdminOperation& operation, const sdk::HttpRequest& request);

// The error body every refusal has:
// {"error": {"code", "message", "field"?, "details"?, "request_id"}}.
sdk::HttpResponse error_response(int status, const std::string& code, const std::string& message,
                                 const std::string& field, const std::string& details_json,
                                 const std::string& request_id);
int status_of(sdk::AdminError::Code code);

sdk::HttpResponse json_response(int status, const nlohmann::json& body);

// The value of cookie `name` in a Cookie header; nothing when absent.
std::optional<std::string> cookie_value(const std::string& cookie_header, const std::string& name);

// The id of the account in the path: a positive whole number, or ApiRefusal(404).
sdk::Id path_account_id(const sdk::HttpRequest& request);

}  // namespace profo::panel
