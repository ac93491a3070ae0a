// `group`: one link for a class or a cohort, good for max_uses starts. The
// use is taken in the transaction that creates the run, so however many
// students start at once, exactly max_uses runs begin.
#pragma once

#include <profo/sdk/enrollment.hpp>

namespace profo::enrollment {

class GroupEnrollment final : public sdk::EnrollmentPlugin {
public:
    std::string type() const override { return "group"; }
    std::string description() const override { return "a shared link for at most max_uses students"; }
    void prepare_token(sdk::EnrollmentToken& token) const override;
    sdk::EnrollmentDecision admit(sdk::TokenStore& tokens, const sdk::EnrollmentAttempt& attempt) override;
};

}  // namespace profo::enrollment
