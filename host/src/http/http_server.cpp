#include "http/http_server.hpp"

#include "http/http_target.hpp"

#include <profo/sdk/credentials.hpp>

#include <nlohmann/json.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

namespace profo::host {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr auto kIdleTimeout = 60s;  // waiting for the body of a request
constexpr auto kWriteTimeout = 30s;
// After an error response the client may still be sending a body; reading it
// for a while before closing keeps the kernel from answering with a reset
// that would destroy our response in flight.
constexpr auto kLingerTimeout = 2s;
constexpr std::size_t kLingerMaxBytes = std::size_t{8} * 1024 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

sdk::HttpResponse json_response(int status, std::string body) {
    sdk::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

// The server's own refusals (no route, too large, a handler that threw) in
// the one error form of the panel's API, {"error": {"code", "message",
// "request_id"}}, with the id in X-Request-Id too: a client reads them as it
// reads a handler's.
sdk::HttpResponse error_response(int status, std::string_view code, std::string_view message) {
    const auto id = sdk::random_code(16);
    auto response = json_response(
        status, nlohmann::json{{"error", {{"code", code}, {"message", message}, {"request_id", id}}}}.dump());
    response.headers.emplace_back("X-Request-Id", id);
    return response;
}

std::string id_of(const sdk::HttpResponse& response) {
    for (const auto& [name, value] : response.headers)
        if (name == "X-Request-Id") return value;
    return "";
}

// "1 MiB", "8 MiB", or "1500 bytes" when not a whole number of MiB.
std::string byte_count(std::size_t bytes) {
    constexpr std::size_t kMiB = std::size_t{1024} * 1024;
    if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
    return std::to_string(bytes) + " bytes";
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

enum class Builtin { none, healthz, readyz };

struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // literal text, or the name for a placeholder
    std::vector<bool> placeholder;
    sdk::HttpHandler handler;
    Builtin builtin = Builtin::none;
    std::size_t max_body_bytes = sdk::kDefaultHttpBodyBytes;
};

Route parse_route(std::string method, std::string pattern) {
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (method.empty() || method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
        throw std::invalid_argument("HTTP method '" + method + "' is not a method name");
    if (pattern.empty() || pattern.front() != '/')
        throw std::invalid_argument("route pattern '" + pattern + "' must start with '/'");
    Route route;
    std::set<std::string> names;
    for (auto segment : split_path(pattern)) {
        const bool is_placeholder = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
        std::string text(is_placeholder ? segment.substr(1, segment.size() - 2) : segment);
        if (text.find_first_of("{}") != std::string::npos)
            throw std::invalid_argument("route pattern '" + pattern + "' has a malformed placeholder '" +
                                        std::string(segment) + "'");
        if (is_placeholder && !names.insert(text).second)
            throw std::invalid_argument("route pattern '" + pattern + "' uses placeholder {" + text +
                                        "} twice");
        route.segments.push_back(std::move(text));
        route.placeholder.push_back(is_placeholder);
    }
    route.method = std::move(method);
    route.pattern = std::move(pattern);
    return route;
}

// Two routes collide when they match exactly the same paths, whatever their
// placeholders are called ("/a/{id}" and "/a/{key}").
bool same_shape(const Route& a, const Route& b) {
    if (a.method != b.method || a.segments.size() != b.segments.size()) return false;
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
        if (a.placeholder[i] != b.placeholder[i]) return false;
        if (!a.placeholder[i] && a.segments[i] != b.segments[i]) return false;
    }
    return true;
}

bool matches(const Route& route, const std::vector<std::string>& segments) {
    if (route.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i)
        if (!route.placeholder[i] && route.segments[i] != segments[i]) return false;
    return true;
}

// Of two routes matching the same path, the one with a literal segment where
// the other has a placeholder (leftmost difference first) is more specific.
bool more_specific(const Route& a, const Route& b) {
    for (std::size_t i = 0; i < a.placeholder.size(); ++i)
        if (a.placeholder[i] != b.placeholder[i]) return !a.placeholder[i];
    return false;
}

// Where handler results go once they are ready. Executor tasks can outlive
// the server (a handler still running when stop()'s grace ran out), so they
// hold this instead of the server and find it closed.
struct Gate {
    std::mutex mutex;
    asio::io_context* io = nullptr;
    sdk::Logger* log = nullptr;
    // Requests posted to the executor and not yet answered by their handler.
    std::atomic<std::size_t> pending{0};

    template <class F>
    void deliver(F&& f) {
        std::lock_guard lock(mutex);
        if (io) asio::post(*io, std::forward<F>(f));
    }
    void error(const std::string& message) {
        std::lock_guard lock(mutex);
        if (log) log->error(message);
    }
};

class Session;

class Server {
public:
    Server(std::string listen, sdk::Executor& executor, sdk::Logger& log, HttpServerLimits limits)
        : listen_(std::move(listen)), executor_(executor), log_(log), limits_(limits) {
        for (auto [path, builtin] :
             {std::pair{"/healthz", Builtin::healthz}, std::pair{"/readyz", Builtin::readyz}}) {
            auto route = parse_route("GET", path);
            route.builtin = builtin;
            routes_.push_back(std::move(route));
        }
    }
    ~Server() {
        // Nothing may leave a destructor; a server that cannot stop cleanly is
        // being torn down anyway. Handlers still running must lose the log either way.
        try {
            stop(10s);
        } catch (...) {
        }
        std::lock_guard lock(gate_->mutex);
        gate_->log = nullptr;
    }

    void add(std::string method, std::string pattern, sdk::HttpHandler handler, std::size_t max_body_bytes) {
        if (!handler) throw std::invalid_argument("route " + method + " " + pattern + " has no handler");
        auto route = parse_route(std::move(method), std::move(pattern));
        route.handler = std::move(handler);
        route.max_body_bytes = max_body_bytes;
        std::unique_lock lock(routes_mutex_);
        for (const auto& existing : routes_)
            if (same_shape(existing, route))
                throw std::invalid_argument("route " + route.method + " " + route.pattern +
                                            " is already registered (as " + existing.pattern + ")");
        routes_.push_back(std::move(route));
    }

    void set_readiness(std::function<bool()> ready) {
        std::lock_guard lock(ready_mutex_);
        ready_ = std::move(ready);
    }

    void start();
    void stop(std::chrono::milliseconds grace);
    unsigned short port() const { return port_.load(); }

    // Network-thread side, used by sessions.
    struct Lookup {
        enum { found, not_found, wrong_method } outcome = not_found;
        sdk::HttpHandler handler;
        Builtin builtin = Builtin::none;
        std::string pattern;
        std::map<std::string, std::string> params;
        std::string allow;
        std::size_t max_body_bytes = sdk::kDefaultHttpBodyBytes;
    };
    Lookup lookup(const std::string& method, const std::vector<std::string>& segments) const;
    // What a request's body may be on the route that serves it (the default
    // on a path none serves): known once its header is read.
    std::size_t body_limit_for(const std::string& method, const std::vector<std::string>& segments) const;
    sdk::HttpResponse answer_builtin(Builtin builtin);
    void forget(Session* session);
    // A body of `bytes` fits in limits().max_body_bytes_in_flight with the
    // others being received and answered: taken, or false. Network thread.
    bool reserve_body(std::size_t bytes);
    void release_body(std::size_t bytes) { body_bytes_in_flight_ -= bytes; }
    bool stopping() const { return stopping_; }
    const HttpServerLimits& limits() const { return limits_; }
    sdk::Executor& executor() { return executor_; }
    sdk::Logger& log() { return log_; }
    sdk::Metrics* metrics() const { return metrics_.load(); }
    void set_metrics(sdk::Metrics& metrics) { metrics_.store(&metrics); }
    const std::shared_ptr<Gate>& gate() const { return gate_; }

private:
    void do_accept();
    void begin_drain();
    void close_all();

    bool admit(const tcp::socket& socket, std::string& remote);

    // The route that serves `method` on `segments`, if one does; the methods
    // served there go to `allowed`. Under routes_mutex_.
    const Route* best_route(const std::string& method, const std::vector<std::string>& segments,
                            std::set<std::string>* allowed) const;

    const std::string listen_;
    sdk::Executor& executor_;
    sdk::Logger& log_;
    const HttpServerLimits limits_;

    mutable std::shared_mutex routes_mutex_;
    std::vector<Route> routes_;
    std::mutex ready_mutex_;
    std::function<bool()> ready_;

    asio::io_context io_{1};
    std::optional<tcp::acceptor> acceptor_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
    asio::steady_timer accept_retry_{io_};
    std::thread thread_;
    std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
    std::atomic<unsigned short> port_{0};
    std::atomic<sdk::Metrics*> metrics_{nullptr};

    // Touched only on the network thread.
    bool stopping_ = false;
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions_;
    std::unordered_map<std::string, std::size_t> per_address_;  // open connections by remote address
    std::size_t body_bytes_in_flight_ = 0;                      // reserve_body()
    std::chrono::steady_clock::time_point last_refusal_log_{};

    std::mutex lifecycle_mutex_;
    enum class State { fresh, running, stopped } state_ = State::fresh;

    // stop() waits on these while the network thread lets connections finish.
    std::mutex drain_mutex_;
    std::condition_variable drain_cv_;
    std::size_t live_ = 0;
    bool draining_ = false;
};

// One connection. Lives on the network thread; the only thing that leaves it
// is a weak pointer inside the executor task running a handler.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Server& server, tcp::socket socket, std::string remote)
        : server_(server), stream_(std::move(socket)), remote_(std::move(remote)) {
        beast::error_code ec;
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }
    const std::string& remote() const { return remote_; }

    void start() { read_header(); }

    // Idle connections go now; one with a request in flight finishes it first.
    void on_server_stopping() {
        if (phase_ == Phase::reading || phase_ == Phase::lingering) close();
    }

    void close() {
        if (phase_ == Phase::closed) return;
        phase_ = Phase::closed;
        release_body();
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.socket().close(ec);
        server_.forget(this);
    }

    void send(sdk::HttpResponse response, bool keep_alive, bool linger = false);

private:
    enum class Phase { reading, busy, writing, lingering, closed };

    void read_header() {
        phase_ = Phase::reading;
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        // Set once the header names the route (on_header): the parser would
        // otherwise refuse a declared length over the default before then.
        parser_->body_limit(boost::none);
        body_limit_ = sdk::kDefaultHttpBodyBytes;
        // Short: a connection that holds a descriptor without sending a
        // request is the cheapest way to exhaust them.
        stream_.expires_after(server_.limits().header_timeout);
        http::async_read_header(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(beast::error_code ec) {
        if (phase_ == Phase::closed) return;
        if (ec) return on_read_error(ec);
        // The route decides how large a body it takes (a course's YAML is
        // larger than the default); unknown paths keep the default.
        const auto& header = parser_->get();
        if (auto parsed =
                parse_request_target(std::string_view(header.target().data(), header.target().size()))) {
            body_limit_ = server_.body_limit_for(std::string(header.method_string()), parsed->segments);
        }
        parser_->body_limit(body_limit_);  // a chunked body is counted as it comes
        const auto declared = parser_->content_length();
        if (declared && *declared > body_limit_) return on_read_error(http::error::body_limit);
        // What the body may take: as announced, or (chunked) what the route allows.
        const std::size_t expected = declared             ? static_cast<std::size_t>(*declared)
                                     : parser_->chunked() ? body_limit_
                                                          : 0;
        if (expected > 0) {
            if (!server_.reserve_body(expected)) return refuse_busy();
            reserved_ = expected;
        }
        const auto expect = parser_->get()[http::field::expect];
        if (!parser_->is_done() && beast::iequals(expect, "100-continue")) {
            stream_.expires_after(kWriteTimeout);
            asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                  if (self->phase_ == Phase::closed) return;
                                  if (ec) return self->close();
                                  self->read_body();
                              });
            return;
        }
        read_body();
    }

    void read_body() {
        if (parser_->is_done()) return handle_request();
        stream_.expires_after(kIdleTimeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (self->phase_ == Phase::closed) return;
                             if (ec) return self->on_read_error(ec);
                             self->handle_request();
                         });
    }

