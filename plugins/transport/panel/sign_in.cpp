#include "sign_in.hpp"

#include <profo/sdk/credentials.hpp>

#include <algorithm>
#include <cctype>

namespace profo::panel {

namespace {

constexpr std::size_t kSessionCodes = 43;  // about 256 bits
// A session's last use is written at most this often, not on every request.
constexpr sdk::Millis kTouchEvery = sdk::Millis{60} * 1000;

sdk::Millis millis(std::chrono::seconds s) {
    return static_cast<sdk::Millis>(s.count()) * 1000;
}

[[noreturn]] void unauthenticated(const std::string& message) {
    throw ApiRefusal(401, "unauthenticated", message);
}

[[noreturn]] void no_such_account(sdk::Id account_id) {
    throw ApiRefusal(404, "not_found", "there is no account " + std::to_string(account_id) + " you can open",
                     "/account_id");
}

}  // namespace

std::string csrf_token_of(const std::string& session_token) {
    return sdk::sha256_hex("profo csrf\n" + session_token);
}

sdk::Millis SignIn::now() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
}

Session SignIn::start(sdk::PanelSession record) {
    Session s;
    s.token = sdk::random_code(kSessionCodes);
    s.csrf_token = csrf_token_of(s.token);
    record.token_hash = sdk::sha256_hex(s.token);
    record.created_at = record.last_seen_at = now();
    record.expires_at =
        record.created_at + std::min(millis(settings_.session_idle), millis(settings_.session_max));
    auto tx = storage_.begin();
    record.id = tx->create_panel_session_all_accounts(record);
    tx->commit();
    s.record = std::move(record);
    return s;
}

