#include "runtime/platform.hpp"

#include "admin/admin_catalogue.hpp"
#include "bots/bot_registry.hpp"
#include "engine/engine.hpp"
#include "http/http_client.hpp"
#include "http/http_server.hpp"
#include "logging/logging.hpp"
#include "runtime/executor.hpp"
#include "runtime/retention.hpp"
#include "secrets/secret_box.hpp"
#include "secrets/secret_names.hpp"
#include "telegram/bot_signatures.hpp"

#include <openssl/crypto.h>
#include <boost/algorithm/string/predicate.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

namespace profo::host {

PluginFailures::PluginFailures(std::vector<std::string> failures)
    : std::runtime_error([&] {
          std::string all = "plugins failed to load:";
          for (const auto& f : failures) all += "\n  " + f;
          return all;
      }()),
      failures_(std::move(failures)) {}

namespace {

// The services every plugin gets, whatever its kind.
template <class Interface>
class KindHost : public Interface {
public:
    KindHost(Platform& platform, const std::string& qualified_id, nlohmann::json settings)
        : platform_(platform), log_(make_logger(qualified_id)), settings_(std::move(settings)) {}

    sdk::Logger& log() override { return *log_; }
    const nlohmann::json& settings() const override { return settings_; }
    const sdk::Clock& clock() const override { return platform_.clock(); }
    sdk::Executor& executor() override { return platform_.executor(); }
    sdk::HttpRoutes& http() override { return platform_.http(); }
    const sdk::SecretBox& secrets() const override { return platform_.secrets(); }
    sdk::HttpClient& http_client() override { return platform_.http_client(); }
    sdk::Metrics& metrics() override { return platform_.metrics(); }

protected:
    Platform& platform_;

private:
    std::unique_ptr<sdk::Logger> log_;
    nlohmann::json settings_;
};

// Element plugins see no storage: the engine and signature checks only.
class ElementHostApi final : public KindHost<sdk::ElementHost> {
public:
    using KindHost::KindHost;
    sdk::CourseEngine& engine() override { return platform_.engine(); }
    const sdk::TelegramSignatures& telegram() const override { return platform_.telegram(); }
};

// What transports dispatch, counted by kind and result on its way through.
class CountingEngine final : public sdk::CourseEngine {
public:
    CountingEngine(std::function<sdk::CourseEngine&()> engine, sdk::Metrics& metrics)
        : engine_(std::move(engine)), metrics_(metrics) {
        metrics_.describe("profo_updates_total", "events transports dispatched, by kind and result");
        metrics_.describe("profo_update_duration_seconds", "handling one event: its transaction and effects");
    }
    sdk::DispatchResult dispatch(const sdk::InboundEvent& event) override {
        const auto started = std::chrono::steady_clock::now();
        auto result = engine_().dispatch(event);
        count(event.kind, result, std::chrono::steady_clock::now() - started);
        return result;
    }
    // Each event's duration is its batch's: what its caller waited.
    std::vector<sdk::DispatchResult> dispatch_all(const std::vector<sdk::InboundEvent>& events) override {
        const auto started = std::chrono::steady_clock::now();
        auto results = engine_().dispatch_all(events);
        const auto took = std::chrono::steady_clock::now() - started;
        for (std::size_t i = 0; i < events.size() && i < results.size(); ++i)
            count(events[i].kind, results[i], took);
        return results;
    }
    void dispatch_all_then(std::vector<sdk::InboundEvent> events, DispatchDone done) override {
        const auto started = std::chrono::steady_clock::now();
        std::vector<sdk::InboundEvent::Kind> kinds;
        kinds.reserve(events.size());
        for (const auto& event : events) kinds.push_back(event.kind);
        engine_().dispatch_all_then(std::move(events),
                                    [this, started, kinds = std::move(kinds),
                                     done = std::move(done)](std::vector<sdk::DispatchResult> results) {
                                        const auto took = std::chrono::steady_clock::now() - started;
                                        for (std::size_t i = 0; i < kinds.size() && i < results.size(); ++i)
                                            count(kinds[i], results[i], took);
                                        done(std::move(results));
                                    });
    }
    std::optional<sdk::RunElement> run_element(sdk::Id account_id, sdk::Id run_id,
                                               const std::string& element_id) override {
        return engine_().run_element(account_id, run_id, element_id);
    }

private:
    void count(sdk::InboundEvent::Kind kind, const sdk::DispatchResult& result,
               std::chrono::steady_clock::duration took) {
        metrics_.add("profo_updates_total",
                     {{"kind", kind_name(kind)}, {"result", result_name(result.status)}});
        metrics_.observe("profo_update_duration_seconds", {{"kind", kind_name(kind)}},
                         std::chrono::duration<double>(took).count());
    }
    static const char* kind_name(sdk::InboundEvent::Kind kind) {
        using Kind = sdk::InboundEvent::Kind;
        switch (kind) {
            case Kind::start: return "start";
            case Kind::text: return "text";
            case Kind::voice: return "voice";
            case Kind::callback: return "callback";
            case Kind::poll_answer: return "poll_answer";
            case Kind::web_app_data: return "web_app_data";
            case Kind::blocked: return "blocked";
            case Kind::unblocked: return "unblocked";
            case Kind::document: return "document";
        }
        return "other";
    }
    static const char* result_name(sdk::DispatchResult::Status status) {
        using Status = sdk::DispatchResult::Status;
        switch (status) {
            case Status::handled: return "handled";
            case Status::duplicate: return "duplicate";
            case Status::no_run: return "no_run";
            case Status::ignored: return "ignored";
            case Status::refused: return "refused";
            case Status::failed: return "failed";
        }
        return "other";
    }

