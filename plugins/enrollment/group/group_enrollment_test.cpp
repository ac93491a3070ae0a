#include "group_enrollment.hpp"

#include <profo/sdk/enrollment_testing.hpp>

#include <gtest/gtest.h>

namespace profo::enrollment {
namespace {

using sdk::EnrollmentRefusal;

const sdk::TimePoint kNow{std::chrono::milliseconds(1'750'000'000'000)};

class GroupTokenTest : public ::testing::Test {
protected:
    GroupTokenTest() {
        deployment.id = 3;
        deployment.account_id = 1;
        sdk::EnrollmentToken t;
        t.deployment_id = 3;
        t.type = "group";
        t.code = "class-7b";
        t.max_uses = 3;
        plugin.prepare_token(t);
        token = tokens.create_token(1, t);
    }
    sdk::EnrollmentDecision start(bool consume = true) {
        const auto current = *tokens.get_token(1, token.id);
        sdk::EnrollmentAttempt attempt{deployment, current, {}, {}, 77, "", kNow, consume};
        return plugin.admit(tokens, attempt);
    }

    GroupEnrollment plugin;
    sdk::testing::MemoryTokenStore tokens;
    sdk::CourseDeployment deployment;
    sdk::EnrollmentToken token;
};

TEST_F(GroupTokenTest, AdmitsMaxUsesStudentsThenSaysItIsFull) {
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(start().admitted) << i;
    const auto fourth = start();
    EXPECT_FALSE(fourth.admitted);
    EXPECT_EQ(fourth.refusal, EnrollmentRefusal::exhausted);
    EXPECT_NE(fourth.detail.find("3 of 3"), std::string::npos) << fourth.detail;
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 3);
}

TEST_F(GroupTokenTest, AQuestionReadsTheCountAndTakesNothing) {
    EXPECT_TRUE(start(false).admitted);
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 0);
    for (int i = 0; i < 3; ++i) start();
    EXPECT_EQ(start(false).refusal, EnrollmentRefusal::exhausted);
}

// The token was read with uses 2 of 3; another start took the last use
// before this one's update: the update decides.
TEST_F(GroupTokenTest, TheLastUseGoesToWhoeverUpdatesFirst) {
    start();
    start();
    const auto read_before = *tokens.get_token(1, token.id);
    EXPECT_TRUE(tokens.consume_token(1, token.id));  // a concurrent start
    sdk::EnrollmentAttempt late{deployment, read_before, {}, {}, 78, "", kNow, true};
    const auto d = plugin.admit(tokens, late);
    EXPECT_FALSE(d.admitted);
    EXPECT_EQ(d.refusal, EnrollmentRefusal::exhausted);
}

TEST_F(GroupTokenTest, ARevokeBetweenReadAndUseIsReportedAsSuch) {
    const auto read_before = *tokens.get_token(1, token.id);
    tokens.revoke_token(1, token.id);
    sdk::EnrollmentAttempt late{deployment, read_before, {}, {}, 78, "", kNow, true};
    EXPECT_EQ(plugin.admit(tokens, late).refusal, EnrollmentRefusal::revoked);
}

TEST(GroupTokenRules, ALimitOfAtLeastOneIsRequired) {
    GroupEnrollment plugin;
    sdk::EnrollmentToken t;
    EXPECT_THROW(plugin.prepare_token(t), std::invalid_argument);
    t.max_uses = 0;
    try {
        plugin.prepare_token(t);
        FAIL() << "max_uses 0 was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).rfind("max_uses:", 0), 0u) << e.what();
    }
    t.max_uses = 40;
    EXPECT_NO_THROW(plugin.prepare_token(t));
    t.username = "ann";
    EXPECT_THROW(plugin.prepare_token(t), std::invalid_argument);
}

}  // namespace
}  // namespace profo::enrollment
