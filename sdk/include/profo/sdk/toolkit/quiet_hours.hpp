// A deployment's quiet hours (elements.md, delay: "quiet hours, set per
// deployment, push a due time out of the night"). The settings of the element
// plugin, with the deployment's overrides merged over them, may say
//
//   quiet_hours: "22:00-08:00"   # local time; may wrap past midnight
//   utc_offset: "+03:00"         # the students' time zone (default +00:00)
//
// and a timer due inside them is moved to their end. Telegram tells a bot
// nothing about a student's time zone, so the zone is the deployment's.
#pragma once

#include <profo/sdk/element.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace profo::elements {

struct QuietHours {
    std::chrono::minutes start{0};  // local minute of the day the quiet starts
    std::chrono::minutes end{0};    // ... and ends (before start when it wraps)
    std::chrono::minutes utc_offset{0};
};

// "HH:MM" -> minutes since midnight; "+HH:MM" / "-HH:MM" -> signed offset.
std::optional<std::chrono::minutes> time_of_day(std::string_view text);
std::optional<std::chrono::minutes> utc_offset(std::string_view text);

// Empty without `quiet_hours`; empty with `error` set when the settings are malformed.
std::optional<QuietHours> quiet_hours_from(const nlohmann::json& settings, std::string* error);

// `due` itself when it falls outside the quiet hours, else their end.
sdk::TimePoint outside_quiet_hours(sdk::TimePoint due, const QuietHours& quiet);

// The due time for a timer of `ctx`'s element: `due` pushed out of the quiet
// hours in the plugin's settings; malformed settings are logged and ignored.
sdk::TimePoint due_outside_quiet_hours(sdk::ElementContext& ctx, sdk::TimePoint due);

}  // namespace profo::elements
