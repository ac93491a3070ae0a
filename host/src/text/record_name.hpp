#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace profo::host {

// What is wrong with `name` as the name people give a record and find it by
// in lists (an account, a course): it must be UTF-8 of 1 to `max_characters`
// characters, none of them a control character (nor a text direction
// embedding, override or isolate), with no space at either end.
// Nothing when it is fine; otherwise one sentence about "the <what>" ("the
// course name is 201 characters long; at most 200 are allowed").
std::optional<std::string> record_name_problem(const std::string& name, std::string_view what,
                                               std::size_t max_characters);

}  // namespace profo::host
