#include "external_enrollment.hpp"
#include "external_link.hpp"

#include <profo/sdk/deep_link.hpp>
#include <profo/sdk/enrollment_testing.hpp>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace profo::enrollment {
namespace {

using nlohmann::json;
using sdk::EnrollmentRefusal;

const sdk::TimePoint kNow{std::chrono::milliseconds(1'750'000'000'000)};
const std::string kAccountKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const sdk::Millis kInAnHour = 1'750'000'000'000 + 3'600'000;

class ExternalTokenTest : public ::testing::Test {
protected:
    ExternalTokenTest() {
        deployment.id = 12;
        deployment.account_id = 1;
        sdk::EnrollmentToken t;
        t.deployment_id = 12;
        t.type = "external";
        t.code = "Lms7Qz";
        plugin.prepare_token(t);
        token = tokens.create_token(1, t);
    }
    std::string sign(const std::string& ref, sdk::Millis expires_at = kInAnHour) {
        return plugin.sign_argument(token, json{{"ref", ref}, {"expires_at", expires_at}}, kAccountKey, kNow);
    }
    sdk::EnrollmentDecision start(std::string_view argument, sdk::TimePoint at = kNow,
                                  std::string_view key = kAccountKey, bool consume = true) {
        const auto current = *tokens.get_token(1, token.id);
        sdk::EnrollmentAttempt attempt{deployment, current, argument, key, 900, "", at, consume};
        return plugin.admit(tokens, attempt);
    }

    ExternalEnrollment plugin;
    sdk::testing::MemoryTokenStore tokens;
    sdk::CourseDeployment deployment;
    sdk::EnrollmentToken token;
};

TEST_F(ExternalTokenTest, ASignedLinkAdmitsAndNamesTheExternalStudent) {
    const auto argument = sign("crm-000123");
    const auto payload = sdk::deep_link_payload(12, token.code, argument);
    EXPECT_LE(payload.size(), sdk::kMaxStartPayload);
    const auto parsed = sdk::parse_start_payload(payload);
    ASSERT_EQ(parsed.kind, sdk::StartPayload::Kind::deep_link);
    const auto d = start(parsed.argument);
    EXPECT_TRUE(d.admitted) << d.detail;
    EXPECT_EQ(d.external_ref, "crm-000123");
    EXPECT_FALSE(d.names_holder);
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 1);
}

TEST_F(ExternalTokenTest, TheLinksOwnExpiryIsChecked) {
    const auto argument = sign("crm-1", kInAnHour);
    EXPECT_TRUE(start(argument, kNow + std::chrono::minutes(59)).admitted);
    const auto late = start(argument, kNow + std::chrono::minutes(61));
    EXPECT_EQ(late.refusal, EnrollmentRefusal::expired);
    EXPECT_NE(late.detail.find("crm-1"), std::string::npos) << late.detail;
}

TEST_F(ExternalTokenTest, ForgedMissingOrUnverifiableLinksAreMalformed) {
    const auto argument = sign("crm-1");
    EXPECT_EQ(start("").refusal, EnrollmentRefusal::malformed);
    std::string changed = argument;
    changed.back() = changed.back() == 'x' ? 'y' : 'x';
    EXPECT_EQ(start(changed).refusal, EnrollmentRefusal::malformed);
    EXPECT_EQ(start(argument, kNow, std::string(64, 'f')).refusal, EnrollmentRefusal::malformed)
        << "another key";
    const auto no_key = start(argument, kNow, "");
    EXPECT_EQ(no_key.refusal, EnrollmentRefusal::malformed);
    EXPECT_NE(no_key.detail.find("no enrollment key"), std::string::npos) << no_key.detail;
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 0) << "no refused start takes a use";
}

TEST_F(ExternalTokenTest, AnOptionalCapIsEnforcedLikeAGroups) {
    tokens.revoke_token(1, token.id);
    EXPECT_EQ(start(sign("a")).refusal, EnrollmentRefusal::revoked);
    sdk::EnrollmentToken capped;
    capped.deployment_id = 12;
    capped.type = "external";
    capped.code = "Cap1";
    capped.max_uses = 1;
    plugin.prepare_token(capped);
    token = tokens.create_token(1, capped);
    EXPECT_TRUE(start(sign("a")).admitted);
    EXPECT_EQ(start(sign("b"), kNow, kAccountKey, false).refusal, EnrollmentRefusal::exhausted);
    EXPECT_EQ(start(sign("b")).refusal, EnrollmentRefusal::exhausted);
}

TEST_F(ExternalTokenTest, SigningRefusesWhatCouldNotBeALink) {
    EXPECT_THROW(sign(""), std::invalid_argument);
    EXPECT_THROW(sign("has space"), std::invalid_argument);
    EXPECT_THROW(sign("ok", 1'000), std::invalid_argument) << "expired already";
    EXPECT_THROW(plugin.sign_argument(token, json{{"ref", "x"}}, kAccountKey, kNow), std::invalid_argument);
    EXPECT_THROW(plugin.sign_argument(token, json{{"ref", "x"}, {"expires_at", kInAnHour}}, "short", kNow),
                 std::invalid_argument);
    // cd_C_Lms7Qz_ takes 12 of the 64 characters; the other 52 carry 39 bytes: expiry,
    // signature and a reference of up to 23.
    EXPECT_NO_THROW(sign(std::string(23, 'r')));
    EXPECT_THROW(sign(std::string(24, 'r')), std::invalid_argument);
    try {
        sign(std::string(30, 'r'));
        FAIL() << "a link longer than 64 characters was signed";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).rfind("ref:", 0), 0u) << e.what();
        EXPECT_NE(std::string(e.what()).find("more than the 64"), std::string::npos) << e.what();
    }
}

TEST(ExternalTokenRules, NoTelegramHolder) {
    ExternalEnrollment plugin;
    sdk::EnrollmentToken t;
    t.user_id = 4;
    EXPECT_THROW(plugin.prepare_token(t), std::invalid_argument);
    EXPECT_EQ(plugin.code_length(), 6u);
}

}  // namespace
}  // namespace profo::enrollment
