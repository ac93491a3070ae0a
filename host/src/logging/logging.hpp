// Process-wide logging on spdlog: text or JSON lines, and redaction of every
// secret the host knows (bot tokens, API keys) from every line it writes.
#pragma once

#include "config/config.hpp"

#include <profo/sdk/host.hpp>

#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace profo::host {

// Sets level and format ("text" or "json") of the default logger, writing to
// stderr. JSON lines carry ts (ISO 8601 UTC), level, logger, msg.
void configure_logging(const Config::Log& settings);

// Known secrets are replaced by "***" in every log line from now on. Secrets
// shorter than 6 characters are ignored (they would redact ordinary words).
void register_secret(std::string secret);
std::string redact(std::string_view text);

// Sends every line to `out` instead of stderr (tests capture output this way);
// nullptr goes back to stderr. `out` must outlive its use.
void set_log_output(std::ostream* out);

// Logs through the default logger under the given name (a plugin's qualified id).
std::unique_ptr<sdk::Logger> make_logger(std::string name);

}  // namespace profo::host
