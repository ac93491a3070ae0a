// One running instance of the platform: the config, the plugins it enables,
// the storage they share and the services the host offers them. Commands open
// a Platform, use what they need and let it close in reverse order.
#pragma once

#include "config/config.hpp"
#include "metrics/metrics_registry.hpp"
#include "plugins/plugin_registry.hpp"

#include <profo/sdk/engine.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/http_client.hpp>
#include <profo/sdk/storage.hpp>
#include <profo/sdk/telegram_auth.hpp>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::host {

class AdminCatalogue;
class Engine;
class HttpServer;
class RetentionSchedule;
class ThreadPoolExecutor;

// Raised when enabled plugins failed to load; lists every one of them.
class PluginFailures : public std::runtime_error {
public:
    explicit PluginFailures(std::vector<std::string> failures);
    const std::vector<std::string>& failures() const noexcept { return failures_; }

private:
    std::vector<std::string> failures_;
};

class Platform {
public:
    // Discovers and loads the enabled plugins. Throws PluginFailures when any
    // enabled plugin cannot be loaded, ConfigError for a bad config.
    explicit Platform(Config config);
    ~Platform();
    Platform(const Platform&) = delete;
    Platform& operator=(const Platform&) = delete;

    const Config& config() const { return config_; }
    PluginRegistry& plugins() { return *registry_; }
    sdk::Logger& log() { return *log_; }
    sdk::Executor& executor();
    HttpServer& http();
    const sdk::SecretBox& secrets();
    const sdk::Clock& clock() const;
    // The course engine, created on first use over storage() and the plugins.
    // Its timer scheduler runs only once started (`profo serve` does).
    Engine& engine();
    // Outbound HTTP(S) shared by every plugin.
    sdk::HttpClient& http_client();
    // Checks of what Telegram signed with the platform's bots' tokens.
    const sdk::TelegramSignatures& telegram();

    // Counters, gauges and histograms, served at /metrics.
    MetricsRegistry& metrics() { return metrics_; }

    // The platform's services for creators (sdk/admin.hpp), made on first use.
    sdk::AdminServices& admin();

    // Opens the configured storage on first use (not migrated).
    sdk::Storage& storage();
    // Brings the schema up to date; logs what it applied.
    sdk::MigrationReport migrate();

    // Re-seals bot tokens still sealed without their row's context (see
    // secrets/secret_box.hpp); logs how many.
    void reseal_unbound_secrets();

    // Starts deleting expired rows per config().retention (runtime/retention.hpp),
    // as `profo serve` does; stopped before the plugins and the storage go.
    void start_retention();
    void stop_retention();

    // Calls start() of every loaded plugin with the host interface of its kind
    // (ElementHost, HostApi, TransportHost), in load order (storage, then
    // elements, enrollment, transports). A throwing start() is
    // fatal: what was started is stopped again and the error rethrown.
    void start_plugins();
    // stop() in reverse order; errors are logged, never thrown.
    void stop_plugins();

private:
    Config config_;
    MetricsRegistry metrics_;
    std::unique_ptr<sdk::Logger> log_;
    std::unique_ptr<PluginRegistry> registry_;
    std::unique_ptr<sdk::Clock> clock_;
    std::unique_ptr<ThreadPoolExecutor> executor_;
    std::unique_ptr<HttpServer> http_;
    std::unique_ptr<sdk::SecretBox> secrets_;
    std::shared_ptr<sdk::Storage> storage_;
    std::unique_ptr<sdk::HttpClient> http_client_;
    std::unique_ptr<sdk::TelegramSignatures> telegram_;
    std::mutex engine_mutex_;  // transports may ask for the engine from their own threads
    // Services are made on first use, which may come from any thread.
    std::recursive_mutex lazy_mutex_;
    std::unique_ptr<Engine> engine_;
    std::unique_ptr<AdminCatalogue> admin_;
    std::unique_ptr<RetentionSchedule> retention_;
    std::vector<std::unique_ptr<sdk::HostApi>> host_apis_;
    std::vector<sdk::Plugin*> started_;
};

}  // namespace profo::host
