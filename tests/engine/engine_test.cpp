// The course engine over the real SQLite storage plugin, with the test
// element plugins `script` and `ask` (tests/engine_fixtures) standing in for
// the real elements.
#include "engine/engine.hpp"
#include "bots/bot_registry.hpp"
#include "build_tree.hpp"
#include "config/config.hpp"
#include "course/course_document.hpp"
#include "engine/run_state.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/plugin_registry.hpp"
#include "process.hpp"
#include "runtime/executor.hpp"
#include "secrets/secret_box.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <future>
#include <limits>
#include <thread>

namespace profo::host {
namespace {

using nlohmann::json;
using Status = sdk::DispatchResult::Status;
using Kind = sdk::InboundEvent::Kind;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kFixtures = profo::build_tree::root() / "tests/engine_fixtures";
const fs::path kPlugins = profo::build_tree::plugin_dir();

class RecordingLogger final : public sdk::Logger {
public:
    void log(sdk::LogLevel level, std::string_view message) override {
        std::lock_guard lock(mutex_);
        if (level >= sdk::LogLevel::warn) lines_ += std::string(message) + "\n";
    }
    std::string lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    std::mutex mutex_;
    std::string lines_;
};

std::shared_ptr<sdk::Storage> open_database(const fs::path& file, int busy_timeout_ms = 5000) {
    static const auto module = load_plugin_file(kPlugins / "profo_storage_sqlite.so");
    sdk::StorageOptions options;
    options.dsn = file.string();
    options.sqlite_synchronous = sdk::SqliteSynchronous::normal;  // no fsync per commit in tests
    options.busy_timeout_ms = busy_timeout_ms;
    auto storage = module->keep_alive(module->as<sdk::StoragePlugin>().open(options));
    storage->migrate();
    return storage;
}

Config engine_config() {
    Config c;
    c.plugins["element/script"].enabled = true;
    c.plugins["element/script"].settings = {{"a", 1}, {"b", 1}};
    c.plugins["element/ask"].enabled = true;
    c.engine.max_steps_per_event = 50;
    c.engine.hints.run_finished = "The course is over";
    return c;
}

std::array<unsigned char, 32> test_key() {
    std::array<unsigned char, 32> key{};
    key.fill(7);
    return key;
}

using Course = std::vector<std::pair<std::string, json>>;

// Polls `done` for up to `limit`.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds limit = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return done();
}

class EngineTest : public ::testing::Test {
protected:
    EngineTest()
        : registry(config, {inspect_plugin(kFixtures / "profo_element_script.so"),
                            inspect_plugin(kFixtures / "profo_element_ask.so")}) {
        if (!registry.failures().empty()) throw std::runtime_error(registry.failures()[0]);
        storage = open_database(dir / "engine.db");
        bot = create_bot("engine_test_bot");
        make_engine();
    }

    void make_engine() {
        engine = std::make_unique<Engine>(*storage, registry, executor, clock, config, log);
    }

    sdk::Id create_bot(const std::string& username) {
        auto tx = storage->begin();
        sdk::Bot b;
        b.username = username;
        const auto id = create_bot_with_token(*tx, secrets, sdk::kDefaultAccountId, b, "123:secret").id;
        tx->commit();
        return id;
    }

    sdk::Id deploy(const Course& course, bool active = true, const std::string& overrides = "{}",
                   sdk::Id on_bot = 0) {
        auto tx = storage->begin();
        const auto c = tx->create_course(sdk::kDefaultAccountId, "course " + std::to_string(++courses));
        std::vector<sdk::CourseElement> rows;
        for (const auto& [id, spec] : course) {
            sdk::CourseElement e;
            e.account_id = sdk::kDefaultAccountId;
            e.position = static_cast<int>(rows.size());
            e.element_id = id;
            e.type = spec.at("type").get<std::string>();
            e.body_json = spec.dump();
            rows.push_back(e);
        }
        const auto version = tx->create_version(sdk::kDefaultAccountId, c.id, "test", rows);
        sdk::CourseDeployment d;
        d.course_id = c.id;
        d.version_id = version.id;
        d.bot_id = on_bot ? on_bot : bot;
        d.overrides_json = overrides;
        d.active = active;
        const auto id = tx->create_deployment(sdk::kDefaultAccountId, d).id;
        tx->commit();
        return id;
    }

    sdk::InboundEvent event(Kind kind, std::int64_t chat = 1) const {
        sdk::InboundEvent e;
        e.kind = kind;
        e.bot_id = bot;
        e.chat_id = chat;
        e.user_id = chat;
        return e;
    }

    sdk::DispatchResult start(sdk::Id deployment, std::int64_t chat = 1) {
        auto e = event(Kind::start, chat);
        e.deployment_id = deployment;
        return engine->dispatch(e);
    }

    sdk::DispatchResult text(const std::string& text, std::int64_t chat = 1,
                             std::optional<std::int64_t> update = std::nullopt) {
        auto e = event(Kind::text, chat);
        e.text = text;
        e.update_id = update;
        return engine->dispatch(e);
    }

    sdk::DispatchResult press(const std::string& data, std::int64_t chat = 1,
                              std::optional<std::int64_t> update = std::nullopt) {
        auto e = event(Kind::callback, chat);
        e.callback_data = data;
        e.callback_id = "cb-" + data;
        e.update_id = update;
        return engine->dispatch(e);
    }

    // Pending outbox payloads of the chat, oldest first; marked sent.
    std::vector<json> sent(std::int64_t chat = 1) {
        auto tx = storage->begin();
        std::vector<json> out;
        for (const auto& m : tx->list_outbox(sdk::kDefaultAccountId, bot, chat)) {
            if (m.status != "pending") continue;
            out.push_back(json::parse(m.payload_json));
            tx->mark_outbox_sent(sdk::kDefaultAccountId, m.id);
        }
        tx->commit();
        return out;
    }

    // The texts among sent(); other kinds as "<kind>".
    std::vector<std::string> texts(std::int64_t chat = 1) {
        std::vector<std::string> out;
        for (const auto& p : sent(chat))
            out.push_back(p["kind"] == "text" ? p["text"].get<std::string>()
                                              : "<" + p["kind"].get<std::string>() + ">");
        return out;
    }

    // The chat's latest run.
    sdk::Run run_of(std::int64_t chat = 1) {
        auto tx = storage->begin();
        sdk::RunFilter filter;
        filter.bot_id = bot;
        filter.chat_id = chat;
        filter.newest_first = true;
        filter.limit = 1;
        const auto latest = tx->list_runs(sdk::kDefaultAccountId, filter);
        if (latest.empty()) throw std::runtime_error("no run in chat " + std::to_string(chat));
        return latest.front();
    }

    RunState state_of(std::int64_t chat = 1) { return RunState::parse(run_of(chat).state_json); }

    std::vector<sdk::ConversationEntry> history(sdk::Id run_id) {
        return storage->begin()->conversation(sdk::kDefaultAccountId, run_id);
    }

    std::vector<sdk::WaitingElement> pending_timers() {
        return storage->begin()->due_timers_all_accounts(std::numeric_limits<sdk::Millis>::max(), 100);
    }

    profo::testing::TempDir dir;
    Config config = engine_config();
    PluginRegistry registry;
    std::shared_ptr<sdk::Storage> storage;
    ThreadPoolExecutor executor{2};
    SystemClock clock;
    AesGcmSecretBox secrets{test_key()};
    RecordingLogger log;
    std::unique_ptr<Engine> engine;
    sdk::Id bot = 0;
    int courses = 0;
};

TEST_F(EngineTest, AStartEntersTheFirstElementAndAPressMovesOn) {
    const auto d = deploy(
        {{"A",
          {{"type", "script"}, {"text", "hi"}, {"buttons", {"Go"}}, {"then", "wait"}, {"on_button", "next"}}},
         {"B", {{"type", "script"}, {"text", "bye"}}}});
    const auto started = start(d);
    ASSERT_EQ(started.status, Status::handled) << started.message;
    ASSERT_TRUE(started.run_id);
    // The data names the activation, the button and the run.
    const auto data = "a1:0:" + std::to_string(*started.run_id);
    EXPECT_EQ(sent(), (std::vector<json>{{{"kind", "text"},
                                          {"text", "hi"},
                                          {"link_preview", true},
                                          {"buttons", {{{"text", "Go"}, {"callback_data", data}}}}}}));
    auto run = run_of();
    EXPECT_EQ(run.id, *started.run_id);
    EXPECT_TRUE(run.active);
    EXPECT_EQ(run.cursor, "A");
    EXPECT_EQ(state_of().waiting, Waiting::button);

    EXPECT_EQ(press("a1:0").status, Status::handled);
    EXPECT_EQ(sent(),
              (std::vector<json>{{{"kind", "callback_answer"}, {"callback_id", "cb-a1:0"}, {"text", ""}},
                                 {{"kind", "text"}, {"text", "bye"}, {"link_preview", true}}}));
    run = run_of();
    EXPECT_EQ(run.status, sdk::RunStatus::completed);
    EXPECT_FALSE(run.active);
    EXPECT_TRUE(run.ended_at);

    // Every send is a bot row of its element; the press is A's user row.
    const auto rows = history(run.id);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].element_id, "A");
    EXPECT_EQ(rows[0].role, "bot");
    EXPECT_EQ(json::parse(rows[0].payload_json)["text"], "hi");
    EXPECT_EQ(rows[1].role, "user");
    EXPECT_EQ(json::parse(rows[1].payload_json), (json{{"button", 0}}));
    EXPECT_EQ(rows[2].element_id, "B");
}

TEST_F(EngineTest, SectionsAreSkippedAndRunningPastTheEndCompletes) {
    const auto d = deploy({{"S0", {{"type", "section"}, {"title", "Part 1"}}},
                           {"A", {{"type", "script"}, {"text", "one"}}},
                           {"S1", {{"type", "section"}}},
                           {"B", {{"type", "script"}, {"text", "two"}, {"then", "goto:S2"}}},
                           {"S2", {{"type", "section"}}},
                           {"C", {{"type", "script"}, {"text", "three"}}},
                           {"S3", {{"type", "section"}}}});
    ASSERT_EQ(start(d).status, Status::handled);
    EXPECT_EQ(texts(), (std::vector<std::string>{"one", "two", "three"}));
    EXPECT_EQ(run_of().status, sdk::RunStatus::completed);
}

