#include "public_enrollment.hpp"

#include <profo/sdk/enrollment_testing.hpp>

#include <gtest/gtest.h>

namespace profo::enrollment {
namespace {

using sdk::EnrollmentRefusal;
using namespace std::chrono_literals;

const sdk::TimePoint kNow{std::chrono::milliseconds(1'750'000'000'000)};

class PublicTokenTest : public ::testing::Test {
protected:
    PublicTokenTest() {
        deployment.id = 3;
        deployment.account_id = 1;
        sdk::EnrollmentToken t;
        t.deployment_id = 3;
        t.type = "public";
        t.code = "open";
        plugin.prepare_token(t);
        token = tokens.create_token(1, t);
    }
    sdk::EnrollmentDecision start(std::string_view argument = {}, bool consume = true) {
        const auto current = *tokens.get_token(1, token.id);
        sdk::EnrollmentAttempt attempt{deployment, current, argument, {}, 77, "ann", kNow, consume};
        return plugin.admit(tokens, attempt);
    }

    PublicEnrollment plugin;
    sdk::testing::MemoryTokenStore tokens;
    sdk::CourseDeployment deployment;
    sdk::EnrollmentToken token;
};

TEST_F(PublicTokenTest, AdmitsEveryoneAndCountsEachStart) {
    for (int i = 0; i < 25; ++i) EXPECT_TRUE(start().admitted);
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 25);
    EXPECT_FALSE(start().names_holder) << "an open link names nobody";
}

TEST_F(PublicTokenTest, AQuestionAsksWithoutTakingAUse) {
    EXPECT_TRUE(start({}, false).admitted);
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 0);
}

TEST_F(PublicTokenTest, TheScheduleAndTheStateOfTheTokenRefuse) {
    tokens.set_token_active(1, token.id, false);
    EXPECT_EQ(start().refusal, EnrollmentRefusal::paused);
    tokens.set_token_active(1, token.id, true);
    tokens.revoke_token(1, token.id);
    const auto revoked = start();
    EXPECT_FALSE(revoked.admitted);
    EXPECT_EQ(revoked.refusal, EnrollmentRefusal::revoked);
    EXPECT_NE(revoked.detail.find("revoked"), std::string::npos);
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 0);
}

TEST_F(PublicTokenTest, ExpiryAndWindowAreHonouredToTheMillisecond) {
    sdk::EnrollmentToken t = token;
    const auto now = sdk::epoch_millis(kNow);
    t.expires_at = now;
    EXPECT_EQ(sdk::refusal_by_schedule(t, kNow)->refusal, EnrollmentRefusal::expired);
    t.expires_at = now + 1;
    EXPECT_FALSE(sdk::refusal_by_schedule(t, kNow));
    t.starts_at = now + 1;
    EXPECT_EQ(sdk::refusal_by_schedule(t, kNow)->refusal, EnrollmentRefusal::not_started);
    t.starts_at = now;
    t.ends_at = now;
    EXPECT_EQ(sdk::refusal_by_schedule(t, kNow)->refusal, EnrollmentRefusal::closed);
    t.ends_at = now + 1;
    EXPECT_FALSE(sdk::refusal_by_schedule(t, kNow));
}

TEST_F(PublicTokenTest, AnythingAfterTheCodeIsRefused) {
    const auto d = start("x");
    EXPECT_EQ(d.refusal, EnrollmentRefusal::malformed);
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 0);
}

TEST(PublicTokenRules, NoLimitAndNoHolder) {
    PublicEnrollment plugin;
    sdk::EnrollmentToken t;
    t.max_uses = 5;
    EXPECT_THROW(plugin.prepare_token(t), std::invalid_argument);
    t.max_uses.reset();
    t.user_id = 5;
    try {
        plugin.prepare_token(t);
        FAIL() << "a public token was bound to a user";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).rfind("user:", 0), 0u) << e.what();
    }
}

}  // namespace
}  // namespace profo::enrollment
