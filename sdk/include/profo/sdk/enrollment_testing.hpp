// For unit tests of enrollment plugins: a TokenStore over a vector, so a
// plugin's decisions can be tested in memory. It keeps the storage contract
// (consume_token refuses revoked, paused and used-up tokens) but not its
// atomicity across transactions: the enrollment conformance suite and the
// engine's tests run every plugin against the real storage plugins for that.
#pragma once

#include <profo/sdk/enrollment.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace profo::sdk::testing {

class MemoryTokenStore final : public TokenStore {
public:
    EnrollmentToken create_token(Id account_id, const EnrollmentToken& token) override {
        EnrollmentToken stored = token;
        stored.id = static_cast<Id>(tokens_.size()) + 1;
        stored.account_id = account_id;
        tokens_.push_back(stored);
        return stored;
    }
    std::optional<EnrollmentToken> get_token(Id account_id, Id token_id) override {
        if (auto* t = find(account_id, token_id)) return *t;
        return std::nullopt;
    }
    std::optional<EnrollmentToken> find_token(Id account_id, Id deployment_id,
                                              const std::string& code) override {
        for (const auto& t : tokens_)
            if (t.account_id == account_id && t.deployment_id == deployment_id && t.code == code) return t;
        return std::nullopt;
    }
    std::vector<EnrollmentToken> list_tokens(Id account_id, Id deployment_id) override {
        std::vector<EnrollmentToken> out;
        for (const auto& t : tokens_)
            if (t.account_id == account_id && t.deployment_id == deployment_id) out.push_back(t);
        return out;
    }
    bool consume_token(Id account_id, Id token_id) override {
        auto* t = find(account_id, token_id);
        if (t == nullptr || t->revoked || !t->active || (t->max_uses && t->uses >= *t->max_uses))
            return false;
        ++t->uses;
        return true;
    }
    bool revoke_token(Id account_id, Id token_id) override {
        auto* t = find(account_id, token_id);
        if (t == nullptr) return false;
        t->revoked = true;
        return true;
    }
    bool set_token_active(Id account_id, Id token_id, bool active) override {
        auto* t = find(account_id, token_id);
        if (t == nullptr) return false;
        t->active = active;
        return true;
    }

private:
    EnrollmentToken* find(Id account_id, Id token_id) {
        auto it = std::find_if(tokens_.begin(), tokens_.end(),
                               [&](const auto& t) { return t.account_id == account_id && t.id == token_id; });
        return it == tokens_.end() ? nullptr : &*it;
    }

    std::vector<EnrollmentToken> tokens_;
};

}  // namespace profo::sdk::testing
