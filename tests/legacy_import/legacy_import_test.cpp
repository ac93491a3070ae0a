// An operator moves a legacy installation over: dry run, import, the bot
// served by `profo serve` against the emulator, and the students carry on
// where the legacy bot left them.
#include "legacy_fixture.hpp"
#include "test_config.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <map>

using namespace profo::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Stored as YAML (the `yaml` column).
const char* kGreek = R"(Intro:
  type: message
  text: Welcome to Greek
Start:
  type: message
  text: Ready?
  button: Go
Pause:
  type: delay
  text: See you tomorrow
  wait: 1d
  goto: Lesson2
Lesson2:
  type: message
  text: Lesson two
  button: Next
Final:
  type: end
  text: Bye Greek
)";

// Stored as course_element rows only (yaml NULL): the older form.
const char* kChatElements = R"(
INSERT INTO course (course_id, bot_name, creator_id, date_created, yaml)
  VALUES ('Chat', 'legacy_bot', 1, '2024-01-02 10:00:00', NULL);
INSERT INTO course_element VALUES
  (1, 'legacy_bot', 'Chat', 'Hello', '{"element_data": {"text": "Hi from Chat"}}', 'message'),
  (2, 'legacy_bot', 'Chat', 'Talk', '{"element_data": {"text": "Tell me about your day", "prompt": "Be kind"}}', 'dialog'),
  (3, 'legacy_bot', 'Chat', 'Done', '{"element_data": {"text": "Bye Chat"}}', 'end');
)";

// A course the platform cannot take: an element type nobody knows.
const char* kBroken = R"(
INSERT INTO course VALUES ('Broken', 'legacy_bot', 1, '2024-01-03 10:00:00',
  E'Odd:\n  type: hologram\n  text: Beam me up\n');
)";

constexpr std::int64_t kFinished = 101, kAtButton = 102, kDueDelay = 103, kLaterDelay = 104, kInDialog = 105,
                       kSwitched = 106, kLost = 107, kBanned = 201, kBannedNull = 202, kLifted = 203;

