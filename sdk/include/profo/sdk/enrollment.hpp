// Enrollment plugins: one token type each (public, group, personal, external).
//
// The host reads a `cd_<deployment>_<code>[_<argument>]` start link
// (deep_link.hpp), finds the deployment and the token, and asks the plugin of
// the token's type whether this student may start a run with it, inside the
// transaction that would create the run: a use the plugin takes
// (TokenStore::consume_token) commits exactly when the run does. The host
// shows a refused student the deployment's text for the refusal; no run,
// history or message of the course exists for them.
#pragma once

#include <profo/sdk/host.hpp>
#include <profo/sdk/records.hpp>
#include <profo/sdk/storage.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace profo::sdk {

// Why a token did not admit a student. Each has a student-facing text of its
// own (the host's `link_<refusal>` texts), so a student learns whether to ask
// for a new link, wait, or give up.
enum class EnrollmentRefusal {
    unknown,      // no such token for this deployment
    malformed,    // the link's argument does not read or its signature is wrong
    revoked,      // withdrawn for good
    paused,       // not active at the moment
    not_started,  // before its start window
    closed,       // after its start window
    expired,      // past its expiry
    exhausted,    // every use is taken
    used,         // its single use is taken
    not_yours,    // issued to another Telegram user
};

constexpr std::string_view to_string(EnrollmentRefusal refusal) noexcept {
    switch (refusal) {
        case EnrollmentRefusal::unknown: return "unknown";
        case EnrollmentRefusal::malformed: return "malformed";
        case EnrollmentRefusal::revoked: return "revoked";
        case EnrollmentRefusal::paused: return "paused";
        case EnrollmentRefusal::not_started: return "not_started";
        case EnrollmentRefusal::closed: return "closed";
        case EnrollmentRefusal::expired: return "expired";
        case EnrollmentRefusal::exhausted: return "exhausted";
        case EnrollmentRefusal::used: return "used";
        case EnrollmentRefusal::not_yours: return "not_yours";
    }
    return "unknown";
}

struct EnrollmentAttempt {
    const CourseDeployment& deployment;
    const EnrollmentToken& token;
    // What followed the code in the link (`_<argument>`); empty when nothing did.
    std::string_view argument;
    // The account's enrollment key (plain), when the link carries an argument
    // and the account has one; empty otherwise.
    std::string_view account_key;
    std::int64_t user_id = 0;
    std::string username;  // without '@'; may be empty
    TimePoint now;
    // false: only say whether the token would admit (a student asked to
    // confirm switching courses has not started anything yet): write nothing.
    bool consume = true;
};

struct EnrollmentDecision {
    bool admitted = false;
    EnrollmentRefusal refusal = EnrollmentRefusal::unknown;  // when not admitted
    std::string detail;  // for the log: what exactly was wrong; never shown to students
    // The token was issued to this one student, so a restricted deployment
    // admits them without a participant entry.
    bool names_holder = false;
    // The student's reference in an external system (an LMS user id), kept
    // with the run's UTM as "external_ref".
    std::string external_ref;

    static EnrollmentDecision admit() {
        EnrollmentDecision d;
        d.admitted = true;
        return d;
    }
    static EnrollmentDecision refuse(EnrollmentRefusal refusal, std::string detail) {
        EnrollmentDecision d;
        d.refusal = refusal;
        d.detail = std::move(detail);
        return d;
    }
};

