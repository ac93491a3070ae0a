// The platform's services as the panel will call them, over a real Platform
// (SQLite, the element and enrollment modules): arguments checked by name,
// roles, course files with their problems, and every operation that names a
// record refusing another account's records and changing nothing.
#include "admin/admin_catalogue.hpp"

#include "bots/bot_registry.hpp"
#include "build_tree.hpp"
#include "logging/logging.hpp"
#include "runtime/platform.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <random>
#include <regex>
#include <set>
#include <sstream>

namespace profo::host {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Code = sdk::AdminError::Code;

const std::string kCourse =
    "Hello:\n  type: message\n  text: Welcome\n  button: Go\nBye:\n  type: end\n  text: Bye\n";

class AdminCatalogueTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("profo-admin-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        Config config;
        config.plugin_search_paths = {profo::build_tree::plugin_dir().string()};
        config.storage.dsn = (dir_ / "profo.db").string();
        config.secrets.key_file = (dir_ / "secret.key").string();
        config.http.listen = "127.0.0.1:0";
        for (const char* p : {"storage/sqlite", "element/message", "element/end", "enrollment/public",
                              "enrollment/group", "enrollment/personal", "enrollment/external"})
            config.plugins[p].enabled = true;
        set_log_output(&log_);
        platform_ = std::make_unique<Platform>(config);
        platform_->migrate();
        auto tx = platform_->storage().begin();
        first_ = tx->create_account("First School").id;
        second_ = tx->create_account("Second School").id;
        tx->commit();
    }
    void TearDown() override {
        platform_.reset();
        set_log_output(nullptr);
        fs::remove_all(dir_);
    }

    sdk::AdminServices& admin() { return platform_->admin(); }
    static sdk::AdminCaller as(sdk::Id account, sdk::AdminRole role = sdk::AdminRole::owner) {
        return {account, role, 0, "test"};
    }
    json call(sdk::Id account, const std::string& op, const json& args = json::object(),
              sdk::AdminRole role = sdk::AdminRole::owner) {
        return admin().call(op, as(account, role), args);
    }
    // The AdminError `op` throws, which it must.
    sdk::AdminError refusal(sdk::Id account, const std::string& op, const json& args,
                            sdk::AdminRole role = sdk::AdminRole::owner) {
        try {
            const auto result = call(account, op, args, role);
            ADD_FAILURE() << op << " " << args.dump() << " succeeded: " << result.dump();
        } catch (const sdk::AdminError& e) {
            return e;
        }
        return sdk::AdminError(Code::unavailable, "");
    }
    sdk::Id add_bot(sdk::Id account, const std::string& username) {
        sdk::Bot bot;
        bot.username = username;
        auto tx = platform_->storage().begin();
        const auto made =
            create_bot_with_token(*tx, platform_->secrets(), account, bot, "1:secret-" + username);
        tx->commit();
        return made.id;
    }

    // One of everything in the first account (a bot, a member, a course
    // deployed with a token, a ban and a run; the second account has a bot),
    // by the names operations give their ids.
    std::map<std::string, json> one_of_everything() {
        const auto bot = add_bot(first_, "first_bot");
        add_bot(second_, "second_bot");
        call(first_, "members.add", {{"telegram_user_id", 7001}, {"role", "owner"}});
        const auto course =
            call(first_, "courses.create", {{"name", "Greek"}, {"content", kCourse}})["course"]["id"];
        const auto deployment = call(first_, "deployments.create",
                                     {{"course_id", course},
                                      {"bot_ids", {std::to_string(bot)}},
                                      {"environment", "test"}})["deployments"][0]["id"];
        const auto token =
            call(first_, "tokens.create", {{"deployment_id", deployment}, {"type", "external"}})["id"];
        const auto ban = call(first_, "bans.add", {{"user_id", 555}, {"bot_id", bot}})["ban"]["id"];
        sdk::Run run;
        run.bot_id = bot;
        run.deployment_id = deployment.get<sdk::Id>();
        run.chat_id = run.user_id = 900;
        run.started_at = run.updated_at = 1;
        sdk::Id run_id = 0;
        {
            auto tx = platform_->storage().begin();
            run_id = tx->start_run(first_, run).id;
            tx->commit();
        }
        return {{"bot_id", bot},
                {"course_id", course},
                {"deployment_id", deployment},
                {"token_id", token},
                {"ban_id", ban},
                {"run_id", run_id},
                {"telegram_user_id", 7001},
                {"bot_ids", {std::to_string(bot)}},
                {"into", deployment}};
    }