void fill(const LegacyDatabaseFixture& db) {
    db.execute(
        std::string("INSERT INTO course VALUES ('Greek', 'legacy_bot', 1, '2024-01-01 10:00:00', $y$") +
        kGreek + "$y$);");
    db.execute(kChatElements);
    db.execute(kBroken);
    // run_id follows insertion order.
    db.execute(R"(
INSERT INTO run (chat_id, username, botname, course_id, date_inserted, utm_source, utm_campaign, is_ended) VALUES
  (101, 'finisher', 'legacy_bot', 'Greek', '2024-02-01 09:00:00', NULL, NULL, true),
  (102, 'buttoner', 'legacy_bot', 'Greek', '2024-02-02 09:00:00', 'ads', 'spring', false),
  (103, 'due',      'legacy_bot', 'Greek', '2024-02-03 09:00:00', NULL, NULL, false),
  (104, 'later',    'legacy_bot', 'Greek', '2024-02-04 09:00:00', NULL, NULL, false),
  (105, 'talker',   'legacy_bot', 'Chat',  '2024-02-05 09:00:00', NULL, NULL, false),
  (106, 'switcher', 'legacy_bot', 'Chat',  '2024-02-06 09:00:00', NULL, NULL, false),
  (106, 'switcher', 'legacy_bot', 'Greek', '2024-02-07 09:00:00', NULL, NULL, true),
  (107, 'lost',     'legacy_bot', 'Greek', '2024-02-08 09:00:00', NULL, NULL, false);
)");
    db.execute(R"(
INSERT INTO conversation (chat_id, course_id, element_id, element_type, role, report, score, maxscore, date_inserted, run_id) VALUES
  (101, 'Greek', 'Intro',   'message', 'bot',  'Welcome to Greek', NULL, NULL, '2024-02-01 09:00:01', 1),
  (101, 'Greek', 'Start',   'message', 'bot',  'Ready?',           NULL, NULL, '2024-02-01 09:00:02', 1),
  (101, 'Greek', 'Final',   'end',     'bot',  'Bye Greek',        NULL, NULL, '2024-02-03 09:00:02', 1),
  (102, 'Greek', 'Intro',   'message', 'bot',  'Welcome to Greek', NULL, NULL, '2024-02-02 09:00:01', 2),
  (102, 'Greek', 'Start',   'message', 'bot',  'Ready?',           NULL, NULL, '2024-02-02 09:00:02', 2),
  (103, 'Greek', 'Start',   'message', 'bot',  'Ready?',           NULL, NULL, '2024-02-03 09:00:02', 3),
  (103, 'Greek', 'Start',   'message', 'user', 'Go',               NULL, NULL, '2024-02-03 09:00:05', 3),
  (103, 'Greek', 'Pause',   'delay',   'bot',  'See you tomorrow', NULL, NULL, '2024-02-03 09:00:06', 3),
  (104, 'Greek', 'Pause',   'delay',   'bot',  'See you tomorrow', NULL, NULL, '2024-02-04 09:00:06', 4),
  (105, 'Chat',  'Hello',   'message', 'bot',  'Hi from Chat',     NULL, NULL, '2024-02-05 09:00:01', 5),
  (105, 'Chat',  'Talk',    'dialog',  'bot',  'Tell me about your day', NULL, NULL, '2024-02-05 09:00:02', 5),
  (105, 'Chat',  'Talk',    'dialog',  'user', 'Fine',             NULL, NULL, '2024-02-05 09:00:10', 5),
  (105, 'Chat',  'Talk',    'dialog',  'assistant', 'Glad to hear', NULL, NULL, '2024-02-05 09:00:12', 5),
  (107, 'Greek', 'Gone_3',  'message', 'bot',  'From an old version', NULL, NULL, '2024-02-08 09:00:01', 8),
  (106, 'Chat',  'Hello',   'message', 'bot',  'Hi from Chat',     NULL, NULL, '2024-02-06 09:00:01', NULL);
)");
    db.execute(
        "INSERT INTO waiting_element (chat_id, waiting_till_date, is_waiting, element_id, course_id, "
        "botname) "
        "VALUES (103, " +
        legacy_time_from_now(-7200) +
        ", true, 'Lesson2', 'Greek', 'legacy_bot'), "
        "(104, " +
        legacy_time_from_now(2 * 86400) +
        ", true, 'Lesson2', 'Greek', 'legacy_bot'), "
        "(101, '2024-02-02 09:00:00', false, 'Lesson2', 'Greek', 'legacy_bot');");
    db.execute(R"(
INSERT INTO bannedparticipants VALUES
  ('legacy_bot', 201, '2024-03-01 00:00:00', 'spam', 0),
  ('legacy_bot', 202, '2024-03-02 00:00:00', 'abuse', NULL),
  ('legacy_bot', 203, '2024-03-03 00:00:00', 'mistake', 1);
INSERT INTO courseparticipants VALUES ('Chat', 'Alice'), ('Chat', 'bob');
INSERT INTO gen_settings VALUES ('legacy_bot', 'model', 'gpt-4o-mini'), ('legacy_bot', 'welcome_sticker', 'x'),
  ('legacy_bot', 'openai_api_key', 'sk-never-copied');
)");
}

class LegacyImport : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto reason = postgres_missing()) GTEST_SKIP() << *reason;
        emulator_ = std::make_unique<Emulator>();
        legacy_ = std::make_unique<LegacyDatabaseFixture>();
        fill(*legacy_);
        auto bot = emulator_->post("/_emulator/bots", {{"username", "legacy_bot"}});
        bot_ = bot["id"].get<std::int64_t>();
        token_ = bot["token"].get<std::string>();
        TestConfig c;
        c.settings["transport/telegram"] =
            "{\"base_url\": \"" + emulator_->url() + "\", \"poll_timeout_s\": 2, \"bots_refresh_ms\": 300}";
        c.settings["element/dialog"] =
            "{\"base_url\": \"http://127.0.0.1:9\", \"api_key\": \"sk-test\", \"allow_private_addresses\": "
            "true}";
        config_ = write_test_config(dir_, c);
    }

    ProcessResult profo(std::vector<std::string> args) {
        return run_process(profo_command(config_, std::move(args)), "", {}, 120s);
    }

    ProcessResult import(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"legacy", "import", "--token", "legacy_bot=" + token_};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(legacy_->dsn());
        return profo(args);
    }

    json runs() {
        auto listed = profo({"run", "list", "--json", "--limit", "1000"});
        EXPECT_EQ(listed.exit_code, 0) << listed.err;
        return json::parse(listed.out)["runs"];
    }

    std::map<std::int64_t, json> runs_by_chat() {
        std::map<std::int64_t, json> out;
        for (const auto& r : runs()) out[r["chat_id"].get<std::int64_t>()] = r;  // the newest wins
        return out;
    }

    // The legacy bot had the chats open: each student wrote to it once, and
    // it took those updates (confirmed them) before the switch.
    void legacy_bot_served(const std::vector<std::int64_t>& students) {
        for (auto s : students)
            emulator_->post("/_emulator/messages", {{"bot_id", bot_}, {"user_id", s}, {"text", "hi"}});
        auto updates = emulator_->post("/bot" + token_ + "/getUpdates", {{"timeout", 0}});
        std::int64_t last = 0;
        for (const auto& u : updates) last = std::max(last, u["update_id"].get<std::int64_t>());
        emulator_->post("/bot" + token_ + "/getUpdates", {{"offset", last + 1}, {"timeout", 0}});
    }

    std::unique_ptr<Emulator> emulator_;
    std::unique_ptr<LegacyDatabaseFixture> legacy_;
    TempDir dir_;
    std::filesystem::path config_;
    std::int64_t bot_ = 0;
    std::string token_;
};

}  // namespace