inline Millis epoch_millis(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// What every type checks first: revoked, paused, the start window, the
// expiry. Empty when the token may be used at `now`.
inline std::optional<EnrollmentDecision> refusal_by_schedule(const EnrollmentToken& token, TimePoint now) {
    const Millis at = epoch_millis(now);
    const std::string id = "token " + std::to_string(token.id);
    if (token.revoked) return EnrollmentDecision::refuse(EnrollmentRefusal::revoked, id + " is revoked");
    if (!token.active) return EnrollmentDecision::refuse(EnrollmentRefusal::paused, id + " is paused");
    if (token.expires_at && at >= *token.expires_at)
        return EnrollmentDecision::refuse(EnrollmentRefusal::expired,
                                          id + " expired at " + std::to_string(*token.expires_at));
    if (token.starts_at && at < *token.starts_at)
        return EnrollmentDecision::refuse(EnrollmentRefusal::not_started,
                                          id + " opens at " + std::to_string(*token.starts_at));
    if (token.ends_at && at >= *token.ends_at)
        return EnrollmentDecision::refuse(EnrollmentRefusal::closed,
                                          id + " closed at " + std::to_string(*token.ends_at));
    return std::nullopt;
}

// Why consume_token() gave no use to a token that passed the checks a moment
// before: it was revoked or paused meanwhile, or another student took the
// last use. `used_up` is the type's word for the last.
inline EnrollmentDecision refusal_after_lost_use(TokenStore& tokens, const EnrollmentToken& token,
                                                 EnrollmentRefusal used_up) {
    const std::string id = "token " + std::to_string(token.id);
    const auto current = tokens.get_token(token.account_id, token.id);
    if (!current) return EnrollmentDecision::refuse(EnrollmentRefusal::unknown, id + " no longer exists");
    if (current->revoked) return EnrollmentDecision::refuse(EnrollmentRefusal::revoked, id + " was revoked");
    if (!current->active) return EnrollmentDecision::refuse(EnrollmentRefusal::paused, id + " was paused");
    return EnrollmentDecision::refuse(used_up, id + " has no use left (" + std::to_string(current->uses) +
                                                   " of " + std::to_string(current->max_uses.value_or(0)) +
                                                   " taken)");
}

// For types whose links end at the code: anything after it is not a link
// the platform made.
inline std::optional<EnrollmentDecision> refusal_of_argument(const EnrollmentToken& token,
                                                             std::string_view argument) {
    if (argument.empty()) return std::nullopt;
    return EnrollmentDecision::refuse(EnrollmentRefusal::malformed,
                                      "a " + token.type + " link has nothing after its code, this one has " +
                                          std::to_string(argument.size()) + " more characters");
}

class PROFO_SDK_API EnrollmentPlugin : public Plugin {
public:
    static constexpr PluginKind kKind = PluginKind::enrollment;

    virtual void start(HostApi& /*host*/) {}

    // The token type this plugin decides for: a lower-case word, the module's id.
    virtual std::string type() const = 0;
    // One line for `profo token create --help`.
    virtual std::string description() const = 0;
    // Characters of a new token's random code. A code that is the link's
    // only secret needs at least 10; a type whose links carry a signature
    // may use fewer and leave the room to its argument.
    virtual std::size_t code_length() const { return 12; }
    // Checks a token before it is stored and fills in what its type implies
    // (a personal token's single use). Throws std::invalid_argument naming the
    // field first ("max_uses: ...") when the token is not acceptable.
    virtual void prepare_token(EnrollmentToken& token) const = 0;
    // Decides whether the attempt may start a run; with attempt.consume it
    // also takes the use (tokens.consume_token) in the caller's transaction.
    // Never throws for what a student can send: a refusal says why.
    virtual EnrollmentDecision admit(TokenStore& tokens, const EnrollmentAttempt& attempt) = 0;
    // For types whose links carry a signed argument (external): the argument
    // of a link for `claims` (the type's README says which), signed with the
    // account's enrollment key, for `profo token sign-external`. Throws
    // std::invalid_argument naming what is wrong, or when the type signs nothing.
    virtual std::string sign_argument(const EnrollmentToken& /*token*/, const nlohmann::json& /*claims*/,
                                      std::string_view /*account_key*/, TimePoint /*now*/) const {
        throw std::invalid_argument("token type '" + type() + "' takes no signed argument");
    }
};

}  // namespace profo::sdk
