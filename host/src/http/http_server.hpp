// The host's single HTTP listener (Boost.Beast). Plugins add routes through
// sdk::HttpRoutes; the server answers /healthz (liveness) and /readyz
// (readiness) itself. Handlers run on the executor, never on the network thread.
#pragma once

#include <profo/sdk/host.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace profo::host {

// What one client, or all of them, may hold. Connections beyond the limits
// are closed as soon as they are accepted; requests beyond the queue limit get
// 503 with Retry-After.
struct HttpServerLimits {
    std::size_t max_connections = 1024;
    std::size_t max_connections_per_address = 64;
    // Requests handed to the executor and not yet answered.
    std::size_t max_pending_requests = 256;
    // From connecting (or the previous response) to a complete request head.
    std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
    // Request bodies are read into memory before any handler can tell who
    // sent them: all of them together, from the head announcing one until
    // its response is written, stay within this. A request past it gets 503.
    std::size_t max_body_bytes_in_flight = std::size_t{64} * 1024 * 1024;
};

class HttpServer final : public sdk::HttpRoutes {
public:
    // `listen` is "host:port"; port 0 picks a free one (see port()).
    HttpServer(std::string listen, sdk::Executor& handlers, sdk::Logger& log, HttpServerLimits limits = {});
    ~HttpServer() override;  // stop()s

    void add(std::string method, std::string pattern, sdk::HttpHandler handler) override;
    void add(std::string method, std::string pattern, sdk::HttpHandler handler,
             std::size_t max_body_bytes) override;
    // Times every request to a plugin route into `metrics`, which must
    // outlive the server's handlers.
    void set_metrics(sdk::Metrics& metrics);
    // /readyz answers 200 while this returns true, 503 otherwise.
    void set_readiness(std::function<bool()> ready);

    // Binds and starts accepting on its own network thread. Throws
    // std::runtime_error naming the address when it cannot bind.
    void start();
    unsigned short port() const;
    // Stops accepting, lets requests in flight finish (up to `grace`), closes.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace profo::host
