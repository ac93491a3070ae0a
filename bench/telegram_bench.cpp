// The platform end to end, as it runs in production: the real `profo serve`
// (SQLite, or N processes on one PostgreSQL database, the telegram transport
// long polling) against the Bot API emulator,
// students driven concurrently through the emulator's student API. Reports
// student updates per second, the time from a student's action to the bot's
// reply (p50, p99), RSS per bot; and the same figures for profo-echo-bot (long
// polling, one reply per update, nothing stored) over the same emulator and
// students, the ceiling the platform is a ratio to.
//
//   profo_telegram_bench [--bots N] [--students M] [--steps K] [--half-load-seconds S]
//                        [--paced-rate R] [--synchronous full|normal] [--rounds N]
//                        [--telegram-setting KEY=VALUE ...]
//                        [--postgres DSN [--processes P]]
//   profo_telegram_bench --idle-bots B
//
// With --postgres, DSN names an empty database (or one with a fresh
// search_path schema) that the bench fills: P `profo serve` processes share
// it and its bots by leases.
//
// The course is K input elements and an end: each student update (the /start,
// then K answers) gets exactly one reply, as the echo bot's do. Each on a
// fresh emulator: profo flat out, then held at half its own flat-out rate (or
// R updates/s) for S seconds, the latency at half load; then the echo bot the
// same two ways, at the same paced rate. --rounds N does all of it N times,
// on fresh processes and files, and ends with the medians. --idle-bots
// measures RSS of one profo with B idle long-polling bots instead.
//
// Everything shares the machine: emulator (one thread), profo, the echo bot
// and this driver (one thread). CPU seconds of each are reported, and the
// share of the machine's time the hypervisor stole.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using asio::awaitable;
using asio::use_awaitable;
using nlohmann::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// --- processes ------------------------------------------------------------------------------

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A program left running, its stdout and stderr in one log file.
class Child {
public:
    Child(const std::vector<std::string>& argv, fs::path log) : log_(std::move(log)) {
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 1);
            dup2(fd, 2);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            execv(args[0], args.data());
            _exit(127);
        }
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // The first match of `pattern` in the log (group 1), waiting for it.
    std::string wait_for(const std::string& pattern, std::chrono::seconds timeout = 60s) {
        const std::regex re(pattern);
        const auto until = Clock::now() + timeout;
        while (Clock::now() < until) {
            std::smatch m;
            const auto text = read_file(log_);
            if (std::regex_search(text, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("exited before printing '" + pattern + "':\n" + text);
            }
            std::this_thread::sleep_for(20ms);
        }
        throw std::runtime_error("no '" + pattern + "' in time:\n" + read_file(log_));
    }

    // Resident set and its peak, in KiB; CPU seconds used so far.
    long rss_kib() const { return status_field("VmRSS:"); }
    long peak_rss_kib() const { return status_field("VmHWM:"); }
    double cpu_seconds() const {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::istringstream fields(stat.substr(stat.rfind(')') + 2));
        std::string skip;
        for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
        long utime = 0, stime = 0;
        fields >> utime >> stime;
        return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }

    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGINT);
        int status = 0;
        for (int i = 0; i < 300 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
            std::this_thread::sleep_for(50ms);
        if (waitpid(pid_, &status, WNOHANG) == 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
        }
        pid_ = -1;
    }

private:
    long status_field(const std::string& name) const {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
        for (std::string line; std::getline(in, line);)
            if (line.rfind(name, 0) == 0) return std::stol(line.substr(name.size()));
        return 0;
    }

    fs::path log_;
    pid_t pid_ = -1;
};

// Runs a command to completion; its output, or throws with it on failure.
std::string run_to_end(const std::vector<std::string>& argv, const fs::path& log) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    const auto out = read_file(log);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string command;
        for (const auto& a : argv) command += (command.empty() ? "" : " ") + a.substr(0, 40);
        throw std::runtime_error("failed: " + command + "\n" + out.substr(0, 4000));
    }
    return out;
}

