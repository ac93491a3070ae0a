#include <profo/sdk/deep_link.hpp>

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::sdk {
namespace {

using Kind = StartPayload::Kind;

TEST(ShortId, RoundTripsEveryMagnitude) {
    for (Id id : {Id{1}, Id{9}, Id{10}, Id{61}, Id{62}, Id{3843}, Id{3844}, Id{1'000'000},
                  std::numeric_limits<Id>::max()}) {
        const auto text = encode_short_id(id);
        EXPECT_LE(text.size(), 11u) << id;
        EXPECT_EQ(decode_short_id(text), id) << text;
    }
    EXPECT_EQ(encode_short_id(1), "1");
    EXPECT_EQ(encode_short_id(62), "10");
    EXPECT_EQ(encode_short_id(std::numeric_limits<Id>::max()), "AzL8n0Y58m7");
    EXPECT_THROW(encode_short_id(0), std::invalid_argument);
    EXPECT_THROW(encode_short_id(-5), std::invalid_argument);
}

TEST(ShortId, RefusesWhatItWouldNotWrite) {
    for (const char* bad :
         {"", "0", "01", "-1", "1_", "a b", "AzL8n0Y58m8", "zzzzzzzzzzz", "100000000000", "\xD0\x90"})
        EXPECT_EQ(decode_short_id(bad), std::nullopt) << bad;
}

TEST(StartPayload, ReadsADeepLink) {
    const auto p = parse_start_payload("cd_1B_Ab3xK9qZ2m");
    ASSERT_EQ(p.kind, Kind::deep_link) << p.problem;
    EXPECT_EQ(p.deployment_id, 73);  // 1*62 + 11
    EXPECT_EQ(p.code, "Ab3xK9qZ2m");
    EXPECT_EQ(p.argument, "");
}

TEST(StartPayload, TheArgumentIsEverythingAfterTheCode) {
    // The argument is the token type's to judge, a trailing '_' included.
    const auto p = parse_start_payload("cd_7_ext-1_AAAA_b-c_");
    ASSERT_EQ(p.kind, Kind::deep_link) << p.problem;
    EXPECT_EQ(p.argument, "AAAA_b-c_");
    const auto q = parse_start_payload("cd_7_ext-1_AAAA_b-c");
    ASSERT_EQ(q.kind, Kind::deep_link) << q.problem;
    EXPECT_EQ(q.deployment_id, 7);
    EXPECT_EQ(q.code, "ext-1");
    EXPECT_EQ(q.argument, "AAAA_b-c");
}

TEST(StartPayload, ReadsLegacyLinksWithTheirUtm) {
    auto p = parse_start_payload("ielts2");
    ASSERT_EQ(p.kind, Kind::legacy);
    EXPECT_EQ(p.alias, "ielts2");
    EXPECT_EQ(p.utm_source, "");

    p = parse_start_payload("ielts2__utmsIIinstagram__utmcIIspring");
    ASSERT_EQ(p.kind, Kind::legacy);
    EXPECT_EQ(p.alias, "ielts2");
    EXPECT_EQ(p.utm_source, "instagram");
    EXPECT_EQ(p.utm_campaign, "spring");

    p = parse_start_payload("course-7__utmcIIy");
    EXPECT_EQ(p.alias, "course-7");
    EXPECT_EQ(p.utm_source, "");
    EXPECT_EQ(p.utm_campaign, "y");

    // Unknown and empty parts are skipped; the alias still leads to the course.
    p = parse_start_payload("my_course__utmsII__ref42__utmsIIx");
    ASSERT_EQ(p.kind, Kind::legacy);
    EXPECT_EQ(p.alias, "my_course");
    EXPECT_EQ(p.utm_source, "x");
    EXPECT_TRUE(parse_start_payload("").kind == Kind::empty);
}

// What a student can type after /start, or a forged link can carry: each is
// refused with a reason and never read as something else.
TEST(StartPayload, RefusesHostilePayloads) {
    struct Case {
        std::string payload;
        std::string mentions;
    };
    const std::vector<Case> cases = {
        {"cd_1_" + std::string(60, 'a'), "65 characters long"},
        {std::string(65, 'a'), "at most 64"},
        {std::string(100000, 'x'), "100000 characters long"},
        {"cd_1_abc def", "character 9"},
        {"cd_1_abc.def", "character 9"},
        {"cd_1_abc%20", "character 9"},
        {"cd_1_ab\xD0\x90", "character 8"},
        {std::string("cd_1_ab\0c", 9), "character 8"},
        {"cd_1_abc\n", "character 9"},
        {"привет", "character 1"},
        {"/start", "character 1"},
        {"cd_", "no '_<token>'"},
        {"cd_1", "no '_<token>'"},
        {"cd__abc", "deployment part after 'cd_' is empty"},
        {"cd_1_", "token part after the deployment is empty"},
        {"cd_1__arg", "token part after the deployment is empty"},
        {"cd_1_abc_", "ends with '_'"},
        {"cd_0_abc", "'0' is not a deployment's short id"},
        {"cd_01_abc", "'01' is not"},
        {"cd_-1_abc", "'-1' is not"},
        {"cd_1-2_abc", "'1-2' is not"},
        {"cd_AzL8n0Y58m8_abc", "'AzL8n0Y58m8' is not"},  // INT64_MAX + 1
        {"cd_zzzzzzzzzzzz_abc", "'zzzzzzzzzzzz' is not"},
        {"cd_99999999999999999999_abc", "is not a deployment's short id"},
        {"cd_1_" + std::string(33, 'a'), "longer than 32"},
        {"__utmsIIx", "starts with '__'"},
    };
    for (const auto& c : cases) {
        const auto p = parse_start_payload(c.payload);
        EXPECT_EQ(p.kind, Kind::malformed) << c.payload.substr(0, 80);
        EXPECT_NE(p.problem.find(c.mentions), std::string::npos)
            << "'" << p.problem << "' should mention '" << c.mentions << "' for " << c.payload.substr(0, 80);
        EXPECT_EQ(p.deployment_id, 0);
        EXPECT_TRUE(p.code.empty());
        EXPECT_TRUE(p.alias.empty());
    }
}

TEST(StartPayload, PrefixesThatOnlyLookLikeDeepLinksAreAliases) {
    for (const char* alias : {"cd", "cd-1", "CD_1_abc", "xcd_1_abc"}) {
        const auto p = parse_start_payload(alias);
        EXPECT_EQ(p.kind, Kind::legacy) << alias;
        EXPECT_EQ(p.alias, alias);
    }
}

TEST(DeepLinkPayload, WritesWhatTheParserReads) {
    const auto payload = deep_link_payload(123456, "Xy12-ab", "ZZ_9-q");
    EXPECT_EQ(payload, "cd_W7E_Xy12-ab_ZZ_9-q");
    const auto p = parse_start_payload(payload);
    ASSERT_EQ(p.kind, Kind::deep_link);
    EXPECT_EQ(p.deployment_id, 123456);
    EXPECT_EQ(p.code, "Xy12-ab");
    EXPECT_EQ(p.argument, "ZZ_9-q");
    EXPECT_EQ(deep_link_url("@course_bot", payload), "https://t.me/course_bot?start=cd_W7E_Xy12-ab_ZZ_9-q");
}

TEST(DeepLinkPayload, RefusesWhatWouldNotFitOrNotParse) {
    EXPECT_NO_THROW(deep_link_payload(1, std::string(32, 'a'), std::string(26, 'b')));  // exactly 64
    try {
        deep_link_payload(1, std::string(32, 'a'), std::string(27, 'b'));
        FAIL() << "65 characters were accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("65 characters long, 1 more than the 64"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(deep_link_payload(1, "has_underscore"), std::invalid_argument);
    EXPECT_THROW(deep_link_payload(1, ""), std::invalid_argument);
    EXPECT_THROW(deep_link_payload(1, "ok", "sp ace"), std::invalid_argument);
    EXPECT_THROW(deep_link_payload(0, "ok"), std::invalid_argument);
}

}  // namespace
}  // namespace profo::sdk