TEST_F(EngineTest, ButtonsOfAnElementTheRunLeftAreAnsweredAndIgnored) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"text", "first"},
                             {"buttons", {"Дальше, пожалуйста"}},
                             {"then", "wait"},
                             {"on_button", "next"}}},
                           {"B",
                            {{"type", "script"},
                             {"text", "second"},
                             {"buttons", {"x", "y"}},
                             {"then", "wait"},
                             {"on_button", "end"}}}});
    start(d);
    const auto run = std::to_string(run_of().id);
    EXPECT_EQ(sent()[0]["buttons"][0]["callback_data"], "a1:0:" + run);
    press("a1:0:" + run);
    EXPECT_EQ(sent().back()["buttons"][1]["callback_data"], "a2:1:" + run);

    const auto stale = press("a1:0");
    EXPECT_EQ(stale.status, Status::ignored);
    // Answered so the client stops spinning; no hint, nothing else.
    EXPECT_EQ(sent(),
              (std::vector<json>{{{"kind", "callback_answer"}, {"callback_id", "cb-a1:0"}, {"text", ""}}}));
    EXPECT_EQ(run_of().cursor, "B");
    EXPECT_EQ(state_of().activation, 2);
    EXPECT_EQ(press("garbage").status, Status::ignored);
    sent();

    EXPECT_EQ(press("a2:1").status, Status::handled);
    EXPECT_EQ(run_of().status, sdk::RunStatus::completed);
    const auto rows = history(run_of().id);
    const auto ignored = std::count_if(rows.begin(), rows.end(), [](const auto& r) {
        return r.role == "user" && json::parse(r.payload_json).value("ignored", false);
    });
    EXPECT_EQ(ignored, 2);
}

// Activations count from 1 in every run: a button an earlier run left in the
// chat must not press the same activation's button of the next run.
TEST_F(EngineTest, AButtonOfAnEarlierRunIsAnsweredAndIgnoredInTheNextOne) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"text", "ready?"},
                             {"buttons", {"yes", "no"}},
                             {"then", "wait"},
                             {"on_button", "next"}}},
                           {"B", {{"type", "script"}, {"text", "done"}}}});
    start(d);
    const std::string earlier = sent()[0]["buttons"][1]["callback_data"];
    EXPECT_EQ(press(earlier).status, Status::handled);
    EXPECT_EQ(run_of().status, sdk::RunStatus::completed);
    sent();

    start(d);
    const auto next = run_of();
    ASSERT_TRUE(next.active);
    const std::string current = sent()[0]["buttons"][1]["callback_data"];
    ASSERT_NE(current, earlier);
    EXPECT_EQ(press(earlier).status, Status::ignored);
    EXPECT_EQ(run_of().cursor, "A") << "the earlier run's button moved the new run on";
    sent();
    EXPECT_EQ(press(current).status, Status::handled);
    EXPECT_EQ(run_of().id, next.id);
    EXPECT_EQ(run_of().status, sdk::RunStatus::completed);
}

TEST_F(EngineTest, AnEventThatDoesNotFitGetsTheHintAndChangesNothingElse) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"text", "press"},
                             {"buttons", {"ok"}},
                             {"then", "wait"},
                             {"on_button", "next"}}}});
    start(d);
    sent();
    const auto before = run_of();
    const auto result = text("hello?");
    EXPECT_EQ(result.status, Status::ignored);
    EXPECT_EQ(texts(), (std::vector<std::string>{"Please use the buttons above 👆"}));
    const auto after = run_of();
    EXPECT_EQ(after.cursor, "A");
    EXPECT_EQ(RunState::parse(after.state_json).activation, RunState::parse(before.state_json).activation);
    const auto rows = history(after.id);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(json::parse(rows[1].payload_json), (json{{"text", "hello?"}, {"ignored", true}}));
    EXPECT_EQ(rows[1].role, "user");
    EXPECT_EQ(rows[2].role, "bot");  // the hint is part of the transcript too
}

TEST_F(EngineTest, CallComesBackWithTheCallersStateThenGoToAndEnd) {
    const auto d = deploy(
        {{"A", {{"type", "script"}, {"report", {"state"}}, {"then", "call:C"}, {"on_return", "goto:E"}}},
         {"B", {{"type", "script"}, {"text", "never B"}}},
         {"C", {{"type", "script"}, {"text", "in C"}}},
         {"D", {{"type", "script"}, {"text", "never D"}}},
         {"E", {{"type", "script"}, {"text", "in E"}, {"then", "end"}}},
         {"F", {{"type", "script"}, {"text", "never F"}}}});
    ASSERT_EQ(start(d).status, Status::handled);
    EXPECT_EQ(texts(),
              (std::vector<std::string>{"state set", "in C", R"(back at A state {"kept":"A"})", "in E"}));
    const auto run = run_of();
    EXPECT_EQ(run.status, sdk::RunStatus::completed);
    EXPECT_EQ(run.cursor, "E");
    const auto state = RunState::parse(run.state_json);
    EXPECT_TRUE(state.stack.empty());
    EXPECT_TRUE(state.states.empty());
}

TEST_F(EngineTest, ACalledElementThatWaitsKeepsTheStackAcrossEvents) {
    const auto d = deploy({{"A", {{"type", "script"}, {"report", {"state"}}, {"then", "call:Q"}}},
                           {"Z", {{"type", "script"}, {"text", "done"}, {"then", "end"}}},
                           {"Q", {{"type", "ask"}, {"text", "2+2?"}, {"answer", "4"}}}});
    start(d);
    EXPECT_EQ(texts(), (std::vector<std::string>{"state set", "2+2?"}));
    auto state = state_of();
    EXPECT_EQ(state.stack, std::vector<std::string>{"A"});
    EXPECT_EQ(state.states, (json{{"A", {{"kept", "A"}}}}));
    EXPECT_EQ(state.waiting, Waiting::input);
    text("4");
    EXPECT_EQ(texts(), (std::vector<std::string>{"right", R"(back at A state {"kept":"A"})", "done"}));
    EXPECT_EQ(run_of().status, sdk::RunStatus::completed);
    EXPECT_EQ(run_score(history(run_of().id), [](const std::string& id) { return id == "Q"; }).score, 1.0);
}

TEST_F(EngineTest, AGoToLoopStopsTheRunWithoutSendingAnything) {
    const auto d = deploy({{"A", {{"type", "script"}, {"text", "a"}, {"then", "goto:B"}}},
                           {"B", {{"type", "script"}, {"text", "b"}, {"then", "goto:A"}}}});
    const auto result = start(d);
    EXPECT_EQ(result.status, Status::handled);
    EXPECT_TRUE(sent().empty());
    const auto run = run_of();
    EXPECT_EQ(run.status, sdk::RunStatus::stopped);
    EXPECT_FALSE(run.active);
    EXPECT_TRUE(history(run.id).empty());
    EXPECT_NE(log.lines().find("more than 50 element entries in one event"), std::string::npos)
        << log.lines();
}

TEST_F(EngineTest, AThrowingElementRollsTheWholeEventBack) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"text", "hi"},
                             {"buttons", {"x"}},
                             {"then", "wait"},
                             {"on_button", "throw"}}}});
    start(d);
    sent();
    const auto before = run_of();
    const auto rows_before = history(before.id).size();

    const auto failed = press("a1:0", 1, 7);
    EXPECT_EQ(failed.status, Status::failed);
    EXPECT_NE(failed.message.find("element A"), std::string::npos) << failed.message;
    EXPECT_NE(log.lines().find("element A: type script: on_event threw: script element told to throw"),
              std::string::npos)
        << log.lines();
    // Not even the callback answer or the update id: a redelivery tries again.
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(run_of().state_json, before.state_json);
    EXPECT_EQ(history(before.id).size(), rows_before);
    EXPECT_EQ(press("a1:0", 1, 7).status, Status::failed);

    const auto broken = deploy({{"B", {{"type", "script"}, {"text", "lost"}, {"then", "throw"}}}});
    EXPECT_EQ(start(broken, 2).status, Status::failed);
    EXPECT_THROW(run_of(2), std::runtime_error);  // no run was stored
    EXPECT_TRUE(sent(2).empty());
}

TEST_F(EngineTest, ARepeatedUpdateIdIsIgnored) {
    const auto d =
        deploy({{"A", {{"type", "script"}, {"text", "say"}, {"then", "wait"}, {"on_text", "wait"}}}});
    start(d);
    sent();
    EXPECT_EQ(text("one", 1, 100).status, Status::handled);
    const auto rows = history(run_of().id).size();
    const auto state = run_of().state_json;

    const auto again = text("one", 1, 100);
    EXPECT_EQ(again.status, Status::duplicate);
    EXPECT_FALSE(again.run_id);
    EXPECT_EQ(history(run_of().id).size(), rows);
    EXPECT_EQ(run_of().state_json, state);
    EXPECT_EQ(text("two", 1, 101).status, Status::handled);
    EXPECT_EQ(state_of().states["A"]["seen"], (json{"one", "two"}));

    // The ledger is per bot: another bot's update 100 is new.
    const auto other = create_bot("engine_other_bot");
    const auto d2 =
        deploy({{"A", {{"type", "script"}, {"then", "wait"}, {"on_text", "wait"}}}}, true, "{}", other);
    auto e = event(Kind::start, 1);
    e.bot_id = other;
    e.deployment_id = d2;
    e.update_id = 100;
    EXPECT_EQ(engine->dispatch(e).status, Status::handled);
}

