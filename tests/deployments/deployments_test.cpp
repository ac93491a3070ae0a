// Course versions and deployments as an operator makes them, with the `profo`
// binary (publish, versions, every `deploy` command with --help and --json and
// the mistakes they refuse), and as students then take them in a real
// Platform in this process: the engine, SQLite, element plugins loaded from
// their modules and the dialog element calling profo-fake-llm. The bot rows
// are made in-process too: `profo bot add` would ask Telegram's getMe.
#include "bots/bot_registry.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "runtime/platform.hpp"

#include "build_tree.hpp"
#include "fake_llm.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <fstream>

using namespace profo;
using namespace profo::testing;
using nlohmann::json;
using Status = sdk::DispatchResult::Status;

namespace {

std::string course_yaml(const std::string& version) {
    return "Hello:\n  type: message\n  text: Version " + version +
           "\n  button: Go\nBye:\n  type: end\n  text: Bye from " + version + "\n";
}

constexpr const char* kPlatformKey = "sk-platform-secret-0000";
constexpr const char* kTenantKey = "sk-tenant-own-1111";

// One operator's platform: a config in a folder of its own, the `profo`
// binary run against it, and its SQLite database read back directly.
class Operator {
public:
    explicit Operator(TestConfig config = {}) {
        // Transports would start talking to Telegram when a Platform starts its plugins.
        for (const auto& p : built_plugins())
            if (p.rfind("transport/", 0) == 0) config.disabled.push_back(p);
        config_ = write_test_config(dir_, config);
    }

    const std::filesystem::path& config() const { return config_; }
    const TempDir& dir() const { return dir_; }

    ProcessResult run(const std::vector<std::string>& args, const ExtraEnvironment& env = {},
                      const std::string& input = "") {
        return run_process(profo_command(config_, args), input, env);
    }
    // What `profo ARGS` printed; the test fails unless it exits 0.
    std::string ok(const std::vector<std::string>& args, const ExtraEnvironment& env = {},
                   const std::string& input = "") {
        const auto done = run(args, env, input);
        EXPECT_EQ(done.exit_code, 0) << "profo " << args[0] << " " << args[1] << ":\n"
                                     << done.err << done.out;
        return done.out;
    }
    json ok_json(std::vector<std::string> args, const ExtraEnvironment& env = {}) {
        args.push_back("--json");
        const auto out = ok(args, env);
        return json::parse(out.empty() ? "null" : out);
    }

    std::filesystem::path write(const std::string& name, const std::string& text) const {
        std::ofstream(dir_ / name) << text;
        return dir_ / name;
    }

    // One column of the first row `sql` returns, from the database file itself.
    std::string column(const std::string& sql) const {
        sqlite3* db = nullptr;
        sqlite3_open_v2((dir_ / "profo.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt* query = nullptr;
        std::string out;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &query, nullptr) == SQLITE_OK &&
            sqlite3_step(query) == SQLITE_ROW && sqlite3_column_text(query, 0) != nullptr)
            out = reinterpret_cast<const char*>(sqlite3_column_text(query, 0));
        sqlite3_finalize(query);
        sqlite3_close(db);
        return out;
    }
    void execute(const std::string& sql) const {
        sqlite3* db = nullptr;
        sqlite3_open((dir_ / "profo.db").c_str(), &db);
        sqlite3_busy_timeout(db, 5000);
        char* error = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
        const std::string message = error != nullptr ? error : "";
        sqlite3_free(error);
        sqlite3_close(db);
        if (rc != SQLITE_OK) throw std::runtime_error(message);
    }

private:
    TempDir dir_;
    std::filesystem::path config_;
};

// The platform in this process, as `profo serve` runs it, with this test as the transport.
class Students {
public:
    explicit Students(const Operator& op) : platform_(host::load_config(op.config(), {})) {
        platform_.migrate();
        platform_.start_plugins();
    }

    host::Platform& platform() { return platform_; }