// --- HTTP --------------------------------------------------------------------------------------

// One keep-alive connection to the emulator, one request at a time.
class Connection {
public:
    Connection(asio::io_context& io, const tcp::endpoint& to) : stream_(io), to_(to) {}

    awaitable<std::string> request(http::verb verb, const std::string& target, const std::string& body = {}) {
        for (int attempt = 0;; ++attempt) {
            try {
                if (!connected_) {
                    co_await stream_.async_connect(to_, use_awaitable);
                    connected_ = true;
                }
                http::request<http::string_body> req{verb, target, 11};
                req.set(http::field::host, "127.0.0.1");
                if (!body.empty()) req.set(http::field::content_type, "application/json");
                req.body() = body;
                req.keep_alive(true);
                req.prepare_payload();
                co_await http::async_write(stream_, req, use_awaitable);
                http::response<http::string_body> res;
                co_await http::async_read(stream_, buffer_, res, use_awaitable);
                if (!res.keep_alive()) {
                    beast::error_code ec;
                    stream_.socket().close(ec);
                    connected_ = false;
                }
                co_return std::move(res.body());
            } catch (const boost::system::system_error&) {
                beast::error_code ec;
                stream_.socket().close(ec);
                connected_ = false;
                buffer_.clear();
                if (attempt >= 2) throw;
            }
        }
    }

private:
    beast::tcp_stream stream_;
    tcp::endpoint to_;
    beast::flat_buffer buffer_;
    bool connected_ = false;
};

// Blocking one-off requests for set-up (bots, readiness).
std::string fetch(unsigned short port, http::verb verb, const std::string& target,
                  const std::string& body = {}) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res.body();
}

// --- measurement ---------------------------------------------------------------------------------

struct Figures {
    std::string what;
    long updates = 0;
    double seconds = 0;
    std::vector<double> latency_ms;  // one per update, action to reply
    long failures = 0;
    double updates_per_second() const { return seconds > 0 ? static_cast<double>(updates) / seconds : 0; }
    double percentile(double p) {
        if (latency_ms.empty()) return 0;
        std::sort(latency_ms.begin(), latency_ms.end());
        return latency_ms[static_cast<std::size_t>(p * static_cast<double>(latency_ms.size() - 1))];
    }
};

// Spaces the students' actions so they add up to `per_second` (0: no limit).
class Pacer {
public:
    Pacer(asio::io_context& io, double per_second) : io_(io), per_second_(per_second) {}
    awaitable<void> take() {
        if (per_second_ <= 0) co_return;
        const auto now = Clock::now();
        if (next_ < now) next_ = now;
        const auto slot = next_;
        next_ +=
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / per_second_));
        if (slot > now) {
            asio::steady_timer timer(io_, slot);
            co_await timer.async_wait(use_awaitable);
        }
    }

private:
    asio::io_context& io_;
    double per_second_;
    Clock::time_point next_ = Clock::now();
};

struct Drive {
    std::vector<std::int64_t> bots;  // emulator bot ids
    int students = 0;                // per bot
    int steps = 0;                   // answers per student after the first /start
    int course_steps = 0;            // questions in the course
    std::int64_t first_user = 1000;
    double per_second = 0;                     // 0: as fast as the bots answer
    std::optional<Clock::time_point> stop_at;  // with per_second: stop starting new steps then
};