    // What `op` is called with: the records in `ids` it names (in its route,
    // or an id in the body: a Telegram user id in a body names no record of
    // any account) and a valid value for every other required argument.
    static json arguments_for(const sdk::AdminOperation& op, const std::map<std::string, json>& ids,
                              bool& names_a_record) {
        static const std::map<std::string, json> values = {
            {"name", "Renamed"},  {"content", kCourse + "# changed\nExtra:\n  type: end\n  text: x\n"},
            {"role", "admin"},    {"enabled", false},
            {"active", false},    {"type", "public"},
            {"ref", "lms-1"},     {"expires_at", "1d"},
            {"number", 1},        {"user_id", 556},
            {"version", 1},       {"stop_runs", true},
            {"restricted", true}, {"token", "123:abcdefghijklmnopqrstuvwxyz012345678"}};
        const auto schema = json::parse(op.arguments_schema);
        json args = json::object();
        names_a_record = false;
        for (const auto& [name, spec] : schema["properties"].items()) {
            const bool record =
                spec.value("x-in", "") == "path" || spec.contains("minimum") || name == "bot_ids";
            if (record && ids.count(name)) {
                args[name] = ids.at(name);
                names_a_record = true;
            } else if (std::find(schema["required"].begin(), schema["required"].end(), name) !=
                       schema["required"].end()) {
                args[name] = values.count(name) ? values.at(name) : json(nullptr);
            }
        }
        return args;
    }

    fs::path dir_;
    std::ostringstream log_;
    std::unique_ptr<Platform> platform_;
    sdk::Id first_ = 0;
    sdk::Id second_ = 0;
};

TEST_F(AdminCatalogueTest, EveryOperationIsDescribedAndServedOnItsOwnRoute) {
    std::set<std::string> names;
    std::set<std::string> routes;
    for (const auto& op : admin().operations()) {
        EXPECT_TRUE(names.insert(op.name).second) << op.name;
        EXPECT_TRUE(routes.insert(op.method + " " + op.path).second) << op.method << " " << op.path;
        EXPECT_FALSE(op.summary.empty()) << op.name;
        const auto args = json::parse(op.arguments_schema);
        EXPECT_EQ(args["type"], "object") << op.name;
        EXPECT_TRUE(json::parse(op.result_schema).is_object()) << op.name;
        // Every {segment} of the route is an argument taken from the path.
        const std::regex segment("\\{([a-z_]+)\\}");
        for (std::sregex_iterator it(op.path.begin(), op.path.end(), segment), end; it != end; ++it) {
            const auto name = (*it)[1].str();
            ASSERT_TRUE(args["properties"].contains(name)) << op.name << " " << name;
            EXPECT_EQ(args["properties"][name]["x-in"], "path") << op.name << " " << name;
        }
    }
    for (const char* expected :
         {"account.get", "members.add", "bots.add", "courses.create", "versions.publish", "versions.source",
          "deployments.create", "deployments.promote", "tokens.create", "runs.list", "runs.conversation",
          "bans.add"})
        EXPECT_TRUE(names.count(expected)) << expected;
}