    // Too many bodies arriving at once: this one is not read.
    void refuse_busy() {
        phase_ = Phase::busy;
        method_ = std::string(parser_->get().method_string());
        target_ = "-";
        started_ = std::chrono::steady_clock::now();
        auto response = error_response(503, "busy",
                                       "the server is receiving too many request bodies at once (http."
                                       "max_body_bytes_in_flight); try again in a moment");
        response.headers.emplace_back("Retry-After", "1");
        send(std::move(response), false, true);
    }

    void release_body() {
        server_.release_body(reserved_);
        reserved_ = 0;
    }

    void on_read_error(beast::error_code ec) {
        // The client went away or fell silent: nobody to answer.
        if (ec.category() != http::make_error_code(http::error::body_limit).category() ||
            ec == http::error::end_of_stream || ec == http::error::partial_message)
            return close();
        phase_ = Phase::busy;
        method_ = "-";
        target_ = "-";
        started_ = std::chrono::steady_clock::now();
        if (ec == http::error::body_limit)
            send(error_response(
                     413, "payload_too_large",
                     "the request body is over " + byte_count(body_limit_) + ", the most this path takes"),
                 false, true);
        else if (ec == http::error::header_limit)
            send(error_response(431, "request_header_fields_too_large",
                                "the request headers are larger than this server takes"),
                 false, true);
        else
            send(error_response(400, "bad_request", "the request is not HTTP/1.1 this server can read"),
                 false, true);
    }

