// The creators' panel: the REST API over the platform's operations
// (sdk::AdminServices), Telegram sign-in and API keys. Routes are made from
// the operations themselves, and so is the OpenAPI document.
#include "api_request.hpp"
#include "openapi.hpp"
#include "sign_in.hpp"
#include "web_assets.hpp"

#include <profo/sdk/credentials.hpp>
#include <profo/sdk/form.hpp>
#include <profo/sdk/json_input.hpp>
#include <profo/sdk/plugin.hpp>
#include <profo/sdk/transport.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <memory>

namespace profo::panel {

namespace {

using nlohmann::json;

// Settings arrive from YAML as numbers, from the environment as text.
std::chrono::seconds seconds_setting(const json& settings, const char* key, std::chrono::seconds fallback,
                                     std::int64_t least) {
    if (!settings.is_object() || !settings.contains(key)) return fallback;
    const auto& value = settings[key];
    std::int64_t n = 0;
    bool ok = value.is_number_integer();
    if (ok) n = value.get<std::int64_t>();
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        ok = !text.empty() && ec == std::errc() && end == text.data() + text.size();
    }
    if (!ok || n < least)
        throw std::invalid_argument(std::string("settings.") + key +
                                    " must be a whole number of seconds, at least " + std::to_string(least));
    return std::chrono::seconds(n);
}

SignInSettings settings_from(const json& s) {
    SignInSettings out;
    if (s.is_object() && s.contains("public_url")) {
        if (!s["public_url"].is_string()) throw std::invalid_argument("settings.public_url must be a string");
        out.public_url = s["public_url"].get<std::string>();
        while (out.public_url.ends_with('/')) out.public_url.pop_back();
    }
    out.session_idle = seconds_setting(s, "session_idle_s", out.session_idle, 1);
    out.session_max = seconds_setting(s, "session_max_s", out.session_max, 1);
    out.login_max_age = seconds_setting(s, "login_max_age_s", out.login_max_age, 10);
    if (!s.is_object()) return out;
    for (const auto& [key, value] : s.items())
        if (key != "public_url" && key != "session_idle_s" && key != "session_max_s" &&
            key != "login_max_age_s")
            throw std::invalid_argument("settings." + key +
                                        " is not a setting of the panel (public_url, session_idle_s, "
                                        "session_max_s, login_max_age_s)");
    return out;
}

// A client's own request id when it is a sane one, else a new one.
std::string request_id_of(const sdk::HttpRequest& request) {
    auto id = request.header("x-request-id");
    const bool sane =
        !id.empty() && id.size() <= 64 &&
        id.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_.") ==
            std::string::npos;
    return sane ? id : sdk::random_code(16);
}

std::string html_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

sdk::HttpResponse html_page(int status, const std::string& title, const std::string& body) {
    sdk::HttpResponse r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
             "</title><meta name=\"viewport\" content=\"width=device-width\"></head><body><h1>" +
             html_escape(title) + "</h1>" + body + "</body></html>";
    return r;
}

json session_json(const Session& session,
                  const std::vector<std::pair<sdk::Account, sdk::AdminRole>>& accounts) {
    json list = json::array();
    for (const auto& [account, role] : accounts)
        list.push_back({{"id", account.id}, {"name", account.name}, {"role", sdk::to_string(role)}});
    return {{"user",
             {{"telegram_user_id", session.record.telegram_user_id},
              {"username", session.record.username},
              {"first_name", session.record.first_name}}},
            {"pinned_account_id",
             session.record.pinned_account_id ? json(*session.record.pinned_account_id) : json(nullptr)},
            {"accounts", list},
            {"csrf_token", session.csrf_token}};
}

// The operations that take a course's YAML (their `content` argument) take
// a body of a whole course: as a JSON string a character can take up to
// three times its bytes (a 4-byte one as two \uXXXX escapes).
std::size_t body_limit_of(const sdk::AdminOperation& op) {
    const auto schema = json::parse(op.arguments_schema, nullptr, false);
    const bool takes_course = !op.request_content_type.empty() ||
                              (schema.is_object() && schema.contains("properties") &&
                               schema["properties"].is_object() && schema["properties"].contains("content"));
    return takes_course ? 3 * sdk::kMaxCourseSourceBytes : sdk::kDefaultHttpBodyBytes;
}

class PanelTransport final : public sdk::TransportPlugin {
public:
    void start(sdk::TransportHost& host) override {
        host_ = &host;
        const auto settings = settings_from(host.settings());
        sign_in_ =
            std::make_unique<SignIn>(host.storage(), host.telegram(), host.admin(), host.clock(), settings);
        const auto operations = served_operations(host.admin().operations());
        for (const auto& op : operations)
            host.http().add(
                op.method, std::string(kAccountPrefix) + op.path,
                [this, op](const sdk::HttpRequest& r) {
                    return guarded(r, [&](const std::string& id) { return call_operation(op, r, id); });
                },
                body_limit_of(op));
        add("GET", "/api/v1/openapi.json", "this document", false,
            [this, operations](const sdk::HttpRequest&, const std::string&) {
                return json_response(200, openapi_document(operations, routes_, "1"));
            });
        add("GET", "/api/v1/session", "who is signed in, the accounts they may open, the CSRF token", true,
            [this](const sdk::HttpRequest& r, const std::string&) {
                const auto session = sign_in_->session_of(r);
                return json_response(200, session_json(session, sign_in_->accounts_of(session)));
            });
        add("DELETE", "/api/v1/session", "sign out (needs the CSRF token)", true,
            [this](const sdk::HttpRequest& r, const std::string&) {
                const auto session = sign_in_->session_of(r);
                sign_in_->check_csrf(r, session);
                sign_in_->sign_out(session);
                auto response = json_response(200, json{{"signed_out", true}});
                response.headers.emplace_back("Set-Cookie", sign_in_->cleared_cookie());
                return response;
            });
        add("POST", "/api/v1/session/telegram",
            "sign in with Telegram Login Widget data (its fields as a JSON object)", false,
            [this](const sdk::HttpRequest& r, const std::string&) { return telegram_sign_in(r); });
        add("GET", "/api/v1/accounts", "the accounts the session may open", true,
            [this](const sdk::HttpRequest& r, const std::string&) {
                const auto session = sign_in_->session_of(r);
                return json_response(200, session_json(session, sign_in_->accounts_of(session))["accounts"]);
            });
        add("GET", "/login/link", "a one-time sign-in link's page (profo admin login-link)", false,
            [](const sdk::HttpRequest& r, const std::string&) { return login_link_page(r); });
        add("POST", "/login/link", "use a one-time sign-in link (form field `token`)", false,
            [this](const sdk::HttpRequest& r, const std::string&) { return use_login_link(r); });
        add("GET", "/login", "the sign-in page (Telegram Login Widget)", false,
            [this](const sdk::HttpRequest&, const std::string&) { return login_page(); });
        add("GET", "/", "the panel's screens", false,
            [](const sdk::HttpRequest&, const std::string&) { return web_asset("index.html"); });
        add("GET", "/assets/{name}", "the screens' scripts and styles", false,
            [](const sdk::HttpRequest& r, const std::string&) {
                return web_asset(r.path_params.at("name"));
            });
        host.log().info(
            "panel API on " + std::string(kApiPrefix) + ": " + std::to_string(operations.size()) +
            " operations, " + std::to_string(routes_.size()) + " routes of its own; Telegram login " +
            (host.telegram().login_bot_username().empty() ? "not configured"
                                                          : "with @" + host.telegram().login_bot_username()));
    }

private:
    using Handler = std::function<sdk::HttpResponse(const sdk::HttpRequest&, const std::string&)>;