TEST_F(AdminCatalogueTest, ACourseGoesFromYamlToADeploymentAndATokenWithItsLink) {
    const auto bot = add_bot(first_, "school_bot");
    const auto made =
        call(first_, "courses.create", {{"name", "Greek"}, {"content", kCourse}, {"file", "greek.yml"}});
    EXPECT_EQ(made["version"]["number"], 1);
    EXPECT_EQ(made["version"]["source"], "greek.yml");
    const auto course_id = made["course"]["id"].get<sdk::Id>();
    const auto second = call(first_, "versions.publish",
                             {{"course_id", std::to_string(course_id)}, {"content", kCourse + "# v2\n"}});
    EXPECT_EQ(second["published"], false) << "the same elements make no new version";
    const auto source = call(first_, "versions.source", {{"course_id", course_id}, {"number", "1"}});
    EXPECT_NE(source["content"].get<std::string>().find("text: Welcome"), std::string::npos) << source.dump();
    const auto deployments =
        call(first_, "deployments.create",
             {{"course_id", course_id}, {"bot_ids", std::to_string(bot)}, {"environment", "test"}});
    ASSERT_EQ(deployments["deployments"].size(), 1u);
    const auto deployment = deployments["deployments"][0];
    EXPECT_EQ(deployment["environment"], "test");
    EXPECT_EQ(deployment["state"], "active");
    const auto token = call(first_, "tokens.create",
                            {{"deployment_id", deployment["id"]},
                             {"type", "group"},
                             {"max_uses", "10"},
                             {"label", "Spring"},
                             {"utm_source", "ads"},
                             {"expires_at", "7d"}});
    EXPECT_EQ(token["link"], "https://t.me/school_bot?start=" + token["payload"].get<std::string>());
    EXPECT_EQ(token["max_uses"], 10);
    EXPECT_EQ(token["state"], "active");
    const auto promoted = call(first_, "deployments.promote", {{"deployment_id", deployment["id"]}});
    EXPECT_EQ(promoted["created"], true);
    EXPECT_EQ(promoted["deployment"]["environment"], "prod");
    EXPECT_EQ(call(first_, "deployments.list")["deployments"].size(), 2u);
    EXPECT_EQ(call(first_, "tokens.list", {{"deployment_id", deployment["id"]}})["tokens"].size(), 1u);
    EXPECT_EQ(call(first_, "deployments.pause", {{"deployment_id", deployment["id"]}})["state"], "paused");
}

// The API names courses by id: a course whose name is a number is not the
// course with that id, though the command line finds courses by either.
TEST_F(AdminCatalogueTest, ACourseIdIsNeverTakenForACourseOfThatName) {
    const auto bot = add_bot(first_, "named_bot");
    const auto made = call(first_, "courses.create", {{"name", "99"}, {"content", kCourse}});
    ASSERT_NE(made["course"]["id"], 99);
    const auto publish = refusal(first_, "versions.publish",
                                 {{"course_id", "99"}, {"content", kCourse + "Extra:\n  type: end\n"}});
    EXPECT_EQ(publish.code(), Code::not_found);
    EXPECT_EQ(publish.field(), "/course_id");
    const auto deploy =
        refusal(first_, "deployments.create", {{"course_id", "99"}, {"bot_ids", std::to_string(bot)}});
    EXPECT_EQ(deploy.code(), Code::not_found);
    EXPECT_EQ(deploy.field(), "/course_id");
    EXPECT_EQ(call(first_, "versions.list", {{"course_id", made["course"]["id"]}})["versions"].size(), 1u)
        << "the course named 99 got no version";
    EXPECT_TRUE(call(first_, "deployments.list")["deployments"].empty());
    // One bot named twice would get two deployments of one version.
    const auto twice = refusal(first_, "deployments.create",
                               {{"course_id", made["course"]["id"]}, {"bot_ids", json::array({bot, bot})}});
    EXPECT_EQ(twice.field(), "/bot_ids");
    EXPECT_TRUE(call(first_, "deployments.list")["deployments"].empty());
}

TEST_F(AdminCatalogueTest, ACourseWithErrorsIsRefusedWithEveryProblemAndItsLine) {
    const auto e = refusal(
        first_, "courses.create",
        {{"name", "Broken"}, {"content", "Hello:\n  type: message\n  text: Hi\nBye:\n  type: nosuch\n"}});
    EXPECT_EQ(e.code(), Code::invalid_argument);
    EXPECT_EQ(e.field(), "/content");
    const auto details = json::parse(e.details_json());
    ASSERT_FALSE(details["problems"].empty());
    EXPECT_EQ(details["problems"][0]["line"], 5) << details.dump();  // its type: line
    EXPECT_EQ(details["problems"][0]["element_id"], "Bye");
    EXPECT_TRUE(call(first_, "courses.list")["courses"].empty()) << "nothing stored";
    const auto checked = call(first_, "courses.check", {{"content", "Bye:\n  type: nosuch\n"}});
    EXPECT_EQ(checked["ok"], false);
    EXPECT_EQ(checked["problems"][0]["line"], 2);
}

