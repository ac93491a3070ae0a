// Events per second through the course engine: scripted students take a
// course of a button message and three graded questions, round and round,
// each event carrying a Telegram update id as the transport's would.
//
// Two ways in, on the same database in the same process:
// - one event at a time from one thread: every event commits alone (the
//   per-event commit, the reference for group commit);
// - group commit: `producers` threads each hand the engine batches of
//   `batch` events of different students (as a getUpdates reply or a burst
//   of webhooks brings them), which it commits together, each event under
//   its own savepoint. The latency of an event is its batch's.
//
// The baseline is the same number of bare storage transactions (begin;
// active_run; update_run; commit): the ratio says what the engine costs on
// top of the least a stateful bot must do. A second reference replays the
// storage calls the engine makes for these events (update ledger, run,
// history rows, outbox rows) without the engine, one event per transaction
// and then `batch` events per transaction: the most group commit could reach
// with the storage as it is.
//
//   profo_engine_bench [--postgres DSN] [--producers N] [--batch B] [--group-only]
//                      [--synchronous full|normal] [events] [students]
//
// --group-only runs the group commit phase alone (after the students' starts),
// for a profiler to see nothing else.
//
// SQLite is a file in a temporary folder; PostgreSQL is the database of
// DSN (the bench adds a bot, a course and runs to it).
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/executor.hpp"
#include "secrets/secret_box.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace profo::host {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class QuietLogger final : public sdk::Logger {
public:
    void log(sdk::LogLevel level, std::string_view message) override {
        if (level >= sdk::LogLevel::warn)
            std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
    }
};

struct Latencies {
    std::vector<double> micros;

    void add(Clock::duration d) { micros.push_back(std::chrono::duration<double, std::micro>(d).count()); }
    double total_seconds() const {
        double sum = 0;
        for (double m : micros) sum += m;
        return sum / 1e6;
    }
    double percentile(double p) {
        std::sort(micros.begin(), micros.end());
        return micros[static_cast<std::size_t>(p * static_cast<double>(micros.size() - 1))];
    }
};

// One student's next move: the course is Intro (a button), Q1..Q3, Again (a
// button that goes back to Q1), so the activation of each button is known.
struct Student {
    std::int64_t chat = 0;
    int step = 0;  // events handled after the start

    sdk::InboundEvent next(sdk::Id bot) {
        sdk::InboundEvent e;
        e.bot_id = bot;
        e.chat_id = e.user_id = chat;
        if (step == 0) {
            e.kind = sdk::InboundEvent::Kind::callback;
            e.callback_data = "a1:0";
            e.callback_id = "cb";
        } else {
            const int in_round = (step - 1) % 4;  // answer, answer, answer, press Again
            const int round = (step - 1) / 4;
            if (in_round < 3) {
                e.kind = sdk::InboundEvent::Kind::text;
                e.text = in_round == 1 ? "wrong" : "4";
            } else {
                e.kind = sdk::InboundEvent::Kind::callback;
                e.callback_data = "a" + std::to_string(5 + 4 * round) + ":0";
                e.callback_id = "cb";
            }
        }
        ++step;
        return e;
    }
};

struct Options {
    std::string postgres_dsn;  // empty: SQLite in a temporary folder
    int events = 100000;
    int students = 2000;
    int producers = 8;
    int batch = 32;
    bool group_only = false;  // only the group commit phase: for profiling it
    // SQLite's storage.sqlite.synchronous. The figures quoted in the storage
    // comments were measured with normal; `profo serve` defaults to full,
    // which adds one sync of the log per commit.
    sdk::SqliteSynchronous synchronous = sdk::SqliteSynchronous::normal;
};

