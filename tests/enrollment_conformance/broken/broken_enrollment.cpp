// A token type that breaks the enrollment contract on purpose, so the
// checker's own test can see it noticed: its type() disagrees with its id,
// prepare_token() throws the wrong exception, and admit() lets everyone in,
// whatever the token's state, taking uses even when only asked.
#include <profo/sdk/enrollment.hpp>

#include <stdexcept>

namespace {

class BrokenEnrollment final : public profo::sdk::EnrollmentPlugin {
public:
    std::string type() const override { return "Broken Kind"; }
    std::string description() const override { return "lets everyone in\nalways"; }
    void prepare_token(profo::sdk::EnrollmentToken& token) const override {
        if (token.max_uses && *token.max_uses < 0) throw std::runtime_error("negative!");
    }
    profo::sdk::EnrollmentDecision admit(profo::sdk::TokenStore& tokens,
                                         const profo::sdk::EnrollmentAttempt& attempt) override {
        tokens.consume_token(attempt.token.account_id, attempt.token.id);
        return profo::sdk::EnrollmentDecision::admit();
    }
};

}  // namespace

PROFO_PLUGIN(BrokenEnrollment, enrollment)
