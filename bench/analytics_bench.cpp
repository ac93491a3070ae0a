// The panel's analytics endpoints over a big account: 100,000 runs and
// 1,000,000 conversation rows (the issue's size), written through the
// storage contract as the engine writes them, then timed over HTTP against
// the real `profo serve`. The baseline is GET /api/v1/accounts/1 (one row
// read) through the same server, sign-in and routes in the same run: the
// ratio is what the analytics cost on top of the least a request costs.
//
//   profo_analytics_bench sqlite [runs] [rows per run]
//   profo_analytics_bench postgres DSN [runs] [rows per run]
#include "config/config.hpp"
#include "runtime/platform.hpp"

#include <profo/sdk/admin.hpp>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using profo::sdk::Id;

constexpr int kElements = 10;
constexpr profo::sdk::Millis kStart = 1'767'225'600'000;  // 2026-01-01
constexpr profo::sdk::Millis kWeek = 7LL * 24 * 3600 * 1000;

std::string element_id(int i) {
    return "step_" + std::to_string(i);
}

// One request on a fresh loopback connection; returns the status.
int get(unsigned short port, const std::string& target, const std::string& key) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                                "Authorization: Bearer " + key + "\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
        close(fd);
        return -1;
    }
    std::string reply;
    std::array<char, 65536> buffer{};
    for (ssize_t n; (n = recv(fd, buffer.data(), buffer.size(), 0)) > 0;)
        reply.append(buffer.data(), static_cast<std::size_t>(n));
    close(fd);
    return reply.size() > 12 ? std::stoi(reply.substr(9, 3)) : -1;
}

struct Timing {
    std::string name;
    double p50 = 0, p95 = 0, max = 0;
};

Timing time_endpoint(unsigned short port, const std::string& key, const std::string& name,
                     const std::string& target, int rounds) {
    std::vector<double> ms;
    for (int i = 0; i < rounds; ++i) {
        const auto started = Clock::now();
        const int status = get(port, target, key);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
        if (status != 200) {
            std::fprintf(stderr, "%s answered %d\n", target.c_str(), status);
            std::exit(1);
        }
    }
    std::sort(ms.begin(), ms.end());
    return {name, ms[ms.size() / 2], ms[static_cast<std::size_t>(0.95 * static_cast<double>(ms.size() - 1))],
            ms.back()};
}

