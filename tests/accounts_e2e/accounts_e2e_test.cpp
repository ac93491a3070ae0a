// Accounts through the real binary: the account and member commands an
// operator types, every command of one account aimed at another account's
// ids, students of two accounts on three bots through the Bot API emulator,
// and bot tokens that never show in anything profo prints or logs.
#include "emulated_telegram.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <numeric>
#include <regex>
#include <sstream>

namespace profo::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string course_yaml(const std::string& name) {
    return "Hello:\n  type: message\n  text: Welcome to " + name +
           "\n  button: Go\nBye:\n  type: end\n  text: Bye from " + name + "\n";
}

const std::string kLinkUnknown =
    "This link does not lead to a course. Please check that you opened the whole link you were given.";
const std::string kLinkWrongBot =
    "This link belongs to another bot. Please open it exactly as it was given to you.";

// `profo` against the emulator in a folder of its own, as an operator runs
// it; every output is kept for the token check.
class Operator {
public:
    Operator(Emulator& e, const std::string& storage = "sqlite", const std::string& dsn = "",
             const std::string& bot_api = "")
        : emulator_(e) {
        TestConfig c;
        c.storage_plugin = storage;
        c.dsn = dsn;
        c.settings["transport/telegram"] = "{\"base_url\": \"" + (bot_api.empty() ? e.url() : bot_api) +
                                           "\", \"poll_timeout_s\": 1, \"bots_refresh_ms\": 300, "
                                           "\"backoff_initial_ms\": 200, \"backoff_max_ms\": 2000}";
        config = write_test_config(dir, c);
    }

