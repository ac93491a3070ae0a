// Starting courses through start links, end to end below the transport: the
// real engine over the real storage plugins (SQLite, and PostgreSQL when
// PROFO_TEST_PG_DSN names a server), the real enrollment and element plugins
// loaded from the build's plugin folder, tokens issued by TokenRegistry as
// `profo token create` issues them.
#include "backend_types.hpp"
#include "build_tree.hpp"
#include "engine/engine.hpp"
#include "engine/run_state.hpp"
#include "enrollment/access_rules.hpp"
#include "enrollment/token_registry.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/executor.hpp"
#include "secrets/secret_box.hpp"

#include <profo/sdk/deep_link.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <barrier>
#include <thread>

namespace profo::host {
namespace {

using nlohmann::json;
using Status = sdk::DispatchResult::Status;
using Kind = sdk::InboundEvent::Kind;
namespace fs = std::filesystem;
using storage_test::PostgresBackend;
using storage_test::SqliteBackend;

const fs::path kPlugins = profo::build_tree::plugin_dir();
constexpr sdk::Id kAccount = sdk::kDefaultAccountId;

class QuietLogger final : public sdk::Logger {
public:
    void log(sdk::LogLevel, std::string_view) override {}
};

sdk::Millis now_ms() {
    return sdk::epoch_millis(std::chrono::system_clock::now());
}

Config enrollment_config() {
    Config c;
    for (const char* id : {"element/message", "element/end", "enrollment/public", "enrollment/group",
                           "enrollment/personal", "enrollment/external"})
        c.plugins[id].enabled = true;
    return c;
}

std::vector<PluginCandidate> candidates() {
    std::vector<PluginCandidate> out;
    for (const char* file :
         {"profo_element_message.so", "profo_element_end.so", "profo_enrollment_public.so",
          "profo_enrollment_group.so", "profo_enrollment_personal.so", "profo_enrollment_external.so"})
        out.push_back(inspect_plugin(kPlugins / file));
    return out;
}

std::array<unsigned char, 32> test_key() {
    std::array<unsigned char, 32> key{};
    key.fill(9);
    return key;
}

template <class Backend>
class EnrollmentEngine : public ::testing::Test {
protected:
    EnrollmentEngine() : registry(config, candidates()) {}

    void SetUp() override {
        if (auto reason = Backend::unavailable()) {
            const char* required = std::getenv("PROFO_REQUIRE_PG");
            if (required != nullptr && std::string(required) == "1") FAIL() << *reason;
            GTEST_SKIP() << *reason;
        }
        ASSERT_TRUE(registry.failures().empty()) << registry.failures()[0];
        database = std::make_unique<typename Backend::Database>();
        auto module = storage_test::load_module(Backend::module());
        storage = module->keep_alive(module->template as<sdk::StoragePlugin>().open(database->options()));
        storage->migrate();
        engine = std::make_unique<Engine>(*storage, registry, executor, clock, config, log, &secrets);
        tokens = std::make_unique<TokenRegistry>(*storage, registry, secrets);
        bot = create_bot("enroll_bot");
    }

    sdk::Id create_bot(const std::string& username) {
        auto tx = storage->begin();
        sdk::Bot b;
        b.username = username;
        b.token_sealed = secrets.seal("123:secret");
        const auto id = tx->create_bot(kAccount, b).id;
        tx->commit();
        return id;
    }

    // A course "NAME": a message waiting for its button, then the end.
    sdk::Id deploy(const std::string& name, const std::function<void(sdk::CourseDeployment&)>& change = {},
                   sdk::Id on_bot = 0) {
        auto tx = storage->begin();
        const auto course = tx->create_course(kAccount, name);
        std::vector<sdk::CourseElement> elements(2);
        elements[0].element_id = "Hello";
        elements[0].type = "message";
        elements[0].body_json =
            json{{"type", "message"}, {"text", "Welcome to " + name}, {"button", "Go"}}.dump();
        elements[1].element_id = "Bye";
        elements[1].type = "end";
        elements[1].position = 1;
        elements[1].body_json = json{{"type", "end"}, {"text", "Bye from " + name}}.dump();
        const auto version = tx->create_version(kAccount, course.id, "test", elements);
        sdk::CourseDeployment d;
        d.course_id = course.id;
        d.version_id = version.id;
        d.bot_id = on_bot != 0 ? on_bot : bot;
        if (change) change(d);
        const auto id = tx->create_deployment(kAccount, d).id;
        tx->commit();
        return id;
    }