    void handle_request();
    void on_write(beast::error_code ec, bool keep_alive, bool linger);
    void linger();

    Server& server_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::size_t body_limit_ = sdk::kDefaultHttpBodyBytes;  // of the request being read
    std::size_t reserved_ = 0;                             // Server::reserve_body() for it
    http::response<http::string_body> response_;
    std::vector<char> drain_;
    std::size_t drained_ = 0;
    std::string remote_;
    Phase phase_ = Phase::reading;
    unsigned version_ = 11;
    // For the access log line.
    std::string method_;
    std::string target_;
    std::chrono::steady_clock::time_point started_;
};

void Session::handle_request() {
    phase_ = Phase::busy;
    started_ = std::chrono::steady_clock::now();
    auto& req = parser_->get();
    version_ = req.version();
    const bool keep_alive = req.keep_alive();

    sdk::HttpRequest request;
    request.method = std::string(req.method_string());
    method_ = request.method;
    const std::string_view target(req.target().data(), req.target().size());
    // Query strings carry tokens often enough to keep them out of the log.
    target_ = std::string(target.substr(0, target.find('?')));
    auto parsed = parse_request_target(target);
    if (!parsed)
        return send(error_response(400, "bad_request", "the request is not HTTP/1.1 this server can read"),
                    false, true);
    request.path = std::move(parsed->path);
    request.query = std::move(parsed->query);
    std::vector<std::string> segments = std::move(parsed->segments);

    for (const auto& field : req) {
        auto name = lower(std::string_view(field.name_string().data(), field.name_string().size()));
        const std::string_view value(field.value().data(), field.value().size());
        auto [it, inserted] = request.headers.emplace(std::move(name), std::string(value));
        if (!inserted) (it->second += ", ") += value;
    }
    request.body = std::move(req.body());
    request.remote_address = remote_;

    auto found = server_.lookup(request.method, segments);
    switch (found.outcome) {
        case Server::Lookup::not_found:
            return send(error_response(404, "not_found", "no route here serves this path"), keep_alive);
        case Server::Lookup::wrong_method: {
            auto response =
                error_response(405, "method_not_allowed", "this path is not served for this method");
            response.headers.emplace_back("Allow", found.allow);
            return send(std::move(response), keep_alive);
        }
        case Server::Lookup::found: break;
    }
    if (found.builtin != Builtin::none) return send(server_.answer_builtin(found.builtin), keep_alive);

    request.path_params = std::move(found.params);
    const auto& gate = server_.gate();
    // Past this many requests waiting for a worker, more would only queue
    // memory and latency: the client is told to come back instead.
    if (gate->pending.fetch_add(1) >= server_.limits().max_pending_requests) {
        gate->pending.fetch_sub(1);
        auto response = error_response(503, "unavailable", "the server is busy: retry later");
        response.headers.emplace_back("Retry-After", "1");
        return send(std::move(response), keep_alive);
    }
    // Released when the executor is done with the task, run or dropped.
    std::shared_ptr<Gate> slot(gate.get(), [gate](Gate* g) { g->pending.fetch_sub(1); });
    server_.executor().post([handler = std::move(found.handler), request = std::move(request),
                             label = method_ + " " + found.pattern, session = weak_from_this(), gate,
                             slot = std::move(slot), keep_alive, metrics = server_.metrics(),
                             queued = std::chrono::steady_clock::now()] {
        // The connection was closed for good (stop()'s grace ran out).
        if (session.expired()) return;
        sdk::HttpResponse response;
        try {
            response = handler(request);
        } catch (const std::exception& e) {
            response = error_response(500, "internal", "the request failed; its id is in the server log");
            gate->error("request " + id_of(response) + ": handler for " + label + " threw: " + e.what());
        } catch (...) {
            response = error_response(500, "internal", "the request failed; its id is in the server log");
            gate->error("request " + id_of(response) + ": handler for " + label +
                        " threw a non-standard exception");
        }
        // From the request's arrival at a worker's queue to its answer: what
        // a client waits, bar the network. Routes are patterns, so the
        // labels stay few.
        if (metrics != nullptr)
            metrics->observe(
                "profo_http_request_duration_seconds",
                {{"route", label}, {"status", std::to_string(response.status)}},
                std::chrono::duration<double>(std::chrono::steady_clock::now() - queued).count());
        gate->deliver([session, keep_alive, response = std::move(response)]() mutable {
            if (auto self = session.lock()) self->send(std::move(response), keep_alive);
        });
    });
}

