// `external`: links an LMS or CRM makes for its own users, signed with the
// account's enrollment key, carrying the student's reference there and an
// expiry of their own. The platform stores one token per integration; each
// link adds `_<signed part>` after its code (README.md).
#pragma once

#include <profo/sdk/enrollment.hpp>

namespace profo::enrollment {

class ExternalEnrollment final : public sdk::EnrollmentPlugin {
public:
    std::string type() const override { return "external"; }
    std::string description() const override {
        return "links an LMS/CRM signs for its users with the account's key (profo token sign-external)";
    }
    // The signature is the secret; a short code leaves the link's room to it.
    std::size_t code_length() const override { return 6; }
    void prepare_token(sdk::EnrollmentToken& token) const override;
    sdk::EnrollmentDecision admit(sdk::TokenStore& tokens, const sdk::EnrollmentAttempt& attempt) override;
    // claims: {"ref": "<the student's id there>", "expires_at": <Unix milliseconds>}
    std::string sign_argument(const sdk::EnrollmentToken& token, const nlohmann::json& claims,
                              std::string_view account_key, sdk::TimePoint now) const override;
};

}  // namespace profo::enrollment
