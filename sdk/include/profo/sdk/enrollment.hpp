// Enrollment plugins: one token type each (public, group, personal, external).
// The host parses `cd_<deployment>_<code>` deep links, finds the token and asks
// the plugin of its type whether this student may start a run with it.
#pragma once

#include <profo/sdk/host.hpp>
#include <profo/sdk/records.hpp>
#include <profo/sdk/storage.hpp>

#include <string>

namespace profo::sdk {

struct EnrollmentAttempt {
    const CourseDeployment& deployment;
    const EnrollmentToken& token;
    std::int64_t user_id = 0;
    std::string username;
    TimePoint now;
};

struct EnrollmentDecision {
    bool admitted = false;
    std::string reason;  // shown to the student when refused
};

class PROFO_SDK_API EnrollmentPlugin : public Plugin {
public:
    static constexpr PluginKind kKind = PluginKind::enrollment;

    virtual void start(HostApi& /*host*/) {}

    virtual std::string type() const = 0;
    // Checks a token before it is stored (max_uses, expiry, codes); throws
    // std::invalid_argument naming the field when it is not acceptable.
    virtual void check_new_token(const EnrollmentToken& token) const = 0;
    // Decides, inside the transaction that would start the run; may consume
    // the token (tokens.consume_token) so that the use commits with the run.
    virtual EnrollmentDecision admit(TokenStore& tokens, const EnrollmentAttempt& attempt) = 0;
};

}  // namespace profo::sdk