void Session::send(sdk::HttpResponse response, bool keep_alive, bool linger) {
    if (phase_ != Phase::busy) return;
    if (response.status < 100 || response.status > 599) {
        const auto status = response.status;
        response = error_response(500, "internal", "the request failed; its id is in the server log");
        server_.log().error("request " + id_of(response) + ": handler for " + method_ + " " + target_ +
                            " returned invalid status " + std::to_string(status));
    }
    phase_ = Phase::writing;
    keep_alive = keep_alive && !server_.stopping();

    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(response.status));
    if (!response.content_type.empty()) response_.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) {
        // Framing belongs to the server; CR/LF would let a value forge headers.
        const auto field = http::string_to_field(name);
        if (field == http::field::content_length || field == http::field::transfer_encoding ||
            field == http::field::connection || name.find_first_of("\r\n:") != std::string::npos ||
            value.find_first_of("\r\n") != std::string::npos) {
            server_.log().warn("dropping response header '" + name + "' from " + method_ + " " + target_);
            continue;
        }
        response_.insert(name, value);
    }
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();

    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive, linger](beast::error_code ec, std::size_t) {
                          self->on_write(ec, keep_alive, linger);
                      });
}

void Session::on_write(beast::error_code ec, bool keep_alive, bool linger) {
    if (phase_ == Phase::closed) return;
    const auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    char took[32];
    std::snprintf(took, sizeof took, " (%.1f ms)", ms);
    server_.log().debug(method_ + " " + target_ + " -> " + std::to_string(response_.result_int()) + took);
    release_body();
    if (ec) return close();
    if (linger) return this->linger();
    // stop() may have begun while the response was being written.
    if (!keep_alive || server_.stopping()) return close();
    read_header();
}

