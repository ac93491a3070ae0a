// Everything the emulator can be told at start: where to listen, limits,
// faults, webhook behaviour, bots to create. Read from the command line.
#pragma once

#include "fault_injector.h"
#include "rate_limiter.h"
#include "world.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace profo::telegram_emulator {

struct EmulatorConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8081;
    RateLimits rate_limits;
    FaultSettings faults;
    WorldSettings world;
    std::vector<std::string> bot_tokens;  // bots that exist from the start
    bool verbose = false;
};

extern const char* const kUsage;

// Returns the config, or nullopt with `error` set (or empty error for --help).
std::optional<EmulatorConfig> parse_command_line(const std::vector<std::string>& args, std::string& error);

}  // namespace profo::telegram_emulator