TEST_F(LegacyImport, ADryRunReportsEverythingAndChangesNothing) {
    auto dry = import({"--dry-run", "--json"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err << dry.out;
    const auto report = json::parse(dry.out);
    EXPECT_EQ(report["dry_run"], true);
    const auto& counts = report["counts"];
    EXPECT_EQ(counts["courses"], 2) << report.dump(1);
    EXPECT_EQ(counts["bots"], 1);
    EXPECT_EQ(counts["deployments"], 2);
    EXPECT_EQ(counts["conversation rows"], 15);
    EXPECT_EQ(counts["bans"], 2);
    EXPECT_EQ(counts["bans with NULL excluded (read as in force)"], 1);
    EXPECT_EQ(counts["bans lifted (not imported)"], 1);
    EXPECT_EQ(counts["allow-list entries"], 2);
    EXPECT_EQ(counts["settings mapped"], 1);
    EXPECT_EQ(counts["settings unmapped"], 2);
    EXPECT_EQ(counts["timers (delays)"], 2);
    const std::string problems = report["problems"].dump();
    EXPECT_NE(problems.find("hologram"), std::string::npos) << problems;
    EXPECT_NE(problems.find("course legacy_bot/Broken"), std::string::npos) << problems;
    EXPECT_NE(problems.find("run 8, course legacy_bot/Greek, element Gone_3"), std::string::npos) << problems;
    EXPECT_NE(problems.find("setting legacy_bot/welcome_sticker"), std::string::npos) << problems;
    EXPECT_EQ(dry.out.find("sk-never-copied"), std::string::npos) << "a legacy secret was printed";
    EXPECT_EQ(dry.out.find(token_), std::string::npos) << "the token was printed";
    EXPECT_EQ(dry.err.find(token_), std::string::npos) << "the token was printed";
    EXPECT_NE(dry.err.find("conversation: 15 of 15 rows"), std::string::npos) << dry.err;

    EXPECT_TRUE(runs().empty());
    auto courses = profo({"course", "list"});
    EXPECT_EQ(courses.out.find("Greek"), std::string::npos) << courses.out;
    auto bots = profo({"bot", "list", "--json"});
    EXPECT_TRUE(json::parse(bots.out)["bots"].empty()) << bots.out;
}

TEST_F(LegacyImport, StudentsCarryOnWhereTheyWereAndASecondImportAddsNothing) {
    legacy_bot_served({kAtButton, kDueDelay, kLaterDelay, kInDialog, kBanned, kBannedNull, kLifted});
    auto first = import({"--json"});
    ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
    const auto report = json::parse(first.out);
    EXPECT_EQ(report["dry_run"], false);
    EXPECT_EQ(report["counts"]["runs active"], 4) << report.dump(1);  // 102, 103, 104, 105
    EXPECT_EQ(report["counts"]["runs completed"], 2);                 // 101, 106's Greek
    EXPECT_EQ(report["counts"]["runs abandoned"], 1);                 // 106's Chat
    EXPECT_EQ(report["counts"]["runs stopped"], 1);                   // 107, position lost

    auto by_chat = runs_by_chat();
    EXPECT_EQ(by_chat[kFinished]["status"], "completed");
    EXPECT_EQ(by_chat[kAtButton]["utm"], (json{{"source", "ads"}, {"campaign", "spring"}}));
    EXPECT_EQ(by_chat[kLaterDelay]["cursor"], "Pause");
    EXPECT_EQ(by_chat[kLost]["status"], "stopped");

    auto serve = std::make_unique<RunningProcess>(profo_command(config_, {"serve"}));
    serve->wait_for_stderr("serving on", 60s);

    // Waiting on a button: the element comes again, and its new button works.
    auto t = emulator_->wait(bot_, kAtButton, 1);
    auto ready = bot_messages(t).at(0);
    EXPECT_EQ(shown(ready), "Ready?");
    emulator_->post("/_emulator/press_button", {{"bot_id", bot_},
                                                {"user_id", kAtButton},
                                                {"message_id", ready["message_id"]},
                                                {"button_text", "Go"}});
    t = emulator_->wait(bot_, kAtButton, 2);
    EXPECT_EQ(shown(bot_messages(t).at(1)), "See you tomorrow");

    // A delay due two hours ago fires at once.
    t = emulator_->wait(bot_, kDueDelay, 1);
    EXPECT_EQ(shown(bot_messages(t).at(0)), "Lesson two");

    // In a dialog: the dialog's opening comes again, so the student can answer.
    t = emulator_->wait(bot_, kInDialog, 1);
    EXPECT_EQ(shown(bot_messages(t).at(0)), "Tell me about your day");

    // The banned are refused (NULL excluded too); a lifted ban is no ban.
    for (auto banned : {kBanned, kBannedNull}) {
        emulator_->post("/_emulator/start", {{"bot_id", bot_}, {"user_id", banned}, {"payload", "Greek"}});
        t = emulator_->wait(bot_, banned, 1);
        EXPECT_EQ(shown(bot_messages(t).at(0)), "You can no longer take courses here.") << banned;
    }
    emulator_->post("/_emulator/start",
                    {{"bot_id", bot_}, {"user_id", kLifted}, {"payload", "Greek__utmsIInews"}});
    t = emulator_->wait(bot_, kLifted, 2);
    EXPECT_EQ(shown_all(t), (std::vector<std::string>{"Welcome to Greek", "Ready?"}));

    // The delay two days ahead has not fired.
    t = emulator_->transcript(bot_, kLaterDelay);
    EXPECT_TRUE(bot_messages(t).empty()) << t.dump(1);
    stop(*serve);
    EXPECT_EQ(serve->err().find(token_), std::string::npos) << "the token reached the log";

    const auto before = runs().size();
    auto second = import({"--json"});
    ASSERT_EQ(second.exit_code, 0) << second.err << second.out;
    const auto again = json::parse(second.out)["counts"];
    EXPECT_FALSE(again.contains("courses")) << again.dump(1);
    EXPECT_FALSE(again.contains("bots"));
    EXPECT_FALSE(again.contains("deployments"));
    EXPECT_FALSE(again.contains("conversation rows"));
    EXPECT_FALSE(again.contains("bans"));
    EXPECT_FALSE(again.contains("allow-list entries"));
    EXPECT_EQ(again["courses already imported"], 2);
    EXPECT_EQ(again["runs already imported"], 8);
    EXPECT_EQ(runs().size(), before);
}

TEST_F(LegacyImport, AnImportThatFailsInTheMiddleLeavesTheTargetAsItWas) {
    // The bot is another account's already: the import gets as far as the
    // bots, after the courses, and must take those back too.
    ASSERT_EQ(profo({"account", "create", "Other"}).exit_code, 0);
    auto added = profo({"bot", "add", "--account", "2", token_});
    ASSERT_EQ(added.exit_code, 0) << added.err << added.out;

    auto failed = import();
    EXPECT_EQ(failed.exit_code, 1) << failed.out;
    EXPECT_NE(failed.err.find("nothing was imported"), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("legacy_bot"), std::string::npos) << failed.err;
    EXPECT_EQ(failed.err.find(token_), std::string::npos);
    auto courses = profo({"course", "list"});
    EXPECT_EQ(courses.out.find("Greek"), std::string::npos) << courses.out;
    EXPECT_TRUE(runs().empty());

    // Without a token for a bot the import refuses before it starts.
    auto no_token = profo({"legacy", "import", legacy_->dsn()});
    EXPECT_EQ(no_token.exit_code, 1);
    EXPECT_NE(no_token.err.find("no token for the legacy bot(s) legacy_bot"), std::string::npos)
        << no_token.err;
}

TEST_F(LegacyImport, ABadDatabaseIsNamed) {
    auto bad = profo({"legacy", "import", "--token", "legacy_bot=" + token_,
                      "host=127.0.0.1 port=1 dbname=legacy connect_timeout=2"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("cannot connect to the legacy database"), std::string::npos) << bad.err;
}