    ProcessResult run(std::vector<std::string> args) {
        auto done = run_process(profo_command(config, std::move(args)));
        outputs.push_back(done.out + done.err);
        return done;
    }
    // Runs `profo ARGS`, which must succeed, and returns what it printed.
    std::string ok(std::vector<std::string> args) {
        const auto done = run(args);
        std::string command;
        for (const auto& a : args) command += " " + a;
        EXPECT_EQ(done.exit_code, 0) << "profo" << command << "\n" << done.err << done.out;
        return done.out;
    }
    json json_of(std::vector<std::string> args) {
        args.push_back("--json");
        const auto out = ok(std::move(args));
        auto parsed = json::parse(out, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << out;
        return parsed;
    }

    // A course of that name in the account, from its own YAML file.
    void import_course(const std::string& name, const std::string& account = "1") {
        const auto file = dir / (name + ".yml");
        std::ofstream(file) << course_yaml(name);
        ok({"course", "import", file.string(), "--name", name, "--account", account});
    }

    // A bot made in the emulator and added to the account; its emulator id
    // and token are kept by its profo id.
    std::int64_t add_bot(const std::string& username, const std::string& account = "1") {
        const auto made = emulator_.post("/_emulator/bots", {{"username", username}});
        const auto token = made["token"].get<std::string>();
        const auto out = ok({"bot", "add", "--account", account, token});
        std::smatch m;
        EXPECT_TRUE(std::regex_search(out, m, std::regex("added bot ([0-9]+) ")));
        const auto id = std::stoll(m[1].str());
        emulator_ids[id] = made["id"].get<std::int64_t>();
        tokens[id] = token;
        return id;
    }

    std::unique_ptr<RunningProcess> serve(const ExtraEnvironment& env = {}) {
        auto p = std::make_unique<RunningProcess>(profo_command(config, {"serve"}), env);
        p->wait_for_stderr("serving on", 60s);
        return p;
    }
    void stop(std::unique_ptr<RunningProcess>& serving) {
        serving->signal(SIGINT);
        EXPECT_EQ(serving->wait(30s), 0) << serving->err();
        outputs.push_back(serving->err());
        serving.reset();
    }

    TempDir dir;
    std::filesystem::path config;
    std::map<std::int64_t, std::int64_t> emulator_ids;
    std::map<std::int64_t, std::string> tokens;
    std::vector<std::string> outputs;

private:
    Emulator& emulator_;
};

// The text of the bot's `count`-th message to the user, once it is there.
std::string nth_message(Emulator& e, std::int64_t bot, std::int64_t user, int count) {
    return shown(bot_messages(e.wait(bot, user, count)).at(static_cast<std::size_t>(count - 1)));
}

// --- The account and member commands ---------------------------------------------------------

TEST(AccountCommands, CreateListRenameAndManageMembersRefusingWithReasons) {
    Emulator e;
    Operator op(e);
    for (std::vector<std::string> args : {std::vector<std::string>{"account", "--help"},
                                          {"member", "--help"},
                                          {"account", "create", "--help"},
                                          {"account", "list", "--help"},
                                          {"account", "rename", "--help"},
                                          {"member", "add", "--help"},
                                          {"member", "list", "--help"},
                                          {"member", "role", "--help"},
                                          {"member", "remove", "--help"}}) {
        const auto help = op.run(args);
        EXPECT_EQ(help.exit_code, 0) << args[0];
        EXPECT_NE(help.out.find("Usage: profo " + args[0]), std::string::npos) << help.out;
    }

    const auto acme =
        op.json_of({"account", "create", "Acme School", "--owner", "1001", "--owner-username", "@alice_a"});
    EXPECT_EQ(acme["id"], 2);
    EXPECT_EQ(acme["name"], "Acme School");
    ASSERT_EQ(acme["members"].size(), 1u);
    EXPECT_EQ(acme["members"][0]["telegram_user_id"], 1001);
    EXPECT_EQ(acme["members"][0]["username"], "alice_a");
    EXPECT_EQ(acme["members"][0]["role"], "owner");
    const auto globex = op.ok({"account", "create", "Globex"});
    EXPECT_NE(globex.find("created account 3 'Globex'"), std::string::npos) << globex;
    EXPECT_EQ(op.json_of({"account", "rename", "3", "Globex Corp"})["name"], "Globex Corp");

    const auto bob = op.json_of({"member", "add", "--account", "2", "1002", "--username", "bob_b"});
    EXPECT_EQ(bob["role"], "admin");
    EXPECT_EQ(bob["account_id"], 2);
    EXPECT_NE(op.ok({"member", "role", "--account", "2", "1002", "owner"})
                  .find("now telegram user 1002 (@bob_b), owner"),
              std::string::npos);
    EXPECT_EQ(op.json_of({"member", "role", "--account", "2", "1001", "admin"})["role"], "admin");

    const auto accounts = op.json_of({"account", "list"})["accounts"];
    ASSERT_EQ(accounts.size(), 3u);
    EXPECT_EQ(accounts[0]["name"], "Default");
    EXPECT_EQ(accounts[1]["owners"], 1);
    EXPECT_EQ(accounts[1]["admins"], 1);
    EXPECT_EQ(accounts[2]["name"], "Globex Corp");
    EXPECT_EQ(accounts[2]["owners"], 0);
    const auto table = op.ok({"account", "list"});
    EXPECT_NE(table.find("Acme School"), std::string::npos) << table;
    const auto members_before = op.json_of({"member", "list", "--account", "2"});
    ASSERT_EQ(members_before["members"].size(), 2u);

    const std::vector<std::tuple<std::vector<std::string>, int, std::string>> refusals = {
        {{"account", "create", ""}, 2, "the account name must not be empty"},
        {{"account", "create", " Padded"}, 2, "begins or ends with a space"},
        {{"account", "create", "Two", "Words"},
         2,
         "name exactly one account NAME (quote a name with spaces)"},
        {{"account", "create", "acme SCHOOL"}, 1, "another account is already called 'acme SCHOOL'"},
        {{"account", "create", "Lonely", "--owner-username", "x_name"},
         2,
         "--owner-username goes with --owner"},
        {{"account", "create", "Lonely", "--owner", "@alice_a"}, 2, "--owner is a Telegram user id (digits)"},
        {{"account", "create", "Lonely", "--owner", "5", "--owner-username", "ab"},
         2,
         "is not a Telegram username"},
        {{"account", "rename", "99", "Nobody"}, 1, "account 99 does not exist"},
        {{"account", "rename", "2", "globex corp"}, 1, "another account is already called 'globex corp'"},
        {{"member", "add", "--account", "99", "5"}, 1, "account 99 does not exist"},
        {{"member", "add", "--account", "2", "5", "--role", "boss"},
         2,
         "a member's role is owner or admin, not 'boss'"},
        {{"member", "add", "--account", "2", "1001"},
         1,
         "telegram user 1001 (@alice_a) is already a member of account 2, as admin"},
        {{"member", "role", "--account", "2", "77", "owner"},
         1,
         "telegram user 77 is not a member of account 2"},
        {{"member", "role", "--account", "2", "1002", "admin"},
         1,
         "telegram user 1002 (@bob_b) is the last owner of account 2: make another member owner before "
         "making them admin"},
        {{"member", "remove", "--account", "2", "1002"},
         1,
         "is the last owner of account 2: make another member owner before removing them"},
        {{"member", "remove", "--account", "2", "bob"},
         2,
         "the TELEGRAM_ID must be a positive id, not 'bob'"},
    };
    for (const auto& [args, code, mentions] : refusals) {
        const auto done = op.run(args);
        EXPECT_EQ(done.exit_code, code) << args[0] << " " << args[1] << ": " << done.err;
        EXPECT_NE(done.err.find(mentions), std::string::npos)
            << "'" << done.err << "' should say '" << mentions << "'";
    }
    // No refusal changed anything.
    EXPECT_EQ(op.json_of({"account", "list"})["accounts"], accounts);
    EXPECT_EQ(op.json_of({"member", "list", "--account", "2"}), members_before);

    EXPECT_NE(op.ok({"member", "remove", "--account", "2", "1001"}).find("removed telegram user 1001"),
              std::string::npos);
    const auto members = op.json_of({"member", "list", "--account", "2"})["members"];
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members[0]["telegram_user_id"], 1002);
    const auto none = op.run({"member", "list", "--account", "3"});
    EXPECT_EQ(none.exit_code, 0);
    EXPECT_NE(none.err.find("account 3 has no members"), std::string::npos) << none.err;
}