    sdk::Id add_bot(const std::string& username) {
        auto tx = platform_.storage().begin();
        sdk::Bot bot;
        bot.username = username;
        const auto id = host::create_bot_with_token(*tx, platform_.secrets(), sdk::kDefaultAccountId, bot,
                                                    "1234:" + username)
                            .id;
        tx->commit();
        return id;
    }

    sdk::DispatchResult start(sdk::Id bot, std::int64_t chat, sdk::Id deployment) {
        auto e = event(bot, chat, sdk::InboundEvent::Kind::start);
        e.deployment_id = deployment;
        return platform_.engine().dispatch(e);
    }
    // A `/start <payload>` as Telegram delivers it: the enrollment rules decide.
    sdk::DispatchResult start_with(sdk::Id bot, std::int64_t chat, const std::string& payload) {
        auto e = event(bot, chat, sdk::InboundEvent::Kind::start);
        e.text = payload;
        return platform_.engine().dispatch(e);
    }
    sdk::DispatchResult press(sdk::Id bot, std::int64_t chat, const std::string& data) {
        auto e = event(bot, chat, sdk::InboundEvent::Kind::callback);
        e.callback_data = data;
        e.callback_id = "cb-" + data;
        return platform_.engine().dispatch(e);
    }
    sdk::DispatchResult say(sdk::Id bot, std::int64_t chat, const std::string& text) {
        auto e = event(bot, chat, sdk::InboundEvent::Kind::text);
        e.text = text;
        const auto result = platform_.engine().dispatch(e);
        platform_.engine().wait_for_deferred();
        return result;
    }

    // The texts the chat was sent since the last look, oldest first.
    std::vector<std::string> texts(sdk::Id bot, std::int64_t chat) {
        auto tx = platform_.storage().begin();
        std::vector<std::string> out;
        for (const auto& m : tx->list_outbox(sdk::kDefaultAccountId, bot, chat)) {
            const auto payload = json::parse(m.payload_json);
            if (payload["kind"] == "text") out.push_back(payload["text"]);
            tx->mark_outbox_sent(sdk::kDefaultAccountId, m.id);
        }
        tx->commit();
        return out;
    }

    sdk::Run run(sdk::Id run_id) {
        return *platform_.storage().begin()->get_run(sdk::kDefaultAccountId, run_id);
    }

private:
    static sdk::InboundEvent event(sdk::Id bot, std::int64_t chat, sdk::InboundEvent::Kind kind) {
        sdk::InboundEvent e;
        e.kind = kind;
        e.bot_id = bot;
        e.chat_id = chat;
        e.user_id = chat;
        e.username = "student" + std::to_string(chat);
        return e;
    }