// One student: /start, then an answer to each question (and /start again at
// the end), each time waiting for the bot's reply: every update gets exactly
// one, so after n updates the chat has n bot messages. The time from sending
// to that reply is the latency.
awaitable<void> student(asio::io_context& io, tcp::endpoint emulator, Pacer& pacer, std::int64_t bot,
                        std::int64_t user, const Drive& drive, Figures& out) {
    Connection c(io, emulator);
    const std::string who = "\"bot_id\":" + std::to_string(bot) + ",\"user_id\":" + std::to_string(user);
    for (int step = 0; step <= drive.steps; ++step) {
        co_await pacer.take();
        if (drive.stop_at && Clock::now() >= *drive.stop_at) break;
        const auto began = Clock::now();
        // Targets and bodies named before co_await: GCC 12 destroys the
        // temporaries of a co_await expression twice.
        // Past the end of the course the student starts it again.
        const bool start = step % (drive.course_steps + 1) == 0;
        // One call sends and waits for the reply, as a student's phone costs
        // the machine nothing: the driver's share of the CPU is the emulator's
        // and profo's loss.
        const std::string path = start ? "/_emulator/start" : "/_emulator/messages";
        const std::string wait =
            ",\"wait_bot_messages\":" + std::to_string(step + 1) + ",\"wait_timeout_ms\":30000";
        const std::string body =
            start ? "{" + who + wait + "}"
                  : "{" + who + wait + ",\"text\":\"answer " + std::to_string(step) + "\"}";
        std::string failure;
        try {
            const auto replied = co_await c.request(http::verb::post, path, body);
            if (replied.rfind("{\"ok\":true", 0) != 0)
                throw std::runtime_error("no reply in 30 s: " + replied.substr(0, 200));
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (!failure.empty()) {
            if (++out.failures <= 3)
                std::fprintf(stderr, "  student %lld: %s\n", static_cast<long long>(user), failure.c_str());
            co_return;
        }
        out.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - began).count());
        ++out.updates;
    }
}

Figures drive_students(unsigned short emulator_port, const Drive& drive, const std::string& what) {
    asio::io_context io;
    const tcp::endpoint emulator{asio::ip::make_address("127.0.0.1"), emulator_port};
    Pacer pacer(io, drive.per_second);
    Figures out;
    out.what = what;
    for (auto bot : drive.bots)
        for (int s = 0; s < drive.students; ++s)
            asio::co_spawn(io, student(io, emulator, pacer, bot, drive.first_user + s, drive, out),
                           asio::detached);
    const auto began = Clock::now();
    io.run();
    out.seconds = std::chrono::duration<double>(Clock::now() - began).count();
    return out;
}

// --- the parties -------------------------------------------------------------------------------------

struct Options {
    int bots = 20;
    int students = 20;
    int steps = 20;
    int half_load_seconds = 10;
    double paced_rate = 0;  // the second run's rate; 0: half the flat-out rate
    int idle_bots = 0;
    // SQLite's storage.sqlite.synchronous: full (profo serve's default, a
    // commit waits for its fsync) or normal (fsync at checkpoints only).
    std::string synchronous = "full";
    std::string postgres;  // a DSN: profo on PostgreSQL instead of SQLite
    int processes = 1;     // `profo serve` processes sharing the database
    // Rounds of the whole comparison (profo, then the echo bot), each on
    // fresh processes and files, summarised by their medians: on a shared
    // 2-core machine one round's tail latency is mostly the neighbours'.
    int rounds = 1;
    // More settings of the telegram transport (its README), for tuning:
    // ", key: value" for each --telegram-setting key=value.
    std::string telegram_settings;
    fs::path work;
};

class Emulator {
public:
    explicit Emulator(const Options& o, const std::string& name)
        : child_({PROFO_TELEGRAM_EMULATOR, "--listen", "127.0.0.1:0", "--no-rate-limits",
                  "--transcript-limit", "2"},
                 o.work / (name + "-emulator.log")) {
        port_ = static_cast<unsigned short>(std::stoi(child_.wait_for(R"(listening on [0-9.]+:([0-9]+))")));
    }
    unsigned short port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    Child& child() { return child_; }

