#include "yaml/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <regex>

namespace profo::host {

namespace {

const std::regex& int_pattern() {
    static const std::regex re(R"([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)");
    return re;
}
const std::regex& float_pattern() {
    static const std::regex re(
        R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
    return re;
}

bool is_null_word(const std::string& s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
bool is_bool_word(const std::string& s, bool& value) {
    if (s == "true" || s == "True" || s == "TRUE") return value = true, true;
    if (s == "false" || s == "False" || s == "FALSE") return value = false, true;
    return false;
}

nlohmann::ordered_json plain_scalar(const std::string& s) {
    bool b = false;
    if (is_null_word(s)) return nullptr;
    if (is_bool_word(s, b)) return b;
    if (std::regex_match(s, int_pattern())) {
        // Integers beyond 64 bits stay text rather than losing digits.
        std::int64_t v = 0;
        const char* first = s.data() + (s[0] == '+' ? 1 : 0);
        int base = 10;
        if (s.rfind("0x", 0) == 0)
            first += 2, base = 16;
        else if (s.rfind("0o", 0) == 0)
            first += 2, base = 8;
        auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v, base);
        if (ec == std::errc() && ptr == s.data() + s.size()) return v;
        return s;
    }
    if (std::regex_match(s, float_pattern())) {
        if (s.find("inf") != std::string::npos || s.find("Inf") != std::string::npos ||
            s.find("INF") != std::string::npos || s.find("nan") != std::string::npos ||
            s.find("NaN") != std::string::npos || s.find("NAN") != std::string::npos)
            return s;  // JSON has no infinities: keep the spelling
        return std::stod(s);
    }
    return s;
}

}  // namespace

bool plain_scalar_changes_type(const std::string& text) {
    bool b = false;
    return is_null_word(text) || is_bool_word(text, b) || std::regex_match(text, int_pattern()) ||
           std::regex_match(text, float_pattern());
}

nlohmann::ordered_json yaml_to_json(const YAML::Node& node, LineMap* lines, const std::string& path) {
    if (lines != nullptr && node.Mark().line >= 0) (*lines)[path] = node.Mark().line + 1;
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: return nullptr;
        case YAML::NodeType::Scalar:
            // yaml-cpp tags plain scalars "?" and quoted ones "!".
            if (node.Tag() == "?") return plain_scalar(node.Scalar());
            return node.Scalar();
        case YAML::NodeType::Sequence: {
            auto out = nlohmann::ordered_json::array();
            std::size_t i = 0;
            for (const auto& item : node) {
                out.push_back(yaml_to_json(item, lines, path + "[" + std::to_string(i) + "]"));
                ++i;
            }
            return out;
        }
        case YAML::NodeType::Map: {
            auto out = nlohmann::ordered_json::object();
            for (const auto& kv : node) {
                const std::string key = kv.first.Scalar();
                const std::string child = path.empty() ? key : path + "." + key;
                if (lines != nullptr) (*lines)[child] = kv.first.Mark().line + 1;
                // A repeated key: the later value wins, as in the legacy loader.
                out[key] = yaml_to_json(kv.second, lines, child);
                if (lines != nullptr) (*lines)[child] = kv.first.Mark().line + 1;
            }
            return out;
        }
    }
    return nullptr;
}

}  // namespace profo::host