    host::Platform platform_;
};

sdk::Id id_of(const json& deployment) {
    return deployment.at("id").get<sdk::Id>();
}

std::string text_of(const json& deployment) {
    return std::to_string(id_of(deployment));
}

// --- Publishing -------------------------------------------------------------------------

TEST(CoursePublish, MakesImmutableVersionsAllOrNothing) {
    Operator op;
    op.ok({"course", "import", op.write("Greek.yml", course_yaml("one")).string()});

    const auto published =
        op.ok_json({"course", "publish", "Greek", op.write("v2.yml", course_yaml("two")).string()});
    EXPECT_EQ(published["version"], 2);
    EXPECT_EQ(published["published"], true);
    EXPECT_EQ(published["elements"], 2);
    // The same elements again publish nothing.
    const auto again = op.ok({"course", "publish", "Greek", (op.dir() / "v2.yml").string()});
    EXPECT_NE(again.find("course Greek version 2 has exactly these elements already: nothing published"),
              std::string::npos)
        << again;
    // From standard input, by id.
    const auto piped = op.ok({"course", "publish", "1", "-"}, {}, course_yaml("three"));
    EXPECT_NE(piped.find("published course Greek (id 1) version 3: 2 elements"), std::string::npos) << piped;

    // A file with errors stores nothing and says where each one is.
    const auto broken =
        op.write("broken.yml", "Hello:\n  type: message\n  text: ok\nOops:\n  type: no_such_type\n");
    const auto refused = op.run({"course", "publish", "Greek", broken.string()});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.out.find(broken.string() + ":5: element Oops: unknown type 'no_such_type'"),
              std::string::npos)
        << refused.out;
    const auto from_stdin =
        op.run({"course", "publish", "Greek"}, {}, "Hello:\n  type: message\n  text: [\n");
    EXPECT_EQ(from_stdin.exit_code, 1);
    EXPECT_NE(from_stdin.out.find("<stdin>:"), std::string::npos) << from_stdin.out;
    const auto unknown = op.run({"course", "publish", "Latin", (op.dir() / "v2.yml").string()});
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.err.find("account 1 has no course 'Latin': make it with profo course import"),
              std::string::npos)
        << unknown.err;
    const auto usage = op.run({"course", "publish"});
    EXPECT_EQ(usage.exit_code, 2);
    EXPECT_NE(usage.err.find("name the COURSE"), std::string::npos) << usage.err;

    const auto versions = op.ok_json({"course", "versions", "Greek"});
    ASSERT_EQ(versions["versions"].size(), 3u);
    EXPECT_EQ(versions["versions"][0]["number"], 1);
    EXPECT_EQ(versions["versions"][0]["source"], "Greek.yml");
    EXPECT_EQ(versions["versions"][1]["source"], "v2.yml");
    EXPECT_EQ(versions["versions"][2]["source"], "stdin");
    EXPECT_EQ(versions["versions"][2]["elements"], 2);
    // What each version holds is what was published, whatever came after.
    EXPECT_EQ(op.ok({"course", "export", "Greek", "--version", "1"}).find("Version one") != std::string::npos,
              true);
    EXPECT_EQ(op.ok({"course", "export", "Greek", "--version", "2"}).find("Version two") != std::string::npos,
              true);
    const auto table = op.ok({"course", "versions", "Greek"});
    EXPECT_NE(table.find("VERSION"), std::string::npos) << table;

    // Deployments behind the latest version are named after a publish.
    Students(op).add_bot("publish_bot");
    op.ok({"deploy", "create", "--course", "Greek", "--bot", "1", "--version", "2"});
    const auto fourth =
        op.ok({"course", "publish", "Greek", op.write("v4.yml", course_yaml("four")).string()});
    EXPECT_NE(fourth.find("deployment 1 (prod, version 2): move it with profo deploy upgrade 1"),
              std::string::npos)
        << fourth;
    EXPECT_EQ(op.ok_json({"course", "versions", "Greek"})["versions"][1]["deployments"],
              json::parse(R"([{"id": 1, "environment": "prod"}])"));

    for (const char* command : {"publish", "versions"}) {
        const auto help = op.run({"course", command, "--help"});
        EXPECT_EQ(help.exit_code, 0);
        EXPECT_NE(help.out.find(std::string("Usage: profo course ") + command), std::string::npos)
            << help.out;
    }
}

// --- The deploy commands ----------------------------------------------------------------

TEST(DeployCommands, EveryCommandHasHelp) {
    Operator op;
    const auto family = op.run({"deploy", "--help"});
    EXPECT_EQ(family.exit_code, 0);
    for (const char* command :
         {"create", "update", "list", "promote", "pause", "resume", "archive", "upgrade", "participants"})
        EXPECT_NE(family.out.find(std::string("  ") + command), std::string::npos) << family.out;
    for (const char* command :
         {"create", "update", "list", "promote", "pause", "resume", "archive", "upgrade"}) {
        const auto help = op.run({"deploy", command, "--help"});
        EXPECT_EQ(help.exit_code, 0) << command;
        EXPECT_NE(help.out.find(std::string("Usage: profo deploy ") + command), std::string::npos)
            << help.out;
        EXPECT_NE(help.out.find("--json"), std::string::npos) << command;
    }
}