    void add(const std::string& method, const std::string& path, const std::string& summary,
             bool needs_session, Handler handler) {
        routes_.emplace_back(method, path, summary, needs_session);
        host_->http().add(method, path, [this, handler = std::move(handler)](const sdk::HttpRequest& r) {
            return guarded(r, [&](const std::string& id) { return handler(r, id); });
        });
    }

    // Every answer carries its request id; every refusal is the one JSON form.
    template <class Body>
    sdk::HttpResponse guarded(const sdk::HttpRequest& request, Body body) {
        const auto id = request_id_of(request);
        const auto started = std::chrono::steady_clock::now();
        sdk::HttpResponse response;
        try {
            response = body(id);
        } catch (const ApiRefusal& e) {
            response = error_response(e.status(), e.code(), e.what(), e.field(), "", id);
        } catch (const sdk::AdminError& e) {
            response = error_response(status_of(e.code()), sdk::to_string(e.code()), e.what(), e.field(),
                                      e.details_json(), id);
        } catch (const std::exception& e) {
            host_->log().error("request " + id + " " + request.method + " " + request.path +
                               " failed: " + e.what());
            response = error_response(500, "internal", "the request failed; its id is in the server's log",
                                      "", "", id);
        }
        response.headers.emplace_back("X-Request-Id", id);
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        host_->log().info(request.method + " " + request.path + " " + std::to_string(response.status) + " " +
                          std::to_string(ms.count()) + "ms request " + id);
        return response;
    }

    sdk::HttpResponse call_operation(const sdk::AdminOperation& op, const sdk::HttpRequest& request,
                                     const std::string& id) {
        const auto account_id = path_account_id(request);
        const auto caller = sign_in_->caller_for(request, account_id, op.changes_state(), id);
        const auto arguments = operation_arguments(op, request);
        auto result = host_->admin().call(op.name, caller, arguments);
        if (op.response_content_type.empty()) return json_response(200, result);
        sdk::HttpResponse r;
        r.content_type = op.response_content_type;
        r.body = result.value("content", "");
        r.headers.emplace_back("Cache-Control", "no-store");
        return r;
    }

