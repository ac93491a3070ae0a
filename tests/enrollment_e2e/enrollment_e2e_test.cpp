// Students enrolling through Telegram as in production: `profo serve` with
// the telegram transport against the Bot API emulator; tokens, bans,
// participants and deployments made with the `profo` commands an operator
// types. What the runs recorded is read from the database file itself.
#include "build_tree.hpp"
#include "loopback_http.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <csignal>
#include <fstream>
#include <regex>

using namespace profo::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string course_yaml(const std::string& name) {
    return "Hello:\n  type: message\n  text: Welcome to " + name +
           "\n  button: Go\nBye:\n  type: end\n  text: Bye from " + name + "\n";
}

class Emulator {
public:
    Emulator()
        : process_({"/bin/sh", "-c",
                    "exec " + profo::build_tree::executable("profo-telegram-emulator") +
                        " --listen 127.0.0.1:0 1>&2"}) {
        std::smatch m;
        const auto out = process_.wait_for_stderr("listening on", 20s);
        if (!std::regex_search(out, m, std::regex(R"(listening on [0-9.]+:([0-9]+))")))
            throw std::runtime_error("the emulator did not say its port:\n" + out);
        port_ = static_cast<unsigned short>(std::stoi(m[1].str()));
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    json post(const std::string& path, const json& body) {
        auto reply = http_request(port_, "POST", path, body.dump(), {{"Content-Type", "application/json"}});
        auto parsed = json::parse(reply.body);
        if (!parsed.value("ok", false)) throw std::runtime_error(path + " refused: " + reply.body);
        return parsed["result"];
    }
    // The bot's messages to the user once there are `count` of them.
    std::vector<json> wait(std::int64_t bot, std::int64_t user, int count) {
        auto reply = http_request(port_, "GET",
                                  "/_emulator/wait?bot_id=" + std::to_string(bot) +
                                      "&user_id=" + std::to_string(user) +
                                      "&bot_messages=" + std::to_string(count) + "&timeout_ms=30000");
        auto parsed = json::parse(reply.body);
        if (!parsed.value("ok", false))
            throw std::runtime_error("user " + std::to_string(user) + " did not get " +
                                     std::to_string(count) + " messages: " + reply.body);
        std::vector<json> out;
        for (const auto& m : parsed["result"]["messages"])
            if (m.value("sender", "") == "bot") out.push_back(m);
        return out;
    }
    // The text of the bot's `count`-th message to the user.
    std::string nth(std::int64_t bot, std::int64_t user, int count) {
        return wait(bot, user, count).at(static_cast<std::size_t>(count - 1)).value("text", "");
    }

private:
    RunningProcess process_;
    unsigned short port_ = 0;
};

struct School {
    TempDir dir;
    std::filesystem::path config;
    std::int64_t bot = 0;  // the emulator's id of the bot

    explicit School(Emulator& e) {
        TestConfig c;
        c.settings["transport/telegram"] = "{\"base_url\": \"" + e.url() +
                                           "\", \"poll_timeout_s\": 1, \"bots_refresh_ms\": 300, "
                                           "\"backoff_initial_ms\": 200, \"backoff_max_ms\": 2000}";
        config = write_test_config(dir, c);
        for (const char* name : {"Greek", "Latin", "Closed"}) {
            std::ofstream(dir / (std::string(name) + ".yml")) << course_yaml(name);
            profo({"course", "import", (dir / (std::string(name) + ".yml")).string(), "--name", name});
        }
        const auto created = e.post("/_emulator/bots", {{"username", "school_bot"}});
        bot = created["id"].get<std::int64_t>();
        profo({"bot", "add", created["token"].get<std::string>()});
        profo({"deploy", "create", "--course", "Greek", "--bot", "1", "--alias", "greek"});
        profo({"deploy", "create", "--course", "Latin", "--bot", "1"});
        profo({"deploy", "create", "--course", "Closed", "--bot", "1", "--restricted", "on"});
    }

