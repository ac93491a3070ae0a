// The `score` mapping of a test: keys are the largest share of mistakes (in
// percent) a band covers, values the band's message. Keys are compared as
// numbers: the legacy bot sorted quoted keys ("100" < "20") as strings.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace profo::elements {

struct ScoreBand {
    double max_mistakes_percent = 0;
    std::string message;
};

// A key as a number ("20", "65", "0.5"); empty when it is not one.
std::optional<double> band_key_value(std::string_view key);
// The bands of `spec.score` in ascending key order; keys that are not numbers
// and values that are not text are left out (validate() reports them).
std::vector<ScoreBand> read_bands(const nlohmann::json& spec);

// (maxscore - score) / maxscore * 100, and 0 when there is nothing to score.
double mistakes_percent(double score, double maxscore);
// The band with the smallest key >= mistakes; nullptr when every key is smaller.
const ScoreBand* band_for(const std::vector<ScoreBand>& bands, double mistakes);

// 4 -> "4", 3.5 -> "3.5": scores as people write them.
std::string format_score(double value);
// Every {score} and {maxscore} in `text` replaced, escaped as the message's
// parse mode needs (MarkdownV2 reserves the '.' of 1.5).
std::string with_scores(std::string text, double score, double maxscore, std::string_view parse_mode);

}  // namespace profo::elements