TEST_F(EngineTest, EventsOfOneChatAreHandledOneAtATimeInOrder) {
    const auto d = deploy({{"A", {{"type", "script"}, {"then", "wait"}, {"on_text", "wait"}}}});
    constexpr int kChats = 3;
    constexpr int kSendersPerChat = 2;
    constexpr int kMessages = 25;
    for (int chat = 1; chat <= kChats; ++chat) ASSERT_EQ(start(d, chat).status, Status::handled);

    std::vector<std::thread> senders;
    std::atomic<int> failures{0};
    for (int chat = 1; chat <= kChats; ++chat)
        for (int s = 0; s < kSendersPerChat; ++s)
            senders.emplace_back([&, chat, s] {
                for (int i = 0; i < kMessages; ++i)
                    if (text("s" + std::to_string(s) + ":" + std::to_string(i), chat).status !=
                        Status::handled)
                        ++failures;
            });
    for (auto& t : senders) t.join();
    EXPECT_EQ(failures, 0) << log.lines();

    for (int chat = 1; chat <= kChats; ++chat) {
        // Each event read the state the previous one wrote: nothing is lost.
        const auto seen = state_of(chat).states["A"]["seen"];
        ASSERT_EQ(seen.size(), static_cast<std::size_t>(kSendersPerChat * kMessages)) << "chat " << chat;
        // ... and each sender's messages are in the order it sent them.
        std::vector<int> next(kSendersPerChat, 0);
        for (const auto& item : seen) {
            const auto t = item.get<std::string>();
            const int s = t[1] - '0';
            EXPECT_EQ(t, "s" + std::to_string(s) + ":" + std::to_string(next[s]++)) << "chat " << chat;
        }
        // The history agrees with the state, row for row.
        std::vector<std::string> rows;
        for (const auto& r : history(run_of(chat).id)) rows.push_back(json::parse(r.payload_json)["text"]);
        EXPECT_EQ(rows, seen.get<std::vector<std::string>>());
    }
}

TEST_F(EngineTest, ATimerFiresAfterARestart) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"text", "wait for it"},
                             {"timer_ms", 500},
                             {"then", "wait"},
                             {"on_timer", "next"}}},
                           {"B", {{"type", "script"}, {"text", "after"}}}});
    start(d);
    EXPECT_EQ(state_of().waiting, Waiting::timer);
    const auto timers = pending_timers();
    ASSERT_EQ(timers.size(), 1u);
    EXPECT_EQ(timers[0].element_id, "A");
    EXPECT_EQ(json::parse(timers[0].payload_json), (json{{"activation", 1}, {"payload", {{"ms", 500}}}}));

    // A new process: a new engine over a newly opened database.
    engine.reset();
    storage.reset();
    storage = open_database(dir / "engine.db");
    make_engine();
    engine->start_scheduler();
    ASSERT_TRUE(eventually([&] { return run_of().status == sdk::RunStatus::completed; })) << log.lines();
    engine->stop_scheduler();

    auto tx = storage->begin();
    const auto rows = tx->list_outbox(sdk::kDefaultAccountId, bot, 1);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(json::parse(rows[1].payload_json)["text"], R"(timer fired {"ms":500})");
    EXPECT_EQ(json::parse(rows[2].payload_json)["text"], "after");
    EXPECT_GE(rows[1].created_at, timers[0].due_at);
    EXPECT_LT(rows[1].created_at - timers[0].due_at, 1000);
    EXPECT_TRUE(tx->due_timers_all_accounts(std::numeric_limits<sdk::Millis>::max(), 10).empty());
}

TEST_F(EngineTest, AnElementThrowingOnItsTimerDropsTheTimerOnceAndLeavesTheCpuIdle) {
    const auto d =
        deploy({{"A", {{"type", "script"}, {"timer_ms", 1}, {"then", "wait"}, {"on_timer", "throw"}}}});
    start(d);
    std::this_thread::sleep_for(5ms);
    engine->start_scheduler();
    ASSERT_TRUE(eventually([&] { return pending_timers().empty(); })) << log.lines();
    // A timer re-fired without sleeping used to keep this process busy for good.
    const std::clock_t cpu_before = std::clock();
    std::this_thread::sleep_for(300ms);
    const double busy_ms = 1000.0 * static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
    engine->stop_scheduler();
    EXPECT_LT(busy_ms, 100.0);

    const std::string lines = log.lines();
    std::size_t dropped = 0;
    for (auto at = lines.find("dropped"); at != std::string::npos; at = lines.find("dropped", at + 1))
        ++dropped;
    EXPECT_EQ(dropped, 1u) << lines;
    EXPECT_NE(lines.find("script element told to throw"), std::string::npos) << lines;
    EXPECT_EQ(run_of().cursor, "A");
    EXPECT_TRUE(run_of().active);
}

TEST_F(EngineTest, ATimerAddedWhileServingFiresOnTime) {
    engine->start_scheduler();
    std::this_thread::sleep_for(50ms);  // the scheduler is asleep, with nothing due
    const auto d =
        deploy({{"A", {{"type", "script"}, {"timer_ms", 200}, {"then", "wait"}, {"on_timer", "end"}}}});
    start(d);
    const auto due = pending_timers().at(0).due_at;
    ASSERT_TRUE(eventually([&] { return run_of().status == sdk::RunStatus::completed; })) << log.lines();
    auto tx = storage->begin();
    const auto rows = tx->list_outbox(sdk::kDefaultAccountId, bot, 1);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_GE(rows[0].created_at, due);
    EXPECT_LT(rows[0].created_at - due, 1000);
}

TEST_F(EngineTest, LeavingAnElementCancelsItsTimer) {
    const auto d =
        deploy({{"A",
                 {{"type", "script"},
                  {"timer_ms", 60000},
                  {"buttons", {"skip"}},
                  {"then", "wait"},
                  {"on_button", "next"},
                  {"on_timer", "next"}}},
                {"B", {{"type", "script"}, {"text", "B"}, {"then", "wait"}, {"on_text", "next"}}}});
    start(d);
    const auto timers = pending_timers();
    ASSERT_EQ(timers.size(), 1u);
    EXPECT_TRUE(state_of().timers);
    press("a1:0");
    EXPECT_TRUE(pending_timers().empty());
    EXPECT_FALSE(state_of().timers);
    EXPECT_FALSE(engine->fire_timer(timers[0]));
    EXPECT_EQ(run_of().cursor, "B");
}

TEST_F(EngineTest, ATimerOfAnOlderActivationIsClaimedButNotDelivered) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"timer_ms", 60000},
                             {"then", "wait"},
                             {"on_timer", "next"},
                             {"on_text", "goto:A"}}}});
    start(d);
    const auto first = pending_timers().at(0);
    text("again");  // re-entering A: a new activation, the old timer cancelled
    EXPECT_EQ(state_of().activation, 2);
    const auto second = pending_timers().at(0);
    EXPECT_NE(second.id, first.id);
    EXPECT_FALSE(engine->fire_timer(first));

    // A timer another process stored for an activation this run has left.
    sdk::WaitingElement late = second;
    late.payload_json = R"({"activation": 1, "payload": {"ms": 1}})";
    {
        auto tx = storage->begin();
        late.id = tx->add_timer(sdk::kDefaultAccountId, late);
        tx->commit();
    }
    sent();
    EXPECT_TRUE(engine->fire_timer(late));
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(run_of().cursor, "A");
    EXPECT_TRUE(run_of().active);

    EXPECT_TRUE(engine->fire_timer(second));
    EXPECT_EQ(texts(), (std::vector<std::string>{R"(timer fired {"ms":60000})"}));
    EXPECT_EQ(run_of().status, sdk::RunStatus::completed);
}

TEST_F(EngineTest, DeferredWorkComesBackAsAnEvent) {
    const auto d =
        deploy({{"A", {{"type", "script"}, {"defer", "x"}, {"then", "wait"}, {"on_deferred", "next"}}},
                {"B",
                 {{"type", "script"},
                  {"defer", "y"},
                  {"defer_fail", "boom"},
                  {"then", "wait"},
                  {"on_deferred", "next"}}},
                {"C", {{"type", "script"}, {"text", "done"}}}});
    start(d);
    engine->wait_for_deferred();
    EXPECT_EQ(texts(),
              (std::vector<std::string>{R"(deferred {"echo":"x"})", R"(deferred {"error":"boom"})", "done"}));
    EXPECT_EQ(run_of().status, sdk::RunStatus::completed);
}

TEST_F(EngineTest, DeferredResultsForAnElementTheRunLeftAreDropped) {
    const auto d =
        deploy({{"A",
                 {{"type", "script"},
                  {"defer", "slow"},
                  {"defer_ms", 300},
                  {"buttons", {"skip"}},
                  {"then", "wait"},
                  {"on_button", "next"},
                  {"on_deferred", "next"}}},
                {"B", {{"type", "script"}, {"text", "B"}, {"then", "wait"}, {"on_deferred", "end"}}}});
    start(d);
    EXPECT_EQ(press("a1:0").status, Status::handled);
    engine->wait_for_deferred();
    // Delivered to B, the result would have ended the run.
    EXPECT_EQ(texts(), (std::vector<std::string>{"", "<callback_answer>", "B"}));
    EXPECT_EQ(run_of().cursor, "B");
    EXPECT_TRUE(run_of().active);
}

// What the engine delivers for deferred work that never came back.
bool interrupted(const std::string& text) {
    if (text.rfind("deferred ", 0) != 0) return false;
    return sdk::is_interrupted(json::parse(text.substr(9)));
}

