#include "personal_enrollment.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace profo::enrollment {

std::string username_key(std::string_view username) {
    if (!username.empty() && username.front() == '@') username.remove_prefix(1);
    std::string key(username);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) {
        return c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
    });
    return key;
}

void PersonalEnrollment::prepare_token(sdk::EnrollmentToken& token) const {
    if (token.max_uses && *token.max_uses != 1)
        throw std::invalid_argument("max_uses: a personal token has exactly one use, not " +
                                    std::to_string(*token.max_uses));
    token.max_uses = 1;
    if (token.user_id && *token.user_id <= 0)
        throw std::invalid_argument("user: a Telegram user id is a positive number, not " +
                                    std::to_string(*token.user_id));
    if (token.user_id && !token.username.empty())
        throw std::invalid_argument("user: bind the token to a user id or to a username, not both");
    token.username = username_key(token.username);
}

sdk::EnrollmentDecision PersonalEnrollment::admit(sdk::TokenStore& tokens,
                                                  const sdk::EnrollmentAttempt& attempt) {
    const auto& token = attempt.token;
    const std::string id = "token " + std::to_string(token.id);
    if (auto refused = sdk::refusal_by_schedule(token, attempt.now)) return *refused;
    if (auto refused = sdk::refusal_of_argument(token, attempt.argument)) return *refused;
    if (token.user_id && *token.user_id != attempt.user_id)
        return sdk::EnrollmentDecision::refuse(sdk::EnrollmentRefusal::not_yours,
                                               id + " is for user " + std::to_string(*token.user_id) +
                                                   ", not " + std::to_string(attempt.user_id));
    if (!token.username.empty() && username_key(attempt.username) != token.username)
        return sdk::EnrollmentDecision::refuse(
            sdk::EnrollmentRefusal::not_yours,
            id + " is for @" + token.username + ", not " +
                (attempt.username.empty() ? std::string("a user without a username")
                                          : "@" + attempt.username));
    if (!attempt.consume) {
        if (token.uses >= token.max_uses.value_or(1))
            return sdk::EnrollmentDecision::refuse(sdk::EnrollmentRefusal::used, id + " was used already");
    } else if (!tokens.consume_token(token.account_id, token.id)) {
        return sdk::refusal_after_lost_use(tokens, token, sdk::EnrollmentRefusal::used);
    }
    auto admitted = sdk::EnrollmentDecision::admit();
    admitted.names_holder = true;
    return admitted;
}

}  // namespace profo::enrollment

PROFO_PLUGIN(profo::enrollment::PersonalEnrollment, enrollment)
