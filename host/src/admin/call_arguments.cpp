#include "admin/call_arguments.hpp"

#include "cli/command.hpp"
#include "cli/time_option.hpp"

#include <profo/sdk/admin.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace profo::host {

using nlohmann::json;
using Code = sdk::AdminError::Code;

namespace {

// A name as a refusal quotes it: a name the client made up is JSON-quoted
// unless it is a plain word, so that a NUL cannot cut the message short
// (what() ends at the first NUL) nor a control byte garble it. The field
// keeps the name as given.
std::string quoted_name(const std::string& name) {
    const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-' || c == '.';
    });
    return plain ? name : json(name).dump(-1, ' ', false, json::error_handler_t::replace);
}

[[noreturn]] void refuse(const std::string& name, const std::string& message) {
    throw sdk::AdminError(Code::invalid_argument, quoted_name(name) + ": " + message, "/" + name);
}

std::optional<std::int64_t> integer_of(const json& value) {
    if (value.is_number_unsigned()) {
        const auto n = value.get<std::uint64_t>();
        if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return static_cast<std::int64_t>(n);
    }
    if (value.is_number_integer()) return value.get<std::int64_t>();
    if (value.is_number_float()) {
        // Converting a double beyond the int64 range is undefined behaviour:
        // the range is checked first (-2^63 and 2^63 are exact doubles).
        constexpr double kTwoTo63 = 9223372036854775808.0;
        const double d = value.get<double>();
        if (!(d >= -kTwoTo63 && d < kTwoTo63) || d != std::trunc(d)) return std::nullopt;
        return static_cast<std::int64_t>(d);
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
            // from_chars reads "inf" and "nan", which no JSON number can be.
            if (error != std::errc() || end != text.data() + text.size() || text.empty() || !std::isfinite(d))
                return std::nullopt;
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
                const auto ms = integer_of(value);
                if (!ms || *ms < 0 || *ms > kEndOf9999) return std::nullopt;
                return json(*ms);
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

// A converted value as its type, or nothing when it was not given.
template <class T>
std::optional<T> given_as(const json& values, const std::string& name) {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->get<T>();
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
    if (const auto id = given_as<sdk::Id>(values_, name)) return *id;
    refuse(name, "is required");
}

std::optional<sdk::Id> CallArguments::optional_id(const std::string& name) const {
    return given_as<sdk::Id>(values_, name);
}

std::optional<std::int64_t> CallArguments::integer(const std::string& name) const {
    return given_as<std::int64_t>(values_, name);
}

std::optional<int> CallArguments::integer_in(const std::string& name, int least, int most) const {
    const auto n = integer(name);
    if (!n) return std::nullopt;
    if (*n < least || *n > most)
        refuse(name, "must be " + std::to_string(least) + " to " + std::to_string(most));
    return static_cast<int>(*n);
}

std::optional<double> CallArguments::number(const std::string& name) const {
    return given_as<double>(values_, name);
}

std::optional<std::string> CallArguments::string(const std::string& name) const {
    return given_as<std::string>(values_, name);
}

std::optional<bool> CallArguments::boolean(const std::string& name) const {
    return given_as<bool>(values_, name);
}

std::optional<sdk::Millis> CallArguments::time(const std::string& name) const {
    return given_as<sdk::Millis>(values_, name);
}

std::optional<json> CallArguments::object(const std::string& name) const {
    return given_as<json>(values_, name);
}

std::vector<sdk::Id> CallArguments::id_list(const std::string& name) const {
    return given_as<std::vector<sdk::Id>>(values_, name).value_or(std::vector<sdk::Id>{});
}

}  // namespace profo::host