TEST_F(AdminCatalogueTest, ArgumentsAreCheckedByName) {
    const auto unknown = refusal(first_, "bots.list", {{"colour", "red"}});
    EXPECT_EQ(unknown.code(), Code::invalid_argument);
    EXPECT_EQ(unknown.field(), "/colour");
    const auto missing = refusal(first_, "courses.create", {{"name", "X"}});
    EXPECT_EQ(missing.field(), "/content");
    EXPECT_NE(std::string(missing.what()).find("content: is required"), std::string::npos) << missing.what();
    const auto not_an_id = refusal(first_, "deployments.get", {{"deployment_id", "abc"}});
    EXPECT_EQ(not_an_id.field(), "/deployment_id");
    EXPECT_EQ(refusal(first_, "deployments.get", {{"deployment_id", "-3"}}).code(), Code::invalid_argument);
    EXPECT_EQ(refusal(first_, "deployments.create", {{"course_id", 1}, {"bot_ids", "1,2x"}}).field(),
              "/bot_ids");
    // A time in milliseconds past the year 9999 (or before 1970) is refused as its text would be.
    for (const json too_far :
         {json(9223372036854775807LL), json(92233720368547758LL), json(-1), json(18446744073709551615ULL)})
        EXPECT_EQ(refusal(first_, "tokens.create",
                          {{"deployment_id", 1}, {"type", "public"}, {"expires_at", too_far}})
                      .field(),
                  "/expires_at")
            << too_far;
    const auto choice = refusal(first_, "runs.list", {{"status", "finished"}});
    EXPECT_NE(std::string(choice.what()).find("one of active completed"), std::string::npos) << choice.what();
    EXPECT_EQ(refusal(first_, "runs.list", {{"limit", "5000"}}).field(), "/limit");
    // A service's refusal names the field too, not only the catalogue's checks.
    EXPECT_EQ(refusal(first_, "members.add", {{"telegram_user_id", -5}}).field(), "/telegram_user_id");
    EXPECT_EQ(refusal(first_, "members.add", {{"telegram_user_id", 5}, {"username", "a"}}).field(),
              "/username");
    EXPECT_EQ(refusal(first_, "account.rename", {{"name", " Padded"}}).field(), "/name");
    EXPECT_EQ(refusal(first_, "bots.add", {{"token", "not a token"}}).field(), "/token");
    EXPECT_EQ(refusal(first_, "tokens.create", {{"deployment_id", 1}, {"type", "no_such_type"}}).field(),
              "/type");
    EXPECT_EQ(refusal(first_, "bans.add", {{"user_id", -1}}).field(), "/user_id");
    // Numbers past what the listing and versions count in are refused, not wrapped round.
    EXPECT_EQ(refusal(first_, "runs.list", {{"offset", "4294967296"}}).field(), "/offset");
    EXPECT_EQ(refusal(first_, "courses.list", {{"offset", "4294967296"}}).field(), "/offset");
    EXPECT_EQ(
        refusal(first_, "deployments.create", {{"course_id", 1}, {"bot_ids", "1"}, {"version", "4294967297"}})
            .field(),
        "/version");
    EXPECT_EQ(
        refusal(first_, "tokens.create", {{"deployment_id", 1}, {"type", "public"}, {"expires_at", "soon"}})
            .field(),
        "/expires_at");
    EXPECT_EQ(refusal(first_, "no.such.operation", json::object()).code(), Code::not_found);
    for (const char* blank : {"", "  \t"})
        EXPECT_EQ(refusal(first_, "courses.create", {{"name", blank}, {"content", kCourse}}).field(),
                  "/name");
    EXPECT_EQ(call(first_, "courses.list")["courses"].size(), 0u);
}

