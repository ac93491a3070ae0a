#include "emulated_telegram.hpp"
#include "loopback_http.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <regex>
#include <thread>

using namespace profo::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kLoginBotToken = "777000:panel-login-bot-secret-token";

const std::string kCourse = R"(hello:
  type: message
  text: Hello from the panel
)";

std::string hex(const unsigned char* bytes, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

// What Telegram's Login Widget hands the page, signed with the login bot's
// token exactly as telegram.md says.
json widget_data(std::int64_t user, std::int64_t auth_date, const std::string& token = kLoginBotToken) {
    std::map<std::string, std::string> fields{{"id", std::to_string(user)},
                                              {"first_name", "Ada"},
                                              {"username", "ada_teaches"},
                                              {"auth_date", std::to_string(auth_date)}};
    std::string check;
    for (const auto& [k, v] : fields) check += (check.empty() ? "" : "\n") + k + "=" + v;
    unsigned char key[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), key);
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key, sizeof key, reinterpret_cast<const unsigned char*>(check.data()), check.size(),
         mac, &len);
    json out = {{"id", user},
                {"first_name", "Ada"},
                {"username", "ada_teaches"},
                {"auth_date", auth_date},
                {"hash", hex(mac, len)}};
    return out;
}

// A course that needs every kind of move the preview chat offers: a button,
// a poll, a skipped delay and typed text.
const std::string kPreviewCourse = R"(welcome:
  type: message
  text: Welcome to the preview
  button: Go
pick:
  type: quiz
  text: Two plus two?
  answers:
    - text: "3"
    - text: "4"
      correct: yes
      feedback: Right
pause:
  type: delay
  text: Have a break
  wait: 1h
  goto: name
name:
  type: input
  text: Your name?
bye:
  type: end
  text: Done
)";