    // Until `count` bots have a getUpdates parked: they are polling, so what
    // a student sends reaches them at once. (profo's /readyz waits for each
    // bot's first getUpdates to be answered, which an idle long poll is only
    // after its timeout.)
    double wait_polling(std::size_t count, std::chrono::seconds timeout = 300s) {
        const auto began = Clock::now();
        while (Clock::now() < began + timeout) {
            const auto bots = json::parse(fetch(port_, http::verb::get, "/_emulator/bots"))["result"];
            const auto polling = std::count_if(bots.begin(), bots.end(),
                                               [](const json& b) { return b.value("polling", false); });
            if (static_cast<std::size_t>(polling) >= count)
                return std::chrono::duration<double>(Clock::now() - began).count();
            std::this_thread::sleep_for(100ms);
        }
        throw std::runtime_error("fewer than " + std::to_string(count) + " bots polling in time");
    }

    // Creates `count` bots; their emulator ids and tokens.
    std::vector<std::pair<std::int64_t, std::string>> create_bots(int count, const std::string& prefix) {
        std::vector<std::pair<std::int64_t, std::string>> out;
        for (int i = 0; i < count; ++i) {
            const auto made =
                json::parse(fetch(port_, http::verb::post, "/_emulator/bots",
                                  json{{"username", prefix + std::to_string(i) + "_bot"}}.dump()));
            out.emplace_back(made["result"]["id"].get<std::int64_t>(),
                             made["result"]["token"].get<std::string>());
        }
        return out;
    }

private:
    Child child_;
    unsigned short port_ = 0;
};

std::string course_yaml(int steps) {
    std::string out;
    for (int i = 1; i <= steps; ++i)
        out += "Q" + std::to_string(i) + ":\n  type: input\n  text: Question " + std::to_string(i) + "\n";
    return out + "Bye:\n  type: end\n  text: The end\n";
}

// profo configured against `e`, bots added and the course deployed on each.
class Profo {
public:
    Profo(const Options& o, Emulator& e, const std::string& name) : dir_(o.work / name) {
        fs::create_directories(dir_);
        std::ofstream(dir_ / "profo.yaml")
            << "http: {listen: \"127.0.0.1:0\", threads: 2}\n"
            << "log: {level: info, format: text}\n"
            << (o.postgres.empty()
                    ? "storage: {plugin: sqlite, dsn: \"" + (dir_ / "profo.db").string() +
                          "\", sqlite: {synchronous: " + o.synchronous + "}}\n"
                    : "storage: {plugin: postgres, dsn: \"" + o.postgres + "\", pool_size: 8}\n")
            << "secrets: {key_file: \"" << (dir_ / "secret.key").string() << "\"}\n"
            << "plugins:\n  search_paths: [\"" << PROFO_PLUGIN_DIR << "\"]\n"
            << (o.postgres.empty() ? "  storage: {sqlite: {}}\n" : "  storage: {postgres: {}}\n")
            << "  element: {input: {}, end: {}}\n"
            // The emulator runs without flood limits, so pacing would only
            // measure itself: per chat and per bot far above the load.
            << "  transport:\n    telegram: {settings: {base_url: \"" << e.url()
            << "\", bots_refresh_ms: 500, chat_per_second: 10000, chat_burst: 10000, "
               "bot_per_second: 100000, bot_burst: 100000"
            << o.telegram_settings << "}}\n";
        std::ofstream(dir_ / "course.yml") << course_yaml(o.steps);
    }

    std::vector<std::string> command(std::vector<std::string> args) const {
        args.insert(args.begin(), {PROFO_BINARY, "--config", (dir_ / "profo.yaml").string()});
        return args;
    }

