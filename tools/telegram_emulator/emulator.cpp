#include "emulator.h"

#include <spdlog/spdlog.h>
#include <boost/asio/ip/address.hpp>

namespace profo::telegram_emulator {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

tcp::endpoint endpoint_of(asio::io_context& io, const EmulatorConfig& c) {
    tcp::resolver resolver(io);
    const auto results = resolver.resolve(c.host, std::to_string(c.port));
    return results.begin()->endpoint();
}

}  // namespace

Emulator::Emulator(asio::io_context& io, const EmulatorConfig& config)
    : verbose_(config.verbose),
      world_(io, config.world, config.rate_limits),
      faults_(config.faults),
      bot_api_(world_, faults_),
      student_api_(world_, faults_),
      server_(io, endpoint_of(io, config), [this](HttpRequest&& request, ResponderPtr responder) {
          route(std::move(request), std::move(responder));
      }) {
    for (const auto& token : config.bot_tokens) world_.create_bot("", "", token);
}

void Emulator::stop() {
    bot_api_.release_parked_polls();
    student_api_.release_waiters();
    for (const auto& [id, bot] : world_.bots()) world_.delete_webhook(*bot);
    server_.stop();
}

void Emulator::route(HttpRequest&& request, ResponderPtr responder) {
    const std::string target(request.target());
    if (verbose_) spdlog::info("{} {}", std::string(request.method_string()), target);
    const auto path = target.substr(0, target.find('?'));
    constexpr std::string_view kStudentPrefix = "/_emulator/";
    if (path.rfind(kStudentPrefix, 0) == 0)
        return student_api_.handle(std::move(request), path.substr(kStudentPrefix.size()),
                                   std::move(responder));
    // /file/bot<token>/<file_path>: downloads, as api.telegram.org serves them.
    constexpr std::string_view kFilePrefix = "/file/bot";
    if (path.rfind(kFilePrefix, 0) == 0) {
        const auto slash = path.find('/', kFilePrefix.size());
        if (slash != std::string::npos && slash + 1 < path.size())
            return bot_api_.download(request, path.substr(kFilePrefix.size(), slash - kFilePrefix.size()),
                                     path.substr(slash + 1), responder);
    }
    // /bot<token>/<method>; the token itself contains no '/'.
    if (path.rfind("/bot", 0) == 0) {
        const auto slash = path.find('/', 4);
        // An empty method name is a method nobody serves (404 method not found).
        if (slash != std::string::npos && path.find('/', slash + 1) == std::string::npos)
            return bot_api_.handle(std::move(request), path.substr(4, slash - 4), path.substr(slash + 1),
                                   std::move(responder));
    }
    responder->send(error_response(BotApiError(404, "Not Found"), request.version(), request.keep_alive()));
}

}  // namespace profo::telegram_emulator
