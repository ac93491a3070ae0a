#include "external_enrollment.hpp"

#include "external_link.hpp"

#include <profo/sdk/deep_link.hpp>

#include <nlohmann/json.hpp>

#include <limits>
#include <stdexcept>

namespace profo::enrollment {

void ExternalEnrollment::prepare_token(sdk::EnrollmentToken& token) const {
    if (token.user_id || !token.username.empty())
        throw std::invalid_argument(
            "user: an external link names its student by the LMS's reference, "
            "not a Telegram user");
    if (token.max_uses && *token.max_uses < 1)
        throw std::invalid_argument("max_uses: a limit on an external token must be at least 1");
}

sdk::EnrollmentDecision ExternalEnrollment::admit(sdk::TokenStore& tokens,
                                                  const sdk::EnrollmentAttempt& attempt) {
    using sdk::EnrollmentDecision;
    using sdk::EnrollmentRefusal;
    const auto& token = attempt.token;
    const std::string id = "token " + std::to_string(token.id);
    if (auto refused = sdk::refusal_by_schedule(token, attempt.now)) return *refused;
    if (attempt.argument.empty())
        return EnrollmentDecision::refuse(
            EnrollmentRefusal::malformed,
            id + ": an external link has a signed part after its code; this one has none");
    const auto key = enrollment_key_bytes(attempt.account_key);
    if (!key)
        return EnrollmentDecision::refuse(EnrollmentRefusal::malformed,
                                          "account " + std::to_string(token.account_id) +
                                              " has no enrollment key to check external links with");
    const auto verdict = verify_external(*key, token.deployment_id, token.code, attempt.argument);
    if (!verdict.claims)
        return EnrollmentDecision::refuse(EnrollmentRefusal::malformed, id + ": " + verdict.problem);
    if (sdk::epoch_millis(attempt.now) >= static_cast<sdk::Millis>(verdict.claims->expires_s) * 1000)
        return EnrollmentDecision::refuse(EnrollmentRefusal::expired,
                                          id + ": the link for '" + verdict.claims->ref + "' expired at " +
                                              std::to_string(verdict.claims->expires_s) + " (Unix seconds)");
    if (!attempt.consume) {
        if (token.max_uses && token.uses >= *token.max_uses)
            return EnrollmentDecision::refuse(EnrollmentRefusal::exhausted, id + " has every use taken");
    } else if (!tokens.consume_token(token.account_id, token.id)) {
        return sdk::refusal_after_lost_use(tokens, token, EnrollmentRefusal::exhausted);
    }
    auto admitted = EnrollmentDecision::admit();
    admitted.external_ref = verdict.claims->ref;
    return admitted;
}

std::string ExternalEnrollment::sign_argument(const sdk::EnrollmentToken& token, const nlohmann::json& claims,
                                              std::string_view account_key, sdk::TimePoint now) const {
    if (!claims.is_object())
        throw std::invalid_argument("the claims must be an object with ref and expires_at");
    const auto ref = claims.find("ref");
    if (ref == claims.end() || !ref->is_string())
        throw std::invalid_argument("ref: the student's reference is missing");
    if (auto problem = ref_problem(ref->get<std::string>())) throw std::invalid_argument("ref: " + *problem);
    const auto expires = claims.find("expires_at");
    if (expires == claims.end() || !expires->is_number_integer())
        throw std::invalid_argument("expires_at: the link's expiry (Unix milliseconds) is missing");
    const auto expires_ms = expires->get<std::int64_t>();
    if (expires_ms <= sdk::epoch_millis(now))
        throw std::invalid_argument("expires_at: the expiry has passed already");
    // Seconds, rounded up: the link never expires before the time asked for.
    const std::int64_t expires_s = (expires_ms + 999) / 1000;
    if (expires_s > std::numeric_limits<std::uint32_t>::max())
        throw std::invalid_argument(
            "expires_at: later than 2106, which the link's 4-byte expiry cannot carry");
    const auto key = enrollment_key_bytes(account_key);
    if (!key) throw std::invalid_argument("the account's enrollment key is not 64 hex digits");
    const auto argument = sign_external(*key, token.deployment_id, token.code,
                                        {ref->get<std::string>(), static_cast<std::uint32_t>(expires_s)});
    try {
        sdk::deep_link_payload(token.deployment_id, token.code, argument);
    } catch (const std::invalid_argument& e) {
        const std::size_t over = sdk::kDeepLinkPrefix.size() +
                                 sdk::encode_short_id(token.deployment_id).size() + 1 + token.code.size() +
                                 1 + argument.size() - sdk::kMaxStartPayload;
        throw std::invalid_argument(
            "ref: '" + ref->get<std::string>() + "' is too long for this token's links: " + e.what() +
            "; the reference must be about " + std::to_string((over * 3 + 3) / 4) + " characters shorter");
    }
    return argument;
}

}  // namespace profo::enrollment

PROFO_PLUGIN(profo::enrollment::ExternalEnrollment, enrollment)