    // Adds the bots (one command) and, with a course, deploys it on each.
    void add_bots(const std::vector<std::pair<std::int64_t, std::string>>& bots, bool deploy) {
        std::vector<std::string> add{"bot", "add"};
        for (const auto& [id, token] : bots) add.push_back(token);
        const auto added = run_to_end(command(add), dir_ / "bot-add.log");
        if (!deploy) return;
        run_to_end(command({"course", "import", (dir_ / "course.yml").string(), "--name", "bench"}),
                   dir_ / "import.log");
        std::string ids;
        const std::regex line(R"(added bot ([0-9]+) )");
        for (auto it = std::sregex_iterator(added.begin(), added.end(), line); it != std::sregex_iterator();
             ++it)
            ids += (ids.empty() ? "" : ",") + (*it)[1].str();
        run_to_end(command({"deploy", "create", "--course", "bench", "--bot", ids}), dir_ / "deploy.log");
    }

    void serve(int processes = 1) {
        for (int i = 0; i < processes; ++i) {
            serves_.push_back(
                std::make_unique<Child>(command({"serve"}), dir_ / ("serve-" + std::to_string(i) + ".log")));
            serves_.back()->wait_for("serving on");
        }
    }

    Child& process() { return *serves_.front(); }
    double cpu_seconds() const {
        double sum = 0;
        for (const auto& s : serves_) sum += s->cpu_seconds();
        return sum;
    }
    long rss_kib() const {
        long sum = 0;
        for (const auto& s : serves_) sum += s->rss_kib();
        return sum;
    }

private:
    fs::path dir_;
    std::vector<std::unique_ptr<Child>> serves_;
};

std::vector<std::int64_t> ids_of(const std::vector<std::pair<std::int64_t, std::string>>& bots) {
    std::vector<std::int64_t> out;
    for (const auto& b : bots) out.push_back(b.first);
    return out;
}

void print(Figures& f) {
    std::printf("%-40s %7ld updates in %6.2f s = %6.0f/s   p50 %6.2f  p90 %6.2f  p99 %7.2f  max %7.2f ms%s\n",
                f.what.c_str(), f.updates, f.seconds, f.updates_per_second(), f.percentile(0.50),
                f.percentile(0.90), f.percentile(0.99), f.percentile(1.0),
                f.failures ? ("   FAILED students: " + std::to_string(f.failures)).c_str() : "");
    std::fflush(stdout);
}

std::string cpu(const std::string& name, double seconds, double wall) {
    char text[128];
    std::snprintf(text, sizeof text, "%s %.1f s CPU (%.0f%% of one core)", name.c_str(), seconds,
                  wall > 0 ? 100 * seconds / wall : 0);
    return text;
}

double own_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The machine's CPU time in jiffies so far, and the part of it the
// hypervisor gave to other guests (steal), from /proc/stat. On a shared
// virtual machine the steal moves latencies more than any change here, so
// each run reports it.
struct MachineTime {
    double total = 0;
    double steal = 0;
};

MachineTime machine_time() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    MachineTime t;
    in >> cpu;
    if (cpu != "cpu") return t;
    // user nice system idle iowait irq softirq steal (guest time is within user)
    for (int field = 0; field < 8; ++field) {
        double value = 0;
        if (!(in >> value)) return MachineTime{};
        t.total += value;
        if (field == 7) t.steal = value;
    }
    return t;
}

// Percent of the machine's time stolen between two readings, or -1 when
// /proc/stat could not be read.
double steal_percent(const MachineTime& before, const MachineTime& after) {
    const double total = after.total - before.total;
    return total > 0 && before.total > 0 ? 100 * (after.steal - before.steal) / total : -1;
}

// Flat out, then (for `half_load_seconds`) at `half_rate` updates/s, or at
// half the flat-out rate when that is 0. Students of the second run are new.
struct Runs {
    Figures full, half;
};

// CPU seconds each process used during a run, by name.
using CpuUse = std::vector<std::pair<std::string, double>>;