    std::function<sdk::CourseEngine&()> engine_;
    sdk::Metrics& metrics_;
};

class TransportHostApi final : public KindHost<sdk::TransportHost> {
public:
    TransportHostApi(Platform& platform, const std::string& qualified_id, nlohmann::json settings)
        : KindHost(platform, qualified_id, std::move(settings)),
          counting_([&platform]() -> sdk::CourseEngine& { return platform.engine(); }, platform.metrics()) {}
    sdk::Storage& storage() override { return platform_.storage(); }
    sdk::CourseEngine& engine() override { return counting_; }
    const sdk::TelegramSignatures& telegram() const override { return platform_.telegram(); }
    sdk::AdminServices& admin() override { return platform_.admin(); }

private:
    CountingEngine counting_;
};

}  // namespace

Platform::Platform(Config config)
    : config_(std::move(config)), log_(make_logger("host")), clock_(std::make_unique<SystemClock>()) {
    if (!config_.telegram_login.bot_token.empty()) register_secret(config_.telegram_login.bot_token);
    if (!config_.http.metrics_token.empty()) register_secret(config_.http.metrics_token);
    registry_ = std::make_unique<PluginRegistry>(config_, discover_plugins(config_.resolved_search_paths()));
    if (!registry_->failures().empty()) throw PluginFailures(registry_->failures());
    for (const auto& p : registry_->loaded())
        log_->info("loaded plugin " + p->metadata().qualified_id() + " " + p->metadata().version + " from " +
                   p->path().string());
}

Platform::~Platform() {
    stop_retention();
    // Timers must not fire into plugins that are stopping, and deferred tasks
    // (plugin code) must be done before the plugins go.
    if (engine_) engine_->stop();
    stop_plugins();
    if (http_) http_->stop();
    if (executor_) executor_->stop();
    host_apis_.clear();
    admin_.reset();
    engine_.reset();
    storage_.reset();  // before the registry unloads the storage module
    http_.reset();     // its routes hold handlers made by plugins
    registry_.reset();
}

namespace {

// Whether `authorization` is `Bearer <token>`, the token compared in
// constant time; anything goes while no token is configured.
bool bearer_matches(const std::string& authorization, const std::string& token) {
    if (token.empty()) return true;
    constexpr std::string_view kScheme = "Bearer ";
    if (authorization.size() != kScheme.size() + token.size() ||
        !boost::algorithm::istarts_with(authorization, kScheme))
        return false;
    return CRYPTO_memcmp(authorization.data() + kScheme.size(), token.data(), token.size()) == 0;
}

// Whatever passes through the secret box is a secret: from then on it is
// redacted from every log line, whoever logs it.
class RedactingSecretBox final : public sdk::SecretBox {
public:
    explicit RedactingSecretBox(AesGcmSecretBox box) : box_(std::move(box)) {}
    using sdk::SecretBox::open;
    using sdk::SecretBox::seal;
    std::string seal(std::string_view plaintext, std::string_view context) const override {
        register_secret(std::string(plaintext));
        return box_.seal(plaintext, context);
    }
    std::string open(std::string_view sealed, std::string_view context) const override {
        auto plaintext = box_.open(sealed, context);
        register_secret(plaintext);
        return plaintext;
    }

private:
    AesGcmSecretBox box_;
};

// Settings such as `api_key` are redacted from the logs before the plugin
// that owns them can log anything.
void register_secret_settings(const nlohmann::json& settings) {
    if (!settings.is_object()) return;
    for (const auto& [key, value] : settings.items()) {
        if (value.is_object())
            register_secret_settings(value);
        else if (value.is_string() && names_a_secret(key))
            register_secret(value.get<std::string>());
    }
}

}  // namespace

sdk::Executor& Platform::executor() {
    std::lock_guard lock(lazy_mutex_);
    if (!executor_) executor_ = std::make_unique<ThreadPoolExecutor>(config_.http.threads);
    return *executor_;
}

HttpServer& Platform::http() {
    std::lock_guard lock(lazy_mutex_);
    if (!http_) {
        HttpServerLimits limits;
        limits.max_connections = static_cast<std::size_t>(config_.http.max_connections);
        limits.max_connections_per_address =
            static_cast<std::size_t>(config_.http.max_connections_per_address);
        limits.max_pending_requests = static_cast<std::size_t>(config_.http.max_pending_requests);
        limits.header_timeout = std::chrono::milliseconds(config_.http.header_timeout_ms);
        limits.max_body_bytes_in_flight = static_cast<std::size_t>(config_.http.max_body_bytes_in_flight);
        http_ = std::make_unique<HttpServer>(config_.http.listen, executor(), *log_, limits);
        http_->set_metrics(metrics_);
        metrics_.describe("profo_timer_lag_seconds",
                          "how late the most overdue durable timer is (0: none is due), at the scrape");
        http_->add("GET", "/metrics", [this](const sdk::HttpRequest& request) {
            if (!bearer_matches(request.header("authorization"), config_.http.metrics_token)) {
                sdk::HttpResponse refused;
                refused.status = 401;
                refused.content_type = "text/plain; charset=utf-8";
                refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"metrics\"");
                refused.body =
                    "the metrics need the operator's token (http.metrics_token) as a Bearer token\n";
                return refused;
            }
            try {
                auto tx = storage().begin();
                const auto next = tx->next_timer_due_all_accounts();
                tx->commit();
                const auto now =
                    std::chrono::duration_cast<std::chrono::milliseconds>(clock().now().time_since_epoch())
                        .count();
                metrics_.set("profo_timer_lag_seconds", {},
                             next && *next < now ? static_cast<double>(now - *next) / 1000.0 : 0.0);
            } catch (const std::exception& e) {
                log_->warn(std::string("metrics: cannot read the timers: ") + e.what());
            }
            sdk::HttpResponse r;
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";
            r.body = metrics_.render();
            return r;
        });
    }
    return *http_;
}

