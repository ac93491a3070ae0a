// What the host offers every plugin. Plugins reach the host only through
// HostApi (and the wider host interface of their kind: ElementHost,
// TransportHost); they never see asio, soci or spdlog, so the host can change those.
#pragma once

#include <profo/sdk/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace profo::sdk {

class HttpClient;

enum class LogLevel { trace, debug, info, warn, error };

// Messages are logged with the plugin's id attached. Never pass secrets (bot
// tokens, API keys): the host redacts the ones it knows, not the ones it does not.
class PROFO_SDK_API Logger {
public:
    virtual ~Logger() = default;
    virtual void log(LogLevel level, std::string_view message) = 0;

    void debug(std::string_view m) { log(LogLevel::debug, m); }
    void info(std::string_view m) { log(LogLevel::info, m); }
    void warn(std::string_view m) { log(LogLevel::warn, m); }
    void error(std::string_view m) { log(LogLevel::error, m); }
};

using TimePoint = std::chrono::system_clock::time_point;

// Wall-clock time as the host sees it (tests and `play` substitute their own).
class PROFO_SDK_API Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

// Work queue shared by the host and its plugins. Callbacks run on host worker
// threads; a callback that throws is logged and dropped.
class PROFO_SDK_API Executor {
public:
    using TimerId = std::uint64_t;
    virtual ~Executor() = default;
    virtual void post(std::function<void()> work) = 0;
    virtual TimerId schedule_after(std::chrono::milliseconds delay, std::function<void()> work) = 0;
    // Returns false when the timer already ran or was cancelled.
    virtual bool cancel(TimerId id) = 0;
};

struct HttpRequest {
    std::string method;                              // upper case: GET, POST, ...
    std::string path;                                // without the query string, percent-decoded
    std::string query;                               // raw query string, without '?'
    std::map<std::string, std::string> headers;      // keys lower case
    std::map<std::string, std::string> path_params;  // from "{name}" segments of the route
    std::string body;
    std::string remote_address;

    std::string header(const std::string& lower_case_name) const {
        auto it = headers.find(lower_case_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// Handlers run on host worker threads, never on the network thread, and may
// block briefly (a storage transaction). An exception becomes a 500 response
// with a generic body; the details go to the log.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class PROFO_SDK_API HttpRoutes {
public:
    virtual ~HttpRoutes() = default;
    // `pattern` is a path whose segments may be "{name}" placeholders, e.g.
    // "/api/courses/{id}". Registering the same method and pattern twice throws.
    virtual void add(std::string method, std::string pattern, HttpHandler handler) = 0;
    // 2.11: a route whose request bodies may be larger than the host's
    // default, kDefaultHttpBodyBytes (a course's YAML). A larger body is
    // refused with 413 before the handler runs, either way.
    virtual void add(std::string method, std::string pattern, HttpHandler handler,
                     std::size_t max_body_bytes) = 0;
};

// What a request body may be unless its route says otherwise (2.11).
inline constexpr std::size_t kDefaultHttpBodyBytes = std::size_t{1024} * 1024;

// Encrypts secrets (bot tokens, API keys) for storage at rest with the
// deployment's master key. seal() output is printable and self-describing.
//
// A sealed value is bound to a context naming where it is kept (table, column
// and row, e.g. sdk::bot_token_context()): open() with any other context
// fails, so whoever can write the database cannot move one row's secret into
// another row and have it used there. Values sealed before 2.1 carry no
// context and open under any (see the host's secret_box.hpp).
class PROFO_SDK_API SecretBox {
public:
    virtual ~SecretBox() = default;
    // The empty context: for a secret that belongs to no row.
    virtual std::string seal(std::string_view plaintext) const { return seal(plaintext, {}); }
    // Throws std::runtime_error when the data was not sealed with this key
    // (or, for the two-argument form, not for this context).
    virtual std::string open(std::string_view sealed) const { return open(sealed, {}); }
    // 2.1
    virtual std::string seal(std::string_view plaintext, std::string_view context) const = 0;
    virtual std::string open(std::string_view sealed, std::string_view context) const = 0;
};

// 2.4: numbers the host exports at /metrics, in Prometheus' text format.
// Names are snake_case, end in their unit and, for counters, "_total"
// (profo_telegram_sends_total); labels are few and bounded (a bot id, a
// result), never a user's id or a text.
class PROFO_SDK_API Metrics {
public:
    using Labels = std::vector<std::pair<std::string, std::string>>;
    virtual ~Metrics() = default;
    // What a metric means: its HELP line, given once per name.
    virtual void describe(std::string_view name, std::string_view help) = 0;
    virtual void add(std::string_view counter, const Labels& labels, double value = 1) = 0;
    virtual void set(std::string_view gauge, const Labels& labels, double value) = 0;
    // One observation of a duration, in seconds, into fixed buckets.
    virtual void observe(std::string_view histogram, const Labels& labels, double seconds) = 0;
};

// Where nothing is exported (a host that keeps no metrics, tests).
class PROFO_SDK_API NoMetrics final : public Metrics {
public:
    void describe(std::string_view, std::string_view) override {}
    void add(std::string_view, const Labels&, double) override {}
    void set(std::string_view, const Labels&, double) override {}
    void observe(std::string_view, const Labels&, double) override {}
};

class PROFO_SDK_API HostApi {
public:
    virtual ~HostApi() = default;

    virtual Logger& log() = 0;
    // This plugin's own settings: `plugins.<id>.settings` from the config, with
    // environment overrides applied. An empty object when none are given.
    virtual const nlohmann::json& settings() const = 0;
    virtual const Clock& clock() const = 0;
    virtual Executor& executor() = 0;
    virtual HttpRoutes& http() = 0;
    virtual const SecretBox& secrets() const = 0;
    virtual HttpClient& http_client() = 0;
    // 2.4
    virtual Metrics& metrics() {
        static NoMetrics none;
        return none;
    }
};

}  // namespace profo::sdk
