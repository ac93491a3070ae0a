// The platform's services for the people who run it (2.3): accounts,
// members, bots, courses and their versions, deployments, tokens, runs, bans,
// analytics. The host implements them once; the CLI and transports that face
// creators (the panel's REST API) call the same operations, so a rule such as
// "a bot with live deployments is not removed" has one home.
//
// Operations take and return JSON. Each one describes itself (AdminOperation)
// with JSON Schemas of its arguments and result and the HTTP route it is
// served on, so a transport builds its routes and its OpenAPI document from
// operations() without knowing any one operation.
#pragma once

#include <profo/sdk/abi.hpp>
#include <profo/sdk/records.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::sdk {

// Who may call an operation, weakest first: an admin manages content, an
// owner also the account's members and API keys; the platform's operator (the
// CLI on the server) every account, and the accounts themselves.
enum class AdminRole { admin = 1, owner = 2, platform = 3 };

constexpr const char* to_string(AdminRole role) noexcept {
    switch (role) {
        case AdminRole::admin: return "admin";
        case AdminRole::owner: return "owner";
        case AdminRole::platform: return "platform";
    }
    return "unknown";
}

// Whom an operation is done for: an account, by someone holding a role in it.
struct AdminCaller {
    Id account_id = 0;
    AdminRole role = AdminRole::admin;
    std::int64_t telegram_user_id = 0;  // 0: an API key or the platform's operator
    std::string request_id;             // for the logs
};

// Why an operation was refused. The message is for the person who asked
// (it never holds a secret); `field` names the argument that was wrong, in
// JSON Pointer form ("/max_uses"), when one was.
class PROFO_SDK_API AdminError : public std::runtime_error {
public:
    enum class Code {
        invalid_argument,  // HTTP 400 / 422
        not_found,         // 404: also anything of another account
        conflict,          // 409: the state forbids it (live deployments, last owner)
        forbidden,         // 403: the caller's role is too weak
        unavailable,       // 503: a dependency (Telegram, the database) failed
    };
    AdminError(Code code, const std::string& message, std::string field = {}, std::string details_json = {})
        : std::runtime_error(message),
          code_(code),
          field_(std::move(field)),
          details_(std::move(details_json)) {}
    Code code() const noexcept { return code_; }
    const std::string& field() const noexcept { return field_; }
    // JSON text of what a program may want besides the message (a course
    // file's problems, each with its line), or empty.
    const std::string& details_json() const noexcept { return details_; }

private:
    Code code_;
    std::string field_;
    std::string details_;
};

constexpr const char* to_string(AdminError::Code code) noexcept {
    switch (code) {
        case AdminError::Code::invalid_argument: return "invalid_argument";
        case AdminError::Code::not_found: return "not_found";
        case AdminError::Code::conflict: return "conflict";
        case AdminError::Code::forbidden: return "forbidden";
        case AdminError::Code::unavailable: return "unavailable";
    }
    return "unknown";
}

// The most a course's YAML may be (2.11): what the operations that take one
// (as their `content` argument) accept, whoever calls them.
inline constexpr std::size_t kMaxCourseSourceBytes = std::size_t{4} * 1024 * 1024;

struct AdminOperation {
    AdminOperation() = default;
    AdminOperation(std::string name_, std::string summary_, std::string method_, std::string path_,
                   AdminRole role_ = AdminRole::admin)
        : name(std::move(name_)),
          summary(std::move(summary_)),
          method(std::move(method_)),
          path(std::move(path_)),
          role(role_) {}

    std::string name;     // "deployments.promote": unique, stable
    std::string summary;  // one line, for people
    // The route under an account: "POST" and "/deployments/{deployment_id}/promote".
    // A transport serves it under its own prefix (the panel:
    // /api/v1/accounts/{account_id}). Each "{name}" is an argument.
    std::string method;
    std::string path;
    AdminRole role = AdminRole::admin;  // the least role that may call it
    // JSON Schema (draft 2020-12) text of the arguments object: path
    // segments, query parameters and the JSON body, merged. Path and query
    // values arrive as strings; an operation accepts "12" where it asks for 12.
    std::string arguments_schema;
    std::string result_schema;  // JSON Schema text of what call() returns
    // Content types beyond JSON: "text/yaml" for a course's source, "text/csv".
    std::string request_content_type;   // the body is then the "content" argument
    std::string response_content_type;  // the result is then {"content": "..."}
    bool changes_state() const { return method != "GET"; }
};

class PROFO_SDK_API AdminServices {
public:
    virtual ~AdminServices() = default;
    virtual const std::vector<AdminOperation>& operations() const = 0;
    // Runs `operation` for `caller`: one transaction, so a refused call
    // changes nothing. Throws AdminError; any other exception is a fault.
    virtual nlohmann::json call(const std::string& operation, const AdminCaller& caller,
                                const nlohmann::json& arguments) = 0;
    // The accounts a Telegram user is a member of, with the role held in
    // each: what a panel's account switcher offers after sign-in.
    virtual std::vector<std::pair<Account, AdminRole>> accounts_of(std::int64_t telegram_user_id) = 0;
};

}  // namespace profo::sdk
