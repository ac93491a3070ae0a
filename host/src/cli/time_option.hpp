// Times given on the command line (--expires, --starts, --ends): a date, a
// date and time in UTC, or a span from now.
#pragma once

#include <profo/sdk/records.hpp>

#include <string_view>

namespace profo::host {

// `2025-09-01` (midnight UTC), `2025-09-01T08:30`, `2025-09-01T08:30:00Z`
// (UTC; a `Z` may end either), or a span from `now_ms`: `90m`, `12h`, `7d`,
// `2w`. Returns Unix milliseconds; throws UsageError naming `option` and
// what it accepts.
sdk::Millis parse_time_option(std::string_view option, std::string_view text, sdk::Millis now_ms);

// `2025-09-01T08:30:00Z`
std::string format_time(sdk::Millis at);

// Now, as Unix milliseconds: what spans on the command line count from.
sdk::Millis wall_clock_ms();

}  // namespace profo::host
