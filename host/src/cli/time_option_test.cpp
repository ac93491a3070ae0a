#include "cli/time_option.hpp"

#include "cli/command.hpp"

#include <gtest/gtest.h>

namespace profo::host {
namespace {

constexpr sdk::Millis kNow = 1'750'000'000'000;

TEST(TimeOption, ReadsDatesAndUtcTimes) {
    EXPECT_EQ(parse_time_option("expires", "2025-09-01", kNow), 1'756'684'800'000);
    EXPECT_EQ(parse_time_option("expires", "2025-09-01Z", kNow), 1'756'684'800'000);
    EXPECT_EQ(parse_time_option("expires", "2025-09-01T08:30", kNow), 1'756'715'400'000);
    EXPECT_EQ(parse_time_option("expires", "2025-09-01T08:30:15Z", kNow), 1'756'715'415'000);
    EXPECT_EQ(parse_time_option("expires", "2024-02-29", kNow), 1'709'164'800'000);
    EXPECT_EQ(format_time(1'756'715'415'000), "2025-09-01T08:30:15Z");
}

TEST(TimeOption, ReadsSpansFromNow) {
    EXPECT_EQ(parse_time_option("ends", "90m", kNow), kNow + 90 * 60'000);
    EXPECT_EQ(parse_time_option("ends", "12h", kNow), kNow + 12 * 3'600'000);
    EXPECT_EQ(parse_time_option("ends", "7d", kNow), kNow + 7 * 86'400'000LL);
    EXPECT_EQ(parse_time_option("ends", "2w", kNow), kNow + 14 * 86'400'000LL);
}

TEST(TimeOption, RefusesWhatItCannotReadNamingTheOption) {
    for (const char* bad :
         {"", "tomorrow", "2025-02-30", "2025-13-01", "2025-9-1", "2025-09-01T25:00", "2025-09-01T08:60",
          "2025-09-01T08:30:1", "2025-09-01X", "0d", "-5d", "5y", "1e3d", "999999999d", "1969-12-31"}) {
        try {
            parse_time_option("starts", bad, kNow);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const UsageError& e) {
            EXPECT_EQ(std::string(e.what()).rfind("--starts '", 0), 0u) << e.what();
        }
    }
}

}  // namespace
}  // namespace profo::host
