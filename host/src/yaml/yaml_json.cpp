#include "yaml/yaml_json.hpp"

#include <profo/sdk/text.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

namespace profo::host {

namespace {

// The scanners below stand in for regular expressions on purpose:
// std::regex matches recursively, once per character, and a long scalar (a
// line of 100k digits) overflows the stack.

bool is_digit(char c, int base) {
    if (base == 8) return c >= '0' && c <= '7';
    if (base == 16) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    return c >= '0' && c <= '9';
}

// Skips [digits]* from `i`; returns how many there were.
std::size_t skip_digits(std::string_view s, std::size_t& i, int base = 10) {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i], base)) ++i;
    return i - start;
}

// [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
bool is_int_text(std::string_view s) {
    for (const auto& [prefix, base] :
         {std::pair{std::string_view("0o"), 8}, std::pair{std::string_view("0x"), 16}}) {
        if (s.substr(0, 2) == prefix) {
            std::size_t i = 2;
            return skip_digits(s, i, base) > 0 && i == s.size();
        }
    }
    std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    return skip_digits(s, i) > 0 && i == s.size();
}

bool is_special_float(std::string_view s) {
    if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    return s == ".inf" || s == ".Inf" || s == ".INF";
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_finite_float_text(std::string_view s) {
    std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (skip_digits(s, i) == 0) return false;
    } else {
        if (skip_digits(s, i) == 0) return false;
        if (i < s.size() && s[i] == '.') {
            ++i;
            skip_digits(s, i);
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        if (skip_digits(s, i) == 0) return false;
    }
    return i == s.size();
}

bool is_null_word(const std::string& s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
bool is_bool_word(const std::string& s, bool& value) {
    if (s == "true" || s == "True" || s == "TRUE") return value = true, true;
    if (s == "false" || s == "False" || s == "FALSE") return value = false, true;
    return false;
}

nlohmann::ordered_json number_of_plain(const YAML::Node& node);

bool is_merge_key(const YAML::Node& key) {
    return key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<";
}

int line_of(const YAML::Node& node) {
    return node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
}

// JSON, Telegram and PostgreSQL take only UTF-8: refuse other bytes here,
// where the line is known, rather than when something downstream throws.
void require_utf8(const YAML::Node& node) {
    if (!sdk::valid_utf8(node.Scalar()))
        throw YamlContentError(line_of(node), "text that is not valid UTF-8; save the file as UTF-8");
}

nlohmann::ordered_json plain_scalar(const YAML::Node& node) {
    const std::string& s = node.Scalar();
    bool b = false;
    if (is_null_word(s)) return nullptr;
    if (is_bool_word(s, b)) return b;
    auto number = number_of_plain(node);
    // A number only when written as it prints: `3.10`, `007`, `1e3` or
    // `+1` stay the author's text (a quiz answer "3.10", a goto to the
    // element `1.10`), which number fields read as numbers all the same
    // (sdk::course_number); `5` and `0.7` are numbers.
    if (number.is_number() && number.dump() != s) return s;
    return number;
}

nlohmann::ordered_json number_of_plain(const YAML::Node& node) {
    const std::string& s = node.Scalar();
    if (is_int_text(s)) {
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
    if (is_special_float(s)) return s;  // JSON has no infinities: keep the spelling
    if (is_finite_float_text(s)) {
        double v = 0;
        const char* first = s.data() + (s[0] == '+' ? 1 : 0);
        auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
        if (ec == std::errc() && ptr == s.data() + s.size()) return v;
    }
    return s;  // out of any number's range: the text as written
}

}  // namespace

bool plain_scalar_changes_type(const std::string& text) {
    bool b = false;
    return is_null_word(text) || is_bool_word(text, b) || is_int_text(text) || is_special_float(text) ||
           is_finite_float_text(text);
}

YamlToJson::YamlToJson(YamlLimits limits) : limits_(limits) {}
YamlToJson::~YamlToJson() = default;

void YamlToJson::count(const YAML::Node& node, std::size_t bytes) {
    if (++nodes_ > limits_.max_nodes)
        throw YamlContentError(line_of(node), "the document expands to more than " +
                                                  std::to_string(limits_.max_nodes) +
                                                  " values (aliases repeat what they refer to)");
    bytes_ += bytes;
    if (bytes_ > limits_.max_bytes)
        throw YamlContentError(line_of(node), "the document expands to more than " +
                                                  std::to_string(limits_.max_bytes) +
                                                  " bytes of text (aliases repeat what they refer to)");
}

nlohmann::ordered_json YamlToJson::convert(const YAML::Node& node, LineMap* lines, const std::string& path) {
    ancestors_.clear();
    return convert_node(node, lines, path);
}

nlohmann::ordered_json YamlToJson::convert_node(const YAML::Node& node, LineMap* lines,
                                                const std::string& path) {
    if (lines != nullptr && node.Mark().line >= 0) (*lines)[path] = node.Mark().line + 1;
    // The line map keeps a path per value: its text counts against the budget too.
    const std::size_t path_bytes = lines != nullptr ? path.size() : 0;
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: count(node, path_bytes); return nullptr;
        case YAML::NodeType::Scalar:
            count(node, path_bytes + node.Scalar().size());
            require_utf8(node);
            // yaml-cpp tags plain scalars "?" and quoted ones "!".
            if (node.Tag() == "?") return plain_scalar(node);
            return node.Scalar();
        case YAML::NodeType::Sequence:
        case YAML::NodeType::Map: break;
    }
    // An alias inside the node it names makes the graph a cycle: expanding it never ends.
    if (std::any_of(ancestors_.begin(), ancestors_.end(), [&](const YAML::Node& a) { return a.is(node); }))
        throw YamlContentError(line_of(node),
                               "an alias refers to the list or mapping that contains it "
                               "(an alias cycle)");
    if (ancestors_.size() >= limits_.max_depth)
        throw YamlContentError(line_of(node), "lists and mappings are nested more than " +
                                                  std::to_string(limits_.max_depth) + " levels deep");
    count(node, path_bytes);
    ancestors_.push_back(node);
    nlohmann::ordered_json out;
    if (node.IsSequence()) {
        out = nlohmann::ordered_json::array();
        std::size_t i = 0;
        for (const auto& item : node) {
            out.push_back(convert_node(item, lines, path + "[" + std::to_string(i) + "]"));
            ++i;
        }
    } else {
        out = nlohmann::ordered_json::object();
        merge_into(out, node, lines, path);
        for (const auto& kv : node) {
            if (is_merge_key(kv.first)) continue;
            const std::string key = kv.first.Scalar();
            count(kv.first, key.size());
            require_utf8(kv.first);
            const std::string child = path.empty() ? key : path + "." + key;
            if (lines != nullptr) (*lines)[child] = kv.first.Mark().line + 1;
            // A repeated key: the later value wins, as in the legacy loader.
            out[key] = convert_node(kv.second, lines, child);
            if (lines != nullptr) (*lines)[child] = kv.first.Mark().line + 1;
        }
    }
    ancestors_.pop_back();
    return out;
}

// YAML's merge key (`<<: *defaults`, or a list of them): the mappings named
// there give `out` the keys the mapping does not write itself, the first
// named first, as PyYAML's safe_load (the legacy loader) reads them.
void YamlToJson::merge_into(nlohmann::ordered_json& out, const YAML::Node& node, LineMap* lines,
                            const std::string& path) {
    for (const auto& kv : node) {
        if (!is_merge_key(kv.first)) continue;
        std::vector<YAML::Node> sources;
        if (kv.second.IsMap()) {
            sources.push_back(kv.second);
        } else if (kv.second.IsSequence()) {
            for (const auto& item : kv.second) sources.push_back(item);
        }
        if (sources.empty() ||
            std::any_of(sources.begin(), sources.end(), [](const YAML::Node& s) { return !s.IsMap(); }))
            throw YamlContentError(
                line_of(kv.first),
                "a merge key (<<) takes a mapping (*name) or a list of mappings ([*a, *b])");
        for (const auto& source : sources) {
            // The merged keys' lines are where their values are written.
            std::optional<int> own_line;
            if (lines != nullptr)
                if (auto it = lines->find(path); it != lines->end()) own_line = it->second;
            auto values = convert_node(source, lines, path);
            if (own_line) (*lines)[path] = *own_line;
            for (auto& [key, value] : values.items())
                if (!out.contains(key)) out[key] = std::move(value);
        }
    }
}

nlohmann::ordered_json yaml_to_json(const YAML::Node& node, LineMap* lines, const std::string& path) {
    return YamlToJson().convert(node, lines, path);
}

}  // namespace profo::host
