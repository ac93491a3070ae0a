#include "api_request.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <profo/sdk/form.hpp>
#include <profo/sdk/json_input.hpp>

#include <charconv>
#include <string>
#include <string_view>

namespace profo::panel {

using nlohmann::json;

namespace {

// "application/json", in any case, with parameters or none ("; charset=utf-8").
bool is_json_media_type(std::string_view type) {
    const auto end = type.find(';');
    auto media = type.substr(0, end);
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    return boost::algorithm::iequals(media, std::string_view("application/json"));
}

// What is wrong with a body that is not JSON, and where: the parser's own
// words without its quote of the text (which may not be UTF-8).
std::string json_problem(const std::string& body) {
    if (sdk::json_nests_deeper_than(body))
        return "arrays and objects nest deeper than " + std::to_string(sdk::kMaxJsonDepth) + " levels";
    try {
        [[maybe_unused]] const auto parsed = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
        std::string what = e.what();
        if (const auto at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
        if (const auto quote = what.find("; last read"); quote != std::string::npos) what.erase(quote);
        return what;
    }
    return "it cannot be read";
}

constexpr const char* kBadArgument = "invalid_argument";

void merge(json& into, const std::string& name, const json& value, const char* where) {
    if (into.contains(name) && into[name] != value)
        throw ApiRefusal(
            400, kBadArgument,
            std::string(name) + ": given twice with different values (path or query, and " + where + ")",
            "/" + name);
    into[name] = value;
}

}  // namespace

json operation_arguments(const sdk::AdminOperation& operation, const sdk::HttpRequest& request) {
    json args = json::object();
    for (const auto& [name, value] : request.path_params)
        if (name != "account_id") args[name] = value;
    if (!request.query.empty()) {
        std::map<std::string, std::string> query;
        try {
            query = sdk::parse_form(request.query);
        } catch (const std::invalid_argument& e) {
            throw ApiRefusal(400, kBadArgument, std::string("the query string: ") + e.what());
        }
        for (const auto& [name, value] : query) merge(args, name, value, "the query");
    }
    if (!operation.request_content_type.empty()) {
        merge(args, "content", request.body, "the body");
        return args;
    }
    if (request.body.empty()) return args;
    const auto type = request.header("content-type");
    if (!type.empty() && !is_json_media_type(type))
        throw ApiRefusal(415, "unsupported_media_type",
                         "the body must be application/json (it was " + type + ")");
    const auto body = sdk::parse_json_input(request.body);
    if (body.is_discarded())
        throw ApiRefusal(400, kBadArgument, "the body is not JSON: " + json_problem(request.body));
    if (!body.is_object()) throw ApiRefusal(400, kBadArgument, "the body must be a JSON object");
    for (const auto& [name, value] : body.items()) merge(args, name, value, "the body");
    return args;
}

int status_of(sdk::AdminError::Code code) {
    switch (code) {
        case sdk::AdminError::Code::invalid_argument: return 400;
        case sdk::AdminError::Code::not_found: return 404;
        case sdk::AdminError::Code::conflict: return 409;
        case sdk::AdminError::Code::forbidden: return 403;
        case sdk::AdminError::Code::unavailable: return 503;
    }
    return 500;
}

sdk::HttpResponse json_response(int status, const json& body) {
    sdk::HttpResponse r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

sdk::HttpResponse error_response(int status, const std::string& code, const std::string& message,
                                 const std::string& field, const std::string& details_json,
                                 const std::string& request_id) {
    json error = {{"code", code}, {"message", message}, {"request_id", request_id}};
    if (!field.empty()) error["field"] = field;
    if (!details_json.empty()) {
        auto details = json::parse(details_json, nullptr, false);
        if (!details.is_discarded()) error["details"] = std::move(details);
    }
    return json_response(status, json{{"error", error}});
}

std::optional<std::string> cookie_value(const std::string& header, const std::string& name) {
    std::size_t at = 0;
    while (at < header.size()) {
        auto end = header.find(';', at);
        if (end == std::string::npos) end = header.size();
        auto pair = std::string_view(header).substr(at, end - at);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            auto value = pair.substr(eq + 1);
            while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
            return std::string(value);
        }
        at = end + 1;
    }
    return std::nullopt;
}

sdk::Id path_account_id(const sdk::HttpRequest& request) {
    const auto it = request.path_params.find("account_id");
    const std::string text = it == request.path_params.end() ? "" : it->second;
    sdk::Id id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0)
        // Quoted as JSON: a %00 in the path would otherwise end the message there.
        throw ApiRefusal(
            404, "not_found",
            "there is no account " + json(text).dump(-1, ' ', false, json::error_handler_t::replace),
            "/account_id");
    return id;
}

}  // namespace profo::panel