    // Runs `profo ARGS` and returns what it printed, failing the test on a non-zero exit.
    std::string profo(std::vector<std::string> args) {
        const auto done = run_process(profo_command(config, args));
        EXPECT_EQ(done.exit_code, 0) << done.err << done.out;
        return done.out;
    }
    json token(std::vector<std::string> args) {
        args.insert(args.begin(), {"token", "create", "--json"});
        return json::parse(profo(args));
    }

    // Runs of the student, oldest first: status and UTM, from the database.
    std::vector<std::pair<std::string, json>> runs_of(std::int64_t user) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open_v2((dir / "profo.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt* query = nullptr;
        sqlite3_prepare_v2(db, "SELECT status, utm_json FROM runs WHERE user_id = ? ORDER BY id", -1, &query,
                           nullptr);
        sqlite3_bind_int64(query, 1, user);
        std::vector<std::pair<std::string, json>> out;
        while (sqlite3_step(query) == SQLITE_ROW)
            out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(query, 0)),
                             json::parse(reinterpret_cast<const char*>(sqlite3_column_text(query, 1))));
        sqlite3_finalize(query);
        sqlite3_close(db);
        return out;
    }
};

class Serving {
public:
    explicit Serving(School& school) : process_(profo_command(school.config, {"serve"})) {
        process_.wait_for_stderr("serving on", 60s);
    }
    ~Serving() {
        process_.signal(SIGINT);
        process_.wait(30s);
    }

private:
    RunningProcess process_;
};