TEST_F(AdminCatalogueTest, MembersAndTheAccountAreTheOwnersAndContentTheAdmins) {
    const auto e = refusal(first_, "members.add", {{"telegram_user_id", 42}}, sdk::AdminRole::admin);
    EXPECT_EQ(e.code(), Code::forbidden);
    EXPECT_EQ(refusal(first_, "account.rename", {{"name", "X"}}, sdk::AdminRole::admin).code(),
              Code::forbidden);
    EXPECT_TRUE(call(first_, "members.list", json::object(), sdk::AdminRole::admin)["members"].empty());
    call(first_, "members.add", {{"telegram_user_id", 42}, {"role", "owner"}});
    EXPECT_EQ(refusal(first_, "members.remove", {{"telegram_user_id", "42"}}).code(), Code::conflict)
        << "the last owner stays";
    const auto accounts = admin().accounts_of(42);
    ASSERT_EQ(accounts.size(), 1u);
    EXPECT_EQ(accounts[0].first.name, "First School");
    EXPECT_EQ(accounts[0].second, sdk::AdminRole::owner);
    EXPECT_EQ(call(first_, "courses.list", json::object(), sdk::AdminRole::admin)["courses"].size(), 0u);
}

// What a student is sent from the panel's fields (a ban's message, a
// deployment's texts) fits one Telegram message, and a refused change changes nothing.
TEST_F(AdminCatalogueTest, TextsForStudentsFitOneTelegramMessage) {
    const auto ids = one_of_everything();
    const auto deployment = ids.at("deployment_id");
    const std::string too_long(4097, 'x');
    const std::string longest(4096, 'x');
    EXPECT_EQ(refusal(first_, "deployments.update",
                      {{"deployment_id", deployment}, {"texts", {{"banned", too_long}}}})
                  .field(),
              "/texts/banned");
    EXPECT_EQ(refusal(first_, "bans.add", {{"user_id", 777}, {"message", too_long}}).field(), "/message");
    // Telegram refuses a message of only white space; a NUL or escape has no place in one.
    for (const std::string bad : {std::string("  \n "), std::string("a\0b", 3), std::string("a\x1b[31m")})
        EXPECT_EQ(refusal(first_, "bans.add", {{"user_id", 777}, {"message", bad}}).field(), "/message");
    EXPECT_EQ(
        refusal(first_, "deployments.update", {{"deployment_id", deployment}, {"texts", {{"banned", "\t"}}}})
            .field(),
        "/texts/banned");
    EXPECT_EQ(refusal(first_, "bans.add", {{"user_id", 777}, {"reason", std::string(1001, 'r')}}).field(),
              "/reason");
    EXPECT_EQ(call(first_, "bans.list")["bans"].size(), 1u) << "only the ban made before";
    EXPECT_EQ(call(first_, "deployments.get", {{"deployment_id", deployment}}).dump().find(too_long),
              std::string::npos);

    call(first_, "deployments.update", {{"deployment_id", deployment}, {"texts", {{"banned", longest}}}});
    call(first_, "bans.add", {{"user_id", 777}, {"message", longest}});
    EXPECT_EQ(call(first_, "bans.list")["bans"].size(), 2u);
}

