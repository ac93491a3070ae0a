// The whole emulator as one object: world, Bot API, student API and the HTTP
// server routing between them, on a caller-owned io_context. The binary runs
// one; tests run one in-process on a loopback port.
#pragma once

#include "bot_api.h"
#include "emulator_config.h"
#include "fault_injector.h"
#include "http_server.h"
#include "student_api.h"
#include "world.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace profo::telegram_emulator {

class Emulator {
public:
    // Binds at once (throws on failure); serving starts with start().
    Emulator(boost::asio::io_context& io, const EmulatorConfig& config);

    boost::asio::ip::tcp::endpoint endpoint() const { return server_.local_endpoint(); }
    void start() { server_.start(); }
    // Answers what is parked, closes every connection and stops webhook deliveries.
    void stop();

    World& world() { return world_; }

private:
    void route(HttpRequest&& request, ResponderPtr responder);

    bool verbose_;
    World world_;
    FaultInjector faults_;
    BotApi bot_api_;
    StudentApi student_api_;
    HttpServer server_;
};

}  // namespace profo::telegram_emulator