// Writes the account's course, bot, deployment, tokens, runs and rows.
std::string fill(profo::host::Platform& platform, int runs, int rows_per_run) {
    using namespace profo::sdk;
    auto& storage = platform.storage();
    Id account = 0, version = 0, deployment = 0, bot = 0;
    std::vector<Id> tokens;
    {
        auto tx = storage.begin();
        account = tx->create_account("Bench School").id;
        AccountMember owner;
        owner.telegram_user_id = 1;
        owner.role = "owner";
        tx->add_member(account, owner);
        const auto course = tx->create_course(account, "Physics");
        std::vector<CourseElement> elements;
        for (int i = 0; i < kElements; ++i) {
            CourseElement e;
            e.element_id = element_id(i);
            e.type = i % 2 ? "quiz" : "message";
            e.body_json = json{{"type", e.type}, {"text", "step"}}.dump();
            elements.push_back(e);
        }
        version = tx->create_version(account, course.id, "bench.yml", elements).id;
        Bot b;
        b.username = "bench_bot";
        b.token_sealed = "not-a-token";
        b.enabled = false;
        bot = tx->create_bot(account, b).id;
        CourseDeployment d;
        d.course_id = course.id;
        d.version_id = version;
        d.bot_id = bot;
        d.environment = "prod";
        deployment = tx->create_deployment(account, d).id;
        for (int i = 0; i < 5; ++i) {
            EnrollmentToken t;
            t.deployment_id = deployment;
            t.type = "public";
            t.code = "bench" + std::to_string(i);
            t.utm_json = json{{"source", "source" + std::to_string(i)}}.dump();
            tokens.push_back(tx->create_token(account, t).id);
        }
        tx->commit();
    }
    std::mt19937 random(7);
    const auto fill_started = Clock::now();
    constexpr int kBatch = 500;
    for (int first = 0; first < runs; first += kBatch) {
        auto tx = storage.begin();
        for (int i = first; i < std::min(runs, first + kBatch); ++i) {
            Run run;
            run.bot_id = bot;
            run.deployment_id = deployment;
            run.version_id = version;
            run.chat_id = run.user_id = 1'000'000 + i;
            run.token_id = tokens[static_cast<std::size_t>(i) % tokens.size()];
            run.utm_json = json{{"source", "source" + std::to_string(i % 5)}}.dump();
            run.started_at = kStart + static_cast<Millis>(random() % (20 * kWeek));
            const auto dice = random() % 100;
            run.status = dice < 60   ? RunStatus::completed
                         : dice < 85 ? RunStatus::active
                         : dice < 95 ? RunStatus::abandoned
                                     : RunStatus::blocked;
            run.active = run.status == RunStatus::active;
            if (!run.active) run.ended_at = run.started_at + 3600000;
            const auto stored = tx->start_run(account, run);
            const int reached =
                run.status == RunStatus::completed ? kElements : 1 + static_cast<int>(random() % kElements);
            for (int r = 0; r < rows_per_run; ++r) {
                ConversationEntry e;
                e.run_id = stored.id;
                const int step = std::min(reached - 1, r * reached / rows_per_run);
                e.element_id = element_id(step);
                e.role = r % 2 ? "user" : "bot";
                e.payload_json = R"({"text":"answer"})";
                if (step % 2 && e.role == "user") {
                    e.score = static_cast<double>(random() % 2);
                    e.maxscore = 1;
                }
                e.created_at = run.started_at + r * 1000;
                tx->append_conversation(account, e);
            }
        }
        tx->commit();
        if ((first / kBatch) % 20 == 0) std::fprintf(stderr, "\r  %d runs written", first + kBatch);
    }
    std::fprintf(stderr, "\r  %d runs, %d rows written in %.0f s\n", runs, runs * rows_per_run,
                 std::chrono::duration<double>(Clock::now() - fill_started).count());
    const AdminCaller owner{account, AdminRole::owner, 1, "bench"};
    return platform.admin()
        .call("api_keys.create", owner, json{{"label", "bench"}})["key"]
        .get<std::string>();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || (std::string(argv[1]) != "sqlite" && std::string(argv[1]) != "postgres") ||
        (std::string(argv[1]) == "postgres" && argc < 3)) {
        std::fprintf(stderr,
                     "usage: profo_analytics_bench sqlite [runs] [rows per run]\n"
                     "       profo_analytics_bench postgres DSN [runs] [rows per run]\n");
        return 2;
    }
    const std::string backend = argv[1];
    int next = backend == "postgres" ? 3 : 2;
    const int runs = argc > next ? std::stoi(argv[next]) : 100000;
    const int rows = argc > next + 1 ? std::stoi(argv[next + 1]) : 10;
    const fs::path dir = fs::temp_directory_path() / ("profo-analytics-bench-" + std::to_string(getpid()));
    fs::create_directories(dir);
    const std::string dsn = backend == "postgres" ? argv[2] : (dir / "bench.db").string();
    const auto config = dir / "profo.yaml";
    std::ofstream(config) << "http:\n  listen: 127.0.0.1:0\nstorage:\n  plugin: " << backend << "\n  dsn: \""
                          << dsn << "\"\nsecrets:\n  key_file: " << (dir / "secret.key").string()
                          << "\nretention:\n  enabled: false\nplugins:\n  search_paths: [\""
                          << PROFO_PLUGIN_DIR << "\"]\n  storage:\n    " << backend
                          << ": {}\n  transport:\n    panel: {}\n";
    std::string key;
    {
        profo::host::Platform platform(profo::host::load_config(config, {}));
        platform.migrate();
        std::fprintf(stderr, "filling %s: %d runs x %d rows\n", backend.c_str(), runs, rows);
        key = fill(platform, runs, rows);
    }

    // The real server, on that database.
    const std::string log_file = (dir / "serve.log").string();
    const pid_t serve = fork();
    if (serve == 0) {
        std::freopen(log_file.c_str(), "w", stderr);
        execl(PROFO_BINARY, PROFO_BINARY, "--config", config.c_str(), "serve", static_cast<char*>(nullptr));
        _exit(127);
    }
    unsigned short port = 0;
    for (int i = 0; i < 600 && port == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::ifstream in(log_file);
        const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::smatch m;
        if (std::regex_search(log, m, std::regex(R"(serving on [0-9.]+:([0-9]+))")))
            port = static_cast<unsigned short>(std::stoi(m[1]));
    }
    if (port == 0) {
        std::fprintf(stderr, "profo serve did not start; see %s\n", log_file.c_str());
        kill(serve, SIGKILL);
        return 1;
    }
    const std::string a = "/api/v1/accounts/2";  // the bench's account (1 is the default one)
    constexpr int kRounds = 60;
    std::vector<Timing> timings;
    timings.push_back(time_endpoint(port, key, "baseline: account.get", a, kRounds));
    for (const auto& [name, target] : std::vector<std::pair<std::string, std::string>>{
             {"analytics.runs", a + "/analytics/runs"},
             {"analytics.runs (course, dates)",
              a + "/analytics/runs?course_id=1&from=2026-02-01T00:00:00Z&to=2026-04-01T00:00:00Z"},
             {"analytics.funnel", a + "/analytics/funnel?course_id=1"},
             {"analytics.cohorts", a + "/analytics/cohorts?course_id=1"},
             {"analytics.sources", a + "/analytics/sources"},
             {"runs.list (first page)", a + "/runs?limit=100"}})
        timings.push_back(time_endpoint(port, key, name, target, kRounds));
    kill(serve, SIGINT);
    waitpid(serve, nullptr, 0);

    std::printf("%s, %d runs, %d conversation rows, %d requests each (ms):\n", backend.c_str(), runs,
                runs * rows, kRounds);
    std::printf("%-34s %8s %8s %8s %10s\n", "endpoint", "p50", "p95", "max", "p95/base");
    const double base = timings.front().p95;
    bool fast = true;
    for (const auto& t : timings) {
        std::printf("%-34s %8.2f %8.2f %8.2f %10.1f\n", t.name.c_str(), t.p50, t.p95, t.max, t.p95 / base);
        if (t.p95 >= 100) fast = false;
    }
    std::printf("every p95 under 100 ms: %s\n", fast ? "yes" : "NO");
    if (backend == "sqlite") fs::remove_all(dir);
    return fast ? 0 : 1;
}