TEST(EnrollmentThroughTelegram, StudentsEnrollSwitchAndAreRefusedAsTheirLinksSay) {
    Emulator e;
    School school(e);
    const auto open = school.token({"--deployment", "1", "--type", "public", "--label", "Ads", "--utm-source",
                                    "ads", "--utm-campaign", "may"});
    EXPECT_EQ(open["link"], "https://t.me/school_bot?start=" + open["payload"].get<std::string>());
    const auto group = school.token({"--deployment", "1", "--type", "group", "--max-uses", "2"});
    const auto personal = school.token({"--deployment", "1", "--type", "personal", "--user", "@ann_student"});
    const auto external = school.token({"--deployment", "1", "--type", "external", "--utm-source", "lms"});
    const auto signed_link = json::parse(
        school.profo({"token", "sign-external", "--json", "--token",
                      std::to_string(external["id"].get<int>()), "--ref", "lms-4711", "--expires", "1h"}));
    const auto latin = school.token({"--deployment", "2", "--type", "public"});
    const auto closed = school.token({"--deployment", "3", "--type", "public"});
    school.profo(
        {"ban", "add", "--user", "508", "--reason", "spam", "--message", "You are banned from this school."});
    school.profo({"deploy", "participants", "add", "3", "@listed_one"});
    Serving serving(school);
    const auto start = [&](std::int64_t user, const json& payload, const std::string& username = "") {
        json body{{"bot_id", school.bot}, {"user_id", user}, {"payload", payload}};
        if (!username.empty()) body["username"] = username;
        e.post("/_emulator/start", body);
    };

    // Each token type.
    start(501, open["payload"]);
    EXPECT_EQ(e.nth(school.bot, 501, 1), "Welcome to Greek");
    start(502, group["payload"]);
    start(503, group["payload"]);
    start(504, group["payload"]);
    EXPECT_EQ(e.nth(school.bot, 502, 1), "Welcome to Greek");
    EXPECT_EQ(e.nth(school.bot, 503, 1), "Welcome to Greek");
    EXPECT_EQ(e.nth(school.bot, 504, 1), "This link has already been used by as many students as it allows.");
    start(505, personal["payload"], "ann_student");
    EXPECT_EQ(e.nth(school.bot, 505, 1), "Welcome to Greek");
    start(506, personal["payload"], "someone_else");
    EXPECT_EQ(e.nth(school.bot, 506, 1), "This personal link was issued to someone else.");
    start(507, signed_link["payload"]);
    EXPECT_EQ(e.nth(school.bot, 507, 1), "Welcome to Greek");

    // Switching courses on the one bot: asked, confirmed, the old run abandoned.
    start(501, latin["payload"]);
    const auto prompt = e.wait(school.bot, 501, 2).at(1);
    EXPECT_EQ(prompt["text"],
              "You are taking \"Greek\". Switch to \"Latin\"? Your progress in \"Greek\" will end.");
    e.post("/_emulator/press_button", {{"bot_id", school.bot},
                                       {"user_id", 501},
                                       {"message_id", prompt["message_id"]},
                                       {"button_text", "Switch to \"Latin\""}});
    EXPECT_EQ(e.nth(school.bot, 501, 3), "Welcome to Latin");

    // A banned student, a restricted course, a legacy link, a broken one.
    start(508, open["payload"]);
    EXPECT_EQ(e.nth(school.bot, 508, 1), "You are banned from this school.");
    start(509, closed["payload"], "not_listed");
    EXPECT_EQ(e.nth(school.bot, 509, 1), "This course is open to invited participants only.");
    start(510, closed["payload"], "listed_one");
    EXPECT_EQ(e.nth(school.bot, 510, 1), "Welcome to Closed");
    start(511, "greek__utmsIIx__utmcIIy");
    EXPECT_EQ(e.nth(school.bot, 511, 1), "Welcome to Greek");
    // Typed by hand: Telegram's links cannot carry more than 64 characters, a message can.
    e.post("/_emulator/messages",
           {{"bot_id", school.bot}, {"user_id", 512}, {"text", "/start cd_1_" + std::string(70, 'a')}});
    EXPECT_EQ(e.nth(school.bot, 512, 1),
              "This link is not valid. Please open the course with the exact link you were given.");

    // What the runs recorded.
    const auto first = school.runs_of(501);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].first, "abandoned");
    EXPECT_EQ(first[0].second, (json{{"source", "ads"}, {"campaign", "may"}}));
    EXPECT_EQ(first[1].first, "active");
    EXPECT_EQ(school.runs_of(507).at(0).second, (json{{"source", "lms"}, {"external_ref", "lms-4711"}}));
    EXPECT_EQ(school.runs_of(511).at(0).second, (json{{"source", "x"}, {"campaign", "y"}}));
    for (const std::int64_t refused : {504, 506, 508, 509, 512})
        EXPECT_TRUE(school.runs_of(refused).empty()) << "user " << refused;

    const auto listed = json::parse(school.profo({"token", "list", "--json", "--deployment", "1"}));
    std::map<std::string, int> uses;
    for (const auto& t : listed["tokens"]) uses[t["type"]] = t["uses"];
    EXPECT_EQ(uses["group"], 2);
    EXPECT_EQ(uses["personal"], 1);
    EXPECT_EQ(uses["external"], 1);
}

}  // namespace