// The panel's fields are checked as the CLI's flags are, each refusal naming
// its field and changing nothing.
TEST_F(AdminCatalogueTest, ADeploymentsChangesAreCheckedFieldByField) {
    const auto ids = one_of_everything();
    const auto deployment = ids.at("deployment_id");
    const auto before = call(first_, "deployments.get", {{"deployment_id", deployment}});
    const std::vector<std::pair<json, std::string>> refused = {
        {{{"alias", "cd_x"}}, "/alias"},
        {{{"alias", std::string(65, 'a')}}, "/alias"},
        {{{"texts", {{"no_such_text", "Hi"}}}}, "/texts/no_such_text"},
        {{{"model", "gpt\nx"}}, "/model"},
        {{{"base_url", "ftp://llm.example"}}, "/base_url"},
        {{{"api_key", "two words"}}, "/api_key"},
        {{{"api_key", "  "}}, "/api_key"},
        {{{"time_scale", 0}}, "/time_scale"},
        {{{"time_scale", -5}}, "/time_scale"},
        {{{"time_scale", 2e6}}, "/time_scale"},
        {{{"base_url", "https://llm.tenant.example/v1"}}, "/api_key"},
        // The operator's alone: a tenant cannot open the private network to its endpoint.
        {{{"allow_private_addresses", true}}, "/allow_private_addresses"}};
    for (auto [args, field] : refused) {
        args["deployment_id"] = deployment;
        const auto e = refusal(first_, "deployments.update", args);
        EXPECT_EQ(e.field(), field) << args.dump();
        EXPECT_EQ(std::string(e.what()).find("--"), std::string::npos) << "the CLI's words: " << e.what();
    }
    const auto scaled_prod = refusal(first_, "deployments.create",
                                     {{"course_id", ids.at("course_id")},
                                      {"bot_ids", ids.at("bot_ids")},
                                      {"environment", "prod"},
                                      {"time_scale", 60}});
    EXPECT_EQ(scaled_prod.field(), "/time_scale");
    EXPECT_EQ(std::string(scaled_prod.what()).find("--"), std::string::npos) << scaled_prod.what();
    EXPECT_EQ(call(first_, "deployments.get", {{"deployment_id", deployment}}), before);
    const auto changed = call(first_, "deployments.update",
                              {{"deployment_id", deployment},
                               {"alias", "greek_1"},
                               {"time_scale", 1440},
                               {"api_key", " sk-pasted-with-a-break\n"}});
    EXPECT_EQ(changed["alias"], "greek_1");
}

TEST_F(AdminCatalogueTest, ATokensLabelAndUtmValuesAreKeptToTwoHundredCharacters) {
    const auto deployment = one_of_everything().at("deployment_id");
    const auto tokens = call(first_, "tokens.list")["tokens"].size();
    for (const char* field : {"label", "utm_source", "utm_medium", "utm_campaign"})
        EXPECT_EQ(refusal(first_, "tokens.create",
                          {{"deployment_id", deployment}, {"type", "public"}, {field, std::string(201, 'x')}})
                      .field(),
                  std::string("/") + field);
    // Nor may they carry a NUL, a line break or an escape, shown in lists and exports.
    for (const char* field : {"label", "utm_source", "utm_medium", "utm_campaign"})
        for (const std::string bad : {std::string("a\0b", 3), std::string("a\nb"), std::string("a\x1b[2Jb")})
            EXPECT_EQ(refusal(first_, "tokens.create",
                              {{"deployment_id", deployment}, {"type", "public"}, {field, bad}})
                          .field(),
                      std::string("/") + field);
    EXPECT_EQ(refusal(first_, "api_keys.create", {{"label", "nightly\nexport"}}).field(), "/label");
    EXPECT_EQ(call(first_, "tokens.list")["tokens"].size(), tokens);
    EXPECT_EQ(
        call(first_, "tokens.create",
             {{"deployment_id", deployment}, {"type", "public"}, {"label", std::string(200, 'x')}})["label"],
        std::string(200, 'x'));
}

TEST_F(AdminCatalogueTest, RunsAreListedByChatAndNewestFirstInTheirAccountOnly) {
    const auto ids = one_of_everything();
    sdk::Run later;
    later.bot_id = ids.at("bot_id").get<sdk::Id>();
    later.deployment_id = ids.at("deployment_id").get<sdk::Id>();
    later.chat_id = later.user_id = 901;
    later.started_at = later.updated_at = 2;
    {
        auto tx = platform_->storage().begin();
        later.id = tx->start_run(first_, later).id;
        tx->commit();
    }
    const auto of_chat = call(first_, "runs.list", {{"chat_id", "900"}})["runs"];
    ASSERT_EQ(of_chat.size(), 1u);
    EXPECT_EQ(of_chat[0]["id"], ids.at("run_id"));
    const auto newest = call(first_, "runs.list", {{"order", "newest"}})["runs"];
    ASSERT_EQ(newest.size(), 2u);
    EXPECT_EQ(newest[0]["id"], later.id);
    EXPECT_EQ(call(first_, "runs.list", {{"order", "oldest"}})["runs"][0]["id"], ids.at("run_id"));
    EXPECT_TRUE(call(second_, "runs.list", {{"chat_id", "900"}})["runs"].empty());
    EXPECT_EQ(refusal(first_, "runs.list", {{"order", "sideways"}}).field(), "/order");
    EXPECT_EQ(refusal(first_, "runs.list", {{"chat_id", "nine"}}).field(), "/chat_id");
}

