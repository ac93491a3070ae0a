// Course versions back to YAML an author can edit: literal blocks for
// multi-line text, plain scalars wherever they read back unchanged.
#include "course/course_document.hpp"

#include "yaml/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

namespace profo::host {

namespace {

// Code points a YAML reader may treat as line breaks or strip, which a literal
// block cannot carry verbatim.
bool literal_safe_code_point(char32_t c) {
    if (c == '\n' || c == '\t') return true;
    if (c < 0x20 || c == 0x7F) return false;
    if (c >= 0x80 && c <= 0x9F) return false;  // C1 controls, NEL among them
    return c != 0x2028 && c != 0x2029 && c != 0xFEFF;
}

// False for malformed UTF-8 as well: the double-quoted form escapes it.
bool literal_safe_text(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        char32_t c = 0;
        std::size_t len = 0;
        if (b < 0x80)
            c = b, len = 1;
        else if ((b & 0xE0) == 0xC0)
            c = b & 0x1F, len = 2;
        else if ((b & 0xF0) == 0xE0)
            c = b & 0x0F, len = 3;
        else if ((b & 0xF8) == 0xF0)
            c = b & 0x07, len = 4;
        else
            return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cont = static_cast<unsigned char>(s[i + k]);
            if ((cont & 0xC0) != 0x80) return false;
            c = (c << 6) | (cont & 0x3F);
        }
        if (!literal_safe_code_point(c)) return false;
        i += len;
    }
    return true;
}

// yaml-cpp writes literal blocks with the default "clip" chomping (one final
// line break) and no indentation indicator. So a literal block carries text
// that ends in exactly one line break, written without it, and does not start
// with white space.
bool fits_literal_block(const std::string& s) {
    if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
    if (s.front() == ' ' || s.front() == '\t' || s.front() == '\n') return false;
    return literal_safe_text(s);
}

void emit_string(YAML::Emitter& out, const std::string& s) {
    if (fits_literal_block(s)) {
        out << YAML::Literal << s.substr(0, s.size() - 1);
    } else if (s.find('\n') != std::string::npos) {
        out << YAML::DoubleQuoted << s;
    } else if (plain_scalar_changes_type(s)) {
        out << YAML::SingleQuoted << s;
    } else {
        out << s;
    }
}

// A key is read back by its text, whatever it looks like, so only spellings
// of null (and text a plain scalar cannot hold) need quotes: `0:` stays `0:`.
void emit_key(YAML::Emitter& out, const std::string& key) {
    if (key.empty() || key == "~" || key == "null" || key == "Null" || key == "NULL") {
        out << YAML::SingleQuoted << key;
    } else if (key.find('\n') != std::string::npos) {
        out << YAML::DoubleQuoted << key;
    } else {
        out << key;
    }
}

void emit_value(YAML::Emitter& out, const nlohmann::ordered_json& value) {
    switch (value.type()) {
        case nlohmann::ordered_json::value_t::null: out << YAML::Null; break;
        case nlohmann::ordered_json::value_t::boolean: out << value.get<bool>(); break;
        case nlohmann::ordered_json::value_t::number_integer:
        case nlohmann::ordered_json::value_t::number_unsigned:
        case nlohmann::ordered_json::value_t::number_float:
            // The JSON spelling is the shortest one that reads back as the same number.
            out << value.dump();
            break;
        case nlohmann::ordered_json::value_t::string: emit_string(out, value.get<std::string>()); break;
        case nlohmann::ordered_json::value_t::array:
            out << YAML::BeginSeq;
            for (const auto& item : value) emit_value(out, item);
            out << YAML::EndSeq;
            break;
        case nlohmann::ordered_json::value_t::object:
            out << YAML::BeginMap;
            for (const auto& [key, item] : value.items()) {
                out << YAML::Key;
                emit_key(out, key);
                out << YAML::Value;
                emit_value(out, item);
            }
            out << YAML::EndMap;
            break;
        case nlohmann::ordered_json::value_t::binary:
        case nlohmann::ordered_json::value_t::discarded: out << YAML::Null; break;
    }
}

// yaml-cpp indents the empty lines of a literal block like its text; an
// indentation-only line is still empty when read back, so drop the spaces.
// Lines with more spaces than the block's indentation are text and stay.
std::string trim_empty_block_lines(const std::string& text) {
    std::string out;
    int header_indent = -1;  // of the line that opened a literal block, if one just did
    int block_indent = -1;   // of the literal block's text while inside one
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto end = std::min(text.find('\n', pos), text.size());
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        const auto indent = static_cast<int>(line.find_first_not_of(' '));
        if (indent < 0) {  // spaces only
            if (block_indent >= 0 && static_cast<int>(line.size()) <= block_indent) line.clear();
            out += line + "\n";
            continue;
        }
        if (header_indent >= 0 && indent > header_indent) {
            block_indent = indent;
        } else if (block_indent < 0 || indent < block_indent) {
            block_indent = -1;
        }
        header_indent = -1;
        if (block_indent < 0 && line.size() >= 2 && line.compare(line.size() - 2, 2, " |") == 0)
            header_indent = indent;
        out += line + "\n";
    }
    return out;
}

std::string emit_element(const sdk::CourseElement& element) {
    auto body = nlohmann::ordered_json::parse(element.body_json.empty() ? "{}" : element.body_json);
    if (!body.is_object()) body = nlohmann::ordered_json::object();
    if (!body.contains("type")) {
        // Stored rows always carry their type; put it first if a body lacks it.
        auto with_type = nlohmann::ordered_json::object();
        with_type["type"] = element.type;
        for (auto& [key, item] : body.items()) with_type[key] = item;
        body = std::move(with_type);
    }
    YAML::Emitter out;
    out.SetIndent(2);
    out << YAML::BeginMap << YAML::Key;
    emit_key(out, element.element_id);
    out << YAML::Value;
    emit_value(out, body);
    out << YAML::EndMap;
    if (!out.good())
        throw std::runtime_error("cannot write element " + element.element_id +
                                 " as YAML: " + out.GetLastError());
    return trim_empty_block_lines(std::string(out.c_str()) + "\n");
}

}  // namespace

std::string export_course_yaml(const std::vector<sdk::CourseElement>& elements) {
    if (elements.empty()) return "{}\n";
    // One emitter per element, so a blank line can separate them as authors
    // write them; each starts at column 0, so together they are one mapping.
    std::string text;
    for (const auto& element : elements) text += (text.empty() ? "" : "\n") + emit_element(element);
    return text;
}

}  // namespace profo::host