void Session::linger() {
    phase_ = Phase::lingering;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (drain_.empty()) drain_.resize(std::size_t{64} * 1024);
    stream_.expires_after(kLingerTimeout);
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                if (self->phase_ == Phase::closed) return;
                                self->drained_ += n;
                                if (ec || self->drained_ > kLingerMaxBytes) return self->close();
                                self->linger();
                            });
}

const Route* Server::best_route(const std::string& method, const std::vector<std::string>& segments,
                                std::set<std::string>* allowed) const {
    const Route* best = nullptr;
    for (const auto& route : routes_) {
        if (!matches(route, segments)) continue;
        if (route.method != method) {
            if (allowed != nullptr) allowed->insert(route.method);
            continue;
        }
        if (!best || more_specific(route, *best)) best = &route;
    }
    return best;
}

bool Server::reserve_body(std::size_t bytes) {
    if (bytes > limits_.max_body_bytes_in_flight - body_bytes_in_flight_) return false;
    body_bytes_in_flight_ += bytes;
    return true;
}

std::size_t Server::body_limit_for(const std::string& method,
                                   const std::vector<std::string>& segments) const {
    std::shared_lock lock(routes_mutex_);
    const Route* best = best_route(method, segments, nullptr);
    return best != nullptr ? best->max_body_bytes : sdk::kDefaultHttpBodyBytes;
}

Server::Lookup Server::lookup(const std::string& method, const std::vector<std::string>& segments) const {
    Lookup result;
    std::set<std::string> allowed;
    {
        std::shared_lock lock(routes_mutex_);
        const Route* best = best_route(method, segments, &allowed);
        if (best) {
            result.outcome = Lookup::found;
            result.handler = best->handler;
            result.builtin = best->builtin;
            result.pattern = best->pattern;
            result.max_body_bytes = best->max_body_bytes;
            for (std::size_t i = 0; i < segments.size(); ++i)
                if (best->placeholder[i]) result.params.emplace(best->segments[i], segments[i]);
            return result;
        }
    }
    if (allowed.empty()) return result;
    result.outcome = Lookup::wrong_method;
    for (const auto& m : allowed) result.allow += (result.allow.empty() ? "" : ", ") + m;
    return result;
}

