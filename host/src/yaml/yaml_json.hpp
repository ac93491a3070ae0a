// YAML documents as JSON values, with the line of every value kept aside.
//
// Scalars follow the YAML 1.2 core schema: a plain (unquoted) scalar becomes
// null (`~`, `null`, empty), a boolean (`true`/`false`), an integer or a float
// when it is spelled as one, and a string otherwise; quoted scalars are always
// strings. Legacy spellings such as `yes` stay strings and are interpreted by
// sdk::truthy() where a boolean is expected. Mapping order is preserved.
//
// Aliases are expanded, so a hostile document can describe far more than its
// size suggests ("billion laughs") or refer to itself: the conversion counts
// what it produces and refuses cycles, nesting and growth beyond YamlLimits.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace profo::host {

// Key paths are dotted with indexes in brackets: "answers[2].text"; the root
// is "". Lines count from 1.
using LineMap = std::map<std::string, int>;

struct YamlLimits {
    std::size_t max_nodes = 1'000'000;         // values produced, aliases expanded
    std::size_t max_bytes = 64 * 1024 * 1024;  // text of scalars and keys, aliases expanded
    std::size_t max_depth = 64;                // nesting of lists and mappings
};

// A document the conversion refuses; line() is where (from 1; 0 unknown).
class YamlContentError : public std::runtime_error {
public:
    YamlContentError(int line, const std::string& message) : std::runtime_error(message), line_(line) {}
    int line() const noexcept { return line_; }

private:
    int line_;
};

// One conversion budget shared by every node converted through it, so a
// document cannot escape the limits by spreading its growth over many values.
class YamlToJson {
public:
    explicit YamlToJson(YamlLimits limits = {});
    ~YamlToJson();
    YamlToJson(const YamlToJson&) = delete;
    YamlToJson& operator=(const YamlToJson&) = delete;

    // Throws YamlContentError.
    nlohmann::ordered_json convert(const YAML::Node& node, LineMap* lines = nullptr,
                                   const std::string& path = "");

private:
    nlohmann::ordered_json convert_node(const YAML::Node& node, LineMap* lines, const std::string& path);
    void merge_into(nlohmann::ordered_json& out, const YAML::Node& node, LineMap* lines,
                    const std::string& path);
    void count(const YAML::Node& node, std::size_t bytes);

    YamlLimits limits_;
    std::size_t nodes_ = 0;
    std::size_t bytes_ = 0;
    std::vector<YAML::Node> ancestors_;  // lists and mappings being converted, for cycles
};

// A fresh budget with the default limits. Throws YamlContentError.
nlohmann::ordered_json yaml_to_json(const YAML::Node& node, LineMap* lines = nullptr,
                                    const std::string& path = "");

// A plain scalar spelled like this would not read back as the same string.
bool plain_scalar_changes_type(const std::string& text);

}  // namespace profo::host
