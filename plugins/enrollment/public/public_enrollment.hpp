// `public`: an open link. Anyone with it may start, any number of times,
// within the token's schedule; each start counts as a use.
#pragma once

#include <profo/sdk/enrollment.hpp>

namespace profo::enrollment {

class PublicEnrollment final : public sdk::EnrollmentPlugin {
public:
    std::string type() const override { return "public"; }
    std::string description() const override { return "an open link: anyone may start, any number of times"; }
    void prepare_token(sdk::EnrollmentToken& token) const override;
    sdk::EnrollmentDecision admit(sdk::TokenStore& tokens, const sdk::EnrollmentAttempt& attempt) override;
};

}  // namespace profo::enrollment