int run(const Options& o) {
    const int events = o.events;
    const int students = o.students;
    const fs::path dir =
        fs::temp_directory_path() / ("profo-engine-bench-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    // Declared before the storage, so removed after it closes, on every way out.
    const struct RemovedAtExit {
        fs::path dir;
        ~RemovedAtExit() {
            std::error_code ignored;
            fs::remove_all(dir, ignored);
        }
    } folder{dir};
    const std::string suffix = std::to_string(std::random_device{}());

    const bool postgres = !o.postgres_dsn.empty();
    const auto module = load_plugin_file(
        fs::path(PROFO_PLUGIN_DIR) / (postgres ? "profo_storage_postgres.so" : "profo_storage_sqlite.so"));
    sdk::StorageOptions options;
    options.dsn = postgres ? o.postgres_dsn : (dir / "bench.db").string();
    options.pool_size = 8;
    options.sqlite_synchronous = o.synchronous;
    auto storage = module->keep_alive(module->as<sdk::StoragePlugin>().open(options));
    storage->migrate();

    Config config;
    config.plugins["element/script"].enabled = true;
    config.plugins["element/ask"].enabled = true;
    const fs::path fixtures = PROFO_ENGINE_FIXTURE_DIR;
    PluginRegistry registry(config, {inspect_plugin(fixtures / "profo_element_script.so"),
                                     inspect_plugin(fixtures / "profo_element_ask.so")});
    if (!registry.failures().empty()) {
        std::fprintf(stderr, "%s\n", registry.failures()[0].c_str());
        return 1;
    }
    ThreadPoolExecutor executor(1);
    SystemClock clock;
    std::array<unsigned char, 32> key{};
    AesGcmSecretBox secrets(key);
    QuietLogger log;

    const sdk::Id account = sdk::kDefaultAccountId;
    sdk::Id bot = 0;
    sdk::Id deployment = 0;
    {
        auto tx = storage->begin();
        sdk::Bot b;
        b.username = "bench_" + suffix + "_bot";
        b.token_sealed = secrets.seal("1:bench");
        bot = tx->create_bot(account, b).id;
        const auto course = tx->create_course(account, "bench " + suffix);
        std::vector<sdk::CourseElement> elements;
        auto add = [&](const std::string& id, const nlohmann::json& spec) {
            sdk::CourseElement e;
            e.account_id = account;
            e.position = static_cast<int>(elements.size());
            e.element_id = id;
            e.type = spec["type"];
            e.body_json = spec.dump();
            elements.push_back(e);
        };
        add("Intro", {{"type", "script"},
                      {"text", "Welcome to the course"},
                      {"buttons", {"Start"}},
                      {"then", "wait"},
                      {"on_button", "next"}});
        add("Q1", {{"type", "ask"}, {"text", "2 + 2?"}, {"answer", "4"}});
        add("Q2", {{"type", "ask"}, {"text", "3 + 3?"}, {"answer", "6"}});
        add("Q3", {{"type", "ask"}, {"text", "1 + 3?"}, {"answer", "4"}});
        add("Again", {{"type", "script"},
                      {"text", "Once more?"},
                      {"buttons", {"Yes"}},
                      {"then", "wait"},
                      {"on_button", "goto:Q1"}});
        const auto version = tx->create_version(account, course.id, "bench", elements);
        sdk::CourseDeployment d;
        d.course_id = course.id;
        d.version_id = version.id;
        d.bot_id = bot;
        deployment = tx->create_deployment(account, d).id;
        tx->commit();
    }

    config.storage.pool_size = options.pool_size;
    Engine engine(*storage, registry, executor, clock, config, log);
    std::vector<Student> cohort(static_cast<std::size_t>(students));
    for (int i = 0; i < students; ++i) {
        cohort[static_cast<std::size_t>(i)].chat = 1000 + i;
        sdk::InboundEvent start;
        start.kind = sdk::InboundEvent::Kind::start;
        start.bot_id = bot;
        start.chat_id = start.user_id = 1000 + i;
        start.deployment_id = deployment;
        if (engine.dispatch(start).status != sdk::DispatchResult::Status::handled) {
            std::fprintf(stderr, "start refused\n");
            return 1;
        }
    }

    std::atomic<std::int64_t> update_id{0};
    Latencies engine_times;
    engine_times.micros.reserve(static_cast<std::size_t>(events));
    int unhandled = 0;
    for (int i = 0; i < (o.group_only ? 0 : events); ++i) {
        auto e = cohort[static_cast<std::size_t>(i % students)].next(bot);
        e.update_id = ++update_id;
        const auto begin = Clock::now();
        const auto result = engine.dispatch(e);
        engine_times.add(Clock::now() - begin);
        if (result.status != sdk::DispatchResult::Status::handled) ++unhandled;
    }

    // Group commit: each producer owns the students i % producers and hands
    // the engine batches of events of different students, round and round.
    const int producers = std::max(1, std::min(o.producers, students));
    std::vector<Latencies> group_times(static_cast<std::size_t>(producers));
    std::atomic<int> group_unhandled{0};
    const auto group_began = Clock::now();
    {
        std::vector<std::thread> threads;
        for (int p = 0; p < producers; ++p)
            threads.emplace_back([&, p] {
                std::vector<Student*> mine;
                for (int i = p; i < students; i += producers)
                    mine.push_back(&cohort[static_cast<std::size_t>(i)]);
                const int share = events / producers;
                const auto batch = static_cast<std::size_t>(
                    std::max(1, std::min<int>(o.batch, static_cast<int>(mine.size()))));
                auto& times = group_times[static_cast<std::size_t>(p)];
                std::size_t next = 0;
                for (int done = 0; done < share;) {
                    std::vector<sdk::InboundEvent> batch_events;
                    for (std::size_t k = 0; k < batch && done < share; ++k, ++done) {
                        auto e = mine[next++ % mine.size()]->next(bot);
                        e.update_id = ++update_id;
                        batch_events.push_back(std::move(e));
                    }
                    const auto begin = Clock::now();
                    const auto results = engine.dispatch_all(batch_events);
                    const auto took = Clock::now() - begin;
                    for (const auto& r : results) {
                        times.add(took);
                        if (r.status != sdk::DispatchResult::Status::handled) ++group_unhandled;
                    }
                }
            });
        for (auto& t : threads) t.join();
    }
    const double group_seconds = std::chrono::duration<double>(Clock::now() - group_began).count();
    Latencies group_all;
    for (auto& t : group_times)
        group_all.micros.insert(group_all.micros.end(), t.micros.begin(), t.micros.end());
    const auto group_events = static_cast<int>(group_all.micros.size());
    if (o.group_only) {
        std::printf(
            "engine, group commit: %d producers x batches of %d: %.0f events/s, p99 %.1f us per event%s\n",
            producers, o.batch, group_events / group_seconds, group_all.percentile(0.99),
            group_unhandled ? " (SOME EVENTS NOT HANDLED)" : "");
        return group_unhandled == 0 ? 0 : 1;
    }

    // The same number of bare transactions, over the same runs.
    Latencies baseline_times;
    baseline_times.micros.reserve(static_cast<std::size_t>(events));
    for (int i = 0; i < events; ++i) {
        const auto begin = Clock::now();
        auto tx = storage->begin();
        auto r = tx->active_run(account, bot, 1000 + i % students);
        r->updated_at = i;
        tx->update_run(account, *r);
        tx->commit();
        baseline_times.add(Clock::now() - begin);
    }

    // The engine's writes for the same mix, without the engine: an answer is
    // the student's row, the feedback and the next question (history and
    // outbox); a press is its callback answer, the press row and a question.
    Latencies replay_times;
    replay_times.micros.reserve(static_cast<std::size_t>(events));
    sdk::ConversationEntry row;
    row.account_id = account;
    row.element_id = "Q1";
    row.role = "bot";
    row.payload_json = R"({"kind":"text","text":"2 + 2?","link_preview":true})";
    sdk::OutboxMessage message;
    message.account_id = account;
    message.bot_id = bot;
    message.payload_json = row.payload_json;
    auto replay_event = [&](sdk::StorageTx& tx, int i) {
        const std::int64_t chat = 1000 + i % students;
        const bool press = i % 4 == 3;
        tx.mark_update_processed(account, bot, ++update_id);
        auto r = tx.active_run(account, bot, chat);
        message.chat_id = chat;
        message.run_id = row.run_id = r->id;
        if (press) tx.enqueue_outbox(account, message);
        r->updated_at = i;
        tx.update_run(account, *r);
        // At once, as the engine writes an event's rows.
        tx.append_conversation_rows(account, std::vector<sdk::ConversationEntry>(press ? 2 : 3, row));
        tx.enqueue_outbox_rows(account, std::vector<sdk::OutboxMessage>(press ? 1 : 2, message));
    };
    for (int i = 0; i < events; ++i) {
        const auto begin = Clock::now();
        auto tx = storage->begin();
        replay_event(*tx, i);
        tx->commit();
        replay_times.add(Clock::now() - begin);
    }
    // The same writes in transactions of `batch` events: the most the storage
    // lets group commit reach with this mix.
    const auto grouped_replay_began = Clock::now();
    for (int i = 0; i < events;) {
        auto tx = storage->begin();
        for (int k = 0; k < o.batch && i < events; ++k, ++i) replay_event(*tx, i);
        tx->commit();
    }
    const double grouped_replay_seconds =
        std::chrono::duration<double>(Clock::now() - grouped_replay_began).count();

    const double engine_seconds = engine_times.total_seconds();
    const double baseline_seconds = baseline_times.total_seconds();
    std::printf("storage: %s (%s)\n", storage->backend().c_str(), storage->durability().c_str());
    std::printf(
        "engine, one event per transaction: %d events by %d students in %.2f s: %.0f events/s, p50 %.1f us, "
        "p99 %.1f us%s\n",
        events, students, engine_seconds, events / engine_seconds, engine_times.percentile(0.50),
        engine_times.percentile(0.99), unhandled ? " (SOME EVENTS NOT HANDLED)" : "");
    std::printf(
        "engine, group commit: %d producers x batches of %d: %d events in %.2f s: %.0f events/s, p50 %.1f "
        "us, "
        "p99 %.1f us per event%s\n",
        producers, o.batch, group_events, group_seconds, group_events / group_seconds,
        group_all.percentile(0.50), group_all.percentile(0.99),
        group_unhandled ? " (SOME EVENTS NOT HANDLED)" : "");
    std::printf("group commit / per-event commit: %.2f x the events per second\n",
                (group_events / group_seconds) / (events / engine_seconds));
    std::printf(
        "baseline: %d transactions (begin; active_run; update_run; commit) in %.2f s: %.0f tx/s, p99 %.1f "
        "us\n",
        events, baseline_seconds, events / baseline_seconds, baseline_times.percentile(0.99));
    const double replay_seconds = replay_times.total_seconds();
    std::printf(
        "engine/baseline ratio: %.2f (time per event over time per bare transaction, one at a time)\n",
        engine_seconds / baseline_seconds);
    std::printf(
        "storage replay: the engine's writes without the engine: %.0f tx/s, p99 %.1f us; "
        "engine/replay ratio %.2f\n",
        events / replay_seconds, replay_times.percentile(0.99), engine_seconds / replay_seconds);
    std::printf(
        "storage replay in groups of %d: %.0f events/s; group commit / grouped replay: %.2f of the "
        "storage's own rate\n",
        o.batch, events / grouped_replay_seconds,
        (group_events / group_seconds) / (events / grouped_replay_seconds));

    return unhandled == 0 && group_unhandled == 0 ? 0 : 1;
}

}  // namespace
}  // namespace profo::host

