// JSON Schema (draft 2020-12) pieces for element types, so every type
// describes texts, flags, durations and the common fields the same way, and
// fields() is derived from the schema instead of being kept in step by hand.
#pragma once

#include <profo/sdk/toolkit/field_checks.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace profo::elements {

nlohmann::json text_schema(std::string description);
nlohmann::json flag_schema(std::string description);
nlohmann::json duration_schema(std::string description);
nlohmann::json element_id_schema(std::string description);

// One element of `type`: `type` as a const, the common fields the type uses,
// then `properties`; `required` never needs to list `type`.
nlohmann::json element_schema(std::string_view type, std::string description, nlohmann::json properties,
                              const std::vector<std::string>& required, CommonFields common);

// The property names of an element schema, `type` left out (ElementPlugin::fields()).
std::vector<std::string> schema_fields(const nlohmann::json& schema);

}  // namespace profo::elements
