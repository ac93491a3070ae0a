// 2.11: JSON that comes from outside: a request's body, a webhook's update,
// a Mini App's answer, a reply of another server.
//
// nlohmann's parser reads any depth, but copying, printing and comparing a
// value recurse once per level: a body of a few hundred kilobytes of
// brackets takes the thread past the end of its stack. Such text is refused
// before anything is built from it, at TDLib's own limit.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace profo::sdk {

inline constexpr int kMaxJsonDepth = 100;

// True when arrays and objects in `text` nest deeper than `max_depth`
// (brackets inside strings do not count). Reads the text once, builds nothing.
bool json_nests_deeper_than(std::string_view text, int max_depth = kMaxJsonDepth);

// The JSON value of `text`, or a discarded value (is_discarded()) when the
// text is not JSON or nests deeper than kMaxJsonDepth. Never throws for bad text.
nlohmann::json parse_json_input(std::string_view text);

}  // namespace profo::sdk