namespace {

// The operator's side alone: every enrollment command with --json, and the
// mistakes they refuse, naming what was wrong.
TEST(EnrollmentCommands, CreateListChangeAndRefuseWithReasons) {
    Emulator e;
    School school(e);
    const auto run = [&](std::vector<std::string> args) {
        return run_process(profo_command(school.config, args));
    };

    for (const auto& family : {"token", "ban", "deploy"}) {
        const auto help = run({family, "--help"});
        EXPECT_EQ(help.exit_code, 0) << family;
        EXPECT_NE(help.out.find("Usage: profo "), std::string::npos) << family;
    }
    for (std::vector<std::string> args : {std::vector<std::string>{"token", "create", "--help"},
                                          {"token", "sign-external", "--help"},
                                          {"token", "key", "--help"},
                                          {"ban", "add", "--help"},
                                          {"deploy", "update", "--help"},
                                          {"deploy", "participants", "add", "--help"}}) {
        const auto help = run(args);
        EXPECT_EQ(help.exit_code, 0) << args[1];
        EXPECT_NE(help.out.find("Usage: profo " + args[0] + " " + args[1]), std::string::npos) << help.out;
    }

    // Tokens.
    const auto group =
        school.token({"--deployment", "1", "--type", "group", "--max-uses", "30", "--label", "Class 7B",
                      "--starts", "2030-09-01", "--ends", "2030-09-15T12:00", "--utm-medium", "school"});
    EXPECT_EQ(group["type"], "group");
    EXPECT_EQ(group["label"], "Class 7B");
    EXPECT_EQ(group["state"], "not-open");
    EXPECT_EQ(group["max_uses"], 30);
    EXPECT_EQ(group["starts_at"], "2030-09-01T00:00:00Z");
    EXPECT_EQ(group["ends_at"], "2030-09-15T12:00:00Z");
    EXPECT_EQ(group["utm"], (json{{"medium", "school"}}));
    EXPECT_EQ(group["code"].get<std::string>().size(), 12u);
    EXPECT_EQ(group["payload"], "cd_1_" + group["code"].get<std::string>());
    const auto id = std::to_string(group["id"].get<int>());
    EXPECT_EQ(json::parse(school.profo({"token", "pause", id, "--json"}))["state"], "paused");
    EXPECT_EQ(json::parse(school.profo({"token", "resume", id, "--json"}))["state"], "not-open");
    EXPECT_EQ(json::parse(school.profo({"token", "revoke", id, "--json"}))["state"], "revoked");
    const auto resumed_revoked = run({"token", "resume", id});
    EXPECT_EQ(resumed_revoked.exit_code, 1);
    EXPECT_NE(resumed_revoked.err.find("revoked token stays revoked"), std::string::npos)
        << resumed_revoked.err;
    const auto listed = json::parse(school.profo({"token", "list", "--json"}));
    ASSERT_EQ(listed["tokens"].size(), 1u);
    EXPECT_EQ(listed["tokens"][0]["state"], "revoked");
    const auto table = school.profo({"token", "list"});
    EXPECT_NE(table.find("Class 7B"), std::string::npos) << table;

    const auto key = json::parse(school.profo({"token", "key", "--json"}))["key"].get<std::string>();
    EXPECT_EQ(key.size(), 64u);
    EXPECT_EQ(json::parse(school.profo({"token", "key", "--json"}))["key"], key)
        << "the same key until rotated";
    EXPECT_NE(json::parse(school.profo({"token", "key", "--json", "--rotate"}))["key"], key);
    const auto external = school.token({"--deployment", "2", "--type", "external"});
    EXPECT_EQ(external["code"].get<std::string>().size(), 6u);
    const auto too_long = run({"token", "sign-external", "--token", std::to_string(external["id"].get<int>()),
                               "--ref", std::string(40, 'r'), "--expires", "1d"});
    EXPECT_EQ(too_long.exit_code, 1);
    EXPECT_NE(too_long.err.find("more than the 64 Telegram allows"), std::string::npos) << too_long.err;

    const std::vector<std::tuple<std::vector<std::string>, int, std::string>> refusals = {
        {{"token", "create", "--deployment", "1", "--type", "lottery"},
         1,
         "no enabled enrollment plugin provides token type 'lottery' (enabled: external, group, personal, "
         "public"},
        {{"token", "create", "--deployment", "1", "--type", "group"},
         1,
         "max_uses: a group token needs a limit"},
        {{"token", "create", "--deployment", "1", "--type", "public", "--max-uses", "3"}, 1, "max_uses:"},
        {{"token", "create", "--deployment", "1", "--type", "personal", "--user", "@x"}, 2, "--user:"},
        {{"token", "create", "--deployment", "99", "--type", "public"}, 1, "deployment 99 does not exist"},
        {{"token", "create", "--deployment", "1", "--type", "public", "--expires", "soon"},
         2,
         "--expires 'soon'"},
        {{"token", "create", "--deployment", "1", "--type", "public", "--expires", "2001-01-01"},
         1,
         "has passed already"},
        {{"token", "create", "--deployment", "1"}, 2, "name the --deployment and the token --type"},
        {{"token", "revoke", "777"}, 1, "token 777 of account 1 does not exist"},
        {{"deploy", "update", "1", "--alias", "cd_x"}, 2, "cannot be a start link"},
        {{"deploy", "update", "1", "--alias", "a__b"}, 2, "cannot be a start link"},
        {{"deploy", "update", "1", "--text", "greeting=Hi"}, 2, "no system text is called 'greeting'"},
        {{"deploy", "update", "1", "--restricted", "maybe"}, 2, "--restricted takes on or off"},
        {{"ban", "add", "--user", "@ann"}, 2, "--user must be a positive id"},
        {{"ban", "add", "--user", "5", "--bot", "42"}, 1, "bot 42 does not exist in account 1"},
        {{"ban", "remove", "31"}, 1, "ban 31 does not exist"},
        {{"deploy", "participants", "add", "3", "a b"}, 2, "neither a Telegram user id nor a username"},
    };
    for (const auto& [args, code, mentions] : refusals) {
        const auto done = run(args);
        EXPECT_EQ(done.exit_code, code) << args[0] << " " << args[1] << ": " << done.err;
        EXPECT_NE(done.err.find(mentions), std::string::npos)
            << "'" << done.err << "' should say '" << mentions << "'";
    }

    // Deployments.
    const auto updated = json::parse(school.profo({"deploy", "update", "2", "--json", "--allow-restart", "on",
                                                   "--collect-email", "on", "--text", "banned=Not here."}));
    EXPECT_EQ(updated["allow_restart"], true);
    EXPECT_EQ(updated["collect_email"], true);
    EXPECT_EQ(updated["overrides"], (json{{"texts", {{"banned", "Not here."}}}}));
    const auto back = json::parse(school.profo({"deploy", "update", "2", "--json", "--text", "banned="}));
    EXPECT_EQ(back["overrides"], (json{{"texts", json::object()}}));
    const auto deployments = json::parse(school.profo({"deploy", "list", "--json"}))["deployments"];
    ASSERT_EQ(deployments.size(), 3u);
    EXPECT_EQ(deployments[0]["alias"], "greek");
    EXPECT_EQ(deployments[2]["restricted"], true);
    EXPECT_EQ(deployments[1]["course"], "Latin");

    // Participants and bans.
    const auto added =
        json::parse(school.profo({"deploy", "participants", "add", "3", "--json", "123", "@Ann_S"}));
    ASSERT_EQ(added["participants"].size(), 2u);
    EXPECT_EQ(added["participants"][0]["user_id"], 123);
    EXPECT_EQ(added["participants"][1]["username"], "Ann_S");
    const auto pid = std::to_string(added["participants"][0]["id"].get<int>());
    school.profo({"deploy", "participants", "remove", pid});
    EXPECT_EQ(
        json::parse(school.profo({"deploy", "participants", "list", "3", "--json"}))["participants"].size(),
        1u);
    const auto ban = json::parse(school.profo(
        {"ban", "add", "--json", "--user", "77", "--bot", "1", "--reason", "spam", "--message", "Bye."}));
    EXPECT_EQ(ban["bot_id"], 1);
    EXPECT_EQ(ban["message"], "Bye.");
    EXPECT_EQ(ban["runs_stopped"], 0);
    EXPECT_EQ(json::parse(school.profo({"ban", "list", "--json"}))["bans"].size(), 1u);
    school.profo({"ban", "remove", std::to_string(ban["id"].get<int>())});
    EXPECT_TRUE(json::parse(school.profo({"ban", "list", "--json"}))["bans"].empty());
}

}  // namespace
