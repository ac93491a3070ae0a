// The host's single HTTP listener (Boost.Beast). Plugins add routes through
// sdk::HttpRoutes; the server answers /healthz (liveness) and /readyz
// (readiness) itself. Handlers run on the executor, never on the network thread.
#pragma once

#include <profo/sdk/host.hpp>

#include <functional>
#include <memory>
#include <string>

namespace profo::host {

class HttpServer final : public sdk::HttpRoutes {
public:
    // `listen` is "host:port"; port 0 picks a free one (see port()).
    HttpServer(std::string listen, sdk::Executor& handlers, sdk::Logger& log);
    ~HttpServer() override;  // stop()s

    void add(std::string method, std::string pattern, sdk::HttpHandler handler) override;
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
