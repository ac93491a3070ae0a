#include "emulator_config.h"

#include <stdexcept>

namespace profo::telegram_emulator {

const char* const kUsage = R"(Usage: profo-telegram-emulator [options]

A local stand-in for the Telegram Bot API (see tools/telegram_emulator/README.md).

  --listen HOST:PORT            address to serve on (default 127.0.0.1:8081; port 0 = any
                                free port). The bound address is printed as the first line
                                of stdout: "listening on HOST:PORT".
  --bot TOKEN                   create a bot with this token at start (repeatable)
  --no-rate-limits              never answer 429
  --chat-rate N                 messages per second per chat (default 1)
  --chat-burst N                burst per chat (default 3)
  --bot-rate N                  messages per second per bot (default 30)
  --bot-burst N                 burst per bot (default 30)
  --error-probability P         each Bot API call fails with a 5xx with probability P
  --error-next N                the next N Bot API calls fail with a 5xx
  --error-status CODE           status of injected errors (default 500)
  --drop-probability P          close the connection without a reply with probability P
  --drop-next N                 drop the next N Bot API calls
  --drop-after-processing       carry out a dropped call before closing (the reply is lost)
  --latency-ms N                add N ms before every Bot API reply
  --latency-after-processing    carry the call out first, then wait --latency-ms to reply
  --fault-methods m1,m2         faults and latency only for these methods (default all)
  --strict-webhook-urls         setWebhook accepts only https:// on ports 443, 80, 88, 8443
                                (as Telegram); default also accepts http:// for local use
  --webhook-retry-initial-ms N  first backoff after a repeated webhook failure (default 2000)
  --webhook-retry-max-ms N      longest backoff (default 60000)
  --webhook-timeout-ms N        webhook request timeout (default 60000)
  --transcript-limit N          messages kept per chat (default 10000)
  --accept-any-file-id          accept file ids the emulator did not issue
  --no-poll-updates             do not send `poll` updates when votes change
  --verbose                     log every request to stderr
  --help                        this text
)";

namespace {

double to_double(const std::string& flag, const std::string& v) {
    try {
        std::size_t used = 0;
        const double d = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        return d;
    } catch (const std::exception&) {
        throw std::invalid_argument(flag + " needs a number, got '" + v + "'");
    }
}

int to_int(const std::string& flag, const std::string& v) {
    try {
        std::size_t used = 0;
        const int i = std::stoi(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        return i;
    } catch (const std::exception&) {
        throw std::invalid_argument(flag + " needs an integer, got '" + v + "'");
    }
}

}  // namespace

std::optional<EmulatorConfig> parse_command_line(const std::vector<std::string>& args, std::string& error) {
    EmulatorConfig c;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const auto& flag = args[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
                return args[++i];
            };
            if (flag == "--help" || flag == "-h") {
                error.clear();
                return std::nullopt;
            } else if (flag == "--listen") {
                const auto v = value();
                const auto colon = v.rfind(':');
                if (colon == std::string::npos) throw std::invalid_argument("--listen needs HOST:PORT");
                c.host = v.substr(0, colon);
                if (c.host.size() > 2 && c.host.front() == '[' && c.host.back() == ']')
                    c.host = c.host.substr(1, c.host.size() - 2);
                const int port = to_int(flag, v.substr(colon + 1));
                if (port < 0 || port > 65535) throw std::invalid_argument("--listen port out of range");
                c.port = static_cast<std::uint16_t>(port);
            } else if (flag == "--bot") {
                c.bot_tokens.push_back(value());
            } else if (flag == "--no-rate-limits") {
                c.rate_limits.enabled = false;
            } else if (flag == "--chat-rate") {
                c.rate_limits.per_chat_per_second = to_double(flag, value());
            } else if (flag == "--chat-burst") {
                c.rate_limits.per_chat_burst = to_double(flag, value());
            } else if (flag == "--bot-rate") {
                c.rate_limits.per_bot_per_second = to_double(flag, value());
            } else if (flag == "--bot-burst") {
                c.rate_limits.per_bot_burst = to_double(flag, value());
            } else if (flag == "--error-probability") {
                c.faults.error_probability = to_double(flag, value());
            } else if (flag == "--error-next") {
                c.faults.error_next = to_int(flag, value());
            } else if (flag == "--error-status") {
                c.faults.error_status = to_int(flag, value());
                if (c.faults.error_status < 500 || c.faults.error_status > 599)
                    throw std::invalid_argument("--error-status must be 5xx");
            } else if (flag == "--drop-probability") {
                c.faults.drop_probability = to_double(flag, value());
            } else if (flag == "--drop-next") {
                c.faults.drop_next = to_int(flag, value());
            } else if (flag == "--drop-after-processing") {
                c.faults.drop_after_processing = true;
            } else if (flag == "--latency-after-processing") {
                c.faults.latency_after_processing = true;
            } else if (flag == "--latency-ms") {
                c.faults.latency = std::chrono::milliseconds(to_int(flag, value()));
            } else if (flag == "--fault-methods") {
                auto v = value();
                std::size_t start = 0;
                while (start <= v.size()) {
                    auto end = v.find(',', start);
                    if (end == std::string::npos) end = v.size();
                    auto name = v.substr(start, end - start);
                    for (auto& ch : name)
                        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
                    if (!name.empty()) c.faults.methods.insert(name);
                    start = end + 1;
                }
            } else if (flag == "--strict-webhook-urls") {
                c.world.strict_webhook_urls = true;
            } else if (flag == "--webhook-retry-initial-ms") {
                c.world.webhook_retry.initial_backoff = std::chrono::milliseconds(to_int(flag, value()));
            } else if (flag == "--webhook-retry-max-ms") {
                c.world.webhook_retry.max_backoff = std::chrono::milliseconds(to_int(flag, value()));
            } else if (flag == "--webhook-timeout-ms") {
                c.world.webhook_retry.request_timeout = std::chrono::milliseconds(to_int(flag, value()));
            } else if (flag == "--transcript-limit") {
                c.world.transcript_limit = static_cast<std::size_t>(std::max(1, to_int(flag, value())));
            } else if (flag == "--accept-any-file-id") {
                c.world.accept_any_file_id = true;
            } else if (flag == "--no-poll-updates") {
                c.world.poll_updates = false;
            } else if (flag == "--verbose") {
                c.verbose = true;
            } else {
                throw std::invalid_argument("unknown option " + flag);
            }
        }
    } catch (const std::invalid_argument& e) {
        error = e.what();
        return std::nullopt;
    }
    return c;
}

}  // namespace profo::telegram_emulator
