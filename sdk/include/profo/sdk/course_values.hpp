// How course YAML spells values, shared by the host and element plugins so
// every element reads `yes`, `30s` or `1d:12h` the same way.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace profo::sdk {

// YAML truthiness: booleans, 1/0 and yes/no/true/false/on/off in any case.
// Empty when the value is none of those (the caller reports it).
std::optional<bool> truthy(const nlohmann::json& value);

// Durations: `30s`, `2m`, `1h:30m`, `1d:12h`, `1d:2h:3m:4s`: any subset of
// d, h, m, s in that order, joined by ':'. Empty for anything else.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// A scalar field as text (strings as they are, numbers in their shortest
// form, booleans as true/false); empty for null, arrays and objects.
std::optional<std::string> scalar_text(const nlohmann::json& value);

// 2.11: a number field. The host's YAML reading keeps a plain scalar a
// number only when it is written as the number prints (`5`, `0.7`), so that
// `3.10`, `007` or `1e3` stay text as the author wrote them: a number field
// takes those, and quoted ones, as text spelling a number. Accepted: a JSON
// number, or text of an optional sign, digits with an optional fraction
// and exponent (`.5`, `1.50`, `+2`, `1e3`), or 0x/0o digits. Empty for
// anything else, and for values that are not finite.
std::optional<double> course_number(const nlohmann::json& value);
// The same for a whole number (`1.0` is one; `1.5` is none).
std::optional<long long> course_whole_number(const nlohmann::json& value);

}  // namespace profo::sdk