// Bots as listed, without their health (which the transport updates as it goes).
json without_health(json bots) {
    for (auto& b : bots["bots"]) b.erase("health");
    return bots;
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A browser or a script talking to the panel.
struct Client {
    explicit Client(unsigned short port_, std::string cookie_ = {}, std::string csrf_ = {})
        : port(port_), cookie(std::move(cookie_)), csrf(std::move(csrf_)) {}
    unsigned short port = 0;
    std::string cookie;  // "profo_session=..."
    std::string csrf;
    std::string api_key;

    HttpReply send(const std::string& method, const std::string& target, const std::string& body = "",
                   bool with_csrf = true) const {
        std::map<std::string, std::string> headers;
        if (!cookie.empty()) headers["Cookie"] = cookie;
        if (with_csrf && !csrf.empty()) headers["X-CSRF-Token"] = csrf;
        if (!api_key.empty()) headers["Authorization"] = "Bearer " + api_key;
        if (!body.empty()) headers["Content-Type"] = "application/json";
        return http_request(port, method, target, body, headers);
    }
    json ok(const std::string& method, const std::string& target, const json& body = nullptr) const {
        const auto reply = send(method, target, body.is_null() ? "" : body.dump());
        EXPECT_EQ(reply.status, 200) << method << " " << target << ": " << reply.body;
        return json::parse(reply.body, nullptr, false);
    }
    // The stable error code of a refused request.
    std::string refused(const std::string& method, const std::string& target, const json& body = nullptr,
                        bool with_csrf = true) const {
        const auto reply = send(method, target, body.is_null() ? "" : body.dump(), with_csrf);
        const auto parsed = json::parse(reply.body, nullptr, false);
        EXPECT_GE(reply.status, 400) << method << " " << target << ": " << reply.body;
        if (!parsed.is_object() || !parsed.contains("error") || !parsed["error"].is_object()) {
            ADD_FAILURE() << method << " " << target << " is not the API's error form: " << reply.body;
            return "";
        }
        EXPECT_FALSE(parsed["error"].value("request_id", "").empty()) << reply.body;
        return std::to_string(reply.status) + " " + parsed["error"].value("code", "");
    }
};

std::string session_cookie_of(const HttpReply& reply) {
    const auto it = reply.headers.find("set-cookie");
    if (it == reply.headers.end()) return "";
    return it->second.substr(0, it->second.find(';'));
}

class Panel : public TelegramTransportOn {
protected:
    void start(const ExtraEnvironment& env = {}) {
        emulator_ = std::make_unique<Emulator>();
        PlatformOptions options = on_storage();
        options.course_yaml = kCourse;
        platform_ = std::make_unique<Platform>(*emulator_, options);
        cli({"member", "add", "--account", "1", "--role", "owner", "--username", "ada_teaches", "111"});
        cli({"account", "create", "Other School", "--owner", "222"});
        auto environment = env;
        environment["PROFO_TELEGRAM_LOGIN_BOT_TOKEN"] = kLoginBotToken;
        environment["PROFO_TELEGRAM_LOGIN_BOT_USERNAME"] = "panel_login_bot";
        serve_ = platform_->serve(environment);
    }
    ProcessResult cli(std::vector<std::string> args) {
        auto done = run_process(profo_command(platform_->config, std::move(args)), "",
                                {{"PROFO_TELEGRAM_LOGIN_BOT_TOKEN", kLoginBotToken},
                                 {"PROFO_TELEGRAM_LOGIN_BOT_USERNAME", "panel_login_bot"}});
        EXPECT_EQ(done.exit_code, 0) << done.err << done.out;
        return done;
    }
    // Signed in through a one-time link of `account`, as a browser would.
    Client link_session(int account) {
        const auto url = cli({"admin", "login-link", "--account", std::to_string(account)}).out;
        std::smatch m;
        EXPECT_TRUE(std::regex_search(url, m, std::regex(R"(/login/link\?token=([0-9A-Za-z]+))"))) << url;
        const std::string token = m[1];
        Client c{platform_->http_port};
        const auto page = http_request(c.port, "GET", "/login/link?token=" + token);
        EXPECT_EQ(page.status, 200);
        EXPECT_EQ(session_cookie_of(page), "") << "opening the link must not sign in (previews open links)";
        const auto used = http_request(c.port, "POST", "/login/link", "token=" + token,
                                       {{"Content-Type", "application/x-www-form-urlencoded"}});
        EXPECT_EQ(used.status, 303) << used.body;
        const auto set = used.headers.count("set-cookie") ? used.headers.at("set-cookie") : "";
        EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
        EXPECT_NE(set.find("SameSite=Lax"), std::string::npos) << set;
        c.cookie = session_cookie_of(used);
        // The link is spent.
        const auto again = http_request(c.port, "POST", "/login/link", "token=" + token,
                                        {{"Content-Type", "application/x-www-form-urlencoded"}});
        EXPECT_EQ(again.status, 401) << again.body;
        c.csrf = c.ok("GET", "/api/v1/session")["csrf_token"];
        return c;
    }
    Client key_client(const Client& owner, int account, const std::string& role = "owner") {
        const auto key = owner.ok("POST", "/api/v1/accounts/" + std::to_string(account) + "/api-keys",
                                  {{"label", "e2e script"}, {"role", role}});
        Client c{owner.port};
        c.api_key = key["key"];
        return c;
    }

    std::unique_ptr<Emulator> emulator_;
    std::unique_ptr<Platform> platform_;
    std::unique_ptr<RunningProcess> serve_;
};

INSTANTIATE_TEST_SUITE_P(, Panel, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace

TEST_P(Panel, ALoginLinkSessionManagesTheAccountWithCsrfOnEveryChange) {
    start();
    struct ShowLog {
        RunningProcess& serve;
        ~ShowLog() {
            if (::testing::Test::HasFailure()) std::cerr << serve.err();
        }
    } show{*serve_};
    const auto browser = link_session(1);
    const auto me = browser.ok("GET", "/api/v1/session");
    ASSERT_EQ(me["accounts"].size(), 1u) << me;
    EXPECT_EQ(me["accounts"][0]["id"], 1);
    EXPECT_EQ(me["accounts"][0]["role"], "owner");

    // What the platform set up through the CLI is there.
    const auto courses = browser.ok("GET", "/api/v1/accounts/1/courses");
    ASSERT_EQ(courses["courses"].size(), 1u) << courses;
    EXPECT_EQ(courses["total"], 1);
    EXPECT_EQ(browser.ok("GET", "/api/v1/accounts/1/bots")["bots"].size(), 1u);
    const auto source = browser.send("GET", "/api/v1/accounts/1/courses/1/versions/1/source");
    EXPECT_EQ(source.status, 200);
    EXPECT_NE(source.body.find("Hello from the panel"), std::string::npos) << source.body;
    const auto outline = browser.ok("GET", "/api/v1/accounts/1/courses/1/versions/1/outline");
    EXPECT_EQ(outline["elements"], json::parse(R"([{"element_id":"hello","type":"message","section":""}])"))
        << outline;
    EXPECT_EQ(browser.refused("GET", "/api/v1/accounts/1/courses/1/versions/9/outline"), "404 not_found");
    const auto schema = browser.ok("GET", "/api/v1/accounts/1/courses/schema");
    EXPECT_TRUE(schema["$defs"].contains("element-message")) << schema.dump().substr(0, 300);

    // A course uploaded as YAML; a broken one is refused with its line, and nothing is stored.
    const auto made =
        browser.ok("POST", "/api/v1/accounts/1/courses", {{"name", "Second"}, {"content", kCourse}});
    EXPECT_EQ(made["version"]["number"], 1);
    const auto broken = browser.send(
        "POST", "/api/v1/accounts/1/courses",
        json{{"name", "Broken"}, {"content", "a:\n  type: message\n  text: x\nb:\n  type: nope\n"}}.dump());
    EXPECT_EQ(broken.status, 400) << broken.body;
    EXPECT_NE(broken.body.find("line"), std::string::npos) << broken.body;
    EXPECT_EQ(browser.ok("GET", "/api/v1/accounts/1/courses")["total"], 2);

    // Lists page and sort.
    const auto page = browser.ok("GET", "/api/v1/accounts/1/courses?sort=-id&limit=1");
    ASSERT_EQ(page["courses"].size(), 1u);
    EXPECT_EQ(page["courses"][0]["name"], "Second");
    EXPECT_EQ(page["total"], 2);
    EXPECT_EQ(browser.refused("GET", "/api/v1/accounts/1/courses?sort=colour"), "400 invalid_argument");
    EXPECT_EQ(browser.refused("GET", "/api/v1/accounts/1/courses?limit=0"), "400 invalid_argument");

    // A change without the CSRF token, or with another, changes nothing.
    EXPECT_EQ(
        browser.refused("POST", "/api/v1/accounts/1/courses", {{"name", "Forged"}, {"content", kCourse}},
                        /*with_csrf=*/false),
        "403 csrf_token_invalid");
    Client forged = browser;
    forged.csrf = std::string(64, 'a');
    EXPECT_EQ(forged.refused("PATCH", "/api/v1/accounts/1", {{"name", "Taken over"}}),
              "403 csrf_token_invalid");
    EXPECT_EQ(browser.ok("GET", "/api/v1/accounts/1/courses")["total"], 2);
    EXPECT_NE(browser.ok("GET", "/api/v1/accounts/1")["name"], "Taken over");

    // Another account is not there for this session, for reading or changing.
    EXPECT_EQ(browser.refused("GET", "/api/v1/accounts/2/courses"), "404 not_found");
    EXPECT_EQ(browser.refused("PATCH", "/api/v1/accounts/2", {{"name", "Mine now"}}), "404 not_found");

    // Without a session nothing is served.
    const Client stranger{browser.port};
    EXPECT_EQ(stranger.refused("GET", "/api/v1/accounts/1/courses"), "401 unauthenticated");
    EXPECT_EQ(stranger.refused("GET", "/api/v1/session"), "401 unauthenticated");
    Client stolen{browser.port};
    stolen.cookie = "profo_session=" + std::string(43, 'x');
    EXPECT_EQ(stolen.refused("GET", "/api/v1/accounts/1/courses"), "401 unauthenticated");

    // The requests are timed, by route, for Prometheus.
    const auto metrics = http_request(browser.port, "GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("profo_http_request_duration_seconds_count{route=\"GET "
                                "/api/v1/accounts/{account_id}/courses\",status=\"200\"}"),
              std::string::npos)
        << metrics.body;

    // Signing out ends the session (and needs the CSRF token too).
    EXPECT_EQ(browser.refused("DELETE", "/api/v1/session", nullptr, false), "403 csrf_token_invalid");
    const auto out = browser.send("DELETE", "/api/v1/session");
    EXPECT_EQ(out.status, 200);
    EXPECT_NE(out.headers.at("set-cookie").find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(browser.refused("GET", "/api/v1/accounts/1/courses"), "401 unauthenticated");
}

TEST_P(Panel, TelegramLoginIsCheckedFreshAndNeverAcceptedTwice) {
    start({{"PROFO_PLUGINS_TRANSPORT_PANEL_SETTINGS_SESSION_IDLE_S", "2"}});
    const unsigned short port = platform_->http_port;
    auto sign_in = [&](const json& data) {
        return http_request(port, "POST", "/api/v1/session/telegram", data.dump(),
                            {{"Content-Type", "application/json"}});
    };
    const auto data = widget_data(111, now_s() - 5);
    const auto accepted = sign_in(data);
    ASSERT_EQ(accepted.status, 200) << accepted.body;
    const auto body = json::parse(accepted.body);
    EXPECT_EQ(body["user"]["telegram_user_id"], 111);
    ASSERT_EQ(body["accounts"].size(), 1u);
    EXPECT_EQ(body["accounts"][0]["role"], "owner");
    Client browser{port, session_cookie_of(accepted), body["csrf_token"]};
    EXPECT_EQ(browser.ok("GET", "/api/v1/accounts/1/members")["members"].size(), 1u);

    auto code = [&](const HttpReply& r) {
        return std::to_string(r.status) + " " + json::parse(r.body)["error"]["code"].get<std::string>();
    };
    EXPECT_EQ(code(sign_in(data)), "401 unauthenticated") << "a replay was accepted";
    // The check reads the hex digits in either case: so does the memory of used logins.
    auto shouted = data;
    std::string hash = shouted["hash"];
    for (auto& c : hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    shouted["hash"] = hash;
    EXPECT_EQ(code(sign_in(shouted)), "401 unauthenticated") << "a replay in capitals was accepted";
    auto tampered = widget_data(111, now_s() - 4);
    tampered["id"] = 222;  // someone else's id under Ada's signature
    EXPECT_EQ(code(sign_in(tampered)), "401 unauthenticated");
    EXPECT_EQ(code(sign_in(widget_data(111, now_s() - 3, "123:another-bot"))), "401 unauthenticated");
    EXPECT_EQ(code(sign_in(widget_data(111, now_s() - 2 * 86400))), "401 unauthenticated") << "stale";
    EXPECT_EQ(code(sign_in(widget_data(333, now_s() - 2))), "403 forbidden") << "not a member anywhere";
    const auto other = sign_in(widget_data(222, now_s() - 1));
    ASSERT_EQ(other.status, 200) << other.body;
    EXPECT_EQ(json::parse(other.body)["accounts"][0]["id"], 2);

    // Idle for longer than session_idle_s: signed out.
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(browser.refused("GET", "/api/v1/accounts/1/members"), "401 unauthenticated");

    stop(*serve_);
    EXPECT_EQ(serve_->err().find(kLoginBotToken), std::string::npos) << "the login bot's token was logged";
}

TEST_P(Panel, ApiKeysAreShownOnceWorkForTheirAccountOnlyAndCanBeRevoked) {
    start();
    const auto owner = link_session(1);
    const auto script = key_client(owner, 1, "admin");
    EXPECT_EQ(script.ok("GET", "/api/v1/accounts/1/courses")["total"], 1);
    // No CSRF for a key: there is no cookie a page could ride on.
    EXPECT_EQ(script.ok("POST", "/api/v1/accounts/1/courses",
                        {{"name", "By script"}, {"content", kCourse}})["version"]["number"],
              1);
    // A course over 1 MiB, the server's default body limit, imports as it
    // does with the CLI; one over the course limit is refused by name, and
    // a body past what any course could need is refused before it is read.
    std::string large;
    for (int i = 0; large.size() < 2'500'000; ++i)
        large += "part" + std::to_string(i) + ":\n  type: message\n  text: " + std::string(3500, 'a') + "\n";
    EXPECT_EQ(script.ok("POST", "/api/v1/accounts/1/courses",
                        {{"name", "Large"}, {"content", large}})["version"]["number"],
              1);
    const auto over =
        script.send("POST", "/api/v1/accounts/1/courses",
                    json{{"name", "Too large"}, {"content", std::string(4 * 1024 * 1024 + 1, 'b')}}.dump());
    EXPECT_EQ(over.status, 400) << over.body.substr(0, 300);
    EXPECT_EQ(json::parse(over.body, nullptr, false)["error"].value("field", ""), "/content")
        << over.body.substr(0, 300);
    const auto huge = script.send("POST", "/api/v1/accounts/1/courses", std::string(13 * 1024 * 1024, ' '));
    EXPECT_EQ(huge.status, 413);
    // Brackets nested far deeper than any request needs: refused, and the
    // server (which a copy of such a value would have taken past the end of
    // a thread's stack) answers on.
    const std::string deep = std::string(300'000, '[') + std::string(300'000, ']');
    for (const std::string path : {"/api/v1/accounts/1/courses", "/api/v1/accounts/1/bots"}) {
        const auto nested = script.send("POST", path, "{\"name\":" + deep + "}");
        EXPECT_EQ(nested.status, 400) << path;
    }
    const auto signed_in = script.send("POST", "/api/v1/session/telegram", "{\"id\":" + deep + "}");
    EXPECT_EQ(signed_in.status, 400);
    EXPECT_EQ(script.ok("GET", "/api/v1/accounts/1/courses")["total"], 3);
    // An admin key manages content, not keys or members.
    EXPECT_EQ(script.refused("POST", "/api/v1/accounts/1/api-keys", {{"label", "escalate"}}),
              "403 forbidden");
    EXPECT_EQ(script.refused("GET", "/api/v1/accounts/2/courses"), "404 not_found");

    const auto keys = owner.ok("GET", "/api/v1/accounts/1/api-keys")["api_keys"];
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_FALSE(keys[0].contains("key")) << "a key is shown once, when it is made";
    EXPECT_FALSE(keys[0].contains("secret_hash"));
    EXPECT_FALSE(keys[0]["last_used_at"].is_null());
    EXPECT_EQ(keys[0]["prefix"], script.api_key.substr(0, 15));

    owner.ok("DELETE", "/api/v1/accounts/1/api-keys/" + std::to_string(keys[0]["id"].get<int>()));
    EXPECT_EQ(script.refused("GET", "/api/v1/accounts/1/courses"), "401 unauthenticated");
    Client garbage{owner.port};
    garbage.api_key = "pk_" + std::string(12, 'A') + "_" + std::string(40, 'b');
    EXPECT_EQ(garbage.refused("GET", "/api/v1/accounts/1/courses"), "401 unauthenticated");
}

// A key speaks for the member who issued it: demoted, the member's owner
// key manages content but no longer keys or members; removed, the key stops.
TEST_P(Panel, AKeyNeverOutranksItsIssuerAndStopsWithTheirMembership) {
    start();
    const auto owner = link_session(1);
    const auto members_before = owner.ok("GET", "/api/v1/accounts/1/members")["members"];
    owner.ok("POST", "/api/v1/accounts/1/members",
             {{"telegram_user_id", 444}, {"username", "mallory"}, {"role", "owner"}});
    const auto signed_in =
        http_request(platform_->http_port, "POST", "/api/v1/session/telegram",
                     widget_data(444, now_s() - 5).dump(), {{"Content-Type", "application/json"}});
    ASSERT_EQ(signed_in.status, 200) << signed_in.body;
    const Client mallory{platform_->http_port, session_cookie_of(signed_in),
                         json::parse(signed_in.body)["csrf_token"]};
    const auto key = key_client(mallory, 1, "owner");
    EXPECT_EQ(key.ok("GET", "/api/v1/accounts/1/api-keys")["api_keys"].size(), 1u);

    owner.ok("PATCH", "/api/v1/accounts/1/members/444", {{"role", "admin"}});
    EXPECT_EQ(key.refused("GET", "/api/v1/accounts/1/api-keys"), "403 forbidden");
    EXPECT_EQ(key.refused("POST", "/api/v1/accounts/1/members",
                          {{"telegram_user_id", 444}, {"username", "mallory"}, {"role", "owner"}}),
              "403 forbidden");
    EXPECT_EQ(key.ok("GET", "/api/v1/accounts/1/courses")["total"], 1);

    owner.ok("DELETE", "/api/v1/accounts/1/members/444");
    EXPECT_EQ(key.refused("GET", "/api/v1/accounts/1/courses"), "401 unauthenticated");
    EXPECT_EQ(owner.ok("GET", "/api/v1/accounts/1/members")["members"], members_before)
        << "the removed member's key added nobody back";
}

// Every route the OpenAPI document names is served, each answers in the
// API's form, and none lets account 2 read or change account 1's things.
// On SQLite one transaction at a time may write. Pages and scripts read their
// session or key and their data without asking for that, so a long write
// (another `profo` command, the engine's commits) never holds the panel up.
TEST_P(Panel, PagesAndScriptsReadWhileAnotherTransactionWrites) {
    if (GetParam() != "sqlite") GTEST_SKIP() << "PostgreSQL never makes a reader wait for a writer";
    start();
    const auto owner = link_session(1);
    const auto script = key_client(owner, 1, "admin");
    script.ok("GET", "/api/v1/accounts/1/courses");  // a key's first use is written

    const auto database = (platform_->config.parent_path() / "profo.db").string();
    using Connection = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;
    const auto open = [&] {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
        return Connection(db, &sqlite3_close);
    };
    const auto writer = open();
    // profo writes too (bot leases, health): the writer waits its turn as they do.
    sqlite3_busy_timeout(writer.get(), 10000);
    ASSERT_EQ(
        sqlite3_exec(writer.get(), "BEGIN IMMEDIATE; UPDATE accounts SET name = 'Uncommitted' WHERE id = 1",
                     nullptr, nullptr, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(writer.get());
    EXPECT_EQ(sqlite3_exec(open().get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_BUSY)
        << "the writer does not hold the database";

    const auto quickly = [](const Client& client, const std::string& target) {
        const auto began = std::chrono::steady_clock::now();
        const auto answer = client.ok("GET", target);
        EXPECT_LT(std::chrono::steady_clock::now() - began, 1500ms) << target << " waited for the writer";
        return answer;
    };
    EXPECT_EQ(quickly(owner, "/api/v1/session")["accounts"].size(), 1u);
    EXPECT_NE(quickly(owner, "/api/v1/accounts/1")["name"], "Uncommitted");
    for (const char* target :
         {"/api/v1/accounts/1/courses", "/api/v1/accounts/1/bots", "/api/v1/accounts/1/deployments",
          "/api/v1/accounts/1/tokens", "/api/v1/accounts/1/runs", "/api/v1/accounts/1/members",
          "/api/v1/accounts/1/analytics/runs", "/api/v1/accounts/1/exports/runs.csv"}) {
        quickly(owner, target);
        quickly(script, target);
    }
    EXPECT_EQ(sqlite3_exec(writer.get(), "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
}

TEST_P(Panel, EveryDocumentedRouteIsServedAndKeepsAccountsApart) {
    start();
    const auto owner = link_session(1);
    const auto doc = http_request(owner.port, "GET", "/api/v1/openapi.json");
    ASSERT_EQ(doc.status, 200);
    const auto openapi = json::parse(doc.body);
    EXPECT_EQ(openapi["openapi"], "3.1.0");

    // Account 1's things, each its first of the kind (id 1): a course, a bot, a
    // deployment (made by the fixture), a token and an API key.
    owner.ok("POST", "/api/v1/accounts/1/tokens", {{"deployment_id", 1}, {"type", "public"}});
    key_client(owner, 1);
    const auto other = key_client(link_session(2), 2, "owner");
    const auto before = owner.ok("GET", "/api/v1/accounts/1/courses");
    const auto before_bots = owner.ok("GET", "/api/v1/accounts/1/bots");
    const auto before_deployments = owner.ok("GET", "/api/v1/accounts/1/deployments");
    const auto before_tokens = owner.ok("GET", "/api/v1/accounts/1/tokens");
    const auto before_keys = owner.ok("GET", "/api/v1/accounts/1/api-keys");
    const auto before_members = owner.ok("GET", "/api/v1/accounts/1/members");
    const Client stranger{owner.port};
    int operations = 0;
    for (const auto& [path, methods] : openapi["paths"].items()) {
        if (path.rfind("/api/v1/accounts/{account_id}", 0) != 0) continue;
        for (const auto& [method, entry] : methods.items()) {
            SCOPED_TRACE(entry.value("operationId", ""));
            ++operations;
            std::string upper = method;
            for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            // Account 1's ids (all of them 1: its first course, bot, deployment...) asked of account 2.
            std::string target = std::regex_replace(path, std::regex(R"(\{account_id\})"), "2");
            target = std::regex_replace(target, std::regex(R"(\{[a-z_]+\})"), "1");
            const auto reply = other.send(upper, target, upper == "GET" || upper == "DELETE" ? "" : "{}");
            const auto body = json::parse(reply.body, nullptr, false);
            // Answers are JSON, but for what the operation says it returns instead (CSV, YAML).
            if (!entry["responses"]["200"]["content"].contains("application/json"))
                EXPECT_TRUE(reply.status >= 400 || body.is_discarded()) << upper << " " << target;
            else
                ASSERT_FALSE(body.is_discarded()) << upper << " " << target << ": " << reply.body;
            if (reply.status >= 400) {
                ASSERT_TRUE(body.contains("error") && body["error"].is_object())
                    << upper << " " << target << " is not served by the API: " << reply.status << " "
                    << reply.body;
            }
            // Account 1's own routes: nothing without a session, and no change without the CSRF token.
            std::string own = std::regex_replace(path, std::regex(R"(\{account_id\})"), "1");
            own = std::regex_replace(own, std::regex(R"(\{[a-z_]+\})"), "1");
            EXPECT_EQ(stranger.refused(upper, own, upper == "GET" ? nullptr : json::object()),
                      "401 unauthenticated");
            if (upper != "GET") {
                EXPECT_EQ(owner.refused(upper, own, json::object(), /*with_csrf=*/false),
                          "403 csrf_token_invalid");
            }
            if (path.find('{', std::string("/api/v1/accounts/{account_id}").size()) != std::string::npos) {
                EXPECT_TRUE(reply.status == 404 || reply.status == 400)
                    << upper << " " << target << " reached account 1's thing: " << reply.status << " "
                    << reply.body;
            }
        }
    }
    EXPECT_GE(operations, 30);
    EXPECT_EQ(owner.ok("GET", "/api/v1/accounts/1/courses"), before);
    EXPECT_EQ(without_health(owner.ok("GET", "/api/v1/accounts/1/bots")), without_health(before_bots));
    EXPECT_EQ(owner.ok("GET", "/api/v1/accounts/1/deployments"), before_deployments);
    EXPECT_EQ(owner.ok("GET", "/api/v1/accounts/1/tokens"), before_tokens);
    EXPECT_EQ(owner.ok("GET", "/api/v1/accounts/1/api-keys"), before_keys);
    EXPECT_EQ(owner.ok("GET", "/api/v1/accounts/1/members"), before_members);
    // A route that is not documented is not served.
    const auto undocumented = other.send("PUT", "/api/v1/accounts/2/courses", "{}");
    EXPECT_TRUE(undocumented.status == 404 || undocumented.status == 405) << undocumented.status;
}

// Students take the course in Telegram; the account's analytics count them,
// and another account's see nothing of it.
TEST_P(Panel, AnalyticsCountWhatStudentsDidAndExportIt) {
    start();
    const auto owner = link_session(1);
    const auto token = owner.ok("POST", "/api/v1/accounts/1/tokens",
                                {{"deployment_id", 1}, {"type", "public"}, {"utm_source", "newsletter"}});
    const std::string link = token["link"];
    const auto payload = link.substr(link.find("start=") + 6);
    for (const std::int64_t student : {5001, 5002, 5003}) {
        emulator_->post("/_emulator/start",
                        {{"bot_id", platform_->bot_id}, {"user_id", student}, {"payload", payload}});
        emulator_->wait(platform_->bot_id, student, 1);
    }
    // The runs are committed before the reply goes out.
    const auto runs = owner.ok("GET", "/api/v1/accounts/1/analytics/runs?course_id=1");
    EXPECT_EQ(runs["total"], 3) << runs;
    const auto funnel = owner.ok("GET", "/api/v1/accounts/1/analytics/funnel?course_id=1");
    ASSERT_EQ(funnel["steps"].size(), 1u) << funnel;
    EXPECT_EQ(funnel["steps"][0]["element_id"], "hello");
    EXPECT_EQ(funnel["steps"][0]["reached"], 3) << funnel;
    const auto cohorts = owner.ok("GET", "/api/v1/accounts/1/analytics/cohorts");
    ASSERT_EQ(cohorts["cohorts"].size(), 1u) << cohorts;
    EXPECT_EQ(cohorts["cohorts"][0]["started"], 3);
    const auto sources = owner.ok("GET", "/api/v1/accounts/1/analytics/sources");
    ASSERT_EQ(sources["sources"].size(), 1u) << sources;
    EXPECT_EQ(sources["sources"][0]["utm_source"], "newsletter");
    EXPECT_EQ(sources["sources"][0]["started"], 3);
    EXPECT_EQ(sources["sources"][0]["token_type"], "public");
    const auto future = owner.ok("GET", "/api/v1/accounts/1/analytics/runs?from=2100-01-01T00:00:00Z");
    EXPECT_EQ(future["total"], 0);
    const auto csv = owner.send("GET", "/api/v1/accounts/1/exports/runs.csv");
    EXPECT_EQ(csv.status, 200);
    EXPECT_EQ(csv.headers.at("content-type").rfind("text/csv", 0), 0u);
    EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 4) << csv.body;
    EXPECT_NE(csv.body.find(",5002,"), std::string::npos) << csv.body;
    EXPECT_NE(csv.body.find("newsletter"), std::string::npos) << csv.body;
    // The runs screen filters by token and dates.
    const auto by_token =
        owner.ok("GET", "/api/v1/accounts/1/runs?token_id=" + std::to_string(token["id"].get<int>()) +
                            "&from=2000-01-01T00:00:00Z");
    EXPECT_EQ(by_token["runs"].size(), 3u);

    // Account 2: its own analytics are empty; account 1's course is not there.
    const auto other = key_client(link_session(2), 2);
    EXPECT_EQ(other.ok("GET", "/api/v1/accounts/2/analytics/runs")["total"], 0);
    EXPECT_EQ(other.refused("GET", "/api/v1/accounts/2/analytics/funnel?course_id=1"), "404 not_found");
    EXPECT_EQ(other.refused("GET", "/api/v1/accounts/2/analytics/runs?course_id=1"), "404 not_found");
    EXPECT_TRUE(other.ok("GET", "/api/v1/accounts/2/analytics/sources")["sources"].empty());
    const auto other_csv = other.send("GET", "/api/v1/accounts/2/exports/answers.csv");
    EXPECT_EQ(std::count(other_csv.body.begin(), other_csv.body.end(), '\n'), 1) << other_csv.body;
}

// The preview chat plays a version through the real engine with no Telegram
// bot: buttons, polls, a delay skipped, text. Nothing of it reaches Telegram,
// the analytics, the runs or the account's bots and deployments.
TEST_P(Panel, PreviewPlaysACourseWithoutTelegramAndStaysOutOfAnalytics) {
    start();
    const auto owner = link_session(1);
    const auto made =
        owner.ok("POST", "/api/v1/accounts/1/courses", {{"name", "Preview me"}, {"content", kPreviewCourse}});
    const auto course_id = made["course"]["id"].get<int>();
    const auto version_id = made["version"]["id"].get<int>();
    const std::string preview = "/api/v1/accounts/1/preview";

    auto chat = owner.ok("POST", preview, {{"version_id", version_id}});
    ASSERT_EQ(chat["messages"].size(), 1u) << chat;
    EXPECT_EQ(chat["messages"][0]["text"], "Welcome to the preview");
    EXPECT_EQ(chat["run"]["cursor"], "welcome");
    const std::string go = chat["messages"][0]["buttons"][0]["callback_data"];
    EXPECT_TRUE(owner.ok("GET", preview)["messages"].empty()) << "each message is read once";

    chat = owner.ok("POST", preview + "/moves", {{"callback_data", go}});
    ASSERT_EQ(chat["messages"].size(), 1u) << chat;
    EXPECT_EQ(chat["messages"][0]["kind"], "poll");
    EXPECT_EQ(chat["messages"][0]["question"], "Two plus two?");
    const std::string poll = chat["messages"][0]["poll_id"];

    chat = owner.ok("POST", preview + "/moves", {{"poll_id", poll}, {"options", {2}}});
    std::string said;
    for (const auto& m : chat["messages"]) said += m.value("text", "") + "|";
    EXPECT_EQ(said, "Right|Have a break|") << chat;
    EXPECT_EQ(chat["run"]["cursor"], "pause");
    EXPECT_TRUE(chat["run"]["timer_due_at"].is_number()) << chat;

    chat = owner.ok("POST", preview + "/skip");
    ASSERT_EQ(chat["messages"].size(), 1u) << chat;
    EXPECT_EQ(chat["messages"][0]["text"], "Your name?");
    EXPECT_EQ(owner.refused("POST", preview + "/skip"), "409 conflict") << "nothing left to skip";
    EXPECT_EQ(owner.refused("POST", preview + "/moves", json::object()), "400 invalid_argument");
    EXPECT_EQ(owner.refused("POST", preview + "/moves", {{"text", "Ada"}, {"voice", "file"}}),
              "400 invalid_argument")
        << "a move is one thing";
    EXPECT_EQ(owner.refused("POST", preview + "/moves", {{"poll_id", "p"}, {"options", {11}}}),
              "400 invalid_argument")
        << "a poll has at most 10 options";

    chat = owner.ok("POST", preview + "/moves", {{"text", "Ada"}});
    ASSERT_FALSE(chat["messages"].empty()) << chat;
    EXPECT_EQ(chat["messages"].back()["text"], "Done");
    EXPECT_EQ(chat["run"]["status"], "completed");
    EXPECT_FALSE(chat["run"]["active"]);
    const auto run_id = chat["run"]["id"].get<int>();
    EXPECT_EQ(owner.ok("GET", preview + "?run_id=" + std::to_string(run_id))["run"]["status"], "completed");
    EXPECT_TRUE(owner.ok("GET", preview)["run"].is_null()) << "nothing plays now";

    // None of it counts, and the preview's bot and deployment are not the account's to manage.
    EXPECT_EQ(
        owner.ok("GET", "/api/v1/accounts/1/analytics/runs?course_id=" + std::to_string(course_id))["total"],
        0);
    // Named: a range over a member of a temporary would outlive the temporary.
    const auto funnel =
        owner.ok("GET", "/api/v1/accounts/1/analytics/funnel?course_id=" + std::to_string(course_id));
    for (const auto& step : funnel["steps"]) EXPECT_EQ(step["reached"], 0) << step;
    EXPECT_TRUE(owner.ok("GET", "/api/v1/accounts/1/runs")["runs"].empty());
    EXPECT_EQ(owner.ok("GET", "/api/v1/accounts/1/bots")["bots"].size(), 1u);
    const auto deployments = owner.ok("GET", "/api/v1/accounts/1/deployments?archived=true");
    for (const auto& d : deployments["deployments"]) EXPECT_NE(d["environment"], "preview") << d;
    const auto csv = owner.send("GET", "/api/v1/accounts/1/exports/answers.csv");
    EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 1) << csv.body;
    // Telegram heard nothing of it.
    EXPECT_EQ(emulator_->get("/_emulator/stats").value("messages_sent", 0), 0)
        << emulator_->get("/_emulator/stats");

    // Another account cannot preview this account's versions; changes need the CSRF token.
    const auto other = link_session(2);
    EXPECT_EQ(other.refused("POST", "/api/v1/accounts/2/preview", {{"version_id", version_id}}),
              "404 not_found");
    EXPECT_EQ(owner.refused("POST", preview, {{"version_id", version_id}}, /*with_csrf=*/false),
              "403 csrf_token_invalid");
}

// A token's link as a QR code, and each bot's health as its transport found it.
TEST_P(Panel, TokensComeAsQrCodesAndBotsShowTheirHealth) {
    start();
    const auto owner = link_session(1);
    const auto token =
        owner.ok("POST", "/api/v1/accounts/1/tokens", {{"deployment_id", 1}, {"type", "public"}});
    const auto qr =
        owner.ok("GET", "/api/v1/accounts/1/tokens/" + std::to_string(token["id"].get<int>()) + "/qr");
    EXPECT_EQ(qr["link"], token["link"]);
    const std::string svg = qr["svg"];
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg;
    EXPECT_NE(svg.find("<path"), std::string::npos);
    EXPECT_EQ(key_client(link_session(2), 2).refused("GET", "/api/v1/accounts/2/tokens/1/qr"),
              "404 not_found");

    const auto health = [&] { return owner.ok("GET", "/api/v1/accounts/1/bots")["bots"][0]["health"]; };
    const auto until = [&](auto done, const char* what) {
        for (int i = 0; i < 300 && !done(health()); ++i) std::this_thread::sleep_for(100ms);
        EXPECT_TRUE(done(health())) << what << ": " << health();
    };
    until([](const json& h) { return h["state"] == "polling"; }, "served by long polling");
    // Telegram fails the next polls: the bot shows it, then recovers and keeps the error on record.
    emulator_->post("/_emulator/config",
                    {{"faults", {{"error_next", 2}, {"error_status", 502}, {"methods", {"getUpdates"}}}}});
    until(
        [](const json& h) {
            return h["last_error"].get<std::string>().find("getUpdates") != std::string::npos;
        },
        "the failed poll is reported");
    until([](const json& h) { return h["state"] == "polling"; }, "polling again");
    EXPECT_TRUE(health()["last_error_at"].is_string()) << health();
    const auto listed = cli({"bot", "list"}).out;
    EXPECT_NE(listed.find("polling (last error: getUpdates"), std::string::npos) << listed;
}
