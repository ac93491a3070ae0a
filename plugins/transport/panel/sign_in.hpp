// Who is calling the panel: a browser signed in with Telegram (a session
// cookie, CSRF-checked on every change) or a program with an API key. Every
// secret here is random, shown once, and kept only as its digest; sessions
// live in the database, so any of several processes can answer.
#pragma once

#include "api_request.hpp"

#include <profo/sdk/admin.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>
#include <profo/sdk/telegram_auth.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace profo::panel {

inline constexpr const char* kSessionCookie = "profo_session";
inline constexpr const char* kCsrfHeader = "x-csrf-token";

struct SignInSettings {
    // Where people reach the panel; an https:// one marks the cookie Secure.
    std::string public_url;
    std::chrono::seconds session_idle{12 * 3600};     // signed out after this long unused
    std::chrono::seconds session_max{7 * 24 * 3600};  // and this long after signing in, whatever
    std::chrono::seconds login_max_age{24 * 3600};    // Login Widget data older than this is refused
};

// A session that passed, and the cookie and CSRF token that go with it.
struct Session {
    sdk::PanelSession record;
    std::string token;  // the cookie's value
    std::string csrf_token;
};

class SignIn {
public:
    SignIn(sdk::Storage& storage, const sdk::TelegramSignatures& telegram, sdk::AdminServices& admin,
           const sdk::Clock& clock, SignInSettings settings)
        : storage_(storage),
          telegram_(telegram),
          admin_(admin),
          clock_(clock),
          settings_(std::move(settings)) {}

    // Telegram Login Widget fields: checked (signature, freshness), never
    // accepted twice, and the user must be a member of some account.
    Session with_telegram(const std::map<std::string, std::string>& fields);
    // A one-time login link's token (profo admin login-link): a session
    // pinned to the link's account, as its owner.
    Session with_login_link(const std::string& token);
    // The session the request's cookie names, slid on; ApiRefusal(401) when
    // there is none or it expired.
    Session session_of(const sdk::HttpRequest& request);
    void sign_out(const Session& session);

    // The caller of an operation on `account_id`: from an API key (which
    // must be that account's) or a session (whose user must be a member,
    // and which must carry its CSRF token when `changes_state`). Another
    // account's is refused as not found, so nobody learns which exist.
    sdk::AdminCaller caller_for(const sdk::HttpRequest& request, sdk::Id account_id, bool changes_state,
                                const std::string& request_id);

    // ApiRefusal(403) unless the request carries the session's CSRF token.
    void check_csrf(const sdk::HttpRequest& request, const Session& session) const;

    // The accounts a session may open, with the role in each.
    std::vector<std::pair<sdk::Account, sdk::AdminRole>> accounts_of(const Session& session);

    // Set-Cookie values: the session's, and the one that clears it.
    std::string session_cookie(const Session& session) const;
    std::string cleared_cookie() const;

private:
    Session start(sdk::PanelSession record);
    sdk::Millis now() const;

    sdk::Storage& storage_;
    const sdk::TelegramSignatures& telegram_;
    sdk::AdminServices& admin_;
    const sdk::Clock& clock_;
    SignInSettings settings_;
};

// The CSRF token of a session: derived from its cookie's token, so nothing
// more is stored and it changes with every session.
std::string csrf_token_of(const std::string& session_token);

}  // namespace profo::panel
