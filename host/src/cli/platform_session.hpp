// What every command that runs the platform does first: read the config named
// on the command line, set up logging, and report config problems uniformly.
#pragma once

#include "cli/command.hpp"
#include "config/config.hpp"

#include <optional>

namespace profo::host {

// Loads the config for a command; on errors prints them to io.err and returns
// nothing (the command then exits with status 2).
std::optional<Config> load_command_config(CommandIo& io, const std::vector<std::string>& args);

// Prints why a command that ran the platform failed (every refused plugin,
// one line each, or the error) and returns the exit status 1.
int report_command_failure(CommandIo& io, const std::exception& e);

}  // namespace profo::host
