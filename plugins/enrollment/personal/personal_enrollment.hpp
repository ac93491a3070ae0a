// `personal`: a link for one student, used once. It may be bound to one
// Telegram user (by id or username), so a forwarded link admits nobody else.
// A restricted deployment admits the holder of a personal token without a
// participant entry.
#pragma once

#include <profo/sdk/enrollment.hpp>

#include <string>
#include <string_view>

namespace profo::enrollment {

class PersonalEnrollment final : public sdk::EnrollmentPlugin {
public:
    std::string type() const override { return "personal"; }
    std::string description() const override {
        return "a single-use link for one student, optionally bound to their Telegram account";
    }
    void prepare_token(sdk::EnrollmentToken& token) const override;
    sdk::EnrollmentDecision admit(sdk::TokenStore& tokens, const sdk::EnrollmentAttempt& attempt) override;
};

// Telegram usernames compare without '@' and case.
std::string username_key(std::string_view username);

}  // namespace profo::enrollment
