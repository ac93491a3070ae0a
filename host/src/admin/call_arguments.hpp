// The arguments of a panel or API call, checked against what its operation
// takes before it runs: an unknown, missing or malformed argument is refused
// by name (an sdk::AdminError whose field is "/<name>"). What arrives here is
// a client's JSON body merged with path and query strings, so every value is
// read as untrusted (fuzz/api_arguments_fuzz.cpp).
#pragma once

#include <profo/sdk/records.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace profo::host {

// One argument of an operation. `in_path` ones are segments of its route.
struct ArgumentSpec {
    enum class Type { id, integer, number, string, boolean, time, object, id_list };
    ArgumentSpec(std::string name_, Type type_, std::string description_, bool required_ = false,
                 bool in_path_ = false, std::vector<std::string> choices_ = {})
        : name(std::move(name_)),
          type(type_),
          description(std::move(description_)),
          required(required_),
          in_path(in_path_),
          choices(std::move(choices_)) {}
    std::string name;
    Type type = Type::string;
    std::string description;
    bool required = false;
    bool in_path = false;
    std::vector<std::string> choices;  // a string's allowed values
};

// The most a listing gives at once (`limit`).
inline constexpr int kMaxPageLimit = 1000;

// The checked arguments of one call: what was given, converted to the
// type its spec names ("12" for an id, "true" for a boolean, a time as
// `2025-09-01T08:30:00Z` or Unix milliseconds). An integer is a whole
// number that fits 64 bits, written as a number (12, 12.0) or as text.
class CallArguments {
public:
    CallArguments(const std::vector<ArgumentSpec>& specs, const nlohmann::json& given, sdk::Millis now);
    bool has(const std::string& name) const;
    sdk::Id id(const std::string& name) const;  // required ones only
    std::optional<sdk::Id> optional_id(const std::string& name) const;
    std::optional<std::int64_t> integer(const std::string& name) const;
    // An integer from `least` to `most`; outside them, an AdminError naming the argument.
    std::optional<int> integer_in(const std::string& name, int least, int most) const;
    std::optional<double> number(const std::string& name) const;
    std::optional<std::string> string(const std::string& name) const;
    std::optional<bool> boolean(const std::string& name) const;
    std::optional<sdk::Millis> time(const std::string& name) const;
    std::optional<nlohmann::json> object(const std::string& name) const;
    std::vector<sdk::Id> id_list(const std::string& name) const;

private:
    nlohmann::json values_;  // converted, by name
};

}  // namespace profo::host
