#include "personal_enrollment.hpp"

#include <profo/sdk/enrollment_testing.hpp>

#include <gtest/gtest.h>

namespace profo::enrollment {
namespace {

using sdk::EnrollmentRefusal;

const sdk::TimePoint kNow{std::chrono::milliseconds(1'750'000'000'000)};

class PersonalTokenTest : public ::testing::Test {
protected:
    PersonalTokenTest() {
        deployment.id = 3;
        deployment.account_id = 1;
    }
    sdk::EnrollmentToken make(std::optional<std::int64_t> user_id = {}, std::string username = {}) {
        sdk::EnrollmentToken t;
        t.deployment_id = 3;
        t.type = "personal";
        t.code = "p" + std::to_string(++made);
        t.user_id = user_id;
        t.username = std::move(username);
        plugin.prepare_token(t);
        return tokens.create_token(1, t);
    }
    sdk::EnrollmentDecision start(const sdk::EnrollmentToken& token, std::int64_t user,
                                  std::string username = {}, bool consume = true) {
        const auto current = *tokens.get_token(1, token.id);
        sdk::EnrollmentAttempt attempt{deployment, current, {}, {}, user, std::move(username), kNow, consume};
        return plugin.admit(tokens, attempt);
    }

    PersonalEnrollment plugin;
    sdk::testing::MemoryTokenStore tokens;
    sdk::CourseDeployment deployment;
    int made = 0;
};

TEST_F(PersonalTokenTest, OneUseAndItNamesItsHolder) {
    const auto token = make();
    EXPECT_EQ(token.max_uses, 1);
    const auto first = start(token, 10);
    EXPECT_TRUE(first.admitted);
    EXPECT_TRUE(first.names_holder);
    const auto again = start(token, 10);
    EXPECT_FALSE(again.admitted);
    EXPECT_EQ(again.refusal, EnrollmentRefusal::used);
    EXPECT_EQ(start(token, 11).refusal, EnrollmentRefusal::used) << "nor by anyone else";
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 1);
}

TEST_F(PersonalTokenTest, BoundToAUserIdItAdmitsOnlyThatUser) {
    const auto token = make(4242);
    const auto other = start(token, 4243, "ann");
    EXPECT_EQ(other.refusal, EnrollmentRefusal::not_yours);
    EXPECT_NE(other.detail.find("4242"), std::string::npos) << other.detail;
    EXPECT_EQ(tokens.get_token(1, token.id)->uses, 0) << "a refused student takes no use";
    EXPECT_TRUE(start(token, 4242).admitted);
}

TEST_F(PersonalTokenTest, BoundToAUsernameItComparesAsTelegramDoes) {
    const auto token = make(std::nullopt, "@Ann_Smith");
    EXPECT_EQ(token.username, "ann_smith");
    EXPECT_EQ(start(token, 1, "").refusal, EnrollmentRefusal::not_yours);
    EXPECT_EQ(start(token, 1, "bob").refusal, EnrollmentRefusal::not_yours);
    EXPECT_TRUE(start(token, 1, "ANN_smith").admitted);
}

TEST_F(PersonalTokenTest, AQuestionLeavesTheUseForTheStart) {
    const auto token = make();
    EXPECT_TRUE(start(token, 5, "", false).admitted);
    EXPECT_TRUE(start(token, 5).admitted);
    EXPECT_EQ(start(token, 5, "", false).refusal, EnrollmentRefusal::used);
}

TEST(PersonalTokenRules, ExactlyOneUseAndOneKindOfBinding) {
    PersonalEnrollment plugin;
    sdk::EnrollmentToken t;
    t.max_uses = 2;
    EXPECT_THROW(plugin.prepare_token(t), std::invalid_argument);
    t.max_uses = 1;
    t.user_id = 3;
    t.username = "ann";
    EXPECT_THROW(plugin.prepare_token(t), std::invalid_argument);
    t.username.clear();
    t.user_id = -3;
    EXPECT_THROW(plugin.prepare_token(t), std::invalid_argument);
}

}  // namespace
}  // namespace profo::enrollment