TEST_F(EngineTest, DeferredWorkLostWithTheProcessComesBackAsInterruptedAfterARestart) {
    config.engine.deferred.threads = 1;
    config.engine.deferred.deadline_ms = 1000;
    make_engine();
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"defer", "slow"},
                             {"defer_ms", 300},
                             {"then", "wait"},
                             {"on_deferred", "next"}}},
                           {"B", {{"type", "script"}, {"text", "after"}}}});
    start(d, 1);
    std::this_thread::sleep_for(100ms);      // its task usually holds the only thread by now
    start(d, 2);                             // its task waits in the queue
    EXPECT_EQ(pending_timers().size(), 2u);  // a deadline for each
    // The process goes down: a task running finishes and is stored, a queued
    // one never runs. Only the database is left.
    engine.reset();
    const auto first = texts(1);
    const bool first_ran = !first.empty();
    if (first_ran) {
        EXPECT_EQ(first, (std::vector<std::string>{R"(deferred {"echo":"slow"})", "after"}));
    }
    EXPECT_TRUE(texts(2).empty());
    EXPECT_EQ(state_of(2).waiting, Waiting::deferred);
    EXPECT_EQ(pending_timers().size(), first_ran ? 1u : 2u);

    storage.reset();
    storage = open_database(dir / "engine.db");
    make_engine();
    engine->start_scheduler();
    ASSERT_TRUE(eventually([&] {
        return run_of(1).status == sdk::RunStatus::completed && run_of(2).status == sdk::RunStatus::completed;
    })) << log.lines();
    engine->stop_scheduler();
    const auto second = texts(2);
    ASSERT_EQ(second.size(), 2u);
    EXPECT_TRUE(interrupted(second[0])) << second[0];
    EXPECT_EQ(second[1], "after");
    // Each deferral came back once: its result or its deadline.
    const auto first_after = texts(1);
    if (first_ran) {
        EXPECT_TRUE(first_after.empty());
    } else {
        ASSERT_EQ(first_after.size(), 2u);
        EXPECT_TRUE(interrupted(first_after[0])) << first_after[0];
    }
    EXPECT_TRUE(pending_timers().empty());
}

TEST_F(EngineTest, ADeadlineReachedWhileTheTaskRunsDeliversOnceAndDropsTheLateResult) {
    config.engine.deferred.deadline_ms = 200;
    make_engine();
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"defer", "late"},
                             {"defer_ms", 800},
                             {"then", "wait"},
                             {"on_deferred", "wait"}}}});
    engine->start_scheduler();
    start(d);
    engine->wait_for_deferred();
    engine->stop_scheduler();
    const auto seen = texts();
    ASSERT_EQ(seen.size(), 1u) << log.lines();
    EXPECT_TRUE(interrupted(seen[0])) << seen[0];
    EXPECT_TRUE(pending_timers().empty());
}

TEST_F(EngineTest, AResultTheDatabaseRefusedIsStoredOnALaterTry) {
    config.engine.deferred.delivery_backoff_ms = 100;
    config.engine.deferred.delivery_retries = 5;
    engine.reset();
    storage.reset();
    storage = open_database(dir / "engine.db", 50);
    make_engine();
    const auto d = deploy(
        {{"A",
          {{"type", "script"}, {"defer", "x"}, {"defer_ms", 300}, {"then", "wait"}, {"on_deferred", "next"}}},
         {"B", {{"type", "script"}, {"text", "after"}}}});
    const auto other = open_database(dir / "engine.db");
    start(d);
    {
        // Another writer holds the database while the result comes back.
        const auto busy = other->begin();
        std::this_thread::sleep_for(600ms);
    }
    engine->wait_for_deferred();
    EXPECT_EQ(texts(), (std::vector<std::string>{R"(deferred {"echo":"x"})", "after"})) << log.lines();
    EXPECT_EQ(run_of().status, sdk::RunStatus::completed);
    EXPECT_NE(log.lines().find("not stored (attempt 1)"), std::string::npos) << log.lines();
    EXPECT_TRUE(pending_timers().empty());
}

TEST_F(EngineTest, DeferredWorkBeyondTheQueueIsInterruptedAtOnce) {
    config.engine.deferred.threads = 1;
    config.engine.deferred.max_queued = 1;
    config.engine.deferred.delivery_backoff_ms = 10;
    make_engine();
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"defer", "x"},
                             {"defer_ms", 1000},
                             {"then", "wait"},
                             {"on_deferred", "end"}}}});
    start(d, 1);
    std::this_thread::sleep_for(200ms);  // running, out of the queue
    start(d, 2);                         // queued
    start(d, 3);                         // no room
    ASSERT_TRUE(eventually([&] { return run_of(3).status == sdk::RunStatus::completed; }, 700ms))
        << "answered before the running task was done: " << log.lines();
    const auto third = texts(3);
    ASSERT_EQ(third.size(), 1u);
    EXPECT_TRUE(interrupted(third[0])) << third[0];
    engine->wait_for_deferred();
    EXPECT_EQ(texts(1), (std::vector<std::string>{R"(deferred {"echo":"x"})"}));
    EXPECT_EQ(texts(2), (std::vector<std::string>{R"(deferred {"echo":"x"})"}));
}

TEST_F(EngineTest, StalledDeferredWorkLeavesTheExecutorFree) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"defer", "x"},
                             {"defer_ms", 2000},
                             {"then", "wait"},
                             {"on_deferred", "end"}}}});
    // As many stalled provider calls as the executor (HTTP handlers) has threads.
    start(d, 1);
    start(d, 2);
    std::this_thread::sleep_for(50ms);
    std::promise<void> ran;
    const auto posted = std::chrono::steady_clock::now();
    executor.post([&ran] { ran.set_value(); });
    ASSERT_EQ(ran.get_future().wait_for(1s), std::future_status::ready)
        << "the executor waited for the calls";
    EXPECT_LT(std::chrono::steady_clock::now() - posted, 500ms);
    engine->wait_for_deferred();
    EXPECT_EQ(run_of(1).status, sdk::RunStatus::completed);
    EXPECT_EQ(run_of(2).status, sdk::RunStatus::completed);
}

TEST_F(EngineTest, HistoryIncludesThisEventsOwnRows) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"score", 1},
                             {"report", {"history"}},
                             {"buttons", {"on"}},
                             {"then", "wait"},
                             {"on_button", "next"}}},
                           {"B", {{"type", "script"}, {"report", {"history"}}, {"then", "end"}}}});
    start(d);
    // A recorded its score row and a note before counting.
    EXPECT_EQ(texts()[0], "history 2");
    press("a1:0");
    // Stored: score, note, "history 2", the buttons' text; this event: the press, B's note.
    EXPECT_EQ(texts()[1], "history 6");
}

TEST_F(EngineTest, AttemptCountsEntriesAndTheSeedFollowsIt) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"report", {"attempt", "seed"}},
                             {"buttons", {"again"}},
                             {"then", "wait"},
                             {"on_button", "goto:A"}}}});
    start(d);
    const auto first = texts();
    press("a1:0");
    const auto second = texts();
    ASSERT_EQ(first.size(), 3u);
    ASSERT_EQ(second.size(), 4u);
    EXPECT_EQ(first[0], "attempt 1");
    EXPECT_EQ(second[1], "attempt 2");
    EXPECT_EQ(first[1].rfind("seed ", 0), 0u);
    EXPECT_NE(first[1], second[2]);  // a new attempt, a new seed
}

TEST_F(EngineTest, StartsAreRefusedForWhatTheBotMayNotRun) {
    const auto course = Course{{"A", {{"type", "script"}, {"text", "hi"}}}};
    const auto inactive = deploy(course, false);
    EXPECT_EQ(start(inactive).status, Status::refused);

    const auto other_bot = create_bot("engine_second_bot");
    const auto elsewhere = deploy(course, true, "{}", other_bot);
    const auto wrong_bot = start(elsewhere);
    EXPECT_EQ(wrong_bot.status, Status::refused);
    EXPECT_NE(wrong_bot.message.find("not on this bot"), std::string::npos);

    EXPECT_EQ(start(999999).status, Status::refused);
    // A bare /start where the bot has no active course: told to use a link.
    EXPECT_EQ(engine->dispatch(event(Kind::start, 2)).status, Status::refused);
    EXPECT_EQ(texts(2), std::vector<std::string>{config.engine.texts.at("link_needed")});

    const auto fine = deploy(course);
    {
        auto tx = storage->begin();
        sdk::Ban ban;
        ban.bot_id = bot;
        ban.user_id = 5;
        tx->ban(sdk::kDefaultAccountId, ban);
        tx->commit();
    }
    const auto banned = start(fine, 5);
    EXPECT_EQ(banned.status, Status::refused);
    EXPECT_NE(banned.message.find("banned"), std::string::npos);

    auto unknown = event(Kind::start);
    unknown.bot_id = 424242;
    unknown.deployment_id = fine;
    EXPECT_EQ(engine->dispatch(unknown).status, Status::refused);

    EXPECT_TRUE(sent(1).empty());
    EXPECT_THROW(run_of(1), std::runtime_error);
    EXPECT_EQ(start(fine).status, Status::handled);
}

TEST_F(EngineTest, ANewStartStopsTheActiveRunAndItsTimers) {
    const auto d =
        deploy({{"A", {{"type", "script"}, {"timer_ms", 60000}, {"then", "wait"}, {"on_timer", "next"}}}});
    const auto first = start(d);
    ASSERT_EQ(pending_timers().size(), 1u);
    const auto second = start(d);
    ASSERT_EQ(second.status, Status::handled);
    ASSERT_NE(*second.run_id, *first.run_id);
    auto tx = storage->begin();
    const auto old = tx->get_run(sdk::kDefaultAccountId, *first.run_id);
    EXPECT_EQ(old->status, sdk::RunStatus::stopped);
    EXPECT_FALSE(old->active);
    const auto timers = tx->due_timers_all_accounts(std::numeric_limits<sdk::Millis>::max(), 10);
    ASSERT_EQ(timers.size(), 1u);
    EXPECT_EQ(timers[0].run_id, *second.run_id);
}