// Everything of the first account, as its own listings show it.
json everything_of(sdk::AdminServices& admin, sdk::Id account, sdk::Id course) {
    const auto caller = sdk::AdminCaller{account, sdk::AdminRole::owner, 0, "snapshot"};
    json all;
    for (const char* op : {"account.get", "members.list", "bots.list", "courses.list", "tokens.list",
                           "runs.list", "bans.list"})
        all[op] = admin.call(op, caller, json::object());
    all["deployments.list"] = admin.call("deployments.list", caller, {{"archived", true}});
    all["versions.list"] = admin.call("versions.list", caller, {{"course_id", course}});
    return all;
}

TEST_F(AdminCatalogueTest, EveryOperationNamingAnotherAccountsRecordFindsNothingAndChangesNothing) {
    const auto ids = one_of_everything();
    const auto course = ids.at("course_id");
    const auto before = everything_of(admin(), first_, course.get<sdk::Id>());
    int walked = 0;
    for (const auto& op : admin().operations()) {
        bool names_a_record = false;
        const auto args = arguments_for(op, ids, names_a_record);
        if (!names_a_record) continue;
        for (const auto& [name, value] : args.items())
            ASSERT_FALSE(value.is_null()) << op.name << " needs " << name;
        ++walked;
        try {
            const auto result = admin().call(op.name, as(second_), args);
            // A filter by another account's record reads nothing of it.
            const auto text = result.dump();
            EXPECT_EQ(text.find("first_bot"), std::string::npos) << op.name << ": " << text;
            EXPECT_EQ(text.find("Greek"), std::string::npos) << op.name << ": " << text;
            EXPECT_EQ(op.method, "GET") << op.name << " changed something for another account: " << text;
        } catch (const sdk::AdminError& e) {
            EXPECT_EQ(e.code(), Code::not_found) << op.name << ": " << e.what();
        }
    }
    EXPECT_GE(walked, 20);
    EXPECT_EQ(everything_of(admin(), first_, course.get<sdk::Id>()), before);
}

// The panel reads while the engine writes. On SQLite one transaction at a
// time may write; a page or an export that queued for that slot would wait
// for the engine's commits and hold back every bot's next one for as long as
// it read (an account's CSV export: seconds).
TEST_F(AdminCatalogueTest, EveryReadingOperationAnswersWhileAnotherTransactionWrites) {
    const auto ids = one_of_everything();
    // A writing transaction left open, with a change it has not committed.
    const auto hold_the_writer = [&] {
        auto writer = platform_->storage().begin();
        EXPECT_TRUE(writer->rename_account(first_, "Not Yet Committed"));
        return writer;
    };
    auto writer = hold_the_writer();
    std::vector<std::string> waited;
    int walked = 0;
    for (const auto& op : admin().operations()) {
        // The preview chat's read takes what was sent to it: it marks those
        // messages delivered, a write.
        if (op.method != "GET" || op.name == "preview.read") continue;
        bool names_a_record = false;
        const auto args = arguments_for(op, ids, names_a_record);
        ++walked;
        auto answer = std::async(std::launch::async, [&] { return call(first_, op.name, args); });
        const bool waiting = answer.wait_for(std::chrono::seconds(3)) != std::future_status::ready;
        if (waiting) {
            waited.push_back(op.name);
            writer.reset();  // lets it finish
        }
        try {
            const auto result = answer.get();
            if (op.name == "account.get") {
                EXPECT_EQ(result["name"], "First School") << "read what the writer had not committed";
            }
        } catch (const sdk::AdminError& e) {
            EXPECT_NE(e.code(), Code::unavailable) << op.name << ": " << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << op.name << ": " << e.what();
        }
        if (waiting) writer = hold_the_writer();
    }
    EXPECT_GE(walked, 20);
    EXPECT_TRUE(waited.empty()) << "waited for the writing transaction: " << testing::PrintToString(waited);
    writer->commit();
    EXPECT_EQ(call(first_, "account.get")["name"], "Not Yet Committed");
}
}  // namespace
}  // namespace profo::host
