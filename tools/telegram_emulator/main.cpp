// profo-telegram-emulator: a local Telegram Bot API for tests, benchmarks and
// demos. Single-threaded on one io_context; see README.md.
#include "emulator.h"
#include "emulator_config.h"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>

int main(int argc, char** argv) {
    using namespace profo::telegram_emulator;
    std::string error;
    const auto config = parse_command_line(std::vector<std::string>(argv + 1, argv + argc), error);
    if (!config) {
        if (error.empty()) {
            std::cout << kUsage;
            return 0;
        }
        std::cerr << "profo-telegram-emulator: " << error << "\n\n" << kUsage;
        return 2;
    }
    try {
        boost::asio::io_context io(1);
        Emulator emulator(io, *config);
        emulator.start();
        const auto ep = emulator.endpoint();
        // Tests read the port from this first line.
        std::cout << "listening on " << ep.address().to_string() << ":" << ep.port() << std::endl;
        for (const auto& [id, bot] : emulator.world().bots())
            spdlog::info("bot @{} token {}", bot->username, bot->token);

        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            spdlog::info("signal {}: stopping", signal);
            emulator.stop();
            io.stop();
        });
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "profo-telegram-emulator: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
