#include "admin/call_arguments.hpp"

#include <profo/sdk/admin.hpp>

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace profo::host {
namespace {

using nlohmann::json;
using Type = ArgumentSpec::Type;

constexpr sdk::Millis kNow = 1'764'547'200'000;  // 2025-12-01T00:00:00Z

const std::vector<ArgumentSpec> kSpecs = {
    {"deployment_id", Type::id, "", true, true},
    {"offset", Type::integer, ""},
    {"time_scale", Type::number, ""},
    {"environment", Type::string, "", false, false, {"test", "prod"}},
    {"runs", Type::id_list, ""},
};

// The field of the refusal `given` gets, or "" when it is taken.
std::string refused_field(const json& given) {
    try {
        const CallArguments arguments(kSpecs, given, kNow);
        return "";
    } catch (const sdk::AdminError& e) {
        EXPECT_EQ(e.code(), sdk::AdminError::Code::invalid_argument);
        return e.field();
    }
}

TEST(CallArguments, ReadsNumbersWrittenAsNumbersOrAsText) {
    const CallArguments a(
        kSpecs, {{"deployment_id", "7"}, {"offset", 12.0}, {"time_scale", "1.5"}, {"runs", "1,2,3"}}, kNow);
    EXPECT_EQ(a.id("deployment_id"), 7);
    EXPECT_EQ(a.integer("offset"), 12);
    EXPECT_EQ(a.number("time_scale"), 1.5);
    EXPECT_EQ(a.id_list("runs"), (std::vector<sdk::Id>{1, 2, 3}));
    EXPECT_FALSE(a.has("environment"));
    const CallArguments edges(
        kSpecs,
        {{"deployment_id", std::numeric_limits<std::int64_t>::max()}, {"offset", -9223372036854775808.0}},
        kNow);
    EXPECT_EQ(edges.id("deployment_id"), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(edges.integer("offset"), std::numeric_limits<std::int64_t>::min());
}

// A whole number past 64 bits was wrapped round (2^64 - 1 read as -1), and a
// double past them was converted with undefined behaviour; both are refused.
TEST(CallArguments, RefusesWholeNumbersPast64BitsRatherThanWrappingThem) {
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"offset", 18446744073709551615ULL}}), "/offset");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"offset", 9223372036854775808ULL}}), "/offset");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"offset", 1e300}}), "/offset");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"offset", -1e300}}), "/offset");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"offset", 9223372036854775808.0}}), "/offset");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"offset", 1.5}}), "/offset");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"offset", "9223372036854775808"}}), "/offset");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"runs", json::array({1, 1e300})}}), "/runs");
}

TEST(CallArguments, ANumberIsFinite) {
    for (const char* text : {"nan", "inf", "-inf", "infinity", "1e999", ""})
        EXPECT_EQ(refused_field({{"deployment_id", 1}, {"time_scale", text}}), "/time_scale") << text;
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"time_scale", "2.5e3"}}), "");
}

TEST(CallArguments, RefusesByNameWhatIsUnknownMissingOrNotAChoice) {
    EXPECT_EQ(refused_field({{"offset", 1}}), "/deployment_id");
    EXPECT_EQ(refused_field({{"deployment_id", 0}}), "/deployment_id");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"colour", "red"}}), "/colour");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"environment", "staging"}}), "/environment");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"runs", "1,,2"}}), "/runs");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"runs", json::array()}}), "/runs");
    EXPECT_EQ(refused_field({{"deployment_id", 1}, {"environment", nullptr}}), "") << "null is not given";
    EXPECT_THROW(CallArguments(kSpecs, json::array(), kNow), sdk::AdminError);
}

// what() ends at the first NUL: a name the client made up with one in it
// left a refusal that said nothing at all.
TEST(CallArguments, ARefusalQuotesANameTheClientMadeUpWhole) {
    const std::string name("\0\0odd", 5);
    try {
        const CallArguments arguments(kSpecs, {{"deployment_id", 1}, {name, 1}}, kNow);
        FAIL() << "an unknown argument was taken";
    } catch (const sdk::AdminError& e) {
        EXPECT_EQ(std::string(e.what()), R"("\u0000\u0000odd": no such argument)");
        EXPECT_EQ(e.field(), "/" + name);
    }
    try {
        const CallArguments arguments(kSpecs, {{"deployment_id", 1}, {"colour", 1}}, kNow);
        FAIL() << "an unknown argument was taken";
    } catch (const sdk::AdminError& e) {
        EXPECT_EQ(std::string(e.what()), "colour: no such argument");
    }
}

}  // namespace
}  // namespace profo::host
