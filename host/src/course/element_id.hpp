// What an element id may be. The legacy bot took any YAML key, and real
// courses have ids in Cyrillic (one ends in a Cyrillic letter after a Latin
// word), so ids are letters and digits of any script, and _ . -.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace profo::host {

inline constexpr std::size_t kMaxElementIdCharacters = 128;

inline constexpr const char* kElementIdRule = "use 1 to 128 letters or digits (any script) and _ . -";

// Why `id` is not an element id, such as "character 4 (' ', U+0020) is not
// allowed"; empty when it is one.
std::string element_id_problem(std::string_view id);

// An id whose letters come from more than one of Latin, Greek and Cyrillic
// is almost always a typo (a Cyrillic "с" looks like a Latin "c"): what to
// warn, naming the first letter of another script and its position.
std::optional<std::string> mixed_script_warning(std::string_view id);

}  // namespace profo::host
