#include "score_bands.hpp"

#include <profo/sdk/toolkit/field_checks.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace profo::elements {

namespace {

// Percentages like 100 * 1/3 carry rounding noise; a band key equal to the
// share of mistakes up to this tolerance still covers it.
constexpr double kTolerance = 1e-9;

void replace_all(std::string& text, std::string_view placeholder, const std::string& value) {
    for (std::size_t pos = text.find(placeholder); pos != std::string::npos;
         pos = text.find(placeholder, pos + value.size()))
        text.replace(pos, placeholder.size(), value);
}

}  // namespace

std::optional<double> band_key_value(std::string_view key) {
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    if (key.empty()) return std::nullopt;
    double value = 0;
    auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), value);
    if (error != std::errc() || end != key.data() + key.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

std::vector<ScoreBand> read_bands(const nlohmann::json& spec) {
    std::vector<ScoreBand> bands;
    const nlohmann::json* score = field_value(spec, "score");
    if (score == nullptr || !score->is_object()) return bands;
    for (const auto& [key, message] : score->items()) {
        auto value = band_key_value(key);
        if (!value || !is_text(message)) continue;
        bands.push_back({*value, *text_field(*score, key)});
    }
    std::stable_sort(bands.begin(), bands.end(), [](const ScoreBand& a, const ScoreBand& b) {
        return a.max_mistakes_percent < b.max_mistakes_percent;
    });
    return bands;
}

double mistakes_percent(double score, double maxscore) {
    if (maxscore <= 0) return 0;
    return (maxscore - score) * 100.0 / maxscore;
}

const ScoreBand* band_for(const std::vector<ScoreBand>& bands, double mistakes) {
    for (const auto& band : bands)
        if (band.max_mistakes_percent + kTolerance >= mistakes) return &band;
    return nullptr;
}

std::string format_score(double value) {
    char buffer[64];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (error != std::errc()) return std::to_string(value);
    return std::string(buffer, end);
}

std::string with_scores(std::string text, double score, double maxscore, std::string_view parse_mode) {
    // The author escapes the text, not the numbers it gets: in MarkdownV2 a
    // score's '.' (1.5) or '-' is reserved, and Telegram refuses it bare.
    auto shown = [&](double value) {
        std::string number = format_score(value);
        if (parse_mode != "MarkdownV2") return number;
        std::string escaped;
        for (const char c : number) {
            if (std::string_view("_*[]()~`>#+-=|{}.!").find(c) != std::string_view::npos) escaped += '\\';
            escaped += c;
        }
        return escaped;
    };
    replace_all(text, "{score}", shown(score));
    replace_all(text, "{maxscore}", shown(maxscore));
    return text;
}

}  // namespace profo::elements