sdk::HttpResponse Server::answer_builtin(Builtin builtin) {
    if (builtin == Builtin::healthz) return json_response(200, R"({"status":"ok"})");
    std::function<bool()> ready;
    {
        std::lock_guard lock(ready_mutex_);
        ready = ready_;
    }
    bool is_ready = true;
    if (ready) {
        try {
            is_ready = ready();
        } catch (const std::exception& e) {
            log_.error(std::string("readiness check threw: ") + e.what());
            is_ready = false;
        } catch (...) {
            log_.error("readiness check threw a non-standard exception");
            is_ready = false;
        }
    }
    return is_ready ? json_response(200, R"({"status":"ready"})")
                    : json_response(503, R"({"status":"not ready"})");
}

void Server::forget(Session* session) {
    if (sessions_.erase(session) == 0) return;
    if (auto it = per_address_.find(session->remote()); it != per_address_.end() && --it->second == 0)
        per_address_.erase(it);
    std::lock_guard lock(drain_mutex_);
    --live_;
    if (live_ == 0) drain_cv_.notify_all();
}

void Server::start() {
    std::lock_guard lock(lifecycle_mutex_);
    if (state_ != State::fresh) throw std::logic_error("HttpServer::start() may be called only once");

    const auto colon = listen_.rfind(':');
    std::string host = colon == std::string::npos ? std::string() : listen_.substr(0, colon);
    const std::string port_text = colon == std::string::npos ? std::string() : listen_.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (colon == std::string::npos || port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string::npos || std::stoul(port_text) > 65535)
        throw std::runtime_error("cannot listen on " + listen_ + ": expected host:port");

    beast::error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints =
        resolver.resolve(host, port_text, tcp::resolver::numeric_service | tcp::resolver::passive, ec);
    if (ec) throw std::runtime_error("cannot listen on " + listen_ + ": " + ec.message());

    tcp::acceptor acceptor(io_);
    beast::error_code last = asio::error::host_not_found;
    for (const auto& entry : endpoints) {
        beast::error_code step;
        acceptor.open(entry.endpoint().protocol(), step);
        // Lets a restarted host bind while old connections sit in TIME_WAIT;
        // on Linux it does not allow two live listeners on one port.
        if (!step) acceptor.set_option(tcp::acceptor::reuse_address(true), step);
        if (!step) acceptor.bind(entry.endpoint(), step);
        if (!step) acceptor.listen(asio::socket_base::max_listen_connections, step);
        if (!step) {
            last = {};
            break;
        }
        last = step;
        beast::error_code ignored;
        acceptor.close(ignored);
    }
    if (last) throw std::runtime_error("cannot listen on " + listen_ + ": " + last.message());

    port_ = acceptor.local_endpoint().port();
    acceptor_.emplace(std::move(acceptor));
    {
        std::lock_guard gate_lock(gate_->mutex);
        gate_->io = &io_;
        gate_->log = &log_;
    }
    guard_.emplace(asio::make_work_guard(io_));
    do_accept();
    thread_ = std::thread([this] {
        for (;;) {
            try {
                io_.run();
                return;
            } catch (const std::exception& e) {
                log_.error(std::string("HTTP network thread: ") + e.what());
            }
        }
    });
    state_ = State::running;
    log_.info("listening on " + host + ":" + std::to_string(port_.load()));
}

void Server::do_accept() {
    acceptor_->async_accept([this](beast::error_code ec, tcp::socket socket) {
        if (stopping_ || !acceptor_->is_open()) return;
        if (ec) {
            // Typically out of file descriptors: back off instead of spinning.
            log_.warn("HTTP accept failed: " + ec.message());
            accept_retry_.expires_after(100ms);
            accept_retry_.async_wait([this](beast::error_code ec) {
                if (!ec && !stopping_) do_accept();
            });
            return;
        }
        std::string remote;
        if (!admit(socket, remote)) {
            beast::error_code ignored;
            socket.close(ignored);
            return do_accept();
        }
        ++per_address_[remote];
        auto session = std::make_shared<Session>(*this, std::move(socket), std::move(remote));
        sessions_.emplace(session.get(), session);
        {
            std::lock_guard lock(drain_mutex_);
            ++live_;
        }
        session->start();
        do_accept();
    });
}