// The processes' CPU seconds, each as a share of one core, and per update:
// on a machine this small they all share its cores, so their sum per update
// bounds what any of them can reach.
void print_cpu(CpuUse use, double driver_seconds, const Figures& f, double steal) {
    use.emplace_back("driver", driver_seconds);
    std::string text;
    double sum = 0;
    for (const auto& [name, seconds] : use) {
        text += (text.empty() ? "" : "; ") + cpu(name, seconds, f.seconds);
        sum += seconds;
    }
    if (steal >= 0) {
        char part[64];
        std::snprintf(part, sizeof part, "; steal %.0f%% of the machine", steal);
        text += part;
    }
    std::printf("    %s\n", text.c_str());
    if (f.updates <= 0 || sum <= 0) return;
    text.clear();
    for (const auto& [name, seconds] : use) {
        char part[96];
        std::snprintf(part, sizeof part, "%s%s %.0f", text.empty() ? "" : ", ", name.c_str(),
                      1e6 * seconds / static_cast<double>(f.updates));
        text += part;
    }
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    std::printf("    CPU per update: %s us; all %.0f us, so %u cores sustain at most %.0f updates/s\n",
                text.c_str(), 1e6 * sum / static_cast<double>(f.updates), cores,
                cores * static_cast<double>(f.updates) / sum);
}

Runs measure(const Options& o, unsigned short emulator_port, const std::vector<std::int64_t>& bots,
             const std::string& name, double half_rate, const std::function<CpuUse()>& cpu_of) {
    Runs out;
    Drive d;
    d.bots = bots;
    d.students = o.students;
    d.steps = o.steps;
    d.course_steps = o.steps;
    double before = own_cpu_seconds();
    auto machine_before = machine_time();
    out.full = drive_students(emulator_port, d, name + " flat out");
    print(out.full);
    print_cpu(cpu_of(), own_cpu_seconds() - before, out.full, steal_percent(machine_before, machine_time()));
    if (o.half_load_seconds <= 0 || out.full.updates_per_second() <= 0) return out;
    Drive half = d;
    half.first_user = 1000000;
    half.steps = 1000000;  // until the time is up
    half.per_second = half_rate > 0 ? half_rate : out.full.updates_per_second() / 2;
    half.stop_at = Clock::now() + std::chrono::seconds(o.half_load_seconds);
    before = own_cpu_seconds();
    machine_before = machine_time();
    char offered[64];
    std::snprintf(offered, sizeof offered, " at %.0f/s offered", half.per_second);
    out.half = drive_students(emulator_port, half, name + offered);
    print(out.half);
    print_cpu(cpu_of(), own_cpu_seconds() - before, out.half, steal_percent(machine_before, machine_time()));
    return out;
}

struct Round {
    Runs platform, echo;
};

