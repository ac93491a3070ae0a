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

[[noreturn]] void refuse(const std::string& name, const std::string& message) {
    throw sdk::AdminError(Code::invalid_argument, name + ": " + message, "/" + name);
}

std::optional<std::int64_t> integer_of(const json& value) {
    if (value.is_number_integer()) return value.get<std::int64_t>();
    if (value.is_number_float()) {
        const double d = value.get<double>();
        if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
        return std::nullopt;
    }
    if (!value.is_string()) return std::nullopt;
    const auto& text = value.get_ref<const std::string&>();
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return n;
}

const char* type_name(ArgumentSpec::Type type) {
    switch (type) {
        case ArgumentSpec::Type::id: return "an id (a positive integer)";
        case ArgumentSpec::Type::integer: return "an integer";
        case ArgumentSpec::Type::number: return "a number";
        case ArgumentSpec::Type::string: return "a string";
        case ArgumentSpec::Type::boolean: return "true or false";
        case ArgumentSpec::Type::time:
            return "a time (2025-09-01T08:30:00Z, a span from now: 90m, 12h, 7d, 2w, or milliseconds since "
                   "1970 up to the year 9999)";
        case ArgumentSpec::Type::object: return "a JSON object";
        case ArgumentSpec::Type::id_list: return "a list of ids (or one string of them, comma-separated)";
    }
    return "a value";
}

sdk::Millis now_of(const sdk::Clock& clock) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
}

// `value` as its spec's type, or nothing when it is not one.
std::optional<json> converted(const ArgumentSpec& spec, const json& value, sdk::Millis now) {
    using Type = ArgumentSpec::Type;
    switch (spec.type) {
        case Type::id: {
            const auto n = integer_of(value);
            if (!n || *n <= 0) return std::nullopt;
            return json(*n);
        }
        case Type::integer: {
            const auto n = integer_of(value);
            if (!n) return std::nullopt;
            return json(*n);
        }
        case Type::number: {
            if (value.is_number()) return json(value.get<double>());
            if (!value.is_string()) return std::nullopt;
            const auto& text = value.get_ref<const std::string&>();
            double d = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), d);
            if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
            return json(d);
        }
        case Type::string:
            if (!value.is_string()) return std::nullopt;
            if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(),
                                                   value.get<std::string>()) == spec.choices.end())
                return std::nullopt;
            return value;
        case Type::boolean:
            if (value.is_boolean()) return value;
            if (value == "true" || value == "1") return json(true);
            if (value == "false" || value == "0") return json(false);
            return std::nullopt;
        case Type::time: {
            if (value.is_number_integer()) {
                // Milliseconds, over the years the text form takes (1970 to
                // 9999): beyond them they would print as years BC.
                constexpr std::int64_t kEndOf9999 = 253402300799999;
                if (value.is_number_unsigned())
                    return value.get<std::uint64_t>() <= static_cast<std::uint64_t>(kEndOf9999)
                               ? std::optional<json>(value)
                               : std::nullopt;
                const auto ms = value.get<std::int64_t>();
                if (ms < 0 || ms > kEndOf9999) return std::nullopt;
                return value;
            }
            if (!value.is_string()) return std::nullopt;
            try {
                return json(parse_time_option(spec.name, value.get<std::string>(), now));
            } catch (const UsageError&) {
                return std::nullopt;
            }
        }
        case Type::object:
            if (!value.is_object()) return std::nullopt;
            return value;
        case Type::id_list: {
            json items = value;
            if (value.is_string()) {
                items = json::array();
                const auto& text = value.get_ref<const std::string&>();
                std::size_t from = 0;
                while (from <= text.size()) {
                    const auto comma = std::min(text.find(',', from), text.size());
                    items.push_back(text.substr(from, comma - from));
                    from = comma + 1;
                }
            }
            if (!items.is_array() || items.empty()) return std::nullopt;
            json ids = json::array();
            for (const auto& item : items) {
                const auto n = integer_of(item);
                if (!n || *n <= 0) return std::nullopt;
                ids.push_back(*n);
            }
            return ids;
        }
    }
    return std::nullopt;
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

}  // namespace

CallArguments::CallArguments(const std::vector<ArgumentSpec>& specs, const json& given, sdk::Millis now) {
    values_ = json::object();
    if (!given.is_object())
        throw sdk::AdminError(Code::invalid_argument, "the arguments must be a JSON object");
    for (const auto& item : given.items()) {
        const auto& name = item.key();
        const auto spec =
            std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return s.name == name; });
        if (spec == specs.end()) refuse(name, "no such argument");
    }
    for (const auto& spec : specs) {
        const auto it = given.find(spec.name);
        if (it == given.end() || it->is_null()) {
            if (spec.required) refuse(spec.name, "is required");
            continue;
        }
        auto value = converted(spec, *it, now);
        if (!value) {
            std::string message = std::string("must be ") + type_name(spec.type);
            if (!spec.choices.empty()) {
                message = "must be one of";
                for (const auto& c : spec.choices) message += " " + c;
            }
            refuse(spec.name, message);
        }
        values_[spec.name] = std::move(*value);
    }
}

bool CallArguments::has(const std::string& name) const {
    return values_.contains(name);
}

sdk::Id CallArguments::id(const std::string& name) const {
    if (!has(name)) refuse(name, "is required");
    return values_[name].get<sdk::Id>();
}

std::optional<sdk::Id> CallArguments::optional_id(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name].get<sdk::Id>();
}

std::optional<std::int64_t> CallArguments::integer(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name].get<std::int64_t>();
}

std::optional<int> CallArguments::integer_in(const std::string& name, int least, int most) const {
    const auto n = integer(name);
    if (!n) return std::nullopt;
    if (*n < least || *n > most)
        throw sdk::AdminError(sdk::AdminError::Code::invalid_argument,
                              name + ": must be " + std::to_string(least) + " to " + std::to_string(most),
                              "/" + name);
    return static_cast<int>(*n);
}

std::optional<double> CallArguments::number(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name].get<double>();
}

std::optional<std::string> CallArguments::string(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name].get<std::string>();
}

std::optional<bool> CallArguments::boolean(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name].get<bool>();
}

std::optional<sdk::Millis> CallArguments::time(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name].get<sdk::Millis>();
}

std::optional<json> CallArguments::object(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name];
}

std::vector<sdk::Id> CallArguments::id_list(const std::string& name) const {
    if (!has(name)) return {};
    return values_[name].get<std::vector<sdk::Id>>();
}

namespace {

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
