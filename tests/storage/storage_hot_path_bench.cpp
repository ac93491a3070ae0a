// Transactions per second of the engine's per-event storage pattern:
//   begin; active_run; update_run; append_conversation; enqueue_outbox; commit
// on SQLite (a file under the temp folder) and, when PROFO_TEST_PG_DSN is set,
// on PostgreSQL.
//
//   storage_hot_path_bench [seconds per run, default 3] [threads, default 1]
//
// Besides wall-clock throughput it prints CPU time per transaction (of the
// threads running transactions, and of the whole process, background
// checkpoints included): on a loaded machine wall-clock figures say more about
// the neighbours than about the storage.
#include "storage_backends.hpp"

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace profo::storage_test {
namespace {

constexpr int kChats = 1000;

double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

template <class Backend>
void measure(double seconds, int threads) {
    if (auto reason = Backend::unavailable()) {
        std::printf("%-8s skipped: %s\n", Backend::kPluginId, reason->c_str());
        return;
    }
    typename Backend::Database database;
    auto plugin = load_module(Backend::module());
    auto storage = plugin->keep_alive(plugin->template as<sdk::StoragePlugin>().open(database.options()));
    storage->migrate();

    const sdk::Id account = sdk::kDefaultAccountId;
    sdk::Id bot_id = 0;
    {
        auto tx = storage->begin();
        sdk::Bot bot;
        bot.username = "bench_bot";
        bot.token_sealed = "sealed";
        bot_id = tx->create_bot(account, bot).id;
        auto course = tx->create_course(account, "Bench");
        sdk::CourseElement element;
        element.element_id = "Intro";
        element.type = "message";
        auto version = tx->create_version(account, course.id, "bench.yaml", {element});
        sdk::CourseDeployment d;
        d.course_id = course.id;
        d.version_id = version.id;
        d.bot_id = bot_id;
        auto deployment = tx->create_deployment(account, d);
        for (int chat = 0; chat < kChats; ++chat) {
            sdk::Run run;
            run.bot_id = bot_id;
            run.deployment_id = deployment.id;
            run.chat_id = chat;
            run.user_id = chat;
            run.cursor = "Intro";
            tx->start_run(account, run);
        }
        tx->commit();
    }

    std::atomic<long> events{0};
    std::atomic<long> worker_cpu_ns{0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    auto worker = [&](int index) {
        long n = 0;
        // Each thread owns its chats, as the engine keeps one chat's events in order.
        for (long i = index; std::chrono::steady_clock::now() < deadline; i += threads, ++n) {
            const std::int64_t chat = i % kChats;
            auto tx = storage->begin();
            auto run = tx->active_run(account, bot_id, chat);
            run->state_json = R"({"activation":)" + std::to_string(i) + "}";
            run->cursor = (i % 2 == 0) ? "Intro" : "Quiz_1";
            tx->update_run(account, *run);
            sdk::ConversationEntry entry;
            entry.run_id = run->id;
            entry.element_id = run->cursor;
            entry.role = "user";
            entry.payload_json = R"({"text":"answer"})";
            tx->append_conversation(account, entry);
            sdk::OutboxMessage message;
            message.bot_id = bot_id;
            message.chat_id = chat;
            message.run_id = run->id;
            message.payload_json = R"({"kind":"text","text":"next question"})";
            tx->enqueue_outbox(account, message);
            tx->commit();
        }
        events += n;
        timespec cpu{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
        worker_cpu_ns += cpu.tv_sec * 1'000'000'000L + cpu.tv_nsec;
    };
    const auto started = std::chrono::steady_clock::now();
    const double process_cpu_before = process_cpu_seconds();
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back(worker, i);
    for (auto& thread : pool) thread.join();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double process_cpu = process_cpu_seconds() - process_cpu_before;
    const double count = static_cast<double>(events.load());
    std::printf(
        "%-8s %d thread(s): %ld transactions in %.2f s = %.0f tx/s; CPU per transaction: %.1f us in "
        "the transaction threads, %.1f us in the process\n",
        Backend::kPluginId, threads, events.load(), elapsed, count / elapsed,
        worker_cpu_ns.load() / 1000.0 / count, process_cpu * 1e6 / count);
}

}  // namespace
}  // namespace profo::storage_test

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    try {
        profo::storage_test::measure<profo::storage_test::SqliteBackend>(seconds, threads);
        profo::storage_test::measure<profo::storage_test::PostgresBackend>(seconds, threads);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "storage_hot_path_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