    IssuedToken token(sdk::Id deployment, const std::string& type,
                      const std::function<void(TokenDraft&)>& change = {}) {
        TokenDraft draft;
        draft.deployment_id = deployment;
        draft.type = type;
        if (change) change(draft);
        return tokens->create(kAccount, draft, now_ms());
    }

    sdk::DispatchResult start(std::int64_t chat, const std::string& payload,
                              const std::string& username = "") {
        sdk::InboundEvent e;
        e.kind = Kind::start;
        e.bot_id = bot;
        e.chat_id = e.user_id = chat;
        e.username = username;
        e.text = payload;
        return engine->dispatch(e);
    }

    sdk::DispatchResult press(std::int64_t chat, const std::string& data) {
        sdk::InboundEvent e;
        e.kind = Kind::callback;
        e.bot_id = bot;
        e.chat_id = e.user_id = chat;
        e.callback_data = data;
        e.callback_id = "cb";
        return engine->dispatch(e);
    }

    sdk::DispatchResult say(std::int64_t chat, const std::string& text) {
        sdk::InboundEvent e;
        e.kind = Kind::text;
        e.bot_id = bot;
        e.chat_id = e.user_id = chat;
        e.text = text;
        return engine->dispatch(e);
    }

    // What the chat was sent since the last look (callback answers left out).
    std::vector<json> sent(std::int64_t chat) {
        auto tx = storage->begin();
        std::vector<json> out;
        for (const auto& m : tx->list_outbox(kAccount, bot, chat)) {
            tx->mark_outbox_sent(kAccount, m.id);
            auto payload = json::parse(m.payload_json);
            if (payload["kind"] != "callback_answer") out.push_back(payload);
        }
        tx->commit();
        return out;
    }
    std::vector<std::string> texts(std::int64_t chat) {
        std::vector<std::string> out;
        for (const auto& p : sent(chat)) out.push_back(p.value("text", ""));
        return out;
    }

    std::vector<sdk::Run> runs_of(sdk::Id deployment) {
        sdk::RunFilter filter;
        filter.deployment_id = deployment;
        filter.limit = 1000;
        return storage->begin()->list_runs(kAccount, filter);
    }
    std::vector<sdk::Run> runs_in(std::int64_t chat) {
        sdk::RunFilter filter;
        filter.bot_id = bot;
        filter.limit = 1000;
        std::vector<sdk::Run> out;
        for (auto& r : storage->begin()->list_runs(kAccount, filter))
            if (r.chat_id == chat) out.push_back(std::move(r));
        return out;
    }
    std::int64_t uses_of(sdk::Id token_id) { return storage->begin()->get_token(kAccount, token_id)->uses; }

    const std::string& text_of(const std::string& key) const { return config.engine.texts.at(key); }