TEST_F(EngineTest, PollAnswersReachTheElementWhosePollItIs) {
    const auto d =
        deploy({{"Q",
                 {{"type", "script"},
                  {"question", "Capital?"},
                  {"poll", {"Paris", "Rome"}},
                  {"quiz", 0},
                  {"then", "wait"},
                  {"on_poll", "next"}}},
                {"Z", {{"type", "script"}, {"text", "z"}, {"then", "wait"}, {"on_poll", "next"}}}});
    start(d);
    const auto poll = sent().at(0);
    EXPECT_EQ(poll, (json{{"kind", "poll"},
                          {"question", "Capital?"},
                          {"options", {"Paris", "Rome"}},
                          {"quiz", true},
                          {"correct_option", 0},
                          {"multiple_answers", false},
                          {"element_id", "Q"},
                          {"activation", 1}}));
    EXPECT_EQ(state_of().waiting, Waiting::poll);
    {
        sdk::PollRecord record;
        record.run_id = run_of().id;
        auto tx = storage->begin();
        record.account_id = sdk::kDefaultAccountId;
        record.bot_id = bot;
        record.poll_id = "tg-poll-1";
        record.element_id = "Q";
        record.activation = 1;
        tx->record_poll(sdk::kDefaultAccountId, record);
        tx->commit();
    }
    auto answer = event(Kind::poll_answer);
    answer.poll_id = "tg-poll-1";
    answer.options = {1};
    EXPECT_EQ(engine->dispatch(answer).status, Status::handled);
    EXPECT_EQ(run_of().cursor, "Z");
    // The same poll again now belongs to an element the run has left.
    EXPECT_EQ(engine->dispatch(answer).status, Status::ignored);
    answer.poll_id = "never-sent";
    EXPECT_EQ(engine->dispatch(answer).status, Status::ignored);
    EXPECT_EQ(run_of().cursor, "Z");
    const auto rows = history(run_of().id);
    EXPECT_EQ(json::parse(rows[1].payload_json), (json{{"options", {1}}}));
}

TEST_F(EngineTest, LongTextIsSplitAndEveryPartRecorded) {
    std::string long_text;
    while (long_text.size() < 6000) long_text += "Paragraph text.\n\n";
    const auto d = deploy(
        {{"A",
          {{"type", "script"},
           {"text", long_text},
           {"buttons", {"ok"}},
           {"then", "wait"},
           {"on_button", "next"}}},
         {"M",
          {{"type", "script"}, {"media", {"https://drive.google.com/file/d/F1/view"}}, {"caption", "pic"}}}});
    start(d);
    const auto rows = sent();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_FALSE(rows[0].contains("buttons"));
    EXPECT_TRUE(rows[1].contains("buttons"));
    EXPECT_EQ(history(run_of().id).size(), 2u);
    press("a1:0");
    const auto media = sent().at(1);
    EXPECT_EQ(
        media,
        (json{{"kind", "media"},
              {"items", {{{"type", "photo"}, {"url", "https://drive.google.com/uc?export=download&id=F1"}}}},
              {"caption", "pic"}}));
}

TEST_F(EngineTest, WithoutARunCallbacksAreAnsweredAndWritersHearTheCourseIsOver) {
    const auto d = deploy({{"A", {{"type", "script"}, {"text", "only"}}}});
    start(d);
    EXPECT_EQ(text("hello").status, Status::no_run);
    EXPECT_EQ(press("a1:0").status, Status::no_run);
    // The run's message belongs to the run; the answers after it to no run.
    const auto rows = storage->begin()->list_outbox(sdk::kDefaultAccountId, bot, 1);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_TRUE(rows[0].run_id);
    EXPECT_FALSE(rows[1].run_id);
    EXPECT_FALSE(rows[2].run_id);
    EXPECT_EQ(sent(),
              (std::vector<json>{{{"kind", "text"}, {"text", "only"}, {"link_preview", true}},
                                 {{"kind", "text"}, {"text", "The course is over"}, {"link_preview", true}},
                                 {{"kind", "callback_answer"}, {"callback_id", "cb-a1:0"}, {"text", ""}}}));
    EXPECT_TRUE(storage->begin()->list_outbox(sdk::kDefaultAccountId, bot, 1).empty());  // delivered
}

TEST_F(EngineTest, BlockingTheBotEndsTheRunAndUnblockingTakesItUpWhereItStood) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"text", "first"},
                             {"buttons", {"Go"}},
                             {"then", "wait"},
                             {"on_button", "next"}}},
                           {"B",
                            {{"type", "script"},
                             {"text", "second"},
                             {"timer_ms", 60000},
                             {"then", "wait"},
                             {"on_timer", "next"}}},
                           {"C", {{"type", "script"}, {"text", "third"}}}});
    start(d);
    press("a1:0");
    EXPECT_EQ(texts(), (std::vector<std::string>{"first", "<callback_answer>", "second"}));
    const auto before = run_of();

    EXPECT_EQ(engine->dispatch(event(Kind::blocked)).status, Status::handled);
    auto run = run_of();
    EXPECT_EQ(run.status, sdk::RunStatus::blocked);
    EXPECT_FALSE(run.active);
    EXPECT_TRUE(run.ended_at);
    EXPECT_TRUE(pending_timers().empty());
    EXPECT_EQ(text("anyone there?").status, Status::no_run);
    EXPECT_EQ(texts(), (std::vector<std::string>{"The course is over"}));

    // Unblocking takes the same run up at B, entered anew with its timer.
    EXPECT_EQ(engine->dispatch(event(Kind::unblocked)).status, Status::handled);
    run = run_of();
    EXPECT_EQ(run.id, before.id);
    EXPECT_EQ(run.status, sdk::RunStatus::active);
    EXPECT_TRUE(run.active);
    EXPECT_FALSE(run.ended_at);
    EXPECT_EQ(run.cursor, "B");
    EXPECT_EQ(pending_timers().size(), 1u);
    EXPECT_EQ(texts(), (std::vector<std::string>{"Welcome back to \"course 1\"! Here is where you left off.",
                                                 "second"}));
    // Telegram's Restart button sends /start right after the unblock: B was just shown.
    EXPECT_EQ(engine->dispatch(event(Kind::start)).status, Status::handled);
    EXPECT_TRUE(texts().empty());
    EXPECT_EQ(run_of().id, before.id);
    // A second unblock (the run is under way) changes nothing.
    EXPECT_EQ(engine->dispatch(event(Kind::unblocked)).status, Status::handled);
    EXPECT_TRUE(texts().empty());
}

TEST_F(EngineTest, UnblockingTakesUpOnlyTheChatsLastRunAndOnlyWhileItsCourseRuns) {
    const auto d = deploy({{"A",
                            {{"type", "script"},
                             {"text", "only"},
                             {"buttons", {"Go"}},
                             {"then", "wait"},
                             {"on_button", "next"}}}});
    start(d);
    engine->dispatch(event(Kind::blocked));
    start(d);  // a new run after the block: the blocked one is not the chat's last any more
    const auto second = run_of().id;
    engine->dispatch(event(Kind::blocked));
    {
        auto tx = storage->begin();
        auto deployment = *tx->get_deployment(sdk::kDefaultAccountId, d);
        deployment.active = false;
        tx->update_deployment(sdk::kDefaultAccountId, deployment);
        tx->commit();
    }
    texts();
    EXPECT_EQ(engine->dispatch(event(Kind::unblocked)).status, Status::no_run) << "a paused course";
    EXPECT_EQ(run_of().status, sdk::RunStatus::blocked);
    {
        auto tx = storage->begin();
        auto deployment = *tx->get_deployment(sdk::kDefaultAccountId, d);
        deployment.active = true;
        tx->update_deployment(sdk::kDefaultAccountId, deployment);
        tx->commit();
    }
    EXPECT_EQ(engine->dispatch(event(Kind::unblocked)).status, Status::handled);
    EXPECT_EQ(run_of().id, second);
    EXPECT_TRUE(run_of().active);
    // Another chat's block is its own.
    EXPECT_EQ(engine->dispatch(event(Kind::unblocked, 2)).status, Status::no_run);
}

TEST_F(EngineTest, SettingsMergeTheDeploymentsOverrides) {
    const auto d = deploy({{"A", {{"type", "script"}, {"report", {"settings"}}}}}, true,
                          R"({"plugins": {"element/script": {"b": 2, "c": 3}, "element/other": {"a": 9}}})");
    start(d);
    EXPECT_EQ(texts(), (std::vector<std::string>{R"(settings {"a":1,"b":2,"c":3})"}));
}