// Each connection holds a descriptor the process shares with its database:
// past the limits a new one is closed at once, before it costs anything more.
bool Server::admit(const tcp::socket& socket, std::string& remote) {
    beast::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return false;  // already gone
    remote = endpoint.address().to_string();
    std::string refusal;
    if (sessions_.size() >= limits_.max_connections) {
        refusal = std::to_string(limits_.max_connections) + " connections open (http.max_connections)";
    } else if (auto it = per_address_.find(remote);
               it != per_address_.end() && it->second >= limits_.max_connections_per_address) {
        refusal = std::to_string(it->second) + " connections open from " + remote +
                  " (http.max_connections_per_address)";
    }
    if (refusal.empty()) return true;
    // One line per second at most: a flood must not turn into a log flood.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log_ >= 1s) {
        last_refusal_log_ = now;
        log_.warn("refusing HTTP connection from " + remote + ": " + refusal);
    }
    return false;
}

void Server::begin_drain() {
    stopping_ = true;
    beast::error_code ignored;
    acceptor_->close(ignored);
    accept_retry_.cancel();
    std::vector<std::shared_ptr<Session>> sessions;
    for (const auto& [ptr, session] : sessions_) sessions.push_back(session);
    for (const auto& session : sessions) session->on_server_stopping();
    std::lock_guard lock(drain_mutex_);
    draining_ = true;
    drain_cv_.notify_all();
}

void Server::close_all() {
    std::vector<std::shared_ptr<Session>> sessions;
    for (const auto& [ptr, session] : sessions_) sessions.push_back(session);
    for (const auto& session : sessions) session->close();
    sessions_.clear();
}

void Server::stop(std::chrono::milliseconds grace) {
    std::lock_guard lock(lifecycle_mutex_);
    if (state_ != State::running) return;
    const auto deadline = std::chrono::steady_clock::now() + grace;

    asio::post(io_, [this] { begin_drain(); });
    std::size_t abandoned = 0;
    {
        std::unique_lock drain_lock(drain_mutex_);
        drain_cv_.wait_until(drain_lock, deadline, [this] { return draining_ && live_ == 0; });
        abandoned = draining_ ? live_ : 0;
    }
    if (abandoned > 0)
        log_.warn("closing " + std::to_string(abandoned) +
                  " HTTP connection(s) still busy after the grace period");
    asio::post(io_, [this] { close_all(); });
    guard_.reset();
    thread_.join();
    {
        std::lock_guard gate_lock(gate_->mutex);
        gate_->io = nullptr;
    }
    state_ = State::stopped;
    log_.info("stopped listening on " + listen_);
}

}  // namespace

struct HttpServer::Impl {
    Impl(std::string listen, sdk::Executor& handlers, sdk::Logger& log, HttpServerLimits limits)
        : server(std::move(listen), handlers, log, limits) {}
    Server server;
};

HttpServer::HttpServer(std::string listen, sdk::Executor& handlers, sdk::Logger& log, HttpServerLimits limits)
    : impl_(std::make_unique<Impl>(std::move(listen), handlers, log, limits)) {}

HttpServer::~HttpServer() = default;

void HttpServer::set_metrics(sdk::Metrics& metrics) {
    metrics.describe("profo_http_request_duration_seconds",
                     "HTTP requests to plugin routes, from arrival to answer, by route and status");
    impl_->server.set_metrics(metrics);
}

void HttpServer::add(std::string method, std::string pattern, sdk::HttpHandler handler) {
    impl_->server.add(std::move(method), std::move(pattern), std::move(handler), sdk::kDefaultHttpBodyBytes);
}

void HttpServer::add(std::string method, std::string pattern, sdk::HttpHandler handler,
                     std::size_t max_body_bytes) {
    impl_->server.add(std::move(method), std::move(pattern), std::move(handler), max_body_bytes);
}

void HttpServer::set_readiness(std::function<bool()> ready) {
    impl_->server.set_readiness(std::move(ready));
}

void HttpServer::start() {
    impl_->server.start();
}

unsigned short HttpServer::port() const {
    return impl_->server.port();
}

void HttpServer::stop(std::chrono::milliseconds grace) {
    impl_->server.stop(grace);
}

}  // namespace profo::host