const sdk::SecretBox& Platform::secrets() {
    std::lock_guard lock(lazy_mutex_);
    if (!secrets_)
        secrets_ = std::make_unique<RedactingSecretBox>(AesGcmSecretBox::from_config(config_.secrets));
    return *secrets_;
}

const sdk::Clock& Platform::clock() const {
    return *clock_;
}

sdk::Storage& Platform::storage() {
    std::lock_guard lock(lazy_mutex_);
    if (storage_) return *storage_;
    auto plugin = registry_->storage(config_.storage.plugin);
    if (!plugin)
        throw std::runtime_error("storage.plugin is '" + config_.storage.plugin +
                                 "' but no enabled storage plugin has that id (enable plugins.storage." +
                                 config_.storage.plugin + ")");
    sdk::StorageOptions options;
    options.dsn = config_.storage.dsn;
    options.pool_size = config_.storage.pool_size;
    options.busy_timeout_ms = config_.storage.busy_timeout_ms;
    options.sqlite_synchronous = config_.storage.sqlite.synchronous == "normal"
                                     ? sdk::SqliteSynchronous::normal
                                     : sdk::SqliteSynchronous::full;
    storage_ = plugin->keep_alive(plugin->as<sdk::StoragePlugin>().open(options));
    return *storage_;
}

Engine& Platform::engine() {
    std::lock_guard lock(engine_mutex_);
    if (!engine_)
        engine_ =
            std::make_unique<Engine>(storage(), *registry_, executor(), clock(), config_, *log_, &secrets());
    return *engine_;
}

sdk::HttpClient& Platform::http_client() {
    std::lock_guard lock(lazy_mutex_);
    if (!http_client_) http_client_ = std::make_unique<BeastHttpClient>();
    return *http_client_;
}

const sdk::TelegramSignatures& Platform::telegram() {
    std::lock_guard lock(lazy_mutex_);
    if (!telegram_)
        telegram_ = std::make_unique<BotSignatures>([this]() -> sdk::Storage& { return storage(); },
                                                    secrets(), clock(), config_.telegram_login);
    return *telegram_;
}

