#include "score_bands.hpp"

#include <gtest/gtest.h>

using namespace profo::elements;
using nlohmann::json;

namespace {

std::string band_message(const json& spec, double score, double maxscore) {
    const auto bands = read_bands(spec);
    const ScoreBand* band = band_for(bands, mistakes_percent(score, maxscore));
    return band == nullptr ? "<none>" : band->message;
}

// course_example.yml: quoted keys, which the legacy bot sorted as text ("100" < "20" < "65").
const json kQuotedKeys = {{"score", {{"20", "ready"}, {"65", "basics"}, {"100", "slow down"}}}};
// test_test_element.yml: plain keys, which YAML 1.2 gives us as the same strings.
const json kSixBands = {
    {"score", {{"0", "0%"}, {"20", "20%"}, {"40", "40%"}, {"60", "60%"}, {"80", "80%"}, {"100", "100%"}}}};

}  // namespace

TEST(BandKeyValue, NumbersOnly) {
    EXPECT_EQ(band_key_value("20"), 20.0);
    EXPECT_EQ(band_key_value(" 65 "), 65.0);
    EXPECT_EQ(band_key_value("12.5"), 12.5);
    EXPECT_EQ(band_key_value("20%"), std::nullopt);
    EXPECT_EQ(band_key_value("twenty"), std::nullopt);
    EXPECT_EQ(band_key_value(""), std::nullopt);
}

TEST(ReadBands, SortsKeysAsNumbers) {
    const auto bands = read_bands(kQuotedKeys);
    ASSERT_EQ(bands.size(), 3u);
    EXPECT_EQ(bands[0].max_mistakes_percent, 20);
    EXPECT_EQ(bands[1].max_mistakes_percent, 65);
    EXPECT_EQ(bands[2].max_mistakes_percent, 100);
}

TEST(BandFor, SmallestKeyAtLeastTheMistakes) {
    EXPECT_EQ(band_message(kQuotedKeys, 5, 5), "ready");      // 0%
    EXPECT_EQ(band_message(kQuotedKeys, 4, 5), "ready");      // 20%: the key itself covers it
    EXPECT_EQ(band_message(kQuotedKeys, 3, 5), "basics");     // 40%
    EXPECT_EQ(band_message(kQuotedKeys, 1, 3), "slow down");  // 66.67%
    EXPECT_EQ(band_message(kQuotedKeys, 0, 3), "slow down");  // 100%
    EXPECT_EQ(band_message(kSixBands, 2, 3), "40%");          // 33.3%
    EXPECT_EQ(band_message(kSixBands, 3.5, 5), "40%");        // 30%, with a half point from multi_choice
    EXPECT_EQ(band_message(kSixBands, 4, 5), "20%");
}

TEST(BandFor, NoBandAboveTheLargestKey) {
    const json spec = {{"score", {{"0", "perfect"}, {"50", "good"}}}};
    EXPECT_EQ(band_message(spec, 3, 4), "good");    // 25%
    EXPECT_EQ(band_message(spec, 2, 5), "<none>");  // 60%
}

TEST(MistakesPercent, NothingToScoreIsNoMistakes) {
    EXPECT_EQ(mistakes_percent(0, 0), 0);
    EXPECT_EQ(band_message(kSixBands, 0, 0), "0%");
    EXPECT_DOUBLE_EQ(mistakes_percent(1, 4), 75);
}

TEST(WithScores, FormatsNumbersWithoutTrailingZeros) {
    EXPECT_EQ(format_score(4), "4");
    EXPECT_EQ(format_score(3.5), "3.5");
    EXPECT_EQ(format_score(0), "0");
    EXPECT_EQ(with_scores("{score} of {maxscore}; {score}!", 3.5, 5, "HTML"), "3.5 of 5; 3.5!");
    EXPECT_EQ(with_scores("no placeholders", 1, 2, "MARKDOWN"), "no placeholders");
    // MarkdownV2 reserves '.' and '-': the author cannot escape a number the element puts in.
    EXPECT_EQ(with_scores("*{score}* of {maxscore}\\.", 1.5, -2, "MarkdownV2"), "*1\\.5* of \\-2\\.");
}