TEST(DeployCommands, TestToProdWithOverridesPauseUpgradeAndArchive) {
    Operator op;
    op.ok({"course", "import", op.write("Greek.yml", course_yaml("one")).string()});
    op.ok({"course", "publish", "Greek", op.write("v2.yml", course_yaml("two")).string()});
    op.write("key.txt", std::string(kTenantKey) + "\n");
    {
        Students students(op);
        students.add_bot("school_bot");
        students.add_bot("other_bot");
    }

    // A test deployment of version 1, a day lasting a minute, its own LLM endpoint and key.
    const auto test = op.ok_json({"deploy",         "create",
                                  "--course",       "Greek",
                                  "--bot",          "1",
                                  "--version",      "1",
                                  "--environment",  "test",
                                  "--time-scale",   "1440",
                                  "--model",        "tenant-model",
                                  "--base-url",     "https://llm.tenant.example/v1",
                                  "--api-key-file", (op.dir() / "key.txt").string(),
                                  "--text",         "course_paused=Back soon."});
    EXPECT_EQ(test["environment"], "test");
    EXPECT_EQ(test["version"], 1);
    EXPECT_EQ(test["state"], "active");
    const auto expected = json::parse(R"json({
        "plugins": {"element/dialog": {"api_key_sealed": "(sealed)", "base_url": "https://llm.tenant.example/v1",
                                       "model": "tenant-model"}},
        "texts": {"course_paused": "Back soon."},
        "time_scale": 1440})json");
    EXPECT_EQ(test["overrides"], expected);
    const auto test_id = text_of(test);
    // The key is stored sealed for its row and shown nowhere.
    const auto stored = op.column("SELECT overrides_json FROM course_deployments WHERE id = " + test_id);
    EXPECT_EQ(stored.find(kTenantKey), std::string::npos) << stored;
    const auto sealed = json::parse(stored)["plugins"]["element/dialog"]["api_key_sealed"].get<std::string>();
    EXPECT_EQ(sealed.rfind("v2:", 0), 0u) << sealed;
    for (const auto& out : {op.ok({"deploy", "list", "--json"}), op.ok({"deploy", "list"}),
                            op.ok({"deploy", "update", test_id, "--model", "tenant-model"})}) {
        EXPECT_EQ(out.find(kTenantKey), std::string::npos);
        EXPECT_EQ(out.find(sealed), std::string::npos);
    }
    {
        Students students(op);
        const auto& secrets = students.platform().secrets();
        EXPECT_EQ(secrets.open(sealed, sdk::deployment_override_context(1, id_of(test), "element/dialog",
                                                                        "api_key_sealed")),
                  kTenantKey);
        EXPECT_THROW(secrets.open(sealed, sdk::deployment_override_context(
                                              1, id_of(test) + 1, "element/dialog", "api_key_sealed")),
                     std::runtime_error);
    }

    // What the overrides may not be, each refused with what was wrong, changing nothing.
    const std::vector<std::tuple<std::vector<std::string>, ExtraEnvironment, int, std::string>> refusals = {
        {{"deploy", "create", "--course", "Greek", "--bot", "1", "--time-scale", "1440"},
         {},
         1,
         "is prod: a time_scale is for test deployments only"},
        {{"deploy", "update", test_id, "--environment", "prod"}, {}, 1, "drop it with a time_scale of 1"},
        {{"deploy", "create", "--course", "Greek", "--bot", "1", "--base-url", "https://llm.example/v1"},
         {},
         1,
         "a base_url needs the deployment's own api_key as well"},
        {{"deploy", "update", test_id, "--base-url", "http://llm.example/v1"},
         {},
         2,
         "--base-url 'http://llm.example/v1': http:// is allowed only to this machine"},
        {{"deploy", "update", test_id, "--base-url", "ftp://llm.example"}, {}, 2, "must start with https://"},
        {{"deploy", "update", test_id, "--api-key-env", "NO_SUCH_KEY_VARIABLE"},
         {},
         2,
         "the environment variable NO_SUCH_KEY_VARIABLE is not set"},
        {{"deploy", "update", test_id, "--api-key-env", "TENANT_KEY", "--api-key-file", "key.txt"},
         {{"TENANT_KEY", "x"}},
         2,
         "not both"},
        {{"deploy", "update", test_id, "--api-key-env", "TENANT_KEY"},
         {{"TENANT_KEY", "sk has spaces"}},
         2,
         "one line of printable characters without spaces"},
        {{"deploy", "update", test_id, "--time-scale", "0.5"}, {}, 2, "--time-scale takes a number from 1"},
        {{"deploy", "update", test_id, "--environment", "staging"},
         {},
         2,
         "--environment takes test or prod"},
        {{"deploy", "create", "--course", "Greek", "--bot", "1", "--version", "9"},
         {},
         1,
         "course 'Greek' has no version 9 (it has 1 to 2)"},
        {{"deploy", "create", "--course", "Greek", "--bot", "1", "--version", "two"},
         {},
         2,
         "--version takes"},
        {{"deploy", "create", "--course", "Latin", "--bot", "1"}, {}, 1, "account 1 has no course 'Latin'"},
        {{"deploy", "create", "--course", "Greek", "--bot", "1,7"}, {}, 1, "account 1 has no bot 7"},
        {{"deploy", "upgrade", "99"}, {}, 1, "account 1 has no deployment 99"},
        {{"deploy", "promote", "99"}, {}, 1, "account 1 has no deployment 99"},
        {{"deploy", "update", test_id, "--account", "2", "--model", "x"},
         {},
         1,
         "account 2 has no deployment"},
    };
    const auto before = op.ok({"deploy", "list", "--json", "--all"});
    for (const auto& [args, env, code, mentions] : refusals) {
        const auto done = op.run(args, env);
        EXPECT_EQ(done.exit_code, code) << args[1] << " " << args[2] << ": " << done.err;
        EXPECT_NE(done.err.find(mentions), std::string::npos)
            << "'" << done.err << "' should say '" << mentions << "'";
        EXPECT_EQ(done.err.find("sk has spaces"), std::string::npos) << done.err;
    }
    EXPECT_EQ(op.ok({"deploy", "list", "--json", "--all"}), before) << "a refused request changes nothing";

    // Promote: a new prod deployment with the test one's version and
    // overrides (its key sealed anew for the new row), without its time scale.
    const auto prod = op.ok_json({"deploy", "promote", test_id});
    EXPECT_EQ(prod["created"], true);
    EXPECT_EQ(prod["environment"], "prod");
    EXPECT_EQ(prod["version"], 1);
    EXPECT_EQ(prod["bot_id"], 1);
    EXPECT_FALSE(prod["overrides"].contains("time_scale")) << prod.dump(2);
    EXPECT_EQ(prod["overrides"]["plugins"]["element/dialog"]["api_key_sealed"], "(sealed)");
    EXPECT_EQ(prod["overrides"]["texts"]["course_paused"], "Back soon.");
    const auto prod_id = text_of(prod);
    {
        Students students(op);
        const auto prod_sealed =
            json::parse(op.column("SELECT overrides_json FROM course_deployments WHERE id = " +
                                  prod_id))["plugins"]["element/dialog"]["api_key_sealed"]
                .get<std::string>();
        EXPECT_NE(prod_sealed, sealed);
        EXPECT_EQ(students.platform().secrets().open(
                      prod_sealed,
                      sdk::deployment_override_context(1, id_of(prod), "element/dialog", "api_key_sealed")),
                  kTenantKey);
    }
    // A test deployment moves to version 2; promoting again moves the prod one, creating nothing.
    const auto upgraded = op.ok_json({"deploy", "upgrade", test_id});
    EXPECT_EQ(upgraded["version"], 2);
    EXPECT_EQ(upgraded["previous_version"], 1);
    const auto moved = op.ok_json({"deploy", "promote", test_id});
    EXPECT_EQ(moved["created"], false);
    EXPECT_EQ(id_of(moved), id_of(prod));
    EXPECT_EQ(moved["version"], 2);
    EXPECT_EQ(moved["previous_version"], 1);
    // Onto another bot: a prod deployment of its own there.
    const auto elsewhere = op.ok_json({"deploy", "promote", test_id, "--bot", "2"});
    EXPECT_EQ(elsewhere["created"], true);
    EXPECT_EQ(elsewhere["bot_id"], 2);
    const auto second_prod = op.ok_json({"deploy", "create", "--course", "Greek", "--bot", "1"});
    const auto ambiguous = op.run({"deploy", "promote", test_id});
    EXPECT_EQ(ambiguous.exit_code, 1);
    EXPECT_NE(ambiguous.err.find("several prod deployments (" + prod_id + ", " + text_of(second_prod) +
                                 "): name the one to promote into (into)"),
              std::string::npos)
        << ambiguous.err;
    EXPECT_EQ(op.ok_json({"deploy", "promote", test_id, "--into", text_of(second_prod)})["version"], 2);
    const auto not_test = op.run({"deploy", "promote", prod_id});
    EXPECT_EQ(not_test.exit_code, 1);
    EXPECT_NE(not_test.err.find("is prod already: promote takes a test deployment"), std::string::npos)
        << not_test.err;
    // Back to an older version is an upgrade too.
    EXPECT_EQ(op.ok_json({"deploy", "upgrade", prod_id, "--version", "1"})["version"], 1);

    // Overrides cleared, one by one or all at once.
    const auto cleared_model = op.ok_json({"deploy", "update", test_id, "--model", ""});
    EXPECT_FALSE(cleared_model["overrides"]["plugins"]["element/dialog"].contains("model"));
    const auto cleared = op.ok_json({"deploy", "update", test_id, "--clear-overrides", "--time-scale", "60"});
    EXPECT_EQ(cleared["overrides"], json::parse(R"({"time_scale": 60})"));
    EXPECT_EQ(op.ok_json({"deploy", "update", test_id, "--time-scale", "1"})["overrides"], json::object());

    // Pause and resume; archive for good.
    EXPECT_EQ(op.ok_json({"deploy", "pause", prod_id})["state"], "paused");
    EXPECT_EQ(op.ok_json({"deploy", "resume", prod_id})["state"], "active");
    const auto archived = op.ok_json({"deploy", "archive", prod_id});
    EXPECT_EQ(archived["state"], "archived");
    EXPECT_FALSE(archived["archived_at"].is_null());
    EXPECT_EQ(archived["runs_under_way"], 0);
    const auto listed = op.ok_json({"deploy", "list"})["deployments"];
    for (const auto& d : listed) EXPECT_NE(id_of(d), id_of(prod)) << "archived deployments are not listed";
    bool shown = false;
    const auto all = op.ok_json({"deploy", "list", "--all"});
    for (const auto& d : all["deployments"]) shown |= id_of(d) == id_of(prod);
    EXPECT_TRUE(shown) << "--all lists archived ones";
    for (const auto& [args, mentions] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"deploy", "resume", prod_id}, "is archived: an archived deployment is not resumed"},
             {{"deploy", "update", prod_id, "--active", "on"}, "is archived"},
             {{"deploy", "upgrade", prod_id}, "is archived"},
             {{"deploy", "promote", test_id, "--into", prod_id}, "is archived"}}) {
        const auto done = op.run(args);
        EXPECT_EQ(done.exit_code, 1) << args[1];
        EXPECT_NE(done.err.find(mentions), std::string::npos) << done.err;
    }
    EXPECT_NE(op.ok({"deploy", "archive", prod_id}).find("already archived"), std::string::npos);
    const auto table = op.ok({"deploy", "list", "--all"});
    EXPECT_NE(table.find("archived"), std::string::npos) << table;
}