int main(int argc, char** argv) {
    profo::host::Options o;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--postgres" && has_value)
            o.postgres_dsn = argv[++i];
        else if (arg == "--producers" && has_value)
            o.producers = std::atoi(argv[++i]);
        else if (arg == "--batch" && has_value)
            o.batch = std::atoi(argv[++i]);
        else if (arg == "--group-only")
            o.group_only = true;
        else if (arg == "--synchronous" && has_value &&
                 (std::string(argv[i + 1]) == "full" || std::string(argv[i + 1]) == "normal"))
            o.synchronous = std::string(argv[++i]) == "full" ? profo::sdk::SqliteSynchronous::full
                                                             : profo::sdk::SqliteSynchronous::normal;
        else
            positional.push_back(arg);
    }
    if (!positional.empty()) o.events = std::atoi(positional[0].c_str());
    if (positional.size() > 1) o.students = std::atoi(positional[1].c_str());
    if (o.events <= 0 || o.students <= 0 || o.producers <= 0 || o.batch <= 0 || positional.size() > 2) {
        std::fprintf(stderr,
                     "usage: profo_engine_bench [--postgres DSN] [--producers N] [--batch B] [--group-only] "
                     "[--synchronous full|normal] [events] [students]\n");
        return 2;
    }
    return profo::host::run(o);
}
