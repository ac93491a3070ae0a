// A panel or API request's arguments come from anyone who can reach the
// port: the query string, the body and its content type, the account in the
// path, the cookie. They are merged (plugins/transport/panel/api_request.cpp)
// and then checked against what an operation takes (host/src/admin/
// call_arguments.cpp). Whatever the input, the request is either refused
// with a status, a message and the field at fault, or every argument reads
// back as its declared type and within its limits.
//
// Input: four lines (the query, the Content-Type, the account id in the
// path, the Cookie header), then the body.
#include "admin/call_arguments.hpp"
#include "api_request.hpp"

#include <profo/sdk/admin.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using profo::host::ArgumentSpec;
using Type = ArgumentSpec::Type;

std::string_view next_line(std::string_view& text) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return line;
}

void check(bool condition) {
    if (!condition) std::abort();
}

// A refusal must say what and where, and its answer must be JSON whatever
// bytes the client sent (they are quoted back in the message).
void check_refusal(int status, const std::string& message, const std::string& field) {
    check(status >= 400 && status < 500);
    check(!message.empty());
    check(field.empty() || field.front() == '/');
    const auto response = profo::panel::error_response(status, "invalid_argument", message, field, "", "id");
    check(!nlohmann::json::parse(response.body, nullptr, false).is_discarded());
}

const std::vector<ArgumentSpec>& specs() {
    static const std::vector<ArgumentSpec> all = {
        {"deployment_id", Type::id, "in the path", true, true},
        {"limit", Type::integer, "a page"},
        {"offset", Type::integer, "a page's start"},
        {"time_scale", Type::number, "a number"},
        {"name", Type::string, "a string"},
        {"environment", Type::string, "one of two", false, false, {"test", "prod"}},
        {"active", Type::boolean, "a flag"},
        {"since", Type::time, "a time"},
        {"overrides", Type::object, "an object"},
        {"runs", Type::id_list, "ids"},
        {"content", Type::string, "a body of another type"},
    };
    return all;
}

void read_every_argument(const profo::host::CallArguments& arguments) {
    check(arguments.id("deployment_id") > 0);
    try {
        if (const auto limit = arguments.integer_in("limit", 1, profo::host::kMaxPageLimit))
            check(*limit >= 1 && *limit <= profo::host::kMaxPageLimit);
    } catch (const profo::sdk::AdminError& e) {
        check(e.field() == "/limit");
    }
    (void)arguments.integer("offset");
    if (const auto scale = arguments.number("time_scale")) check(std::isfinite(*scale));
    (void)arguments.string("name");
    if (const auto environment = arguments.string("environment"))
        check(*environment == "test" || *environment == "prod");
    (void)arguments.boolean("active");
    (void)arguments.time("since");
    if (const auto overrides = arguments.object("overrides")) check(overrides->is_object());
    if (arguments.has("runs")) {
        const auto runs = arguments.id_list("runs");
        check(!runs.empty());
        for (const auto id : runs) check(id > 0);
    }
    (void)arguments.string("content");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    profo::sdk::HttpRequest request;
    request.method = "POST";
    request.query = std::string(next_line(text));
    if (const auto type = next_line(text); !type.empty()) request.headers["content-type"] = std::string(type);
    request.path_params["account_id"] = std::string(next_line(text));
    request.path_params["deployment_id"] = "7";
    const std::string cookie(next_line(text));
    request.body = std::string(text);

    try {
        check(profo::panel::path_account_id(request) > 0);
    } catch (const profo::panel::ApiRefusal& e) {
        check_refusal(e.status(), e.what(), e.field());
    }
    if (const auto session = profo::panel::cookie_value(cookie, "profo_session"))
        check(session->size() < cookie.size());

    // The same request to an operation that takes JSON and to one that
    // takes its body as text (a course's YAML).
    for (const bool text_body : {false, true}) {
        profo::sdk::AdminOperation operation("deployments.update", "fuzzed", "POST",
                                             "/deployments/{deployment_id}");
        if (text_body) operation.request_content_type = "text/yaml";
        nlohmann::json given;
        try {
            given = profo::panel::operation_arguments(operation, request);
        } catch (const profo::panel::ApiRefusal& e) {
            check_refusal(e.status(), e.what(), e.field());
            continue;
        }
        check(given.is_object());
        // The account in the path is the caller's scope, never an argument.
        auto elsewhere = request;
        elsewhere.path_params["account_id"] = "another";
        check(profo::panel::operation_arguments(operation, elsewhere) == given);
        if (text_body) check(given.value("content", std::string()) == request.body);
        try {
            const profo::host::CallArguments arguments(specs(), given, 1'764'547'200'000);
            read_every_argument(arguments);
        } catch (const profo::sdk::AdminError& e) {
            check(e.code() == profo::sdk::AdminError::Code::invalid_argument);
            check_refusal(400, e.what(), e.field());
        }
    }
    return 0;
}