    sdk::HttpResponse signed_in(const Session& session, int status, json body) {
        body["csrf_token"] = session.csrf_token;
        auto response = json_response(status, body);
        response.headers.emplace_back("Set-Cookie", sign_in_->session_cookie(session));
        return response;
    }

    sdk::HttpResponse telegram_sign_in(const sdk::HttpRequest& r) {
        const auto body = sdk::parse_json_input(r.body);
        if (!body.is_object())
            throw ApiRefusal(400, "invalid_argument",
                             "the body must be the widget's fields as a JSON object");
        std::map<std::string, std::string> fields;
        for (const auto& [key, value] : body.items()) {
            if (value.is_string())
                fields[key] = value.get<std::string>();
            else if (value.is_number_integer())
                fields[key] = std::to_string(value.get<std::int64_t>());
            else
                throw ApiRefusal(400, "invalid_argument", key + ": must be a string or a whole number",
                                 "/" + key);
        }
        const auto session = sign_in_->with_telegram(fields);
        return signed_in(session, 200, session_json(session, sign_in_->accounts_of(session)));
    }

    static sdk::HttpResponse web_asset(const std::string& name) {
        for (const auto& asset : web_assets()) {
            if (asset.name != name) continue;
            sdk::HttpResponse r;
            r.content_type = std::string(asset.content_type);
            r.body = std::string(asset.bytes);
            // Everything the screens load is this module's own.
            r.headers.emplace_back("Content-Security-Policy",
                                   "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                                   "base-uri 'none'; form-action 'self'");
            r.headers.emplace_back("X-Content-Type-Options", "nosniff");
            r.headers.emplace_back("Cache-Control", "no-cache");
            return r;
        }
        throw ApiRefusal(404, "not_found", "there is no asset '" + name + "'");
    }

    static sdk::HttpResponse login_link_page(const sdk::HttpRequest& r) {
        std::string token;
        try {
            const auto form = sdk::parse_form(r.query);
            if (const auto t = form.find("token"); t != form.end()) token = t->second;
        } catch (const std::invalid_argument&) {
        }
        if (token.empty()) return html_page(400, "Sign-in link", "<p>This link has no token.</p>");
        // Opening the link signs nobody in: link previews and scanners open
        // links too, and would use it up. The button does.
        return html_page(
            200, "Sign in to the panel",
            "<form method=\"post\" action=\"/login/link\"><input type=\"hidden\" name=\"token\" value=\"" +
                html_escape(token) + "\"><button type=\"submit\">Sign in</button></form>");
    }

    sdk::HttpResponse use_login_link(const sdk::HttpRequest& r) {
        std::string token;
        try {
            const auto form = sdk::parse_form(r.body);
            if (const auto t = form.find("token"); t != form.end()) token = t->second;
        } catch (const std::invalid_argument&) {
            throw ApiRefusal(400, "invalid_argument", "the form is not url-encoded", "/token");
        }
        if (token.empty()) throw ApiRefusal(400, "invalid_argument", "token: missing", "/token");
        const auto session = sign_in_->with_login_link(token);
        sdk::HttpResponse response;
        response.status = 303;
        response.content_type = "text/plain";
        response.body = "signed in";
        response.headers.emplace_back("Location", "/");
        response.headers.emplace_back("Set-Cookie", sign_in_->session_cookie(session));
        response.headers.emplace_back("Cache-Control", "no-store");
        return response;
    }

    sdk::HttpResponse login_page() const {
        const auto bot = host_->telegram().login_bot_username();
        if (bot.empty())
            return html_page(
                200, "Sign in",
                "<p>Telegram sign-in is not configured on this platform. The operator can print a "
                "one-time link: <code>profo admin login-link --account ID</code>.</p>");
        // The widget is Telegram's own script: signing in with Telegram needs Telegram.
        return html_page(
            200, "Sign in",
            "<script async src=\"https://telegram.org/js/telegram-widget.js?22\" data-telegram-login=\"" +
                html_escape(bot) +
                "\" data-size=\"large\" data-onauth=\"profoSignIn(user)\"></script><script>"
                "function profoSignIn(user){fetch('/api/v1/session/telegram',{method:'POST',"
                "headers:{'Content-Type':'application/json'},body:JSON.stringify(user)}).then(function(r){"
                "if(r.ok){location.href='/';}else{r.json().then(function(e){"
                "document.body.insertAdjacentText('beforeend',e.error.message);});}});}</script>");
    }

    sdk::TransportHost* host_ = nullptr;
    std::unique_ptr<SignIn> sign_in_;
    std::vector<PanelRoute> routes_;
};

}  // namespace

}  // namespace profo::panel

PROFO_PLUGIN(profo::panel::PanelTransport, transport)