// One comparison; `suffix` names its files apart from the other rounds'.
Round compare(const Options& o, const std::string& suffix) {
    // The platform, flat out and at half that rate.
    Runs platform;
    {
        Emulator e(o, "profo" + suffix);
        const auto bots = e.create_bots(o.bots, "course_");
        Profo profo(o, e, "profo" + suffix);
        profo.add_bots(bots, true);
        profo.serve(o.processes);
        e.wait_polling(bots.size());
        const long rss_ready = profo.rss_kib();
        double profo_before = profo.cpu_seconds(), emulator_before = e.child().cpu_seconds();
        const std::string name = o.postgres.empty()
                                     ? std::string("profo serve (SQLite)")
                                     : "profo serve x" + std::to_string(o.processes) + " (PostgreSQL)";
        platform = measure(o, e.port(), ids_of(bots), name, o.paced_rate, [&] {
            CpuUse use{{"profo", profo.cpu_seconds() - profo_before},
                       {"emulator", e.child().cpu_seconds() - emulator_before}};
            profo_before = profo.cpu_seconds();
            emulator_before = e.child().cpu_seconds();
            return use;
        });
        const long rss = profo.rss_kib();
        std::printf(
            "    profo RSS %ld KiB when polling, %ld KiB after the runs (peak of the first %ld): %.0f KiB "
            "per "
            "bot\n",
            rss_ready, rss, profo.process().peak_rss_kib(), static_cast<double>(rss) / o.bots);
    }

    // The ceiling: the echo bot, flat out and at the platform's half load.
    Runs echo;
    {
        Emulator e(o, "echo" + suffix);
        const auto bots = e.create_bots(o.bots, "echo_");
        const fs::path tokens_file = o.work / ("echo-tokens" + suffix + ".txt");
        {
            std::ofstream tokens(tokens_file);
            for (const auto& b : bots) tokens << b.second << "\n";
        }
        Child bot({PROFO_ECHO_BOT, e.url(), tokens_file.string()}, o.work / ("echo-bot" + suffix + ".log"));
        e.wait_polling(bots.size());
        double bot_before = bot.cpu_seconds(), emulator_before = e.child().cpu_seconds();
        const double paced = o.paced_rate > 0 ? o.paced_rate : platform.full.updates_per_second() / 2;
        echo = measure(o, e.port(), ids_of(bots), "echo bot (ceiling)", paced, [&] {
            CpuUse use{{"echo bot", bot.cpu_seconds() - bot_before},
                       {"emulator", e.child().cpu_seconds() - emulator_before}};
            bot_before = bot.cpu_seconds();
            emulator_before = e.child().cpu_seconds();
            return use;
        });
        std::printf("    echo bot RSS %ld KiB\n", bot.rss_kib());
    }
    std::printf("profo / echo bot: %.2f of the ceiling's updates/s\n",
                platform.full.updates_per_second() / echo.full.updates_per_second());
    return {std::move(platform), std::move(echo)};
}

// "median (min-max)" of `values`, `decimals` after the point.
std::string spread(std::vector<double> values, int decimals) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    const double median = n % 2 != 0 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    char text[96];
    std::snprintf(text, sizeof text, "%.*f (%.*f-%.*f)", decimals, median, decimals, values.front(), decimals,
                  values.back());
    return text;
}

int throughput(const Options& o) {
    std::printf("%d bots x %d students, %d answers each after /start (one reply per update)\n", o.bots,
                o.students, o.steps);
    std::vector<Round> rounds;
    bool failed = false;
    for (int r = 1; r <= o.rounds; ++r) {
        if (o.rounds > 1) std::printf("\n-- round %d of %d\n", r, o.rounds);
        rounds.push_back(compare(o, o.rounds > 1 ? "-" + std::to_string(r) : std::string()));
        auto& [platform, echo] = rounds.back();
        failed =
            failed ||
            platform.full.failures + platform.half.failures + echo.full.failures + echo.half.failures > 0;
    }
    if (o.rounds > 1) {
        std::vector<double> profo_rate, profo_p50, profo_p99, echo_rate, echo_p99, ratio;
        for (auto& [platform, echo] : rounds) {
            profo_rate.push_back(platform.full.updates_per_second());
            echo_rate.push_back(echo.full.updates_per_second());
            ratio.push_back(platform.full.updates_per_second() / echo.full.updates_per_second());
            if (platform.half.updates > 0) {
                profo_p50.push_back(platform.half.percentile(0.50));
                profo_p99.push_back(platform.half.percentile(0.99));
            }
            if (echo.half.updates > 0) echo_p99.push_back(echo.half.percentile(0.99));
        }
        std::printf(
            "\nover %d rounds, median (min-max); paced: the second run of each (--paced-rate, or half the "
            "flat-out rate):\n",
            o.rounds);
        std::printf("  profo flat out:   %s updates/s; echo bot %s; ratio %s\n",
                    spread(profo_rate, 0).c_str(), spread(echo_rate, 0).c_str(), spread(ratio, 2).c_str());
        if (!profo_p99.empty())
            std::printf("  profo paced:      p50 %s ms, p99 %s ms\n", spread(profo_p50, 2).c_str(),
                        spread(profo_p99, 2).c_str());
        if (!echo_p99.empty()) std::printf("  echo bot paced:   p99 %s ms\n", spread(echo_p99, 2).c_str());
    }
    return failed ? 1 : 0;
}