// --- Students ---------------------------------------------------------------------------

TEST(DeploymentRuns, AnUpgradeLeavesRunsUnderWayOnTheirVersion) {
    Operator op;
    op.ok({"course", "import", op.write("Greek.yml", course_yaml("one")).string()});
    Students students(op);
    const auto bot = students.add_bot("upgrade_bot");
    const auto d = id_of(op.ok_json({"deploy", "create", "--course", "Greek", "--bot", std::to_string(bot)}));
    const auto first = students.start(bot, 1, d);
    ASSERT_EQ(first.status, Status::handled) << first.message;
    EXPECT_EQ(students.texts(bot, 1), (std::vector<std::string>{"Version one"}));

    op.ok({"course", "publish", "Greek", op.write("v2.yml", course_yaml("two")).string()});
    EXPECT_EQ(op.ok_json({"deploy", "upgrade", std::to_string(d)})["version"], 2);

    // The student under way finishes version 1; a new one gets version 2.
    students.press(bot, 1, "a1:0");
    EXPECT_EQ(students.texts(bot, 1), (std::vector<std::string>{"Bye from one"}));
    EXPECT_EQ(students.run(*first.run_id).status, sdk::RunStatus::completed);
    const auto second = students.start(bot, 2, d);
    EXPECT_EQ(students.texts(bot, 2), (std::vector<std::string>{"Version two"}));
    students.press(bot, 2, "a1:0");
    EXPECT_EQ(students.texts(bot, 2), (std::vector<std::string>{"Bye from two"}));
    EXPECT_EQ(json::parse(students.run(*first.run_id).state_json)["version"],
              json::parse(op.column("SELECT id FROM course_versions WHERE number = 1")));
    EXPECT_NE(json::parse(students.run(*second.run_id).state_json)["version"],
              json::parse(students.run(*first.run_id).state_json)["version"]);
}