sdk::AdminServices& Platform::admin() {
    auto& course_engine = engine();  // takes the lock itself
    std::lock_guard lock(lazy_mutex_);
    if (!admin_)
        admin_ = std::make_unique<AdminCatalogue>(
            AdminServicesDeps{storage(), secrets(), http_client(), *registry_, clock(),
                              bot_api_base_url(config_), config_.engine.texts, course_engine});
    return *admin_;
}

sdk::MigrationReport Platform::migrate() {
    auto report = storage().migrate();
    if (report.applied.empty()) {
        log_->info("database schema is up to date (version " + std::to_string(report.to_version) + ")");
    } else {
        for (int v : report.applied) log_->info("applied migration " + std::to_string(v));
        log_->info("database schema migrated from version " + std::to_string(report.from_version) + " to " +
                   std::to_string(report.to_version));
    }
    return report;
}

void Platform::reseal_unbound_secrets() {
    // The key is read (or, on a first start, created) only when there is
    // something to re-seal.
    {
        auto tx = storage().begin();
        const auto bots = tx->list_bots_all_accounts();
        if (std::none_of(bots.begin(), bots.end(),
                         [](const sdk::Bot& b) { return sealed_without_context(b.token_sealed); }))
            return;
    }
    const int resealed = reseal_unbound_bot_tokens(storage(), secrets());
    if (resealed > 0)
        log_->info("re-sealed " + std::to_string(resealed) +
                   " bot tokens sealed without a context, each now bound to its row");
}

void Platform::start_retention() {
    std::lock_guard lock(lazy_mutex_);
    if (retention_) return;
    const auto& policy = config_.retention;
    if (!policy.enabled) {
        log_->info("retention is disabled (retention.enabled): no expired rows are deleted");
        return;
    }
    retention_ = std::make_unique<RetentionSchedule>(storage(), executor(), clock(), *log_, policy);
    retention_->start();
    log_->info("retention every " + std::to_string(policy.interval.count()) + "s, batches of " +
               std::to_string(policy.batch_size) + ": processed updates after " +
               std::to_string(policy.processed_updates.count()) + "s, settled timers after " +
               std::to_string(policy.timers.count()) + "s, polls of ended runs after " +
               std::to_string(policy.polls.count()) + "s, failed outbox messages after " +
               std::to_string(policy.failed_outbox.count()) + "s, ended panel sign-ins after " +
               std::to_string(policy.panel_access.count()) + "s");
}

void Platform::stop_retention() {
    std::unique_ptr<RetentionSchedule> retention;
    {
        std::lock_guard lock(lazy_mutex_);
        retention = std::move(retention_);
    }
    if (retention) retention->stop();
}

void Platform::start_plugins() {
    for (const auto& p : registry_->loaded()) {
        const auto* pc = config_.plugin(p->metadata().qualified_id());
        if (pc) register_secret_settings(pc->settings);
        const std::string id = p->metadata().qualified_id();
        nlohmann::json settings = pc ? pc->settings : nlohmann::json::object();
        std::unique_ptr<sdk::HostApi> api;
        try {
            switch (p->metadata().kind) {
                case sdk::PluginKind::element: {
                    auto host = std::make_unique<ElementHostApi>(*this, id, std::move(settings));
                    p->as<sdk::ElementPlugin>().start(*host);
                    api = std::move(host);
                    break;
                }
                case sdk::PluginKind::transport: {
                    auto host = std::make_unique<TransportHostApi>(*this, id, std::move(settings));
                    p->as<sdk::TransportPlugin>().start(*host);
                    api = std::move(host);
                    break;
                }
                case sdk::PluginKind::enrollment: {
                    auto host = std::make_unique<KindHost<sdk::HostApi>>(*this, id, std::move(settings));
                    p->as<sdk::EnrollmentPlugin>().start(*host);
                    api = std::move(host);
                    break;
                }
                case sdk::PluginKind::storage: break;  // opened, not started
            }
        } catch (const std::exception& e) {
            stop_plugins();
            throw std::runtime_error("plugin " + p->metadata().qualified_id() +
                                     " failed to start: " + e.what());
        }
        host_apis_.push_back(std::move(api));
        started_.push_back(&p->object());
    }
}

void Platform::stop_plugins() {
    while (!started_.empty()) {
        auto* plugin = started_.back();
        started_.pop_back();
        try {
            plugin->stop();
        } catch (const std::exception& e) {
            log_->error(std::string("plugin stop failed: ") + e.what());
        }
    }
}

}  // namespace profo::host
