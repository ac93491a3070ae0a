// How fast `profo legacy import` brings a large legacy database over:
//
//   export PROFO_TEST_PG_DSN="$(scripts/pg-test-server.sh start)"
//   build/bin/legacy_import_bench [CONVERSATION_ROWS] [sqlite|postgres]
//
// builds a legacy database of CONVERSATION_ROWS rows (default 1,000,000; 20
// per run, half of the runs still active) in a schema of its own, imports it
// with the real binary into SQLite (or a PostgreSQL schema) and prints the time.
#include "legacy_fixture.hpp"
#include "test_config.hpp"

#include <chrono>
#include <iostream>

using namespace profo::testing;

int main(int argc, char** argv) {
    const long long rows = argc > 1 ? std::atoll(argv[1]) : 1000000;
    const std::string target = argc > 2 ? argv[2] : "sqlite";
    if (auto reason = PostgresSchema::unavailable()) {
        std::cerr << *reason << "\n";
        return 2;
    }
    LegacyDatabaseFixture legacy;
    const long long runs = std::max(1LL, rows / 20);
    const auto fill_start = std::chrono::steady_clock::now();
    legacy.execute(R"(INSERT INTO course VALUES ('Bench', 'bench_bot', 1, now(), $y$First:
  type: message
  text: Hello
Ask:
  type: input
  text: Your answer?
Last:
  type: end
  text: Bye
$y$);)");
    legacy.execute(
        "INSERT INTO run (chat_id, username, botname, course_id, date_inserted, utm_source, is_ended) "
        "SELECT g, 'user' || g, 'bench_bot', 'Bench', now() - interval '10 days', 'src', g % 2 = 0 "
        "FROM generate_series(1, " +
        std::to_string(runs) + ") g");
    legacy.execute(
        "INSERT INTO conversation (chat_id, course_id, element_id, element_type, role, report, "
        "date_inserted, run_id) SELECT (g % " +
        std::to_string(runs) +
        ") + 1, 'Bench', "
        "CASE WHEN g % 2 = 0 THEN 'Ask' ELSE 'First' END, 'message', "
        "CASE WHEN g % 3 = 0 THEN 'user' ELSE 'bot' END, 'text of row ' || g, "
        "now() - interval '1 day', (g % " +
        std::to_string(runs) +
        ") + 1 "
        "FROM generate_series(1, " +
        std::to_string(rows) + ") g");
    const double fill_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
    std::cerr << "legacy database: " << rows << " conversation rows, " << runs << " runs (" << fill_s
              << " s)\n";

    TempDir dir;
    TestConfig c;
    std::unique_ptr<PostgresSchema> target_schema;
    if (target == "postgres") {
        target_schema = std::make_unique<PostgresSchema>();
        c.storage_plugin = "postgres";
        c.dsn = target_schema->dsn();
    }
    const auto config = write_test_config(dir, c);
    auto migrated = run_process(profo_command(config, {"migrate"}), "", {}, std::chrono::minutes(5));
    if (migrated.exit_code != 0) {
        std::cerr << migrated.err;
        return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    auto imported =
        run_process(profo_command(config, {"legacy", "import", "--token",
                                           "bench_bot=123456:AAbenchTokenForTheImport", legacy.dsn()}),
                    "", {}, std::chrono::hours(2));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << imported.err;
    std::cout << imported.out;
    if (imported.exit_code != 0) return 1;
    std::cout << "imported " << rows << " conversation rows (" << runs << " runs) into " << target << " in "
              << seconds << " s: " << static_cast<long long>(rows / seconds) << " rows/s\n";
    return 0;
}