// --- Another account's ids ---------------------------------------------------------------------

// Every listing of account 1, to tell whether anything of it changed.
json account_one(Operator& op) {
    return {{"bots", op.json_of({"bot", "list"})},
            {"deployments", op.json_of({"deploy", "list"})},
            {"tokens", op.json_of({"token", "list"})},
            {"bans", op.json_of({"ban", "list"})},
            {"participants", op.json_of({"deploy", "participants", "list", "1"})},
            {"members", op.json_of({"member", "list"})},
            {"runs", op.json_of({"run", "list"})}};
}

TEST(AccountIsolationCommands, AnotherAccountsIdsAreNotFoundAndChangeNothing) {
    Emulator e;
    Operator op(e);
    op.import_course("Greek");
    const auto bot = op.add_bot("first_school_bot");
    op.ok({"deploy", "create", "--course", "Greek", "--bot", std::to_string(bot)});
    const auto token = op.json_of({"token", "create", "--deployment", "1", "--type", "external"});
    const auto token_id = std::to_string(token["id"].get<int>());
    const auto open = op.json_of({"token", "create", "--deployment", "1", "--type", "public"});
    const auto ban =
        std::to_string(op.json_of({"ban", "add", "--user", "66", "--bot", "1"})["id"].get<int>());
    const auto participant = std::to_string(
        op.json_of({"deploy", "participants", "add", "1", "123"})["participants"][0]["id"].get<int>());
    op.ok({"member", "add", "501", "--role", "owner"});
    // A run in account 1, from a student.
    auto serving = op.serve();
    e.post("/_emulator/start",
           {{"bot_id", op.emulator_ids[bot]}, {"user_id", 601}, {"payload", open["payload"]}});
    EXPECT_EQ(nth_message(e, op.emulator_ids[bot], 601, 1), "Welcome to Greek");
    op.stop(serving);

    // Account 2 has a course of the same name and a bot of its own.
    op.ok({"account", "create", "Second School", "--owner", "9001"});
    op.import_course("Greek", "2");
    op.add_bot("second_school_bot", "2");
    const auto before = account_one(op);
    ASSERT_EQ(before["runs"]["runs"].size(), 1u);

    const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
        {{"bot", "disable", "1"}, "bot 1 of account 2 does not exist"},
        {{"bot", "enable", "1"}, "bot 1 of account 2 does not exist"},
        {{"bot", "remove", "1"}, "bot 1 of account 2 does not exist"},
        {{"deploy", "create", "--course", "Greek", "--bot", "1"}, "account 2 has no bot 1"},
        {{"deploy", "update", "1", "--active", "off"}, "account 2 has no deployment 1"},
        {{"deploy", "participants", "add", "1", "777"}, "deployment 1 does not exist in account 2"},
        {{"deploy", "participants", "list", "1"}, "deployment 1 does not exist in account 2"},
        {{"deploy", "participants", "remove", participant},
         "participant " + participant + " does not exist in account 2"},
        {{"token", "create", "--deployment", "1", "--type", "public"},
         "deployment 1 does not exist in account 2"},
        {{"token", "list", "--deployment", "1"}, "deployment 1 does not exist in account 2"},
        {{"token", "pause", token_id}, "token " + token_id + " of account 2 does not exist"},
        {{"token", "resume", token_id}, "token " + token_id + " of account 2 does not exist"},
        {{"token", "revoke", token_id}, "token " + token_id + " of account 2 does not exist"},
        {{"token", "sign-external", "--token", token_id, "--ref", "r1", "--expires", "1h"},
         "token " + token_id + " of account 2 does not exist"},
        {{"ban", "add", "--user", "5", "--bot", "1"}, "bot 1 does not exist in account 2"},
        {{"ban", "remove", ban}, "ban " + ban + " does not exist in account 2"},
        {{"run", "list", "--bot", "1"}, "bot 1 does not exist in account 2"},
        {{"run", "list", "--deployment", "1"}, "deployment 1 does not exist in account 2"},
        {{"member", "role", "501", "admin"}, "telegram user 501 is not a member of account 2"},
        {{"member", "remove", "501"}, "telegram user 501 is not a member of account 2"},
    };
    for (auto [args, mentions] : refused) {
        args.insert(args.end(), {"--account", "2"});
        const auto done = op.run(args);
        EXPECT_EQ(done.exit_code, 1) << args[0] << " " << args[1] << ": " << done.out << done.err;
        EXPECT_NE(done.err.find(mentions), std::string::npos)
            << args[0] << " " << args[1] << ": '" << done.err << "' should say '" << mentions << "'";
    }
    // Account 2's own listings hold nothing of account 1's.
    const auto second_bots = op.json_of({"bot", "list", "--account", "2"})["bots"];
    ASSERT_EQ(second_bots.size(), 1u);
    EXPECT_EQ(second_bots[0]["username"], "second_school_bot");
    for (const auto& [family, key] : std::vector<std::pair<std::string, std::string>>{
             {"deploy", "deployments"}, {"token", "tokens"}, {"ban", "bans"}, {"run", "runs"}})
        EXPECT_TRUE(op.json_of({family, "list", "--account", "2"})[key].empty()) << family;
    EXPECT_EQ(op.json_of({"member", "list", "--account", "2"})["members"].size(), 1u);

    EXPECT_EQ(account_one(op), before);
}