    Config config = enrollment_config();
    PluginRegistry registry;
    std::unique_ptr<typename Backend::Database> database;
    std::shared_ptr<sdk::Storage> storage;
    ThreadPoolExecutor executor{2};
    SystemClock clock;
    AesGcmSecretBox secrets{test_key()};
    QuietLogger log;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<TokenRegistry> tokens;
    sdk::Id bot = 0;
};

TYPED_TEST_SUITE(EnrollmentEngine, storage_test::Backends, storage_test::BackendNames);

TYPED_TEST(EnrollmentEngine, EachTokenTypeStartsARunThatRecordsItsUtm) {
    const auto d = this->deploy("Greek");
    const auto open = this->token(d, "public", [](TokenDraft& t) {
        t.label = "Instagram";
        t.utm_source = "instagram";
        t.utm_medium = "bio";
        t.utm_campaign = "spring";
    });
    EXPECT_LE(open.payload.size(), sdk::kMaxStartPayload);
    EXPECT_EQ(open.link, "https://t.me/enroll_bot?start=" + open.payload);
    const auto group = this->token(d, "group", [](TokenDraft& t) { t.max_uses = 5; });
    const auto personal = this->token(d, "personal", [](TokenDraft& t) { t.user_id = 103; });
    const auto external = this->token(d, "external", [](TokenDraft& t) { t.utm_source = "moodle"; });
    const auto signed_link =
        this->tokens->sign_external(kAccount, external.token.id, "moodle-77", now_ms() + 3'600'000, now_ms());
    EXPECT_LE(signed_link.payload.size(), sdk::kMaxStartPayload);

    const std::vector<std::pair<std::int64_t, std::string>> starts = {
        {101, open.payload}, {102, group.payload}, {103, personal.payload}, {104, signed_link.payload}};
    for (const auto& [chat, payload] : starts) {
        SCOPED_TRACE(payload);
        const auto result = this->start(chat, payload);
        ASSERT_EQ(result.status, Status::handled) << result.message;
        EXPECT_EQ(this->texts(chat), std::vector<std::string>{"Welcome to Greek"});
    }
    EXPECT_EQ(json::parse(this->runs_in(101).at(0).utm_json),
              (json{{"source", "instagram"}, {"medium", "bio"}, {"campaign", "spring"}}));
    EXPECT_EQ(this->runs_in(101).at(0).token_id, open.token.id);
    EXPECT_EQ(this->runs_in(103).at(0).token_id, personal.token.id);
    EXPECT_EQ(json::parse(this->runs_in(104).at(0).utm_json),
              (json{{"source", "moodle"}, {"external_ref", "moodle-77"}}));
    for (const auto& t : {open, group, personal, external})
        EXPECT_EQ(this->uses_of(t.token.id), 1) << t.token.type;
    EXPECT_EQ(this->runs_of(d).size(), 4u);
}

// The brief's race: max_uses 10, fifty students at the same moment.
TYPED_TEST(EnrollmentEngine, AGroupTokenOfTenAdmitsExactlyTenOfFiftyConcurrentStarts) {
    const auto d = this->deploy("Race");
    const auto group = this->token(d, "group", [](TokenDraft& t) { t.max_uses = 10; });
    constexpr int kStudents = 50;
    std::barrier together(kStudents);
    std::atomic<int> handled{0};
    std::atomic<int> refused{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> students;
    for (int i = 0; i < kStudents; ++i)
        students.emplace_back([&, chat = 5000 + i] {
            together.arrive_and_wait();
            const auto result = this->start(chat, group.payload);
            if (result.status == Status::handled) ++handled;
            if (result.status == Status::refused) ++refused;
            if (result.status == Status::failed) ++failed;
        });
    for (auto& s : students) s.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(handled.load(), 10);
    EXPECT_EQ(refused.load(), 40);
    EXPECT_EQ(this->runs_of(d).size(), 10u);
    EXPECT_EQ(this->uses_of(group.token.id), 10);
    int told_full = 0;
    for (int i = 0; i < kStudents; ++i) {
        const auto texts = this->texts(5000 + i);
        ASSERT_EQ(texts.size(), 1u);
        if (texts[0] == this->text_of("link_exhausted")) ++told_full;
    }
    EXPECT_EQ(told_full, 40);
}

TYPED_TEST(EnrollmentEngine, RefusedLinksCreateNothingAndSayWhy) {
    const auto d = this->deploy("Refusals");
    const auto other_bot = this->create_bot("other_bot");
    const auto elsewhere = this->deploy("Elsewhere", {}, other_bot);
    const auto personal = this->token(d, "personal");
    const auto withdrawn = this->token(d, "public");
    this->tokens->revoke(kAccount, withdrawn.token.id);
    const auto later = this->token(d, "group", [](TokenDraft& t) {
        t.max_uses = 3;
        t.starts_at = now_ms() + 86'400'000;
    });
    const auto foreign = this->token(elsewhere, "public");
    const auto paused = this->token(d, "public");
    this->tokens->set_active(kAccount, paused.token.id, false);

    ASSERT_EQ(this->start(1, personal.payload).status, Status::handled);
    this->texts(1);

    const auto base = "cd_" + sdk::encode_short_id(d) + "_";
    const std::vector<std::tuple<std::string, std::string, std::int64_t>> cases = {
        {personal.payload, "link_used", 2},
        {withdrawn.payload, "link_revoked", 3},
        {later.payload, "link_not_started", 4},
        {foreign.payload, "link_wrong_bot", 5},
        {paused.payload, "link_paused", 6},
        {base + "NoSuchCode1", "link_unknown", 7},
        {"cd_" + sdk::encode_short_id(999999) + "_abc", "link_unknown", 8},
        {base + std::string(70, 'a'), "link_malformed", 9},
        {"cd_1_abc def", "link_malformed", 10},
        {"cd_99999999999999999999_abc", "link_malformed", 11},
        {"cd__abc", "link_malformed", 12},
        {personal.payload + "_extra", "link_malformed", 13},
        {"no-such-alias", "link_unknown", 14},
        {std::string(200000, 'x'), "link_malformed", 15},
    };
    for (const auto& [payload, key, chat] : cases) {
        SCOPED_TRACE(payload.substr(0, 80));
        const auto result = this->start(chat, payload);
        EXPECT_EQ(result.status, Status::refused);
        EXPECT_EQ(this->texts(chat), std::vector<std::string>{this->text_of(key)});
        EXPECT_TRUE(this->runs_in(chat).empty());
    }
    EXPECT_EQ(this->runs_of(d).size(), 1u);
    EXPECT_EQ(this->runs_of(elsewhere).size(), 0u);
    EXPECT_EQ(this->uses_of(personal.token.id), 1);
    EXPECT_EQ(this->uses_of(later.token.id), 0);
    EXPECT_EQ(this->uses_of(paused.token.id), 0);
}

TYPED_TEST(EnrollmentEngine, AnExpiredTokenAndAnExpiredExternalLinkAreRefused) {
    const auto d = this->deploy("Expiry");
    const auto t = this->token(d, "group", [](TokenDraft& draft) { draft.max_uses = 5; });
    {
        // TokenRegistry refuses an expiry in the past; the storage keeps what it is given.
        auto tx = this->storage->begin();
        sdk::EnrollmentToken past = *tx->get_token(kAccount, t.token.id);
        past.id = 0;
        past.code = "Expired1";
        past.expires_at = now_ms() - 1;
        tx->create_token(kAccount, past);
        tx->commit();
    }
    const auto result = this->start(1, sdk::deep_link_payload(d, "Expired1"));
    EXPECT_EQ(result.status, Status::refused);
    EXPECT_EQ(this->texts(1), std::vector<std::string>{this->text_of("link_expired")});

    const auto external = this->token(d, "external");
    auto link = this->tokens->sign_external(kAccount, external.token.id, "u1", now_ms() + 1'500, now_ms());
    std::this_thread::sleep_for(std::chrono::milliseconds(2'600));
    EXPECT_EQ(this->start(2, link.payload).status, Status::refused);
    EXPECT_EQ(this->texts(2), std::vector<std::string>{this->text_of("link_expired")});
    // Rotating the key voids every link signed with the old one.
    link = this->tokens->sign_external(kAccount, external.token.id, "u1", now_ms() + 3'600'000, now_ms());
    this->tokens->enrollment_key(kAccount, true);
    EXPECT_EQ(this->start(3, link.payload).status, Status::refused);
    EXPECT_EQ(this->texts(3), std::vector<std::string>{this->text_of("link_malformed")});
    EXPECT_TRUE(this->runs_of(d).empty());
}

// The sealed key is bound to its account's row: copied into another
// account's row by whoever can write the database, it does not open there.
TYPED_TEST(EnrollmentEngine, AnEnrollmentKeyMovedToAnotherAccountDoesNotOpen) {
    this->tokens->enrollment_key(kAccount, false);
    auto tx = this->storage->begin();
    const auto other = tx->create_account("other").id;
    tx->set_enrollment_key(other, *tx->enrollment_key(kAccount));
    tx->commit();
    EXPECT_THROW(this->tokens->enrollment_key(other, false), std::runtime_error);
}

TYPED_TEST(EnrollmentEngine, SwitchingCoursesOnOneBotAsksFirstAndAbandonsTheOldRun) {
    const auto greek = this->deploy("Greek");
    const auto latin = this->deploy("Latin");
    const auto to_greek = this->token(greek, "public");
    const auto to_latin = this->token(latin, "group", [](TokenDraft& t) { t.max_uses = 5; });
    ASSERT_EQ(this->start(7, to_greek.payload).status, Status::handled);
    this->texts(7);
    const auto greek_run = this->runs_in(7).at(0);

    // Asked, then staying.
    EXPECT_EQ(this->start(7, to_latin.payload).status, Status::handled);
    std::vector<json> prompt = this->sent(7);
    ASSERT_EQ(prompt.size(), 1u);
    EXPECT_EQ(prompt[0]["text"],
              "You are taking \"Greek\". Switch to \"Latin\"? Your progress in \"Greek\" will end.");
    ASSERT_EQ(prompt[0]["buttons"].size(), 2u);
    EXPECT_EQ(prompt[0]["buttons"][0]["text"], "Switch to \"Latin\"");
    EXPECT_EQ(this->runs_in(7).size(), 1u) << "asking creates nothing";
    EXPECT_EQ(this->uses_of(to_latin.token.id), 0) << "asking takes no use";
    EXPECT_EQ(this->press(7, prompt[0]["buttons"][1]["callback_data"]).status, Status::handled);
    EXPECT_EQ(this->texts(7), std::vector<std::string>{"Carry on with \"Greek\"."});
    EXPECT_TRUE(this->storage->begin()->get_run(kAccount, greek_run.id)->active);

    // Asked again, then switching; the old prompt's button does nothing.
    const auto old_yes = prompt[0]["buttons"][0]["callback_data"].get<std::string>();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    this->start(7, to_latin.payload);
    prompt = this->sent(7);
    ASSERT_EQ(prompt.size(), 1u);
    EXPECT_EQ(this->press(7, old_yes).status, Status::ignored);
    EXPECT_EQ(this->press(7, prompt[0]["buttons"][0]["callback_data"]).status, Status::handled);
    EXPECT_EQ(this->texts(7), std::vector<std::string>{"Welcome to Latin"});
    const auto old = this->storage->begin()->get_run(kAccount, greek_run.id);
    EXPECT_EQ(old->status, sdk::RunStatus::abandoned);
    EXPECT_FALSE(old->active);
    const auto runs = this->runs_of(latin);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_TRUE(runs[0].active);
    EXPECT_EQ(runs[0].token_id, to_latin.token.id);
    EXPECT_EQ(this->uses_of(to_latin.token.id), 1);
}

TYPED_TEST(EnrollmentEngine, StartingTheSameCourseAgainResumesOrRestartsAsTheDeploymentSays) {
    const auto d = this->deploy("Greek");
    const auto link = this->token(d, "public");
    ASSERT_EQ(this->start(8, link.payload).status, Status::handled);
    this->texts(8);
    // Text where a button is awaited gets the hint, twice.
    this->say(8, "hello?");
    this->say(8, "anyone?");
    ASSERT_EQ(this->texts(8).size(), 2u);
    // Resumed: where it was, the button still working, nothing new; what the
    // element sent on entering, not the hints its answers got since.
    EXPECT_EQ(this->start(8, link.payload).status, Status::handled);
    const std::vector<json> again = this->sent(8);
    ASSERT_EQ(again.size(), 2u) << json(again).dump();
    EXPECT_EQ(again[0]["text"], "Welcome back to \"Greek\"! Here is where you left off.");
    EXPECT_EQ(again[1]["text"], "Welcome to Greek");
    EXPECT_EQ(this->runs_in(8).size(), 1u);
    EXPECT_EQ(this->uses_of(link.token.id), 1);
    EXPECT_EQ(this->press(8, again[1]["buttons"][0]["callback_data"]).status, Status::handled);
    EXPECT_EQ(this->texts(8), std::vector<std::string>{"Bye from Greek"});
    // A bare /start after the end starts the bot's only course anew.
    EXPECT_EQ(this->start(8, "").status, Status::handled);
    EXPECT_EQ(this->texts(8), std::vector<std::string>{"Welcome to Greek"});
    EXPECT_EQ(this->start(8, "").status, Status::handled);
    EXPECT_EQ(this->texts(8).front(), "Welcome back to \"Greek\"! Here is where you left off.");

    const auto restartable = this->deploy("Latin", [](sdk::CourseDeployment& x) { x.allow_restart = true; });
    const auto latin = this->token(restartable, "public");
    ASSERT_EQ(this->start(9, latin.payload).status, Status::handled);
    const auto first = this->runs_in(9).at(0);
    ASSERT_EQ(this->start(9, latin.payload).status, Status::handled);
    const auto runs = this->runs_in(9);
    ASSERT_EQ(runs.size(), 2u);
    for (const auto& r : runs) {
        if (r.id == first.id)
            EXPECT_EQ(r.status, sdk::RunStatus::abandoned);
        else
            EXPECT_TRUE(r.active);
    }
    EXPECT_EQ(this->uses_of(latin.token.id), 2);
}

// Links that limit who starts would limit nothing if a bare /start let
// anyone in: a deployment with only such links asks for one; one with an
// open (public) link, or with none at all, starts on a bare /start.
TYPED_TEST(EnrollmentEngine, ABareStartNeedsALinkWhereOnlyLinksThatLimitAdmit) {
    const auto d = this->deploy("Greek");
    ASSERT_EQ(this->start(30, "").status, Status::handled) << "no links: open to a bare /start";
    this->texts(30);
    const auto group = this->token(d, "group", [](TokenDraft& t) { t.max_uses = 1; });
    this->token(d, "personal");
    ASSERT_EQ(this->start(31, group.payload).status, Status::handled);
    this->texts(31);
    EXPECT_EQ(this->start(32, "").status, Status::refused);
    EXPECT_EQ(this->texts(32),
              std::vector<std::string>{"Please open the course with the link you were given."});
    EXPECT_TRUE(this->runs_in(32).empty());
    EXPECT_EQ(this->start(30, "").status, Status::handled) << "a student under way carries on";
    this->token(d, "public");
    EXPECT_EQ(this->start(32, "").status, Status::handled) << "an open link: open to a bare /start";
}

// Opening one's own link again (from an e-mail, on another device) resumes:
// the token's rules and a pause decide who starts, and this student did.
TYPED_TEST(EnrollmentEngine, AStudentUnderWayWhoOpensTheirUsedLinkAgainCarriesOn) {
    const auto d = this->deploy("Greek");
    const auto personal = this->token(d, "personal");
    const auto group = this->token(d, "group", [](TokenDraft& t) { t.max_uses = 1; });
    ASSERT_EQ(this->start(8, personal.payload).status, Status::handled);
    ASSERT_EQ(this->start(9, group.payload).status, Status::handled);
    this->texts(8);
    this->texts(9);
    for (const auto& [chat, link] : {std::pair{8, personal.payload}, std::pair{9, group.payload}}) {
        EXPECT_EQ(this->start(chat, link).status, Status::handled) << chat;
        const auto again = this->texts(chat);
        ASSERT_FALSE(again.empty()) << chat;
        EXPECT_EQ(again.front(), "Welcome back to \"Greek\"! Here is where you left off.");
        EXPECT_EQ(this->runs_in(chat).size(), 1u);
    }
    EXPECT_EQ(this->uses_of(personal.token.id), 1);
    EXPECT_EQ(this->uses_of(group.token.id), 1);
    // Nobody else gets in by them.
    EXPECT_EQ(this->start(10, personal.payload).status, Status::refused);
    EXPECT_EQ(this->start(10, group.payload).status, Status::refused);
}

TYPED_TEST(EnrollmentEngine, BannedStudentsGetTheBanTextPerBotOrAccount) {
    const auto d = this->deploy("Greek", [](sdk::CourseDeployment& x) {
        x.overrides_json = R"({"texts":{"banned":"Not here, sorry."}})";
    });
    const auto link = this->token(d, "public");
    AccessRules rules(*this->storage);
    ASSERT_EQ(this->start(21, link.payload).status, Status::handled);
    sdk::Ban on_bot;
    on_bot.bot_id = this->bot;
    on_bot.user_id = 21;
    on_bot.message = "You were removed from this school for cheating.";
    EXPECT_EQ(rules.ban(kAccount, on_bot, now_ms()).runs_stopped, 1);
    this->texts(21);
    EXPECT_EQ(this->start(21, link.payload).status, Status::refused);
    EXPECT_EQ(this->texts(21), std::vector<std::string>{"You were removed from this school for cheating."});
    EXPECT_EQ(this->runs_in(21).size(), 1u);
    EXPECT_EQ(this->runs_in(21)[0].status, sdk::RunStatus::stopped);

    sdk::Ban everywhere;
    everywhere.user_id = 22;
    rules.ban(kAccount, everywhere, now_ms());
    EXPECT_EQ(this->start(22, link.payload).status, Status::refused);
    EXPECT_EQ(this->texts(22), std::vector<std::string>{"Not here, sorry."}) << "the deployment's own text";
    EXPECT_TRUE(this->runs_in(22).empty());
    EXPECT_EQ(this->uses_of(link.token.id), 1);
}

// A ban's message longer than one Telegram message (stored before messages
// were checked, or by an import): the student gets all of it, in parts.
TYPED_TEST(EnrollmentEngine, ABanMessageLongerThanTelegramTakesArrivesInParts) {
    const auto d = this->deploy("Greek");
    const auto link = this->token(d, "public");
    std::string paragraph(3000, 'x');
    sdk::Ban ban;
    ban.user_id = 23;
    ban.message = paragraph + "\n\n" + paragraph;
    {
        auto tx = this->storage->begin();
        tx->ban(kAccount, ban);
        tx->commit();
    }
    EXPECT_EQ(this->start(23, link.payload).status, Status::refused);
    EXPECT_EQ(this->texts(23), (std::vector<std::string>{paragraph, paragraph}));

    AccessRules rules(*this->storage);
    ban.user_id = 24;
    try {
        rules.ban(kAccount, ban, now_ms());
        ADD_FAILURE() << "a ban's message over 4096 characters was taken";
    } catch (const sdk::AdminError& e) {
        EXPECT_EQ(e.field(), "/message");
        EXPECT_NE(std::string(e.what()).find("6002 characters long"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(this->storage->begin()->find_ban(kAccount, this->bot, 24)) << "a refused ban is not stored";
}

TYPED_TEST(EnrollmentEngine, ARestrictedDeploymentAdmitsParticipantsAndPersonalTokenHolders) {
    const auto d = this->deploy("Closed", [](sdk::CourseDeployment& x) { x.restricted = true; });
    const auto open = this->token(d, "public");
    const auto personal = this->token(d, "personal");
    AccessRules rules(*this->storage);
    rules.add_participant(kAccount, d, parse_telegram_user("@Listed_Ann"));
    rules.add_participant(kAccount, d, parse_telegram_user("32"));

    EXPECT_EQ(this->start(31, open.payload, "stranger").status, Status::refused);
    EXPECT_EQ(this->texts(31), std::vector<std::string>{this->text_of("not_allowed")});
    EXPECT_EQ(this->uses_of(open.token.id), 0);
    EXPECT_EQ(this->start(33, open.payload, "listed_ann").status, Status::handled) << "by username";
    EXPECT_EQ(this->start(32, open.payload).status, Status::handled) << "by id";
    EXPECT_EQ(this->start(34, personal.payload, "holder").status, Status::handled) << "a personal token";
    EXPECT_EQ(this->runs_of(d).size(), 3u);
}

TYPED_TEST(EnrollmentEngine, AParticipantListedByUsernameIsKnownWithoutCaseOrAtSign) {
    const auto d = this->deploy("By name", [](sdk::CourseDeployment& x) { x.restricted = true; });
    const auto elsewhere = this->deploy("Elsewhere", [](sdk::CourseDeployment& x) { x.restricted = true; });
    const auto open = this->token(d, "public");
    AccessRules rules(*this->storage);
    rules.add_participant(kAccount, d, parse_telegram_user("@Mixed_Case_Ann"));
    rules.add_participant(kAccount, elsewhere, parse_telegram_user("listed_elsewhere"));

    EXPECT_EQ(this->start(41, open.payload, "mixed_case_ann").status, Status::handled) << "lower case";
    EXPECT_EQ(this->start(42, open.payload, "MIXED_CASE_ANN").status, Status::handled) << "upper case";
    EXPECT_EQ(this->start(43, open.payload, "@Mixed_Case_Ann").status, Status::handled) << "with '@'";
    for (const auto& [chat, username] : std::vector<std::pair<std::int64_t, std::string>>{
             {44, "mixed_case_an"},      // a prefix of the name
             {45, "mixed_case_ann2"},    // a longer name
             {46, "listed_elsewhere"},   // listed on another deployment
             {47, ""},                   // no username at all
             {48, "mixed case ann"}}) {  // not a username
        EXPECT_EQ(this->start(chat, open.payload, username).status, Status::refused)
            << "'" << username << "'";
        EXPECT_EQ(this->texts(chat), std::vector<std::string>{this->text_of("not_allowed")});
        EXPECT_TRUE(this->runs_in(chat).empty());
    }
    EXPECT_EQ(this->runs_of(d).size(), 3u);
    EXPECT_EQ(this->uses_of(open.token.id), 3) << "refused starts take no use";
}

TYPED_TEST(EnrollmentEngine, LegacyAliasLinksRecordTheirUtm) {
    const auto d = this->deploy("Ielts", [](sdk::CourseDeployment& x) { x.legacy_alias = "ielts2"; });
    ASSERT_EQ(this->start(41, "ielts2__utmsIIinstagram__utmcIIspring").status, Status::handled);
    EXPECT_EQ(this->texts(41), std::vector<std::string>{"Welcome to Ielts"});
    const auto run = this->runs_in(41).at(0);
    EXPECT_EQ(json::parse(run.utm_json), (json{{"source", "instagram"}, {"campaign", "spring"}}));
    EXPECT_FALSE(run.token_id);
    ASSERT_EQ(this->start(42, "ielts2").status, Status::handled);
    EXPECT_EQ(json::parse(this->runs_in(42).at(0).utm_json), json::object());
    EXPECT_EQ(this->runs_of(d).size(), 2u);
}

TYPED_TEST(EnrollmentEngine, AnEmailIsAskedAndCheckedBeforeTheFirstElement) {
    const auto d = this->deploy("Mailing", [](sdk::CourseDeployment& x) { x.collect_email = true; });
    const auto link = this->token(d, "public");
    ASSERT_EQ(this->start(51, link.payload).status, Status::handled);
    EXPECT_EQ(this->texts(51), std::vector<std::string>{this->text_of("email_ask")});
    for (const char* bad : {"ann", "ann@", "@example.org", "ann@example", "ann@@example.org",
                            "a b@example.org", "ann@exa_mple.org", "ann@example.c0m"}) {
        EXPECT_EQ(this->say(51, bad).status, Status::ignored) << bad;
        EXPECT_EQ(this->texts(51), std::vector<std::string>{this->text_of("email_invalid")}) << bad;
    }
    // A start while it waits asks again rather than skipping the question.
    EXPECT_EQ(this->start(51, link.payload).status, Status::handled);
    EXPECT_EQ(this->texts(51).back(), this->text_of("email_ask"));
    EXPECT_EQ(this->say(51, "  Ann.Smith+greek@Example.org ").status, Status::handled);
    EXPECT_EQ(this->texts(51), std::vector<std::string>{"Welcome to Mailing"});
    const auto state = RunState::parse(this->runs_in(51).at(0).state_json);
    EXPECT_FALSE(state.email_pending);
    EXPECT_EQ(state.email, "Ann.Smith+greek@Example.org");
}

}  // namespace
}  // namespace profo::host
