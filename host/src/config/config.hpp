// The host's configuration: config/profo.yaml, then PROFO_* environment
// variables on top. Unknown keys and wrong types are errors that name the file,
// the line and the key path, all of them at once.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::host {

// What the platform itself tells students: a refused start link (link_*),
// a ban, a restricted course, switching courses on one bot, the email asked
// before a course. Keyed by name; `{course}`, `{current}` and `{next}` stand
// for course names where a text has them. config `engine.texts` replaces them
// for the whole platform, a deployment's overrides ("texts") for its students.
std::map<std::string, std::string> default_system_texts();

struct PluginConfig {
    bool enabled = false;
    nlohmann::json settings = nlohmann::json::object();
};

struct Config {
    std::filesystem::path file;  // where it was read from; empty for defaults only

    struct Http {
        std::string listen = "127.0.0.1:8080";  // host:port
        int threads = 2;                        // worker threads for handlers
        // Past these a new connection is closed at once (descriptors are shared with the database).
        int max_connections = 1024;
        int max_connections_per_address = 64;
        int max_pending_requests = 256;  // waiting for a worker; more get 503 + Retry-After
        int header_timeout_ms = 10000;   // to send a complete request head
        // Request bodies being received and answered, all together (no
        // handler can authenticate a request before its body is in); past
        // it a request gets 503 + Retry-After.
        int max_body_bytes_in_flight = 64 * 1024 * 1024;
        // When set, GET /metrics answers only `Authorization: Bearer <token>`
        // (Prometheus' bearer_token): the figures say how busy the platform
        // is, which is the operator's business, not every visitor's.
        std::string metrics_token;
    } http;

    struct Log {
        std::string level = "info";   // trace | debug | info | warn | error
        std::string format = "text";  // text | json (one JSON object per line)
    } log;

    struct Storage {
        std::string plugin = "sqlite";
        std::string dsn = "data/profo.db";
        int pool_size = 4;
        int busy_timeout_ms = 5000;
        struct Sqlite {
            // full | normal (sdk::SqliteSynchronous): with normal, a power loss
            // can undo the last acknowledged commits.
            std::string synchronous = "full";
        } sqlite;
    } storage;

    // How long rows nobody needs any more are kept before `profo serve`
    // deletes them (runtime/retention.hpp). Windows are course-style
    // durations: 30s, 10m, 25h, 7d, 1d:12h.
    struct Retention {
        bool enabled = true;
        std::chrono::seconds interval{10 * 60};  // between passes
        int batch_size = 1000;                   // rows per delete, each in its own transaction
        // Handled Telegram update ids; at least 24 h, for as long as Telegram may redeliver.
        std::chrono::seconds processed_updates{25 * 3600};
        std::chrono::seconds timers{7 * 86400};          // fired or cancelled durable timers
        std::chrono::seconds polls{7 * 86400};           // polls of runs that are no longer active
        std::chrono::seconds failed_outbox{30 * 86400};  // given-up messages, kept for diagnosis
        // The panel's sessions and remembered Telegram logins after they
        // expired, its login links after they were used or expired.
        std::chrono::seconds panel_access{86400};
    } retention;

    struct Secrets {
        std::string key_file = "data/secret.key";  // created on first start when absent
        std::string key;  // 64 hex digits; overrides key_file (set it from the environment)
    } secrets;

    // The bot whose Telegram Login Widget signs people in to the panel: the
    // platform's own, not an account's. No token: no widget (`profo admin
    // login-link` still signs people in).
    struct TelegramLogin {
        std::string bot_username;  // without '@'
        std::string bot_token;     // a secret: set it from the environment
    } telegram_login;
    struct Engine {
        struct Hints {
            // Sent when an event does not fit the element the run waits at.
            std::string use_buttons = "Please use the buttons above 👆";
            // Sent when a student writes while no run is active; empty sends nothing.
            std::string run_finished;
        } hints;
        // Element entries in one event before the run is stopped as a go_to loop.
        int max_steps_per_event = 1000;
        // Work elements defer (ctx.defer: LLM calls) and its recovery.
        struct Deferred {
            // Threads of their own: a slow provider must not hold the HTTP handlers.
            int threads = 4;
            int max_queued = 256;  // waiting for a thread; more is answered "interrupted" at once
            // After this the element gets {"interrupted": true} unless the result came
            // back: it survives a crash. Longer than any deferred task may take.
            int deadline_ms = 180000;
            // A result that could not be stored (database busy) is tried again this many
            // times, waiting delivery_backoff_ms, then twice that, ...
            int delivery_retries = 5;
            int delivery_backoff_ms = 200;
        } deferred;
        // Events of different chats committed together (docs/course-runtime.md).
        struct GroupCommit {
            // Threads that handle and commit events; a chat always goes to the
            // same one. 0: 1 on SQLite (one writer at a time anyway), otherwise
            // half of storage.pool_size (the rest is for transports and the panel).
            int workers = 0;
            int max_events = 256;  // in one transaction
            // How long a worker waits for more events once one came; 0 takes what
            // gathered while the last group committed, and adds no latency.
            int linger_us = 0;
        } group_commit;
        std::map<std::string, std::string> texts = default_system_texts();
    } engine;

    // `{exe_dir}` stands for the folder of the running binary.
    // The build tree's layout, then an install's.
    std::vector<std::string> plugin_search_paths{"{exe_dir}/../plugins", "{exe_dir}/../lib/profo/plugins"};
    // Keyed by "<kind>/<id>", e.g. "storage/sqlite".
    std::map<std::string, PluginConfig> plugins;

    std::vector<std::filesystem::path> resolved_search_paths() const;
    const PluginConfig* plugin(const std::string& qualified_id) const;
};

class ConfigError : public std::runtime_error {
public:
    explicit ConfigError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const noexcept { return problems_; }

private:
    std::vector<std::string> problems_;
};

using Environment = std::map<std::string, std::string>;

Environment process_environment();

// The folder of the running binary: what `{exe_dir}` stands for.
std::filesystem::path executable_dir();

// Where the config is looked for when neither --config nor PROFO_CONFIG names
// one, in order: `config/profo.yaml` below `working_dir` (a checkout), then
// beside the binary: `<exe_dir>/../etc/profo/profo.yaml` (cmake --install) and
// `<exe_dir>/../config/profo.yaml` (the build tree), so `profo` works from any
// folder.
std::vector<std::filesystem::path> default_config_locations(const std::filesystem::path& working_dir,
                                                            const std::filesystem::path& exe_dir);

// The first of `locations` that exists; a ConfigError naming every one of them
// when none does.
std::filesystem::path find_default_config(const std::vector<std::filesystem::path>& locations);

// The telegram transport's own base_url (https://api.telegram.org unless
// set), so a bot's token is checked against the Bot API the bot will be
// served by (the emulator in tests).
std::string bot_api_base_url(const Config& config);
// Where people reach the panel: its `public_url` setting, else this
// process's own listener (http://host:port), for the links the CLI prints.
std::string panel_public_url(const Config& config);

// Reads `file` and applies the PROFO_* variables of `env`. Throws ConfigError
// listing every problem found. `warnings` receives PROFO_* variables that
// match no setting.
Config load_config(const std::filesystem::path& file, const Environment& env,
                   std::vector<std::string>* warnings = nullptr);

// Same, from YAML text (`origin` names it in messages).
Config parse_config(const std::string& yaml_text, const std::string& origin, const Environment& env,
                    std::vector<std::string>* warnings = nullptr);

}  // namespace profo::host
