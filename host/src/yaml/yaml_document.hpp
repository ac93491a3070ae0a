// The one way the host reads YAML text it did not write (courses, config).
//
// yaml-cpp 0.7 (Debian 12's) loops forever, allocating until the process
// dies, when it is asked for every document of a text in which a document
// starts with a token no node can start with (a stray `,`, `]` or `}` at the
// top level): each pass yields an empty document without consuming input.
// This reader walks the documents' events first, refuses such text with a
// parse error at the offending character, and only then builds the node.
#pragma once

#include <yaml-cpp/mark.h>
#include <yaml-cpp/node/node.h>

#include <optional>
#include <string>

namespace profo::host {

struct YamlDocument {
    YAML::Node root;  // the first document; null when the text holds none
    // Where a second document starts, when there is one: readers that take
    // a single document report it rather than ignore what follows.
    std::optional<YAML::Mark> second_document;
};

// Throws YAML::ParserException (with the mark) on malformed text.
YamlDocument read_yaml_document(const std::string& text);

}  // namespace profo::host