TEST_F(EngineTest, AnEndpointATenantChoosesNeverGetsThePlatformsCredentials) {
    config.plugins["element/script"].settings = {{"a", 1},
                                                 {"base_url", "https://llm.platform.example"},
                                                 {"api_key", "sk-platform"},
                                                 {"bot_token", "9:x"}};
    make_engine();
    // Same endpoint: the platform's key stays; a key the plugin does not let
    // deployments override is ignored.
    auto d = deploy(
        {{"A", {{"type", "script"}, {"report", {"settings"}}}}}, true,
        R"({"plugins": {"element/script": {"b": 2, "a": 7, "base_url": "https://llm.platform.example"}}})");
    start(d);
    EXPECT_EQ(
        texts(),
        (std::vector<std::string>{
            R"(settings {"a":1,"api_key":"sk-platform","b":2,"base_url":"https://llm.platform.example","bot_token":"9:x"})"}));
    EXPECT_NE(log.lines().find("overrides 'a' of element/script"), std::string::npos) << log.lines();

    // Another endpoint: the platform's secrets are left out; the tenant's own
    // sealed key goes along, to be opened under its deployment's row.
    d = deploy(
        {{"A", {{"type", "script"}, {"report", {"settings", "key_context"}}}}}, true,
        R"({"plugins": {"element/script": {"base_url": "https://tenant.example", "api_key_sealed": "v1:abc"}}})");
    start(d, 2);
    EXPECT_EQ(texts(2),
              (std::vector<std::string>{
                  R"(settings {"a":1,"api_key_sealed":"v1:abc","base_url":"https://tenant.example"})",
                  "key context course_deployments.overrides_json:1/" + std::to_string(d) +
                      ":element/script.api_key_sealed"}));

    // The platform's endpoint with the tenant's own key: the tenant's key is
    // the one used, never the platform's beside it.
    d = deploy({{"A", {{"type", "script"}, {"report", {"settings", "key_context"}}}}}, true,
               R"({"plugins": {"element/script": {"api_key_sealed": "v1:own"}}})");
    start(d, 3);
    EXPECT_EQ(texts(3),
              (std::vector<std::string>{
                  R"(settings {"a":1,"api_key_sealed":"v1:own","base_url":"https://llm.platform.example"})",
                  "key context course_deployments.overrides_json:1/" + std::to_string(d) +
                      ":element/script.api_key_sealed"}));

    // The platform's own sealed key is opened under the plugin's context.
    config.plugins["element/script"].settings = {{"a", 1}, {"api_key_sealed", "v1:platform"}};
    make_engine();
    d = deploy({{"A", {{"type", "script"}, {"report", {"key_context"}}}}});
    start(d, 4);
    EXPECT_EQ(texts(4), (std::vector<std::string>{"key context (platform's)"}));
}

TEST_F(EngineTest, RunElementShowsAnElementAsTheRunPlaysIt) {
    const auto d =
        deploy({{"A", {{"type", "script"}, {"text", "first"}, {"then", "wait"}, {"on_text", "goto:A"}}},
                {"B", {{"type", "ask"}, {"text", "never reached"}}}});
    const auto run_id = *start(d).run_id;
    text("again");  // A is entered a second time

    const auto a = engine->run_element(sdk::kDefaultAccountId, run_id, "A");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->run.id, run_id);
    EXPECT_EQ(a->type, "script");
    EXPECT_EQ(a->source.at("text"), "first");
    EXPECT_EQ(a->attempt, 2);
    EXPECT_TRUE(a->current);

    const auto b = engine->run_element(sdk::kDefaultAccountId, run_id, "B");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->type, "ask");
    EXPECT_EQ(b->attempt, 0);
    EXPECT_FALSE(b->current);

    EXPECT_FALSE(engine->run_element(sdk::kDefaultAccountId, run_id, "C"));
    EXPECT_FALSE(engine->run_element(sdk::kDefaultAccountId, run_id + 1000, "A"));
    // Another account's ids find nothing.
    EXPECT_FALSE(engine->run_element(sdk::kDefaultAccountId + 1, run_id, "A"));
}

TEST_F(EngineTest, ARunPlaysTheVersionItStartedWith) {
    const auto d = deploy(
        {{"A",
          {{"type", "script"}, {"text", "v1"}, {"buttons", {"go"}}, {"then", "wait"}, {"on_button", "next"}}},
         {"B", {{"type", "script"}, {"text", "v1 B"}}}});
    start(d);
    {
        // Publishing a new version to the deployment changes nothing for this run.
        auto tx = storage->begin();
        auto deployment = *tx->get_deployment(sdk::kDefaultAccountId, d);
        sdk::CourseElement e;
        e.account_id = sdk::kDefaultAccountId;
        e.element_id = "A";
        e.type = "script";
        e.body_json = R"({"type": "script", "text": "v2"})";
        deployment.version_id =
            tx->create_version(sdk::kDefaultAccountId, deployment.course_id, "v2", {e}).id;
        tx->update_deployment(sdk::kDefaultAccountId, deployment);
        tx->commit();
    }
    sent();
    press("a1:0");
    EXPECT_EQ(texts(), (std::vector<std::string>{"<callback_answer>", "v1 B"}));
    start(d);
    EXPECT_EQ(texts(), (std::vector<std::string>{"v2"}));
}

// A clock the test moves by hand: timers are due when the test says so.
class ManualClock final : public sdk::Clock {
public:
    sdk::TimePoint now() const override {
        std::lock_guard lock(mutex_);
        return now_;
    }
    void set(sdk::TimePoint t) {
        std::lock_guard lock(mutex_);
        now_ = t;
    }

private:
    mutable std::mutex mutex_;
    sdk::TimePoint now_ = sdk::TimePoint(std::chrono::milliseconds(1'800'000'000'000));
};

// The engine with the real `delay` element and a hand-moved clock.
class ScaledTimeTest : public EngineTest {
protected:
    ScaledTimeTest() {
        config.plugins["element/delay"].enabled = true;
        with_delay = std::make_unique<PluginRegistry>(
            config, std::vector<PluginCandidate>{inspect_plugin(kFixtures / "profo_element_script.so"),
                                                 inspect_plugin(kFixtures / "profo_element_ask.so"),
                                                 inspect_plugin(kPlugins / "profo_element_delay.so")});
        if (!with_delay->failures().empty()) throw std::runtime_error(with_delay->failures()[0]);
        engine = std::make_unique<Engine>(*storage, *with_delay, executor, manual, config, log);
    }
    // The engine holds specs the delay module made and reads this clock: it goes first.
    ~ScaledTimeTest() override { engine.reset(); }

    sdk::Id deploy_as(const std::string& environment, const std::string& overrides) {
        const auto id =
            deploy({{"Wait", {{"type", "delay"}, {"wait", "1d"}, {"goto", "After"}, {"text", "Tomorrow!"}}},
                    {"After", {{"type", "script"}, {"text", "a day later"}}}},
                   true, overrides);
        auto tx = storage->begin();
        auto d = *tx->get_deployment(sdk::kDefaultAccountId, id);
        d.environment = environment;
        tx->update_deployment(sdk::kDefaultAccountId, d);
        tx->commit();
        return id;
    }

    // The pending timers due by the hand-moved clock's now.
    std::vector<sdk::WaitingElement> due_now() {
        return storage->begin()->due_timers_all_accounts(to_millis(manual.now()), 100);
    }

    sdk::Millis timer_of(sdk::Id run_id) {
        for (const auto& t : pending_timers())
            if (t.run_id == run_id) return t.due_at;
        throw std::runtime_error("run " + std::to_string(run_id) + " has no pending timer");
    }

    std::unique_ptr<PluginRegistry> with_delay;
    ManualClock manual;
};

TEST_F(ScaledTimeTest, ADayLongDelayOfATestDeploymentAtScale1440FiresAfterAMinute) {
    const auto scaled = deploy_as("test", R"({"time_scale": 1440})");
    const auto real = deploy_as("test", "{}");
    const auto t0 = to_millis(manual.now());
    const auto scaled_run = *start(scaled, 1).run_id;
    const auto real_run = *start(real, 2).run_id;
    EXPECT_EQ(texts(1), (std::vector<std::string>{"Tomorrow!"}));
    EXPECT_EQ(timer_of(scaled_run), t0 + 60'000);
    EXPECT_EQ(timer_of(real_run), t0 + 86'400'000);

    manual.set(manual.now() + std::chrono::milliseconds(59'999));
    EXPECT_TRUE(due_now().empty());
    manual.set(manual.now() + std::chrono::milliseconds(1));
    const auto due = due_now();
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].run_id, scaled_run);
    EXPECT_TRUE(engine->fire_timer(due[0]));
    EXPECT_EQ(texts(1), (std::vector<std::string>{"a day later"}));
    EXPECT_EQ(run_of(1).status, sdk::RunStatus::completed);
    // The unscaled run still waits for its day.
    EXPECT_EQ(run_of(2).cursor, "Wait");
    EXPECT_TRUE(run_of(2).active);
}

TEST_F(ScaledTimeTest, AProdDeploymentRunsInRealTimeWhateverItsOverridesSay) {
    // Written around the CLI, which refuses it: the engine does not trust it either.
    const auto prod = deploy_as("prod", R"({"time_scale": 1440})");
    const auto t0 = to_millis(manual.now());
    const auto run = *start(prod).run_id;
    EXPECT_EQ(timer_of(run), t0 + 86'400'000);
    EXPECT_NE(log.lines().find("is prod but has a time_scale"), std::string::npos) << log.lines();

    // Nor a scale that is not one.
    const auto odd = deploy_as("test", R"({"time_scale": "fast"})");
    const auto odd_run = *start(odd, 2).run_id;
    EXPECT_EQ(timer_of(odd_run), t0 + 86'400'000);
}

TEST_F(ScaledTimeTest, ArchivedDeploymentsTakeNoNewStudentsButLetTheirOwnFinish) {
    const auto d = deploy_as("test", R"({"time_scale": 1440})");
    const auto run = *start(d, 1).run_id;
    {
        auto tx = storage->begin();
        auto archived = *tx->get_deployment(sdk::kDefaultAccountId, d);
        archived.active = false;
        archived.archived_at = to_millis(manual.now());
        tx->update_deployment(sdk::kDefaultAccountId, archived);
        tx->commit();
    }
    EXPECT_EQ(start(d, 2).status, Status::refused);
    // The student under way finishes: the timer still fires.
    manual.set(manual.now() + std::chrono::minutes(1));
    const auto due = due_now();
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].run_id, run);
    EXPECT_TRUE(engine->fire_timer(due[0]));
    EXPECT_EQ(run_of(1).status, sdk::RunStatus::completed);
}

// --- Group commit -----------------------------------------------------------------------

// Chats 1..3 wait at a button whose press throws; a text moves them on.
class GroupCommitTest : public EngineTest {
protected:
    sdk::Id deploy_fragile() {
        return deploy(
            {{"A",
              {{"type", "script"},
               {"text", "press or write"},
               {"buttons", {"Go"}},
               {"then", "wait"},
               {"on_button", fatal},
               {"on_text", "next"}}},
             {"B", {{"type", "script"}, {"text", "moved on"}, {"buttons", {"Again"}}, {"then", "wait"}}}});
    }
    sdk::InboundEvent text_event(std::int64_t chat, std::int64_t update) const {
        auto e = event(Kind::text, chat);
        e.text = "hello";
        e.update_id = update;
        return e;
    }
    sdk::InboundEvent press_event(std::int64_t chat, std::int64_t update) const {
        auto e = event(Kind::callback, chat);
        e.callback_data = "a1:0";
        e.callback_id = "cb";
        e.update_id = update;
        return e;
    }
    bool seen(std::int64_t update) {
        auto tx = storage->begin();
        const bool fresh = tx->mark_update_processed(sdk::kDefaultAccountId, bot, update);
        return !fresh;  // rolled back with tx
    }
    std::string fatal = "throw";
};

TEST_F(GroupCommitTest, AFailingElementRollsBackOnlyItsOwnEventAndItsChatsLaterOnes) {
    const auto d = deploy_fragile();
    for (int chat = 1; chat <= 3; ++chat) ASSERT_EQ(start(d, chat).status, Status::handled);
    for (int chat = 1; chat <= 3; ++chat) sent(chat);
    const auto results =
        engine->dispatch_all({text_event(1, 11), press_event(2, 12), text_event(3, 13), text_event(2, 14)});
    ASSERT_EQ(results.size(), 4u);
    EXPECT_EQ(results[0].status, Status::handled) << results[0].message;
    EXPECT_EQ(results[1].status, Status::failed);
    EXPECT_NE(results[1].message.find("script element told to throw"), std::string::npos)
        << results[1].message;
    EXPECT_EQ(results[2].status, Status::handled) << results[2].message;
    EXPECT_EQ(results[3].status, Status::failed);
    EXPECT_EQ(results[3].message, "not tried: an earlier event of this chat failed");
    // The group ran twice (first without savepoints); the failure is reported once.
    const auto lines = log.lines();
    const auto first = lines.find("chat 2 rolled back");
    ASSERT_NE(first, std::string::npos) << lines;
    EXPECT_EQ(lines.find("chat 2 rolled back", first + 1), std::string::npos) << lines;
    // The others' effects committed; the failed chat's did not, nor its ledger rows.
    EXPECT_EQ(texts(1), (std::vector<std::string>{"moved on"}));
    EXPECT_EQ(texts(3), (std::vector<std::string>{"moved on"}));
    EXPECT_TRUE(texts(2).empty());
    EXPECT_EQ(run_of(2).cursor, "A");
    EXPECT_TRUE(seen(11));
    EXPECT_FALSE(seen(12));
    EXPECT_TRUE(seen(13));
    EXPECT_FALSE(seen(14));
    // Redelivered from its first failure, the chat's text goes through; the rest are duplicates.
    const auto again = engine->dispatch_all({text_event(1, 11), text_event(2, 14), text_event(3, 13)});
    EXPECT_EQ(again[0].status, Status::duplicate);
    EXPECT_EQ(again[1].status, Status::handled) << again[1].message;
    EXPECT_EQ(again[2].status, Status::duplicate);
    EXPECT_EQ(texts(2), (std::vector<std::string>{"moved on"}));
    // One update twice in a group (its updates are marked at once): handled once.
    const auto twice = engine->dispatch_all({text_event(3, 51), text_event(1, 52), text_event(3, 51)});
    EXPECT_NE(twice[0].status, Status::duplicate);
    EXPECT_NE(twice[0].status, Status::failed) << twice[0].message;
    EXPECT_NE(twice[1].status, Status::duplicate);
    EXPECT_EQ(twice[2].status, Status::duplicate);
    EXPECT_TRUE(seen(51));
    EXPECT_TRUE(seen(52));
}

TEST_F(GroupCommitTest, ManyCallersShareGroupsAndEachChatKeepsItsOrder) {
    const auto d =
        deploy({{"A", {{"type", "script"}, {"text", "say"}, {"then", "wait"}, {"on_text", "wait"}}}});
    constexpr int kChats = 40;
    constexpr int kEach = 25;
    for (int chat = 1; chat <= kChats; ++chat) ASSERT_EQ(start(d, chat).status, Status::handled);
    std::atomic<int> not_handled{0};
    std::vector<std::thread> callers;
    for (int chat = 1; chat <= kChats; ++chat)
        callers.emplace_back([&, chat] {
            for (int i = 0; i < kEach; ++i) {
                auto e = text_event(chat, chat * 1000 + i);
                e.text = std::to_string(i);
                if (engine->dispatch(e).status != Status::handled) ++not_handled;
            }
        });
    for (auto& c : callers) c.join();
    EXPECT_EQ(not_handled.load(), 0);
    for (int chat = 1; chat <= kChats; ++chat) {
        std::vector<std::string> said;
        for (const auto& row : history(run_of(chat).id))
            if (row.role == "user") said.push_back(json::parse(row.payload_json).value("text", ""));
        ASSERT_EQ(said.size(), static_cast<std::size_t>(kEach)) << "chat " << chat;
        for (int i = 0; i < kEach; ++i) EXPECT_EQ(said[static_cast<std::size_t>(i)], std::to_string(i));
    }
}

// The transports' way in: nobody waits, and the results come once, all of
// them, from the worker that settled the last event.
TEST_F(GroupCommitTest, DispatchAllThenHandsTheResultsOnceFromTheWorkerAndKeepsChatsInOrder) {
    const auto d = deploy_fragile();
    for (int chat = 1; chat <= 3; ++chat) ASSERT_EQ(start(d, chat).status, Status::handled);
    for (int chat = 1; chat <= 3; ++chat) sent(chat);
    auto unknown_bot = text_event(1, 45);
    unknown_bot.bot_id = bot + 1000;
    std::promise<std::vector<sdk::DispatchResult>> promised;
    std::atomic<int> calls{0};
    std::atomic<bool> on_worker{false};
    const auto caller = std::this_thread::get_id();
    std::atomic<bool> on_caller{false};
    engine->dispatch_all_then(
        {text_event(1, 41), press_event(2, 42), unknown_bot, text_event(3, 43), text_event(2, 44)},
        [&](std::vector<sdk::DispatchResult> results) {
            on_worker = ChatWorkQueues::on_worker_thread();
            on_caller = std::this_thread::get_id() == caller;
            if (++calls == 1) promised.set_value(std::move(results));
        });
    auto future = promised.get_future();
    ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
    const auto results = future.get();
    EXPECT_TRUE(on_worker.load());
    EXPECT_FALSE(on_caller.load());
    ASSERT_EQ(results.size(), 5u);
    EXPECT_EQ(results[0].status, Status::handled) << results[0].message;
    EXPECT_EQ(results[1].status, Status::failed);
    EXPECT_EQ(results[2].status, Status::refused);
    EXPECT_EQ(results[2].message, "unknown bot " + std::to_string(bot + 1000));
    EXPECT_EQ(results[3].status, Status::handled) << results[3].message;
    EXPECT_EQ(results[4].message, "not tried: an earlier event of this chat failed");
    EXPECT_EQ(texts(1), (std::vector<std::string>{"moved on"}));
    EXPECT_TRUE(texts(2).empty());
    EXPECT_TRUE(seen(41));
    EXPECT_FALSE(seen(42));
    EXPECT_FALSE(seen(44));

    // Nothing to queue (no known bot): the results come before the call returns.
    std::vector<sdk::DispatchResult> at_once;
    engine->dispatch_all_then({unknown_bot},
                              [&](std::vector<sdk::DispatchResult> r) { at_once = std::move(r); });
    ASSERT_EQ(at_once.size(), 1u);
    EXPECT_EQ(at_once[0].status, Status::refused);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(calls.load(), 1);
}

// The process dies after the group's first events went through and before
// its commit: none of them is confirmed, and all of them run again afterwards.
TEST_F(GroupCommitTest, ACrashBeforeTheGroupCommitsConfirmsNothing) {
    GTEST_FLAG_SET(death_test_style, "fast");
    fatal = "exit";
    const auto d = deploy_fragile();
    for (int chat = 1; chat <= 3; ++chat) ASSERT_EQ(start(d, chat).status, Status::handled);
    for (int chat = 1; chat <= 3; ++chat) sent(chat);
    const auto db = dir / "engine.db";
    // The child is forked from this process: a lock one of its threads held
    // at that moment (the allocator's under ASan, SQLite's) would stay held
    // in the child, which then waited on it forever (once in a CI run, the
    // storage's checkpoint thread at work). The engine's threads and the
    // checkpoint thread stop first; the executor's two wait idle.
    engine.reset();
    storage.reset();
    EXPECT_EXIT(
        {
            // A fresh process's view: its own connection and engine threads.
            auto crashing = open_database(db);
            Engine doomed(*crashing, registry, executor, clock, config, log);
            doomed.dispatch_all({text_event(1, 21), text_event(3, 23), press_event(2, 22)});
            std::_Exit(0);  // not reached
        },
        ::testing::ExitedWithCode(86), "");
    storage = open_database(db);
    make_engine();
    EXPECT_FALSE(seen(21));
    EXPECT_FALSE(seen(22));
    EXPECT_FALSE(seen(23));
    EXPECT_EQ(run_of(1).cursor, "A");
    EXPECT_EQ(run_of(3).cursor, "A");
    EXPECT_TRUE(texts(1).empty());
    const auto results = engine->dispatch_all({text_event(1, 21), text_event(3, 23)});
    EXPECT_EQ(results[0].status, Status::handled);
    EXPECT_EQ(results[1].status, Status::handled);
}

TEST_F(GroupCommitTest, AnEventDispatchedFromInsideAnEventIsRefusedNotDeadlocked) {
    // Nothing in the platform does it; an element plugin that tried would
    // wait for its own worker forever.
    std::promise<sdk::DispatchResult> inner;
    ChatWorkQueues queues(1, 8, std::chrono::microseconds(0), [&](std::vector<ChatWorkQueues::Item*>& group) {
        if (!group.empty()) inner.set_value(engine->dispatch(text_event(1, 31)));
    });
    ChatWorkQueues::Item item;
    queues.push({&item});
    auto result = inner.get_future();
    ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
    const auto got = result.get();
    EXPECT_EQ(got.status, Status::failed);
    EXPECT_NE(got.message.find("from inside another event"), std::string::npos);
}

TEST_F(EngineTest, AnEnterElementTimerEntersItsElementUnlessTheRunMovedOn) {
    const auto d =
        deploy({{"A", {{"type", "script"}, {"text", "A"}, {"then", "wait"}, {"on_text", "next"}}},
                {"B", {{"type", "script"}, {"text", "B"}, {"then", "wait"}, {"on_text", "next"}}}});
    start(d);
    EXPECT_EQ(texts(), (std::vector<std::string>{"A"}));
    const auto run = run_of();
    const auto store = [&](const std::string& element) {
        sdk::WaitingElement t;
        t.run_id = run.id;
        t.element_id = "A";  // where the run waits
        t.due_at = 1;
        t.payload_json = enter_element_payload(state_of().activation, element);
        auto tx = storage->begin();
        t.id = tx->add_timer(sdk::kDefaultAccountId, t);
        t.account_id = sdk::kDefaultAccountId;
        tx->commit();
        return t;
    };
    const auto again = store("A");
    const auto stale = store("B");
    EXPECT_TRUE(engine->fire_timer(again));
    EXPECT_EQ(texts(), (std::vector<std::string>{"A"})) << "entered anew, so sent anew";
    EXPECT_EQ(state_of().visits.at("A"), 2);
    EXPECT_TRUE(engine->fire_timer(stale)) << "claimed";
    EXPECT_TRUE(sent().empty()) << "of an activation the run left: not delivered";
    EXPECT_TRUE(engine->fire_timer(store("B")));
    EXPECT_EQ(texts(), (std::vector<std::string>{"B"}));
    EXPECT_EQ(run_of().cursor, "B");
}

// --- Course authors in the chat ------------------------------------------------

class ChatAuthoringTest : public EngineTest {
protected:
    static constexpr std::int64_t kAuthor = 501;
    static constexpr std::int64_t kStudent = 502;

    ChatAuthoringTest() {
        auto tx = storage->begin();
        sdk::AccountMember m;
        m.telegram_user_id = kAuthor;
        m.username = "author";
        tx->add_member(sdk::kDefaultAccountId, m);
        tx->commit();
    }

    sdk::DispatchResult document(const std::string& name, const std::string& content, std::int64_t chat,
                                 const std::string& caption = "") {
        auto e = event(Kind::document, chat);
        e.file_name = name;
        e.file_size = static_cast<std::int64_t>(content.size());
        e.text = content;
        e.caption = caption;
        return engine->dispatch(e);
    }

    std::optional<sdk::Course> course_named(const std::string& name) {
        return storage->begin()->find_course(sdk::kDefaultAccountId, name);
    }

    std::size_t course_count() { return storage->begin()->list_courses(sdk::kDefaultAccountId).size(); }
};

const std::string kGoodCourse = "hello:\n  type: script\n  text: Hello from the chat\n";
const std::string kBrokenCourse = "hello:\n  type: script\n  text: Hi\nbye:\n  type: nope\n";

TEST_F(ChatAuthoringTest, AMembersCreateThenFileBecomesACourseOfTheAccount) {
    EXPECT_EQ(text("/create", kAuthor).status, Status::handled);
    const auto asked = texts(kAuthor);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_NE(asked[0].find("Send the course now"), std::string::npos) << asked[0];

    EXPECT_EQ(document("intro.yml", kGoodCourse, kAuthor).status, Status::handled);
    const auto course = course_named("intro");
    ASSERT_TRUE(course) << "the file's name names the course";
    const auto versions = storage->begin()->list_versions(sdk::kDefaultAccountId, course->id);
    ASSERT_EQ(versions.size(), 1u);
    const auto done = texts(kAuthor);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(
        done[0].rfind(
            "Imported course 'intro' (course " + std::to_string(course->id) + "), version 1: 1 elements.", 0),
        0u)
        << done[0];
    // The chat waits for nothing more: the next text is an ordinary one.
    EXPECT_EQ(text(kGoodCourse, kAuthor).status, Status::no_run);
    EXPECT_EQ(course_count(), 1u);
}

TEST_F(ChatAuthoringTest, ABrokenCourseIsRefusedWithItsExactLinesAndNothingStored) {
    text("/create Broken", kAuthor);
    texts(kAuthor);
    EXPECT_EQ(document("broken.yml", kBrokenCourse, kAuthor).status, Status::handled);
    EXPECT_EQ(course_count(), 0u);
    const auto refused = texts(kAuthor);
    ASSERT_EQ(refused.size(), 1u);
    const auto check = check_course(kBrokenCourse, "broken.yml", registry);
    ASSERT_FALSE(check.ok());
    std::string lines;
    for (const auto& p : check.problems) lines += "\n" + p.to_string();
    EXPECT_EQ(refused[0], "The course was not imported:" + lines + "\nFix it and send it again, or /cancel.");
    EXPECT_NE(refused[0].find("\nbroken.yml:5: element bye: unknown type 'nope'"), std::string::npos)
        << refused[0];
    // Still waiting, under the name /create gave: the fixed file goes in.
    EXPECT_EQ(document("broken.yml", kGoodCourse, kAuthor).status, Status::handled);
    EXPECT_TRUE(course_named("Broken"));
    EXPECT_FALSE(course_named("broken"));
}

TEST_F(ChatAuthoringTest, CreateWithTheCourseBelowItsLineImportsAtOnce) {
    EXPECT_EQ(text("/create Inline\n" + kGoodCourse, kAuthor).status, Status::handled);
    EXPECT_TRUE(course_named("Inline"));
    // A name the account has already is refused before anything is asked for.
    text("/create Inline", kAuthor);
    const auto answers = texts(kAuthor);
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(answers[1].rfind("The account has a course called 'Inline' already", 0), 0u) << answers[1];
    EXPECT_EQ(course_count(), 1u);
}

TEST_F(ChatAuthoringTest, ANonMembersCommandsAreOrdinaryMessages) {
    const auto d =
        deploy({{"A", {{"type", "script"}, {"text", "Tell me"}, {"then", "wait"}, {"on_text", "wait"}}}});
    start(d, kStudent);
    texts(kStudent);
    EXPECT_EQ(text("/create", kStudent).status, Status::handled);  // the course's answer to a text
    EXPECT_EQ(document("mine.yml", kGoodCourse, kStudent).status, Status::ignored);
    EXPECT_EQ(course_count(), 1u) << "only the deployed course";
    EXPECT_EQ(state_of(kStudent).states["A"]["seen"], (json{"/create"}));
    // Without a run the student hears only that the course is over.
    EXPECT_EQ(text("/edit 1", kStudent + 1).status, Status::no_run);
    EXPECT_EQ(texts(kStudent + 1), std::vector<std::string>{"The course is over"});
}

TEST_F(ChatAuthoringTest, EditSendsTheFileAndAChangedOneBecomesTheNextVersion) {
    text("/create Editable\n" + kGoodCourse, kAuthor);
    texts(kAuthor);
    const auto course = course_named("Editable");
    ASSERT_TRUE(course);

    EXPECT_EQ(text("/edit Editable", kAuthor).status, Status::handled);
    const auto out = sent(kAuthor);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0]["kind"], "document");
    EXPECT_EQ(out[0]["file_name"], "Editable.yml");
    EXPECT_EQ(out[0]["caption"], "Editable, version 1");
    const std::string yaml = out[0]["content"];
    EXPECT_TRUE(check_course(yaml, "Editable.yml", registry).ok()) << yaml;
    EXPECT_NE(out[1]["text"].get<std::string>().find("it becomes version 2 of 'Editable'"),
              std::string::npos);

    // The same file back changes nothing.
    document("Editable.yml", yaml, kAuthor);
    EXPECT_EQ(texts(kAuthor), std::vector<std::string>{
                                  "Nothing changed: the file holds what version 1 of 'Editable' holds."});
    text("/edit " + std::to_string(course->id), kAuthor);
    texts(kAuthor);
    std::string changed = yaml;
    changed.replace(changed.find("Hello from the chat"), 19, "Hello again");
    document("whatever.yml", changed, kAuthor);
    const auto published = texts(kAuthor);
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0].rfind("Published version 2 of 'Editable': 1 elements.", 0), 0u) << published[0];
    const auto versions = storage->begin()->list_versions(sdk::kDefaultAccountId, course->id);
    ASSERT_EQ(versions.size(), 2u);
    EXPECT_EQ(versions.back().number, 2);

    // A document with /edit as its caption publishes at once; /edit alone lists the courses.
    EXPECT_EQ(text("/edit", kAuthor).status, Status::handled);
    EXPECT_EQ(texts(kAuthor), std::vector<std::string>{"Send /edit and the course's name or number:\n" +
                                                       std::to_string(course->id) + "  Editable"});
    EXPECT_EQ(text("/edit Missing", kAuthor).status, Status::handled);
    EXPECT_EQ(texts(kAuthor),
              std::vector<std::string>{"The account has no course 'Missing'. Send /edit to list them."});
}

