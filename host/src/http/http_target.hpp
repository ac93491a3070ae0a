// The request target of an incoming HTTP request, taken apart without
// sockets so that it can be tested and fuzzed on its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace profo::host {

struct RequestTarget {
    std::string path;                   // percent-decoded, without the query
    std::string raw_path;               // as sent, for logs (the query is left out: it carries tokens)
    std::string query;                  // raw, without '?'
    std::vector<std::string> segments;  // of the path, each decoded on its own
};

// Origin-form only ("/a/b?x=1"); nullopt for anything else or a broken
// %-escape. An encoded "/" ("%2F") stays inside its segment.
std::optional<RequestTarget> parse_request_target(std::string_view target);

// "/a/b" -> {"a", "b"}; "/" -> {""}. The caller guarantees the leading '/'.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace profo::host