Session SignIn::with_telegram(const std::map<std::string, std::string>& fields) {
    sdk::SignedTelegramData signed_data;
    try {
        signed_data = telegram_.check_login_widget(fields, settings_.login_max_age);
    } catch (const sdk::SignatureError& e) {
        unauthenticated(e.what());
    }
    if (admin_.accounts_of(signed_data.user_id).empty())
        throw ApiRefusal(
            403, "forbidden",
            "this Telegram user is not a member of any account; an owner adds members in the panel");
    {
        // The hash names the signed data exactly: the same data twice is a
        // replay. The check takes the hex digits in either case, so the
        // record keeps one: a captured login with its letters' case changed
        // is the same login.
        std::string hash = fields.at("hash");
        std::transform(hash.begin(), hash.end(), hash.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        auto tx = storage_.begin();
        const bool fresh = tx->remember_telegram_login_all_accounts(
            sdk::sha256_hex(hash), (signed_data.auth_date + settings_.login_max_age.count()) * 1000 + 1);
        tx->commit();
        if (!fresh) unauthenticated("this Telegram login was used already: sign in again");
    }
    sdk::PanelSession record;
    record.telegram_user_id = signed_data.user_id;
    record.username = signed_data.username;
    if (const auto name = fields.find("first_name"); name != fields.end()) record.first_name = name->second;
    return start(std::move(record));
}

Session SignIn::with_login_link(const std::string& token) {
    auto tx = storage_.begin();
    const auto link = tx->consume_login_link_all_accounts(sdk::sha256_hex(token), now());
    tx->commit();
    if (!link) unauthenticated("this sign-in link is unknown, used already or expired: ask for a new one");
    sdk::PanelSession record;
    record.pinned_account_id = link->account_id;
    record.first_name = "operator";
    return start(std::move(record));
}

Session SignIn::session_of(const sdk::HttpRequest& request) {
    const auto token = cookie_value(request.header("cookie"), kSessionCookie);
    if (!token || token->empty()) unauthenticated("sign in first (no session cookie and no API key)");
    // Every request reads its session, and only one a minute writes: the
    // read must not queue for SQLite's one writer behind the engine.
    auto record = storage_.begin_read()->find_panel_session_all_accounts(sdk::sha256_hex(*token));
    const auto at = now();
    if (!record || record->expires_at <= at) unauthenticated("the session has ended: sign in again");
    if (at - record->last_seen_at >= kTouchEvery) {
        record->last_seen_at = at;
        record->expires_at =
            std::min(at + millis(settings_.session_idle), record->created_at + millis(settings_.session_max));
        auto tx = storage_.begin();
        tx->touch_panel_session_all_accounts(record->id, record->last_seen_at, record->expires_at);
        tx->commit();
    }
    return Session{*record, *token, csrf_token_of(*token)};
}

void SignIn::sign_out(const Session& session) {
    auto tx = storage_.begin();
    tx->delete_panel_session_all_accounts(session.record.token_hash);
    tx->commit();
}

void SignIn::check_csrf(const sdk::HttpRequest& request, const Session& session) const {
    if (!sdk::equal_in_constant_time(request.header(kCsrfHeader), session.csrf_token))
        throw ApiRefusal(
            403, "csrf_token_invalid",
            "a change made with a session cookie must carry the session's CSRF token in X-CSRF-Token");
}

std::vector<std::pair<sdk::Account, sdk::AdminRole>> SignIn::accounts_of(const Session& session) {
    if (session.record.pinned_account_id) {
        const auto account = storage_.begin_read()->get_account(*session.record.pinned_account_id);
        if (!account) return {};
        return {{*account, sdk::AdminRole::owner}};
    }
    return admin_.accounts_of(session.record.telegram_user_id);
}

sdk::AdminCaller SignIn::caller_for(const sdk::HttpRequest& request, sdk::Id account_id, bool changes_state,
                                    const std::string& request_id) {
    const auto authorization = request.header("authorization");
    if (!authorization.empty()) {
        constexpr std::string_view kBearer = "Bearer ";
        if (!authorization.starts_with(kBearer)) unauthenticated("Authorization must be `Bearer <API key>`");
        const std::string key = authorization.substr(kBearer.size());
        const auto prefix = sdk::api_key_prefix(key);
        if (prefix.empty()) unauthenticated("that is not an API key");
        const auto found = storage_.begin_read()->find_api_key_all_accounts(prefix);
        if (!found || !sdk::equal_in_constant_time(sdk::sha256_hex(key), found->secret_hash) ||
            found->revoked_at)
            unauthenticated("the API key is unknown or revoked");
        if (found->account_id != account_id) no_such_account(account_id);
        // A key's last use is kept to the minute, as a session's: a script
        // calling many times a second writes once a minute, not every time.
        if (const auto at = now(); !found->last_used_at || at - *found->last_used_at >= kTouchEvery) {
            auto tx = storage_.begin();
            tx->touch_api_key(found->account_id, found->id, at);
            tx->commit();
        }
        auto role = found->role == "owner" ? sdk::AdminRole::owner : sdk::AdminRole::admin;
        // A key speaks for the member who issued it: it stops with their
        // membership and never does more than they now may. (A key issued
        // by the operator's sign-in link has no member behind it.)
        if (found->created_by_user_id != 0) {
            std::optional<sdk::AdminRole> issuer;
            for (const auto& [account, member_role] : admin_.accounts_of(found->created_by_user_id))
                if (account.id == account_id) issuer = member_role;
            if (!issuer)
                unauthenticated(
                    "the API key's issuer is no longer a member of this account: the key no "
                    "longer works");
            if (*issuer == sdk::AdminRole::admin) role = sdk::AdminRole::admin;
        }
        return {account_id, role, 0, request_id};
    }
    const auto session = session_of(request);
    for (const auto& [account, role] : accounts_of(session)) {
        if (account.id != account_id) continue;
        // A change is checked only once the account is known to be the
        // caller's, so a forged request learns nothing about other accounts.
        if (changes_state) check_csrf(request, session);
        return {account_id, role, session.record.telegram_user_id, request_id};
    }
    no_such_account(account_id);
}

std::string SignIn::session_cookie(const Session& session) const {
    std::string cookie =
        std::string(kSessionCookie) + "=" + session.token +
        "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(settings_.session_max.count());
    if (settings_.public_url.starts_with("https://")) cookie += "; Secure";
    return cookie;
}

std::string SignIn::cleared_cookie() const {
    std::string cookie = std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
    if (settings_.public_url.starts_with("https://")) cookie += "; Secure";
    return cookie;
}

}  // namespace profo::panel