TEST(DeploymentRuns, ArchivedDeploymentsRefuseNewStudentsAndLetOrStopTheOnesUnderWay) {
    Operator op;
    op.ok({"course", "import", op.write("Greek.yml", course_yaml("one")).string()});
    Students students(op);
    const auto bot = students.add_bot("archive_bot");
    const auto b = std::to_string(bot);
    const auto kept =
        id_of(op.ok_json({"deploy", "create", "--course", "Greek", "--bot", b, "--alias", "kept"}));
    const auto stopped =
        id_of(op.ok_json({"deploy", "create", "--course", "Greek", "--bot", b, "--alias", "gone"}));
    op.ok({"deploy", "update", std::to_string(stopped), "--text", "course_archived=This class has ended."});
    ASSERT_EQ(students.start_with(bot, 1, "kept").status, Status::handled);
    ASSERT_EQ(students.start_with(bot, 2, "gone").status, Status::handled);
    students.texts(bot, 1);
    students.texts(bot, 2);

    const auto archived = op.ok_json({"deploy", "archive", std::to_string(kept)});
    EXPECT_EQ(archived["runs_under_way"], 1);
    // A new student hears the course is gone; the one under way resumes with
    // their own link and finishes.
    EXPECT_EQ(students.start_with(bot, 3, "kept").status, Status::refused);
    EXPECT_EQ(students.texts(bot, 3), (std::vector<std::string>{"This course is no longer available."}));
    EXPECT_EQ(students.start_with(bot, 1, "kept").status, Status::handled);
    EXPECT_EQ(
        students.texts(bot, 1),
        (std::vector<std::string>{"Welcome back to \"Greek\"! Here is where you left off.", "Version one"}));
    students.press(bot, 1, "a1:0");
    EXPECT_EQ(students.texts(bot, 1), (std::vector<std::string>{"Bye from one"}));
    // A bare /start no longer finds it among the bot's deployments.
    EXPECT_EQ(students.start_with(bot, 4, "").status, Status::handled) << "the one left";

    // --stop-runs ends the runs under way at once and tells each student.
    const auto stopping = op.ok_json({"deploy", "archive", std::to_string(stopped), "--stop-runs"});
    EXPECT_EQ(stopping["runs_stopped"], 2);  // students 2 and 4
    EXPECT_EQ(students.texts(bot, 2), (std::vector<std::string>{"This class has ended."}));
    const auto ended = students.platform().storage().begin()->active_run(sdk::kDefaultAccountId, bot, 2);
    EXPECT_FALSE(ended);
    EXPECT_EQ(students.press(bot, 2, "a1:0").status, Status::no_run);
}

