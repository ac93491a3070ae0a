#include "public_enrollment.hpp"

#include <stdexcept>

namespace profo::enrollment {

void PublicEnrollment::prepare_token(sdk::EnrollmentToken& token) const {
    if (token.max_uses)
        throw std::invalid_argument("max_uses: a public token has no limit; a group token has one");
    if (token.user_id || !token.username.empty())
        throw std::invalid_argument("user: only a personal token is issued to one student");
}

sdk::EnrollmentDecision PublicEnrollment::admit(sdk::TokenStore& tokens,
                                                const sdk::EnrollmentAttempt& attempt) {
    if (auto refused = sdk::refusal_by_schedule(attempt.token, attempt.now)) return *refused;
    if (auto refused = sdk::refusal_of_argument(attempt.token, attempt.argument)) return *refused;
    if (attempt.consume && !tokens.consume_token(attempt.token.account_id, attempt.token.id))
        return sdk::refusal_after_lost_use(tokens, attempt.token, sdk::EnrollmentRefusal::exhausted);
    return sdk::EnrollmentDecision::admit();
}

}  // namespace profo::enrollment

PROFO_PLUGIN(profo::enrollment::PublicEnrollment, enrollment)
