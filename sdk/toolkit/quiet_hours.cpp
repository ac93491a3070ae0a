#include <profo/sdk/toolkit/quiet_hours.hpp>

namespace profo::elements {

namespace {

using std::chrono::minutes;

constexpr minutes kDay{24 * 60};

std::optional<int> two_digits(std::string_view text) {
    if (text.size() != 2 || text[0] < '0' || text[0] > '9' || text[1] < '0' || text[1] > '9')
        return std::nullopt;
    return (text[0] - '0') * 10 + (text[1] - '0');
}

}  // namespace

std::optional<minutes> time_of_day(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    auto hours = two_digits(text.substr(0, 2));
    auto mins = two_digits(text.substr(3, 2));
    if (!hours || !mins || *hours > 23 || *mins > 59) return std::nullopt;
    return minutes(*hours * 60 + *mins);
}

std::optional<minutes> utc_offset(std::string_view text) {
    if (text.size() != 6 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
    auto magnitude = time_of_day(text.substr(1));
    if (!magnitude || *magnitude > minutes(14 * 60)) return std::nullopt;  // real zones span -12:00..+14:00
    return text[0] == '-' ? -*magnitude : *magnitude;
}

std::optional<QuietHours> quiet_hours_from(const nlohmann::json& settings, std::string* error) {
    if (!settings.is_object() || !settings.contains("quiet_hours") || settings["quiet_hours"].is_null())
        return std::nullopt;
    const auto fail = [&](std::string why) -> std::optional<QuietHours> {
        if (error != nullptr) *error = std::move(why);
        return std::nullopt;
    };
    const nlohmann::json& hours = settings["quiet_hours"];
    const std::string text = hours.is_string() ? hours.get<std::string>() : hours.dump();
    const auto dash = text.find('-');
    if (!hours.is_string() || dash == std::string::npos)
        return fail("'quiet_hours' must look like \"22:00-08:00\", not " + text);
    QuietHours quiet;
    auto start = time_of_day(text.substr(0, dash));
    auto end = time_of_day(text.substr(dash + 1));
    if (!start || !end) return fail("'quiet_hours' must look like \"22:00-08:00\", not " + text);
    quiet.start = *start;
    quiet.end = *end;
    if (settings.contains("utc_offset") && !settings["utc_offset"].is_null()) {
        const nlohmann::json& offset = settings["utc_offset"];
        auto parsed = offset.is_string() ? utc_offset(offset.get<std::string>()) : std::nullopt;
        if (!parsed) return fail("'utc_offset' must look like \"+03:00\", not " + offset.dump());
        quiet.utc_offset = *parsed;
    }
    return quiet;
}

sdk::TimePoint outside_quiet_hours(sdk::TimePoint due, const QuietHours& quiet) {
    if (quiet.start == quiet.end) return due;  // an empty night
    const auto local = std::chrono::floor<minutes>(due) + quiet.utc_offset;
    const auto midnight = std::chrono::floor<std::chrono::days>(local);
    const minutes now = std::chrono::duration_cast<minutes>(local - midnight);
    const bool wraps = quiet.start > quiet.end;
    const bool quiet_now =
        wraps ? (now >= quiet.start || now < quiet.end) : (now >= quiet.start && now < quiet.end);
    if (!quiet_now) return due;
    // The night ends today when it wraps and we are past midnight (or when it
    // does not wrap at all); otherwise it ends tomorrow.
    const auto end_local = midnight + quiet.end + (wraps && now >= quiet.start ? kDay : minutes(0));
    return end_local - quiet.utc_offset;
}

sdk::TimePoint due_outside_quiet_hours(sdk::ElementContext& ctx, sdk::TimePoint due) {
    std::string error;
    auto quiet = quiet_hours_from(ctx.settings(), &error);
    if (!error.empty()) ctx.log().warn("quiet hours ignored: " + error);
    return quiet ? outside_quiet_hours(due, *quiet) : due;
}

}  // namespace profo::elements