TEST(DeploymentRuns, ADeploymentsOwnKeyGoesToItsOwnEndpointAndThePlatformsNever) {
    // Each in a folder of its own: the script and the log have fixed names.
    TempDir platform_dir, tenant_dir;
    FakeLlm platform_llm(profo::build_tree::executable("profo-fake-llm"), platform_dir,
                         json::parse(R"({"default": "from the platform's model"})"));
    FakeLlm tenant_llm(profo::build_tree::executable("profo-fake-llm"), tenant_dir,
                       json::parse(R"({"default": "from the tenant's model"})"));
    TestConfig config;
    config.settings["element/dialog"] = "{base_url: \"" + platform_llm.base_url() + "\", api_key: \"" +
                                        kPlatformKey +
                                        "\", retries: 0, timeout_ms: 5000, allow_private_addresses: true}";
    Operator op(config);
    op.ok({"course", "import",
           op.write("Chat.yml",
                    "Talk:\n  type: dialog\n  text: Let's talk.\n  prompt: Be brief.\nBye:\n  type: end\n  "
                    "text: Bye\n")
               .string()});
    Students students(op);
    const auto bot = students.add_bot("llm_bot");
    const auto b = std::to_string(bot);
    const auto platforms =
        id_of(op.ok_json({"deploy", "create", "--course", "Chat", "--bot", b, "--environment", "test"}));
    const auto tenants =
        id_of(op.ok_json({"deploy", "create", "--course", "Chat", "--bot", b, "--environment", "test"}));
    const auto set = op.run({"deploy", "update", std::to_string(tenants), "--base-url", tenant_llm.base_url(),
                             "--api-key-env", "TENANT_LLM_KEY", "--model", "tenant-model"},
                            {{"TENANT_LLM_KEY", kTenantKey}});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    EXPECT_EQ((set.out + set.err).find(kTenantKey), std::string::npos);

    students.start(bot, 1, platforms);
    students.say(bot, 1, "hello");
    EXPECT_EQ(students.texts(bot, 1), (std::vector<std::string>{"Let's talk.", "from the platform's model"}));
    students.start(bot, 2, tenants);
    students.say(bot, 2, "hi");
    EXPECT_EQ(students.texts(bot, 2), (std::vector<std::string>{"Let's talk.", "from the tenant's model"}));

    const auto to_platform = platform_llm.requests();
    const auto to_tenant = tenant_llm.requests();
    ASSERT_EQ(to_platform.size(), 1u);
    EXPECT_EQ(to_platform[0]["authorization"], std::string("Bearer ") + kPlatformKey);
    ASSERT_EQ(to_tenant.size(), 1u);
    EXPECT_EQ(to_tenant[0]["authorization"], std::string("Bearer ") + kTenantKey);
    EXPECT_EQ(to_tenant[0]["body"]["model"], "tenant-model");
    EXPECT_EQ(to_tenant[0].dump().find(kPlatformKey), std::string::npos);

    // Promoted, the new prod deployment calls the tenant's endpoint with the key sealed anew for it.
    const auto promoted = op.ok_json({"deploy", "promote", std::to_string(tenants)});
    ASSERT_EQ(promoted["created"], true);
    const auto prod = id_of(promoted);
    const auto third = students.start(bot, 3, prod);
    ASSERT_EQ(third.status, Status::handled) << third.message;
    students.say(bot, 3, "again");
    EXPECT_EQ(students.texts(bot, 3), (std::vector<std::string>{"Let's talk.", "from the tenant's model"}));
    ASSERT_EQ(tenant_llm.requests().size(), 2u);
    EXPECT_EQ(tenant_llm.requests()[1]["authorization"], std::string("Bearer ") + kTenantKey);

    // The sealed key copied into another deployment's row does not open there:
    // nothing goes out, the student hears the dialog's apology.
    const auto copied =
        op.column("SELECT overrides_json FROM course_deployments WHERE id = " + std::to_string(tenants));
    op.execute("UPDATE course_deployments SET overrides_json = '" + copied +
               "' WHERE id = " + std::to_string(platforms));
    students.say(bot, 1, "and now?");
    EXPECT_EQ(tenant_llm.requests().size(), 2u);
    EXPECT_EQ(platform_llm.requests().size(), 1u);
    EXPECT_EQ(students.texts(bot, 1),
              (std::vector<std::string>{"Sorry, I could not answer right now, please try again."}));
}

}  // namespace