TEST_F(ChatAuthoringTest, CancelStopsWaitingAndAnUnreadableFileIsExplained) {
    text("/create", kAuthor);
    texts(kAuthor);
    EXPECT_EQ(text("/cancel", kAuthor).status, Status::handled);
    EXPECT_EQ(texts(kAuthor), std::vector<std::string>{"Stopped: nothing was imported."});
    EXPECT_EQ(text("/cancel", kAuthor).status, Status::no_run) << "nothing to stop: an ordinary message";
    texts(kAuthor);

    text("/create", kAuthor);
    texts(kAuthor);
    auto big = event(Kind::document, kAuthor);
    big.file_name = "huge.yml";
    big.file_size = 50 * 1024 * 1024;  // the transport fetched nothing
    EXPECT_EQ(engine->dispatch(big).status, Status::handled);
    EXPECT_EQ(texts(kAuthor),
              std::vector<std::string>{"The file is 52428800 bytes; a course file is at most 4 "
                                       "MiB. Nothing was imported."});
    EXPECT_EQ(course_count(), 0u);
}

TEST_F(ChatAuthoringTest, CommandsInAGroupAreNotAnAuthors) {
    auto e = event(Kind::text, -100123);
    e.user_id = kAuthor;
    e.text = "/create";
    EXPECT_EQ(engine->dispatch(e).status, Status::no_run);
    EXPECT_FALSE(storage->begin()->find_chat_authoring(sdk::kDefaultAccountId, bot, -100123));
}

TEST(ChatCommand, NameArgumentAndBody) {
    auto c = parse_chat_command("/Create@profo_bot  My course \nintro:\n  type: message\n");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "create");
    EXPECT_EQ(c->argument, "My course");
    EXPECT_EQ(c->body, "intro:\n  type: message\n");
    EXPECT_FALSE(parse_chat_command("create"));
    EXPECT_FALSE(parse_chat_command("/"));
    EXPECT_FALSE(parse_chat_command("/edit-this"));
    EXPECT_EQ(parse_chat_command("/edit")->argument, "");
    EXPECT_EQ(course_file_name("Курс: 1/2"), "Курс__1_2.yml");
    EXPECT_EQ(course_file_name(""), "course.yml");
    EXPECT_EQ(course_file_name(std::string(200, 'x')).size(), 124u);
}

}  // namespace
}  // namespace profo::host