// RSS of one profo serving `count` idle long-polling bots, against the same
// process with none (bots are added while it runs).
int idle(const Options& o) {
    Emulator e(o, "idle");
    Profo profo(o, e, "idle");
    profo.serve();
    std::this_thread::sleep_for(2s);
    const long empty = profo.process().rss_kib();
    const auto bots = e.create_bots(o.idle_bots, "idle_");
    const auto added_at = Clock::now();
    profo.add_bots(bots, false);
    e.wait_polling(bots.size());
    const double ready_after = std::chrono::duration<double>(Clock::now() - added_at).count();
    // Past one long-poll timeout (25 s): every poll was answered empty and
    // renewed once, the steady state of an idle fleet.
    std::this_thread::sleep_for(30s);
    const long rss = profo.process().rss_kib();
    const auto stats = json::parse(fetch(e.port(), http::verb::get, "/_emulator/stats"))["result"];
    std::printf(
        "%d idle long-polling bots: profo RSS %ld KiB (%.1f MiB; %ld KiB with no bots, so %.1f KiB per bot); "
        "peak %ld KiB; all polling %.1f s after `profo bot add`; %lld Bot API requests\n",
        o.idle_bots, rss, rss / 1024.0, empty, static_cast<double>(rss - empty) / o.idle_bots,
        profo.process().peak_rss_kib(), ready_after, stats.value("bot_api_requests", 0LL));
    profo.process().stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> int {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return std::stoi(argv[++i]);
        };
        if (a == "--bots")
            o.bots = value();
        else if (a == "--students")
            o.students = value();
        else if (a == "--steps")
            o.steps = value();
        else if (a == "--half-load-seconds")
            o.half_load_seconds = value();
        else if (a == "--paced-rate")
            o.paced_rate = value();
        else if (a == "--idle-bots")
            o.idle_bots = value();
        else if (a == "--postgres" && i + 1 < argc)
            o.postgres = argv[++i];
        else if (a == "--processes")
            o.processes = std::max(1, value());
        else if (a == "--synchronous" && i + 1 < argc &&
                 (std::string(argv[i + 1]) == "full" || std::string(argv[i + 1]) == "normal"))
            o.synchronous = argv[++i];
        else if (a == "--rounds")
            o.rounds = std::max(1, value());
        else if (a == "--telegram-setting" && i + 1 < argc &&
                 std::regex_match(argv[i + 1], std::regex("[a-z_]+=[A-Za-z0-9_.]+")))
            o.telegram_settings += ", " + std::regex_replace(argv[++i], std::regex("="), ": ");
        else {
            std::fprintf(
                stderr,
                "usage: profo_telegram_bench [--bots N] [--students M] [--steps K] [--half-load-seconds S]\n"
                "                            [--paced-rate R] [--synchronous full|normal] [--rounds N]\n"
                "                            [--telegram-setting KEY=VALUE ...]\n"
                "                            [--postgres DSN [--processes P]]\n"
                "       profo_telegram_bench --idle-bots B\n");
            return 2;
        }
    }
    if (o.rounds > 1 && !o.postgres.empty()) {
        // Each round would find the last one's bots and runs in the database.
        std::fprintf(stderr, "profo_telegram_bench: --rounds needs SQLite: --postgres names one database\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    o.work = fs::temp_directory_path() / ("profo-telegram-bench-" + std::to_string(getpid()));
    fs::create_directories(o.work);
    int status = 1;
    try {
        status = o.idle_bots > 0 ? idle(o) : throughput(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "profo_telegram_bench: %s\n(logs kept in %s)\n", e.what(), o.work.c_str());
        return 1;
    }
    if (status == 0)
        fs::remove_all(o.work);
    else
        std::fprintf(stderr, "logs kept in %s\n", o.work.c_str());
    return status;
}
