#include "logging/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <vector>

namespace profo::host {

namespace {

constexpr std::size_t kMinSecretLength = 6;
constexpr std::string_view kMask = "***";

// Readers copy the pointer and scan without holding the lock, so a burst of
// log lines never waits on register_secret().
class SecretStore {
public:
    void add(std::string secret) {
        std::lock_guard lock(mutex_);
        if (std::find(list_->begin(), list_->end(), secret) != list_->end()) return;
        auto next = std::make_shared<std::vector<std::string>>(*list_);
        next->push_back(std::move(secret));
        // Longest first, so a secret that contains another is masked whole.
        std::stable_sort(next->begin(), next->end(),
                         [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
        list_ = std::move(next);
    }

    std::shared_ptr<const std::vector<std::string>> snapshot() const {
        std::lock_guard lock(mutex_);
        return list_;
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const std::vector<std::string>> list_ = std::make_shared<std::vector<std::string>>();
};

SecretStore& secrets() {
    static SecretStore store;
    return store;
}

std::string_view view(spdlog::string_view_t s) {
    return {s.data(), s.size()};
}

// The same spelling as log.level in the config (spdlog says "warning").
std::string_view level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace: return "trace";
        case spdlog::level::debug: return "debug";
        case spdlog::level::info: return "info";
        case spdlog::level::warn: return "warn";
        case spdlog::level::err: return "error";
        case spdlog::level::critical: return "critical";
        default: return "off";
    }
}

// UTC in both formats: the text format carries no zone suffix, so local time
// would make lines from differently configured machines ambiguous.
std::string timestamp(spdlog::log_clock::time_point tp, bool iso) {
    const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp - secs).count();
    const std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    const auto n =
        std::strftime(buf.data(), buf.size(), iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
    std::string out(buf.data(), n);
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms));
    out += frac;
    if (iso) out += 'Z';
    return out;
}

// A text log is one record per line: a control character in a message (a
// request path with %0a in it, a student's text) is written escaped, so
// nobody outside can start a forged line or send the terminal escapes.
std::string one_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 0x20 && c != 0x7f) || c == '\t') {
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else {
            constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

// Formats and redacts every line itself rather than through an spdlog
// formatter, so that no logger (the default one, plugin loggers, loggers made
// by code that calls spdlog directly on the default logger) can bypass redaction.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    void set_json(bool json) {
        std::lock_guard lock(mutex_);
        json_ = json;
    }
    void set_output(std::ostream* out) {
        std::lock_guard lock(mutex_);
        out_ = out;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string line;
        if (json_) {
            // Fields are redacted before encoding: a secret containing a quote
            // or backslash no longer matches once JSON escapes it.
            nlohmann::json j = {{"ts", timestamp(msg.time, true)},
                                {"level", level_name(msg.level)},
                                {"logger", redact(view(msg.logger_name))},
                                {"msg", redact(view(msg.payload))}};
            // Messages may carry arbitrary bytes (a Telegram payload cut
            // mid-character); replacing invalid UTF-8 beats losing the line.
            line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        } else {
            line = timestamp(msg.time, false);
            line += ' ';
            line += level_name(msg.level);
            line += " [";
            line += one_line(view(msg.logger_name));
            line += "] ";
            line += one_line(view(msg.payload));
            line = redact(line);
        }
        line += '\n';
        if (out_) {
            out_->write(line.data(), static_cast<std::streamsize>(line.size()));
            out_->flush();
        } else {
            std::fwrite(line.data(), 1, line.size(), stderr);
        }
    }

    void flush_() override {
        if (out_)
            out_->flush();
        else
            std::fflush(stderr);
    }

private:
    bool json_ = false;
    std::ostream* out_ = nullptr;
};

// Installed on first use by any function here, so even code that logs before
// configure_logging() goes through redaction.
const std::shared_ptr<RedactingSink>& sink() {
    static const std::shared_ptr<RedactingSink> instance = [] {
        auto s = std::make_shared<RedactingSink>();
        auto logger = std::make_shared<spdlog::logger>("host", s);
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(std::move(logger));
        return s;
    }();
    return instance;
}

spdlog::level::level_enum to_spdlog(sdk::LogLevel level) {
    switch (level) {
        case sdk::LogLevel::trace: return spdlog::level::trace;
        case sdk::LogLevel::debug: return spdlog::level::debug;
        case sdk::LogLevel::info: return spdlog::level::info;
        case sdk::LogLevel::warn: return spdlog::level::warn;
        case sdk::LogLevel::error: return spdlog::level::err;
    }
    return spdlog::level::info;
}

class NamedLogger final : public sdk::Logger {
public:
    explicit NamedLogger(std::string name)
        : logger_(std::make_shared<spdlog::logger>(std::move(name), sink())) {
        // The default logger's level is the one threshold; configure_logging()
        // changes it after plugin loggers already exist.
        logger_->set_level(spdlog::level::trace);
    }

    void log(sdk::LogLevel level, std::string_view message) override {
        const auto lvl = to_spdlog(level);
        if (!spdlog::default_logger_raw()->should_log(lvl)) return;
        logger_->log(lvl, spdlog::string_view_t(message.data(), message.size()));
    }

private:
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

void configure_logging(const Config::Log& settings) {
    static const std::array<std::string_view, 5> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (std::find(kLevels.begin(), kLevels.end(), settings.level) == kLevels.end())
        throw std::invalid_argument("log.level must be one of trace, debug, info, warn, error, not '" +
                                    settings.level + "'");
    if (settings.format != "text" && settings.format != "json")
        throw std::invalid_argument("log.format must be text or json, not '" + settings.format + "'");

    sink()->set_json(settings.format == "json");
    spdlog::default_logger()->set_level(spdlog::level::from_str(settings.level));
}

void register_secret(std::string secret) {
    sink();
    if (secret.size() < kMinSecretLength) return;
    secrets().add(std::move(secret));
}

std::string redact(std::string_view text) {
    std::string out(text);
    const auto list = secrets().snapshot();
    for (const auto& secret : *list) {
        for (auto pos = out.find(secret); pos != std::string::npos;
             pos = out.find(secret, pos + kMask.size()))
            out.replace(pos, secret.size(), kMask);
    }
    return out;
}

void set_log_output(std::ostream* out) {
    sink()->set_output(out);
}

std::unique_ptr<sdk::Logger> make_logger(std::string name) {
    return std::make_unique<NamedLogger>(std::move(name));
}

}  // namespace profo::host
