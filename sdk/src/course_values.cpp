#include <profo/sdk/course_values.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace profo::sdk {

namespace {

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::optional<bool> truthy(const nlohmann::json& value) {
    if (value.is_boolean()) return value.get<bool>();
    if (value.is_number_integer() || value.is_number_unsigned()) {
        auto n = value.get<std::int64_t>();
        if (n == 0 || n == 1) return n == 1;
        return std::nullopt;
    }
    if (!value.is_string()) return std::nullopt;
    const std::string s = lower_ascii(value.get<std::string>());
    if (s == "yes" || s == "true" || s == "on" || s == "1" || s == "y") return true;
    if (s == "no" || s == "false" || s == "off" || s == "0" || s == "n") return false;
    return std::nullopt;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    static constexpr std::string_view kUnits = "dhms";
    static constexpr std::int64_t kSeconds[] = {86400, 3600, 60, 1};
    if (text.empty()) return std::nullopt;
    std::int64_t total = 0;
    std::size_t next_unit = 0;  // units must come in d, h, m, s order, each once
    std::size_t pos = 0;
    while (true) {
        std::size_t end = text.find(':', pos);
        std::string_view part =
            text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (part.size() < 2) return std::nullopt;
        const char unit = part.back();
        const std::string_view digits = part.substr(0, part.size() - 1);
        if (digits.size() > 9 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        const std::size_t u = kUnits.find(unit);
        if (u == std::string_view::npos || u < next_unit) return std::nullopt;
        next_unit = u + 1;
        std::int64_t n = 0;
        for (char c : digits) n = n * 10 + (c - '0');
        total += n * kSeconds[u];
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return std::chrono::seconds(total);
}

std::optional<double> course_number(const nlohmann::json& value) {
    if (value.is_number()) {
        const double d = value.get<double>();
        return std::isfinite(d) ? std::optional(d) : std::nullopt;
    }
    if (!value.is_string()) return std::nullopt;
    std::string_view s = value.get_ref<const std::string&>();
    const bool negative = !s.empty() && s.front() == '-';
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
    if (s.empty() || s.size() > 64) return std::nullopt;
    for (const auto& [prefix, base] :
         {std::pair{std::string_view("0x"), 16}, std::pair{std::string_view("0o"), 8}}) {
        if (s.substr(0, 2) != prefix) continue;
        std::int64_t n = 0;
        const auto* last = s.data() + s.size();
        const auto [ptr, ec] = std::from_chars(s.data() + 2, last, n, base);
        if (ec != std::errc() || ptr != last || s.size() == 2) return std::nullopt;
        return static_cast<double>(negative ? -n : n);
    }
    // from_chars reads "1e3" and "1.50" but not ".5" or a sign: both were taken off or are fine.
    if (!(std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '.')) return std::nullopt;
    std::string text(s);
    if (text.front() == '.') text.insert(text.begin(), '0');
    double d = 0;
    const auto* last = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), last, d, std::chars_format::general);
    if (ec != std::errc() || ptr != last || !std::isfinite(d)) return std::nullopt;
    return negative ? -d : d;
}

std::optional<long long> course_whole_number(const nlohmann::json& value) {
    const auto d = course_number(value);
    // 2^53: past it a double no longer holds every whole number.
    constexpr double kExact = 9007199254740992.0;
    if (value.is_number_unsigned()) {
        const auto n = value.get<std::uint64_t>();
        if (n > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) return std::nullopt;
        return static_cast<long long>(n);
    }
    if (value.is_number_integer()) return value.get<long long>();
    if (!d || std::trunc(*d) != *d || std::fabs(*d) > kExact) return std::nullopt;
    return static_cast<long long>(*d);
}

std::optional<std::string> scalar_text(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
    if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
    if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
    if (value.is_number_float()) return value.dump();
    return std::nullopt;
}

}  // namespace profo::sdk
