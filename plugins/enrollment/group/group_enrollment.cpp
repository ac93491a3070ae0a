#include "group_enrollment.hpp"

#include <stdexcept>

namespace profo::enrollment {

void GroupEnrollment::prepare_token(sdk::EnrollmentToken& token) const {
    if (!token.max_uses || *token.max_uses < 1)
        throw std::invalid_argument("max_uses: a group token needs a limit of at least 1");
    if (token.user_id || !token.username.empty())
        throw std::invalid_argument("user: only a personal token is issued to one student");
}

sdk::EnrollmentDecision GroupEnrollment::admit(sdk::TokenStore& tokens,
                                               const sdk::EnrollmentAttempt& attempt) {
    const auto& token = attempt.token;
    if (auto refused = sdk::refusal_by_schedule(token, attempt.now)) return *refused;
    if (auto refused = sdk::refusal_of_argument(token, attempt.argument)) return *refused;
    if (!attempt.consume) {
        if (token.max_uses && token.uses >= *token.max_uses)
            return sdk::EnrollmentDecision::refuse(sdk::EnrollmentRefusal::exhausted,
                                                   "token " + std::to_string(token.id) + " has all " +
                                                       std::to_string(*token.max_uses) + " uses taken");
        return sdk::EnrollmentDecision::admit();
    }
    // The conditional update decides, not the count read with the token: a
    // concurrent start may have taken the last use since.
    if (!tokens.consume_token(token.account_id, token.id))
        return sdk::refusal_after_lost_use(tokens, token, sdk::EnrollmentRefusal::exhausted);
    return sdk::EnrollmentDecision::admit();
}

}  // namespace profo::enrollment

PROFO_PLUGIN(profo::enrollment::GroupEnrollment, enrollment)
