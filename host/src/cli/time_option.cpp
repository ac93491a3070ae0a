#include "cli/time_option.hpp"

#include "cli/command.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace profo::host {

namespace {

bool read_number(std::string_view text, std::size_t from, std::size_t digits, int& out) {
    if (from + digits > text.size()) return false;
    const char* first = text.data() + from;
    const char* last = first + digits;
    auto [end, error] = std::from_chars(first, last, out);
    return error == std::errc() && end == last && (first[0] >= '0' && first[0] <= '9');
}

}  // namespace

sdk::Millis parse_time_option(std::string_view option, std::string_view text, sdk::Millis now_ms) {
    const auto wrong = [&](const std::string& why) {
        return UsageError("--" + std::string(option) + " '" + std::string(text) + "': " + why +
                          " (a date 2025-09-01, a UTC time 2025-09-01T08:30 or 2025-09-01T08:30:00Z, or a "
                          "span from now: 90m, 12h, 7d, 2w)");
    };
    if (text.empty()) throw wrong("empty");
    const char unit = text.back();
    if (text.size() >= 2 && (unit == 'm' || unit == 'h' || unit == 'd' || unit == 'w')) {
        long long amount = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size() - 1, amount);
        if (error != std::errc() || end != text.data() + text.size() - 1 || amount <= 0 || amount > 100000)
            throw wrong("a span is a whole number from 1 to 100000 and a unit");
        const long long minutes = unit == 'm' ? 1 : unit == 'h' ? 60 : unit == 'd' ? 1440 : 10080;
        return now_ms + amount * minutes * 60'000;
    }
    if (text.back() == 'Z') text.remove_suffix(1);
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!read_number(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
        !read_number(text, 5, 2, month) || text[7] != '-' || !read_number(text, 8, 2, day))
        throw wrong("not a date");
    if (text.size() > 10) {
        if ((text[10] != 'T' && text[10] != ' ') || !read_number(text, 11, 2, hour) || text.size() < 16 ||
            text[13] != ':' || !read_number(text, 14, 2, minute))
            throw wrong("not a time of day after the date");
        if (text.size() > 16 && (text.size() != 19 || text[16] != ':' || !read_number(text, 17, 2, second)))
            throw wrong("seconds are two digits after a ':'");
    }
    using namespace std::chrono;
    const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                              std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok() || year < 1970) throw wrong("no such date");
    if (hour > 23 || minute > 59 || second > 59) throw wrong("no such time of day");
    const auto at = sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
    return duration_cast<milliseconds>(at.time_since_epoch()).count();
}

std::string format_time(sdk::Millis at) {
    using namespace std::chrono;
    const sys_time<milliseconds> t{milliseconds(at)};
    const auto day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss<seconds> time{floor<seconds>(t - day)};
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02ld:%02ld:%02lldZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
                  static_cast<long long>(time.seconds().count()));
    return out;
}

sdk::Millis wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace profo::host
