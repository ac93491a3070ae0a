#include <profo/sdk/toolkit/quiet_hours.hpp>

#include <gtest/gtest.h>

using namespace profo::elements;
using namespace std::chrono;
using nlohmann::json;

namespace {

// 2026-11-27 at hh:mm UTC.
profo::sdk::TimePoint utc(int hh, int mm, int day = 27) {
    return sys_days(year(2026) / November / day) + hours(hh) + minutes(mm);
}

QuietHours night(const char* span, const char* offset = "+00:00") {
    std::string error;
    auto quiet = quiet_hours_from(json{{"quiet_hours", span}, {"utc_offset", offset}}, &error);
    EXPECT_TRUE(quiet) << error;
    return quiet.value_or(QuietHours{});
}

}  // namespace

TEST(QuietHours, ParsesTimesAndOffsets) {
    EXPECT_EQ(time_of_day("22:00"), minutes(22 * 60));
    EXPECT_EQ(time_of_day("08:30"), minutes(8 * 60 + 30));
    EXPECT_EQ(time_of_day("24:00"), std::nullopt);
    EXPECT_EQ(time_of_day("8:00"), std::nullopt);
    EXPECT_EQ(utc_offset("+03:00"), minutes(180));
    EXPECT_EQ(utc_offset("-05:30"), minutes(-330));
    EXPECT_EQ(utc_offset("03:00"), std::nullopt);
    EXPECT_EQ(utc_offset("+15:00"), std::nullopt);
}

TEST(QuietHours, AbsentOrMalformedSettings) {
    std::string error;
    EXPECT_FALSE(quiet_hours_from(json::object(), &error));
    EXPECT_TRUE(error.empty());
    EXPECT_FALSE(quiet_hours_from(json{{"quiet_hours", "night"}}, &error));
    EXPECT_EQ(error, "'quiet_hours' must look like \"22:00-08:00\", not night");
    EXPECT_FALSE(quiet_hours_from(json{{"quiet_hours", "22:00-08:00"}, {"utc_offset", 3}}, &error));
    EXPECT_EQ(error, "'utc_offset' must look like \"+03:00\", not 3");
}

TEST(QuietHours, DueOutsideTheNightStays) {
    EXPECT_EQ(outside_quiet_hours(utc(12, 0), night("22:00-08:00")), utc(12, 0));
    EXPECT_EQ(outside_quiet_hours(utc(8, 0), night("22:00-08:00")), utc(8, 0));
    EXPECT_EQ(outside_quiet_hours(utc(21, 59), night("22:00-08:00")), utc(21, 59));
}

TEST(QuietHours, LateEveningMovesToTomorrowMorning) {
    EXPECT_EQ(outside_quiet_hours(utc(23, 15), night("22:00-08:00")), utc(8, 0, 28));
}

TEST(QuietHours, AfterMidnightMovesToThisMorning) {
    EXPECT_EQ(outside_quiet_hours(utc(3, 0), night("22:00-08:00")), utc(8, 0));
}

TEST(QuietHours, NightThatDoesNotWrap) {
    EXPECT_EQ(outside_quiet_hours(utc(1, 0), night("00:00-06:00")), utc(6, 0));
    EXPECT_EQ(outside_quiet_hours(utc(6, 0), night("00:00-06:00")), utc(6, 0));
}

TEST(QuietHours, LocalTimeOfTheDeployment) {
    // 20:00 UTC is 23:00 in Moscow: the night there ends at 08:00 local, 05:00 UTC.
    EXPECT_EQ(outside_quiet_hours(utc(20, 0), night("22:00-08:00", "+03:00")), utc(5, 0, 28));
    // 23:00 UTC is 18:00 in New York: not night there.
    EXPECT_EQ(outside_quiet_hours(utc(23, 0), night("22:00-08:00", "-05:00")), utc(23, 0));
}
