// YAML documents as JSON values, with the line of every value kept aside.
//
// Scalars follow the YAML 1.2 core schema: a plain (unquoted) scalar becomes
// null (`~`, `null`, empty), a boolean (`true`/`false`), an integer or a float
// when it is spelled as one, and a string otherwise; quoted scalars are always
// strings. Legacy spellings such as `yes` stay strings and are interpreted by
// sdk::truthy() where a boolean is expected. Mapping order is preserved.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace YAML {
class Node;
}

namespace profo::host {

// Key paths are dotted with indexes in brackets: "answers[2].text"; the root
// is "". Lines count from 1.
using LineMap = std::map<std::string, int>;

nlohmann::ordered_json yaml_to_json(const YAML::Node& node, LineMap* lines = nullptr,
                                    const std::string& path = "");

// A plain scalar spelled like this would not read back as the same string.
bool plain_scalar_changes_type(const std::string& text);

}  // namespace profo::host
