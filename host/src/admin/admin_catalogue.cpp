#include "admin/admin_catalogue.hpp"

#include "admin/record_json.hpp"
#include "cli/command.hpp"
#include "cli/time_option.hpp"

#include <profo/sdk/storage.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

namespace profo::host {

using nlohmann::json;
using Code = sdk::AdminError::Code;

namespace {

sdk::Millis now_of(const sdk::Clock& clock) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
}

json spec_schema(const ArgumentSpec& spec) {
    using Type = ArgumentSpec::Type;
    json schema;
    switch (spec.type) {
        case Type::id: schema = {{"type", "integer"}, {"minimum", 1}}; break;
        case Type::integer: schema = {{"type", "integer"}}; break;
        case Type::number: schema = {{"type", "number"}}; break;
        case Type::string: schema = {{"type", "string"}}; break;
        case Type::boolean: schema = {{"type", "boolean"}}; break;
        case Type::time: schema = {{"type", {"string", "integer"}}}; break;
        case Type::object: schema = {{"type", "object"}}; break;
        case Type::id_list:
            schema = {{"type", "array"}, {"items", {{"type", "integer"}, {"minimum", 1}}}};
            break;
    }
    if (!spec.choices.empty()) schema["enum"] = spec.choices;
    schema["description"] = spec.description;
    if (spec.in_path) schema["x-in"] = "path";
    return schema;
}

// The CLI-era errors the storage raises, as the API's codes.
Code code_of(const sdk::StorageError& e) {
    switch (e.code()) {
        case sdk::StorageError::Code::conflict: return Code::conflict;
        case sdk::StorageError::Code::invalid: return Code::invalid_argument;
        default: return Code::unavailable;
    }
}

// Sorts and slices a list an operation returned whole; `total` is its size before.
void page(json& list, const CallArguments& arguments, json& result) {
    const auto limit = arguments.integer_in("limit", 1, kMaxPageLimit);
    const auto offset = arguments.integer_in("offset", 0, std::numeric_limits<int>::max()).value_or(0);
    result["total"] = list.size();
    if (const auto sort = arguments.string("sort")) {
        const bool descending = sort->starts_with('-');
        const std::string field = descending ? sort->substr(1) : *sort;
        // Stable, so equal values keep the operation's own order (by id).
        std::stable_sort(list.begin(), list.end(), [&](const json& a, const json& b) {
            const auto& x = a.contains(field) ? a[field] : json();
            const auto& y = b.contains(field) ? b[field] : json();
            return descending ? y < x : x < y;
        });
    }
    const auto from = std::min<std::size_t>(static_cast<std::size_t>(offset), list.size());
    const auto to = limit ? std::min(list.size(), from + static_cast<std::size_t>(*limit)) : list.size();
    list = json(std::vector<json>(list.begin() + static_cast<std::ptrdiff_t>(from),
                                  list.begin() + static_cast<std::ptrdiff_t>(to)));
}

}  // namespace

AdminCatalogue::AdminCatalogue(AdminServicesDeps deps)
    : deps_(std::move(deps)),
      accounts_(deps_.storage),
      bots_(deps_.storage, deps_.secrets, deps_.http, deps_.bot_api_base_url),
      deployments_(deps_.storage, deps_.secrets, deps_.platform_texts),
      tokens_(deps_.storage, deps_.plugins, deps_.secrets),
      access_(deps_.storage),
      preview_(deps_.storage, deps_.engine, deps_.secrets, deps_.clock) {
    add_account_operations(*this);
    add_bot_operations(*this);
    add_course_operations(*this);
    add_deployment_operations(*this);
    add_token_operations(*this);
    add_run_operations(*this);
    add_access_operations(*this);
    add_analytics_operations(*this);
    add_preview_operations(*this);
}

AdminCatalogue::~AdminCatalogue() = default;

void AdminCatalogue::add(sdk::AdminOperation operation, std::vector<ArgumentSpec> specs, const json& result,
                         Handler handler) {
    if (entries_.count(operation.name))
        throw std::logic_error("operation " + operation.name + " added twice");
    std::string paged_list;
    const bool takes_limit =
        std::any_of(specs.begin(), specs.end(), [](const auto& s) { return s.name == "limit"; });
    if (operation.method == "GET" && !takes_limit && result.contains("properties") &&
        result["properties"].size() == 1 && result["properties"].begin()->value("type", "") == "array") {
        paged_list = result["properties"].begin().key();
        std::vector<std::string> choices;
        for (const auto& [field, schema] :
             result["properties"].begin()->at("items").at("properties").items()) {
            choices.push_back(field);
            choices.push_back("-" + field);
        }
        specs.emplace_back("limit", ArgumentSpec::Type::integer,
                           "at most this many (1 to 1000; all when not given)");
        specs.emplace_back("offset", ArgumentSpec::Type::integer, "skip this many");
        specs.emplace_back("sort", ArgumentSpec::Type::string,
                           "order by this field, \"-field\" for descending (by id when not given)", false,
                           false, std::move(choices));
    }
    json properties = json::object();
    json required = json::array();
    for (const auto& spec : specs) {
        properties[spec.name] = spec_schema(spec);
        if (spec.required) required.push_back(spec.name);
    }
    json paged_result = result;
    if (!paged_list.empty()) {
        paged_result["properties"]["total"] = {{"type", "integer"},
                                               {"description", "how many there are before limit and offset"}};
        paged_result["required"].push_back("total");
    }
    operation.arguments_schema = json{
        {"type", "object"},
        {"properties", properties},
        {"required", required},
        {"additionalProperties",
         false}}.dump();
    operation.result_schema = paged_result.dump();
    entries_[operation.name] =
        Entry{std::move(specs), std::move(handler), operation.role, std::move(paged_list)};
    operations_.push_back(std::move(operation));
}

json AdminCatalogue::call(const std::string& operation, const sdk::AdminCaller& caller,
                          const json& arguments) {
    const auto entry = entries_.find(operation);
    if (entry == entries_.end())
        throw sdk::AdminError(Code::not_found, "there is no operation '" + operation + "'");
    if (static_cast<int>(caller.role) < static_cast<int>(entry->second.role))
        throw sdk::AdminError(Code::forbidden, operation + " is for " + sdk::to_string(entry->second.role) +
                                                   "s of the account; you are " +
                                                   sdk::to_string(caller.role));
    const auto now = now_of(deps_.clock);
    const CallArguments checked(entry->second.specs, arguments, now);
    try {
        auto result = entry->second.handler(AdminCall{caller, checked, now});
        if (!entry->second.paged_list.empty()) page(result[entry->second.paged_list], checked, result);
        return result;
    } catch (const sdk::StorageError& e) {
        throw sdk::AdminError(code_of(e), e.what());
    }
}

std::vector<std::pair<sdk::Account, sdk::AdminRole>> AdminCatalogue::accounts_of(
    std::int64_t telegram_user_id) {
    std::vector<std::pair<sdk::Account, sdk::AdminRole>> out;
    auto tx = deps_.storage.begin_read();
    for (const auto& m : tx->memberships_of(telegram_user_id)) {
        const auto account = tx->get_account(m.account_id);
        if (account)
            out.emplace_back(*account, m.role == "owner" ? sdk::AdminRole::owner : sdk::AdminRole::admin);
    }
    tx->commit();
    return out;
}

json record_schema(const std::string& record) {
    return record_schemas().at(record);
}

json list_of(const std::string& key, const std::string& record) {
    return {{"type", "object"},
            {"properties", {{key, {{"type", "array"}, {"items", record_schema(record)}}}}},
            {"required", {key}}};
}

}  // namespace profo::host
