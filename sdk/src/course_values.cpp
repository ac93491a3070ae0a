#include <profo/sdk/course_values.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>

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

std::optional<std::string> scalar_text(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
    if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
    if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
    if (value.is_number_float()) return value.dump();
    return std::nullopt;
}

}  // namespace profo::sdk