// --- Students of two accounts ------------------------------------------------------------------

class AccountsOnTelegram : public TelegramTransportOn {};

INSTANTIATE_TEST_SUITE_P(, AccountsOnTelegram, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(AccountsOnTelegram, StudentsReachTheirAccountsCoursesAndNeverAnothers) {
    Emulator e;
    const auto storage = on_storage();
    Operator op(e, storage.storage, storage.postgres_dsn);
    op.import_course("Greek");
    const auto first = op.add_bot("first_account_bot");
    op.ok({"deploy", "create", "--course", "Greek", "--bot", std::to_string(first), "--alias", "greek"});
    const auto greek = op.json_of({"token", "create", "--deployment", "1", "--type", "public"});

    op.ok({"account", "create", "Second School", "--owner", "9001"});
    op.import_course("Physics", "2");
    op.import_course("Chemistry", "2");
    const auto physics_bot = op.add_bot("physics_bot", "2");
    const auto chemistry_bot = op.add_bot("chemistry_bot", "2");
    const auto physics_deployment =
        op.json_of({"deploy", "create", "--account", "2", "--course", "Physics", "--bot",
                    std::to_string(physics_bot), "--environment", "test"})["id"];
    const auto chemistry_deployment = op.json_of({"deploy", "create", "--account", "2", "--course",
                                                  "Chemistry", "--bot", std::to_string(chemistry_bot)})["id"];
    const auto physics =
        op.json_of({"token", "create", "--account", "2", "--deployment",
                    std::to_string(physics_deployment.get<int>()), "--type", "group", "--max-uses", "10"});
    const auto chemistry = op.json_of({"token", "create", "--account", "2", "--deployment",
                                       std::to_string(chemistry_deployment.get<int>()), "--type", "public"});
    EXPECT_EQ(physics["link"], "https://t.me/physics_bot?start=" + physics["payload"].get<std::string>());
    // The same course, tried in test on one bot, goes to prod on the other.
    const auto physics_prod =
        op.json_of({"deploy", "promote", "--account", "2", std::to_string(physics_deployment.get<int>()),
                    "--bot", std::to_string(chemistry_bot)});
    EXPECT_EQ(physics_prod["environment"], "prod");
    EXPECT_EQ(physics_prod["bot_id"], chemistry_bot);
    const auto physics_prod_id = physics_prod["id"].get<std::int64_t>();
    const auto physics_personal = op.json_of({"token", "create", "--account", "2", "--deployment",
                                              std::to_string(physics_prod_id), "--type", "personal"});
    EXPECT_EQ(physics_personal["link"],
              "https://t.me/chemistry_bot?start=" + physics_personal["payload"].get<std::string>());

    auto serving = op.serve();
    const auto on = [&](std::int64_t bot) { return op.emulator_ids.at(bot); };
    const auto start = [&](std::int64_t bot, std::int64_t user, const json& payload) {
        e.post("/_emulator/start", {{"bot_id", on(bot)}, {"user_id", user}, {"payload", payload}});
    };

    start(first, 701, greek["payload"]);
    EXPECT_EQ(nth_message(e, on(first), 701, 1), "Welcome to Greek");
    start(physics_bot, 702, physics["payload"]);
    EXPECT_EQ(nth_message(e, on(physics_bot), 702, 1), "Welcome to Physics");
    start(chemistry_bot, 703, chemistry["payload"]);
    EXPECT_EQ(nth_message(e, on(chemistry_bot), 703, 1), "Welcome to Chemistry");
    // Physics in prod, on the chemistry bot, beside Chemistry.
    start(chemistry_bot, 709, physics_personal["payload"]);
    EXPECT_EQ(nth_message(e, on(chemistry_bot), 709, 1), "Welcome to Physics");
    // A personal link opens once.
    start(chemistry_bot, 710, physics_personal["payload"]);
    EXPECT_EQ(nth_message(e, on(chemistry_bot), 710, 1), "This personal link has already been used.");
    // One student, one course in each account.
    start(first, 704, greek["payload"]);
    start(physics_bot, 704, physics["payload"]);
    EXPECT_EQ(nth_message(e, on(first), 704, 1), "Welcome to Greek");
    EXPECT_EQ(nth_message(e, on(physics_bot), 704, 1), "Welcome to Physics");

    // Account 1's link, typed on account 2's bot: as unknown there as any made-up link.
    start(physics_bot, 705, greek["payload"]);
    EXPECT_EQ(nth_message(e, on(physics_bot), 705, 1), kLinkUnknown);
    e.post("/_emulator/messages", {{"bot_id", on(chemistry_bot)},
                                   {"user_id", 706},
                                   {"text", "/start " + greek["payload"].get<std::string>()}});
    EXPECT_EQ(nth_message(e, on(chemistry_bot), 706, 1), kLinkUnknown);
    // Account 1's legacy alias means nothing on account 2's bot either.
    start(physics_bot, 707, "greek");
    EXPECT_EQ(nth_message(e, on(physics_bot), 707, 1), kLinkUnknown);
    // Within account 2, the other bot's link is a link of another bot.
    start(physics_bot, 708, chemistry["payload"]);
    EXPECT_EQ(nth_message(e, on(physics_bot), 708, 1), kLinkWrongBot);
    op.stop(serving);

    const auto students = [&](const std::string& account) {
        std::vector<std::pair<std::int64_t, std::int64_t>> out;  // user, deployment
        const auto runs = op.json_of({"run", "list", "--account", account});
        for (const auto& r : runs["runs"])
            out.emplace_back(r["user_id"].get<std::int64_t>(), r["deployment_id"].get<std::int64_t>());
        std::sort(out.begin(), out.end());
        return out;
    };
    const auto p = physics_deployment.get<std::int64_t>();
    const auto c = chemistry_deployment.get<std::int64_t>();
    EXPECT_EQ(students("1"), (std::vector<std::pair<std::int64_t, std::int64_t>>{{701, 1}, {704, 1}}));
    EXPECT_EQ(students("2"), (std::vector<std::pair<std::int64_t, std::int64_t>>{
                                 {702, p}, {703, c}, {704, p}, {709, physics_prod_id}}));
    const auto uses = [&](const std::string& account, const json& token) {
        const auto tokens = op.json_of({"token", "list", "--account", account});
        for (const auto& t : tokens["tokens"])
            if (t["id"] == token["id"]) return t["uses"].get<int>();
        return -1;
    };
    EXPECT_EQ(uses("1", greek), 2) << "the refused starts took no use of account 1's token";
    EXPECT_EQ(uses("2", physics), 2);
    EXPECT_EQ(uses("2", chemistry), 1);
}

// --- Bot tokens ------------------------------------------------------------------------------------

// Whether `text` holds the token or its secret part (after the colon).
bool shows_token(const std::string& text, const std::string& token) {
    const auto secret = token.substr(token.find(':') + 1);
    return text.find(token) != std::string::npos || text.find(secret) != std::string::npos;
}

std::string file_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

TEST(BotTokens, NeverShowInOutputErrorsOrLogs) {
    Emulator e;
    Operator op(e);
    op.import_course("Greek");
    op.import_course("Latin");
    const auto bot = op.add_bot("token_check_bot");
    const auto spare = op.add_bot("spare_bot");
    op.ok({"account", "create", "Other"});
    const auto other = op.add_bot("other_account_bot", "2");
    const auto token = op.tokens[bot];
    op.ok({"deploy", "create", "--course", "Greek", "--bot", std::to_string(bot)});
    op.ok({"deploy", "create", "--course", "Latin", "--bot", std::to_string(bot)});
    const auto link = op.json_of({"token", "create", "--deployment", "1", "--type", "public"});

    // Refusals that are about the token itself.
    const auto again = op.run({"bot", "add", token});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.err.find("bot @token_check_bot is already registered"), std::string::npos) << again.err;
    const auto forged = token.substr(0, token.find(':') + 1) + std::string(35, 'Z');
    const auto unknown = op.run({"bot", "add", forged});
    EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
    EXPECT_EQ(op.run({"bot", "add", token + "!"}).exit_code, 1);
    Operator offline(e, "sqlite", "", "http://127.0.0.1:1");
    const auto unreachable = offline.run({"bot", "add", token});
    EXPECT_EQ(unreachable.exit_code, 1);
    EXPECT_NE(unreachable.err.find("cannot reach the Bot API"), std::string::npos) << unreachable.err;

    // A bot with deployments is not removed, and the error names them.
    const auto busy = op.run({"bot", "remove", std::to_string(bot)});
    EXPECT_EQ(busy.exit_code, 1);
    EXPECT_NE(
        busy.err.find("bot " + std::to_string(bot) +
                      " @token_check_bot is not removed: students can still start its active deployments "
                      "1 (course 'Greek'), 2 (course 'Latin')"),
        std::string::npos)
        << busy.err;
    op.ok({"deploy", "update", "2", "--active", "off"});
    const auto paused = op.run({"bot", "remove", std::to_string(bot)});
    EXPECT_NE(paused.err.find("its active deployments 1 (course 'Greek') (stop serving it, keeping its data: "
                              "profo bot disable " +
                              std::to_string(bot) + ")"),
              std::string::npos)
        << paused.err;
    op.ok({"deploy", "update", "1", "--active", "off"});
    const auto kept = op.run({"bot", "remove", std::to_string(bot)});
    EXPECT_EQ(kept.exit_code, 1);
    EXPECT_NE(
        kept.err.find("its paused deployments 1 (course 'Greek'), 2 (course 'Latin') keep their tokens, "
                      "runs and history on it"),
        std::string::npos)
        << kept.err;
    op.ok({"deploy", "archive", "2"});
    const auto archived = op.run({"bot", "remove", std::to_string(bot)});
    EXPECT_EQ(archived.exit_code, 1);
    EXPECT_NE(archived.err.find(
                  "its paused deployments 1 (course 'Greek') keep their tokens, runs and history on "
                  "it; its archived deployments 2 (course 'Latin') keep their runs and history on it"),
              std::string::npos)
        << archived.err;
    op.ok({"deploy", "update", "1", "--active", "on"});
    EXPECT_NE(op.ok({"bot", "remove", std::to_string(spare)}).find("removed bot " + std::to_string(spare)),
              std::string::npos);

    // Everything else that shows bots, and the platform serving one at the finest log level.
    op.ok({"bot", "list"});
    op.json_of({"bot", "list"});
    op.json_of({"bot", "list", "--account", "2"});
    op.ok({"bot", "disable", std::to_string(other), "--account", "2"});
    op.ok({"bot", "enable", std::to_string(other), "--account", "2"});
    op.json_of({"deploy", "list"});
    op.json_of({"account", "list"});
    op.ok({"plugins"});
    auto serving = op.serve({{"PROFO_LOG_LEVEL", "trace"}});
    e.post("/_emulator/start",
           {{"bot_id", op.emulator_ids[bot]}, {"user_id", 801}, {"payload", link["payload"]}});
    EXPECT_EQ(nth_message(e, op.emulator_ids[bot], 801, 1), "Welcome to Greek");
    op.stop(serving);
    op.json_of({"run", "list"});

    ASSERT_GT(op.outputs.size(), 20u);
    // What was checked named the bot, by its masked token, and held the log of the platform serving it.
    const auto everything = std::accumulate(op.outputs.begin(), op.outputs.end(), std::string());
    EXPECT_NE(everything.find(token.substr(0, token.find(':')) + ":***"), std::string::npos);
    EXPECT_NE(everything.find("(@token_check_bot) by long polling"), std::string::npos) << everything;
    for (const auto& [id, each] : op.tokens)
        for (std::size_t i = 0; i < op.outputs.size(); ++i)
            EXPECT_FALSE(shows_token(op.outputs[i], each)) << "bot " << id << "'s token in:\n"
                                                           << op.outputs[i];
    for (const auto& output : op.outputs) EXPECT_FALSE(shows_token(output, forged)) << output;
    for (const auto& output : offline.outputs) EXPECT_FALSE(shows_token(output, token)) << output;
    // Nor at rest: the database holds it sealed.
    for (const char* file : {"profo.db", "profo.db-wal"}) {
        if (std::filesystem::exists(op.dir / file)) {
            EXPECT_FALSE(shows_token(file_bytes(op.dir / file), token)) << file;
        }
    }
}

}  // namespace
}  // namespace profo::testing
