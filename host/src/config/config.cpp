#include "config/config.hpp"

#include "yaml/yaml_document.hpp"
#include "yaml/yaml_json.hpp"

#include <profo/sdk/admin.hpp>
#include <profo/sdk/course_values.hpp>

#include <yaml-cpp/yaml.h>

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

extern char** environ;

namespace profo::host {

namespace fs = std::filesystem;

std::map<std::string, std::string> default_system_texts() {
    return {
        {"link_malformed",
         "This link is not valid. Please open the course with the exact link you were given."},
        {"link_unknown",
         "This link does not lead to a course. Please check that you opened the whole link "
         "you were given."},
        {"link_wrong_bot",
         "This link belongs to another bot. Please open it exactly as it was given to you."},
        {"link_revoked", "This link has been withdrawn. Please ask for a new one."},
        {"link_paused", "This link is paused at the moment. Please try again later."},
        {"link_not_started", "Enrollment with this link has not opened yet. Please come back later."},
        {"link_closed", "Enrollment with this link has closed."},
        {"link_expired", "This link has expired. Please ask for a new one."},
        {"link_exhausted", "This link has already been used by as many students as it allows."},
        {"link_used", "This personal link has already been used."},
        {"link_not_yours", "This personal link was issued to someone else."},
        {"link_needed", "Please open the course with the link you were given."},
        {"course_paused", "This course is paused at the moment. Please try again later."},
        {"course_archived", "This course is no longer available."},
        {"not_allowed", "This course is open to invited participants only."},
        {"banned", "You can no longer take courses here."},
        {"switch_confirm",
         "You are taking \"{current}\". Switch to \"{next}\"? Your progress in "
         "\"{current}\" will end."},
        {"switch_yes", "Switch to \"{next}\""},
        {"switch_no", "Stay in \"{current}\""},
        {"switch_kept", "Carry on with \"{current}\"."},
        {"resumed", "Welcome back to \"{course}\"! Here is where you left off."},
        {"email_ask", "Before we begin, please send your email address."},
        {"email_invalid",
         "That does not look like an email address. Please send it again, for example "
         "name@example.com."},
    };
}

namespace {

// The panel takes a course's content in a body of up to three times the
// course limit (JSON escapes): the budget of bodies must hold one of those.
constexpr int kMinBodyBytesInFlight = static_cast<int>(4 * sdk::kMaxCourseSourceBytes);

// Environment variables that belong to the host's tools, not to this file.
const std::set<std::string> kNonConfigVariables = {"PROFO_CONFIG", "PROFO_TEST_PG_DSN", "PROFO_REQUIRE_PG",
                                                   "PROFO_PG_DIR", "PROFO_BUILD_DIR"};

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Collects problems while a config is read, each tagged with where it came from.
class Reader {
public:
    explicit Reader(std::string origin) : origin_(std::move(origin)) {}

    void problem(const YAML::Node& at, const std::string& path, const std::string& message) {
        std::string where = origin_;
        if (at.IsDefined() && at.Mark().line >= 0) where += ":" + std::to_string(at.Mark().line + 1);
        problems_.push_back(where + ": " + path + ": " + message);
    }
    void env_problem(const std::string& variable, const std::string& message) {
        problems_.push_back("environment " + variable + ": " + message);
    }
    // A setting whose final value is wrong, wherever it came from.
    void setting_problem(const std::string& path, const std::string& message) {
        problems_.push_back(path + ": " + message);
    }
    std::vector<std::string>& problems() { return problems_; }

    bool read_string(const YAML::Node& node, const std::string& path, std::string& out) {
        if (!node.IsScalar()) return problem(node, path, "expected a string"), false;
        out = node.Scalar();
        return true;
    }
    bool read_int(const YAML::Node& node, const std::string& path, int& out, int min, int max) {
        if (!node.IsScalar()) return problem(node, path, "expected an integer"), false;
        return parse_int(node.Scalar(), out, min, max, [&](const std::string& m) { problem(node, path, m); });
    }
    bool read_bool(const YAML::Node& node, const std::string& path, bool& out) {
        if (!node.IsScalar()) return problem(node, path, "expected true or false"), false;
        return parse_bool(node.Scalar(), out, [&](const std::string& m) { problem(node, path, m); });
    }
    bool read_duration(const YAML::Node& node, const std::string& path, std::chrono::seconds& out,
                       std::chrono::seconds min, const char* why_min) {
        if (!node.IsScalar()) return problem(node, path, "expected a duration such as 10m, 25h or 7d"), false;
        return parse_duration(node.Scalar(), out, min, why_min,
                              [&](const std::string& m) { problem(node, path, m); });
    }

    template <class Report>
    static bool parse_int(const std::string& text, int& out, int min, int max, Report report) {
        try {
            std::size_t used = 0;
            const long value = std::stol(text, &used);
            if (used != text.size()) throw std::invalid_argument(text);
            if (value < min || value > max) {
                report("must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                       text);
                return false;
            }
            out = static_cast<int>(value);
            return true;
        } catch (const std::exception&) {
            report("expected an integer, got '" + text + "'");
            return false;
        }
    }
    // A course-style duration (sdk::parse_duration) of at least `min`;
    // `why_min` says why the bound is there.
    template <class Report>
    static bool parse_duration(const std::string& text, std::chrono::seconds& out, std::chrono::seconds min,
                               const char* why_min, Report report) {
        const auto value = sdk::parse_duration(text);
        if (!value) {
            report("expected a duration such as 10m, 25h, 7d or 1d:12h, got '" + text + "'");
            return false;
        }
        if (*value < min) {
            report("must be at least " + std::to_string(min.count()) + "s (" + why_min + "), got '" + text +
                   "'");
            return false;
        }
        out = *value;
        return true;
    }
    template <class Report>
    static bool parse_bool(const std::string& text, bool& out, Report report) {
        const std::string t = lower(text);
        if (t == "true" || t == "yes" || t == "on" || t == "1") return out = true, true;
        if (t == "false" || t == "no" || t == "off" || t == "0") return out = false, true;
        report("expected true or false, got '" + text + "'");
        return false;
    }

private:
    std::string origin_;
    std::vector<std::string> problems_;
};

bool one_of(const std::string& value, std::initializer_list<const char*> allowed) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return value == a; });
}

std::string allowed_list(std::initializer_list<const char*> allowed) {
    std::string out;
    for (const char* a : allowed) out += (out.empty() ? "" : ", ") + std::string(a);
    return out;
}

void check_enum(Reader& r, const YAML::Node& at, const std::string& path, const std::string& value,
                std::initializer_list<const char*> allowed) {
    if (!one_of(value, allowed))
        r.problem(at, path, "'" + value + "' is not one of " + allowed_list(allowed));
}

// Walks a mapping whose keys are all known; unknown keys are reported.
template <class Handler>
void for_each_key(Reader& r, const YAML::Node& map, const std::string& path,
                  std::initializer_list<const char*> known, Handler handle) {
    if (!map.IsMap()) {
        r.problem(map, path, "expected a mapping");
        return;
    }
    for (const auto& kv : map) {
        const std::string key = kv.first.Scalar();
        const std::string child = path.empty() ? key : path + "." + key;
        if (!one_of(key, known)) {
            r.problem(kv.first, child, "unknown key (known: " + allowed_list(known) + ")");
            continue;
        }
        handle(key, kv.second, child);
    }
}

const char* const kKinds[] = {"element", "enrollment", "storage", "transport"};

const std::initializer_list<const char*> kSynchronousModes = {"full", "normal"};

// Why the windows have the lower bounds they have.
constexpr std::chrono::seconds kLedgerMinimum{24 * 3600};
constexpr const char* kLedgerWhy =
    "Telegram redelivers an update for up to 24 hours, and a forgotten one would be handled twice";
constexpr std::chrono::seconds kWindowMinimum{1};
constexpr const char* kWindowWhy = "a window of nothing would delete rows as they settle";

void read_retention(Reader& r, const YAML::Node& node, const std::string& path, Config::Retention& out) {
    for_each_key(r, node, path,
                 {"enabled", "interval", "batch_size", "processed_updates", "timers", "polls",
                  "failed_outbox", "panel_access"},
                 [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                     if (k == "enabled")
                         r.read_bool(v, p, out.enabled);
                     else if (k == "interval")
                         r.read_duration(v, p, out.interval, kWindowMinimum, "passes need time between them");
                     else if (k == "batch_size")
                         r.read_int(v, p, out.batch_size, 1, 100000);
                     else if (k == "processed_updates")
                         r.read_duration(v, p, out.processed_updates, kLedgerMinimum, kLedgerWhy);
                     else if (k == "timers")
                         r.read_duration(v, p, out.timers, kWindowMinimum, kWindowWhy);
                     else if (k == "polls")
                         r.read_duration(v, p, out.polls, kWindowMinimum, kWindowWhy);
                     else if (k == "failed_outbox")
                         r.read_duration(v, p, out.failed_outbox, kWindowMinimum, kWindowWhy);
                     else
                         r.read_duration(v, p, out.panel_access, kWindowMinimum, kWindowWhy);
                 });
}

// engine.texts: every key one of the system texts, every value a string.
void read_system_texts(Reader& r, const YAML::Node& node, const std::string& path, Config& config) {
    if (!node.IsMap()) {
        r.problem(node, path, "expected a mapping");
        return;
    }
    for (const auto& kv : node) {
        const std::string key = kv.first.Scalar();
        auto it = config.engine.texts.find(key);
        if (it == config.engine.texts.end()) {
            std::string known;
            for (const auto& [name, text] : config.engine.texts) known += (known.empty() ? "" : ", ") + name;
            r.problem(kv.first, path + "." + key, "unknown text (known: " + known + ")");
            continue;
        }
        r.read_string(kv.second, path + "." + key, it->second);
    }
}

void read_plugins(Reader& r, const YAML::Node& node, Config& config) {
    if (!node.IsMap()) return r.problem(node, "plugins", "expected a mapping");
    for (const auto& kv : node) {
        const std::string key = kv.first.Scalar();
        const std::string path = "plugins." + key;
        if (key == "search_paths") {
            if (!kv.second.IsSequence()) {
                r.problem(kv.second, path, "expected a list of folders");
                continue;
            }
            config.plugin_search_paths.clear();
            for (std::size_t i = 0; i < kv.second.size(); ++i) {
                std::string dir;
                if (r.read_string(kv.second[i], path + "[" + std::to_string(i) + "]", dir))
                    config.plugin_search_paths.push_back(dir);
            }
            continue;
        }
        if (std::find(std::begin(kKinds), std::end(kKinds), key) == std::end(kKinds)) {
            r.problem(kv.first, path,
                      "unknown key (known: search_paths, element, enrollment, storage, transport)");
            continue;
        }
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsMap()) {
            r.problem(kv.second, path, "expected a mapping of plugin id to its settings");
            continue;
        }
        for (const auto& plugin : kv.second) {
            const std::string id = plugin.first.Scalar();
            PluginConfig pc;
            pc.enabled = true;  // listing a plugin enables it unless it says otherwise
            if (!plugin.second.IsNull()) {
                for_each_key(r, plugin.second, path + "." + id, {"enabled", "settings"},
                             [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                                 if (k == "enabled")
                                     r.read_bool(v, p, pc.enabled);
                                 else if (!v.IsNull() && !v.IsMap())
                                     r.problem(v, p, "expected a mapping");
                                 else if (v.IsMap()) {
                                     try {
                                         pc.settings = nlohmann::json(yaml_to_json(v));
                                     } catch (const YamlContentError& e) {
                                         r.problem(v, p, e.what());
                                     }
                                 }
                             });
            }
            config.plugins[key + "/" + id] = std::move(pc);
        }
    }
}

void read_deferred(Reader& r, const YAML::Node& node, const std::string& path,
                   Config::Engine::Deferred& deferred) {
    for_each_key(r, node, path,
                 {"threads", "max_queued", "deadline_ms", "delivery_retries", "delivery_backoff_ms"},
                 [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                     if (k == "threads")
                         r.read_int(v, p, deferred.threads, 1, 256);
                     else if (k == "max_queued")
                         r.read_int(v, p, deferred.max_queued, 1, 1000000);
                     else if (k == "deadline_ms")
                         r.read_int(v, p, deferred.deadline_ms, 100, 86400000);
                     else if (k == "delivery_retries")
                         r.read_int(v, p, deferred.delivery_retries, 0, 100);
                     else
                         r.read_int(v, p, deferred.delivery_backoff_ms, 1, 600000);
                 });
}

void read_group_commit(Reader& r, const YAML::Node& node, const std::string& path,
                       Config::Engine::GroupCommit& group) {
    for_each_key(r, node, path, {"workers", "max_events", "linger_us"},
                 [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                     if (k == "workers")
                         r.read_int(v, p, group.workers, 0, 64);
                     else if (k == "max_events")
                         r.read_int(v, p, group.max_events, 1, 10000);
                     else
                         r.read_int(v, p, group.linger_us, 0, 100000);
                 });
}

void read_document(Reader& r, const YAML::Node& root, Config& config) {
    if (root.IsNull()) return;
    for_each_key(
        r, root, "",
        {"http", "log", "storage", "retention", "secrets", "telegram_login", "engine", "plugins"},
        [&](const std::string& key, const YAML::Node& node, const std::string& path) {
            if (key == "http") {
                for_each_key(r, node, path,
                             {"listen", "threads", "max_connections", "max_connections_per_address",
                              "max_pending_requests", "header_timeout_ms", "max_body_bytes_in_flight",
                              "metrics_token"},
                             [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                                 if (k == "listen")
                                     r.read_string(v, p, config.http.listen);
                                 else if (k == "threads")
                                     r.read_int(v, p, config.http.threads, 1, 256);
                                 else if (k == "max_connections")
                                     r.read_int(v, p, config.http.max_connections, 1, 1000000);
                                 else if (k == "max_connections_per_address")
                                     r.read_int(v, p, config.http.max_connections_per_address, 1, 1000000);
                                 else if (k == "max_pending_requests")
                                     r.read_int(v, p, config.http.max_pending_requests, 1, 1000000);
                                 else if (k == "metrics_token")
                                     r.read_string(v, p, config.http.metrics_token);
                                 else if (k == "max_body_bytes_in_flight")
                                     r.read_int(v, p, config.http.max_body_bytes_in_flight,
                                                kMinBodyBytesInFlight, std::numeric_limits<int>::max());
                                 else
                                     r.read_int(v, p, config.http.header_timeout_ms, 100, 600000);
                             });
            } else if (key == "log") {
                for_each_key(r, node, path, {"level", "format"},
                             [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                                 std::string value;
                                 if (!r.read_string(v, p, value)) return;
                                 if (k == "level") {
                                     check_enum(r, v, p, value, {"trace", "debug", "info", "warn", "error"});
                                     config.log.level = value;
                                 } else {
                                     check_enum(r, v, p, value, {"text", "json"});
                                     config.log.format = value;
                                 }
                             });
            } else if (key == "storage") {
                for_each_key(r, node, path, {"plugin", "dsn", "pool_size", "busy_timeout_ms", "sqlite"},
                             [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                                 if (k == "plugin")
                                     r.read_string(v, p, config.storage.plugin);
                                 else if (k == "dsn")
                                     r.read_string(v, p, config.storage.dsn);
                                 else if (k == "pool_size")
                                     r.read_int(v, p, config.storage.pool_size, 1, 1024);
                                 else if (k == "busy_timeout_ms")
                                     r.read_int(v, p, config.storage.busy_timeout_ms, 0, 600000);
                                 else
                                     for_each_key(r, v, p, {"synchronous"},
                                                  [&](const std::string&, const YAML::Node& sv,
                                                      const std::string& sp) {
                                                      std::string value;
                                                      if (!r.read_string(sv, sp, value)) return;
                                                      check_enum(r, sv, sp, value, kSynchronousModes);
                                                      config.storage.sqlite.synchronous = value;
                                                  });
                             });
            } else if (key == "retention") {
                read_retention(r, node, path, config.retention);
            } else if (key == "secrets") {
                for_each_key(r, node, path, {"key_file", "key"},
                             [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                                 if (k == "key_file")
                                     r.read_string(v, p, config.secrets.key_file);
                                 else
                                     r.read_string(v, p, config.secrets.key);
                             });
            } else if (key == "telegram_login") {
                for_each_key(r, node, path, {"bot_username", "bot_token"},
                             [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                                 r.read_string(v, p,
                                               k == "bot_username" ? config.telegram_login.bot_username
                                                                   : config.telegram_login.bot_token);
                             });
            } else if (key == "engine") {
                for_each_key(
                    r, node, path, {"hints", "max_steps_per_event", "deferred", "group_commit", "texts"},
                    [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                        if (k == "max_steps_per_event") {
                            r.read_int(v, p, config.engine.max_steps_per_event, 1, 1000000);
                            return;
                        }
                        if (k == "group_commit") {
                            read_group_commit(r, v, p, config.engine.group_commit);
                            return;
                        }
                        if (k == "deferred") {
                            read_deferred(r, v, p, config.engine.deferred);
                            return;
                        }
                        if (k == "texts") {
                            read_system_texts(r, v, p, config);
                            return;
                        }
                        for_each_key(r, v, p, {"use_buttons", "run_finished"},
                                     [&](const std::string& hk, const YAML::Node& hv, const std::string& hp) {
                                         // An empty value (`run_finished:`) means "send nothing".
                                         std::string& out = hk == "use_buttons"
                                                                ? config.engine.hints.use_buttons
                                                                : config.engine.hints.run_finished;
                                         if (hv.IsNull())
                                             out.clear();
                                         else
                                             r.read_string(hv, hp, out);
                                     });
                    });
            } else {
                read_plugins(r, node, config);
            }
        });
}

// PROFO_<PATH> for the fixed settings: the key path in upper case joined by '_'.
void apply_environment(Reader& r, const Environment& env, Config& config,
                       std::vector<std::string>* warnings) {
    for (const auto& variable : env) {
        // Named copies, not structured bindings: the lambdas below capture them.
        const std::string& name = variable.first;
        const std::string& value = variable.second;
        if (name.rfind("PROFO_", 0) != 0 || kNonConfigVariables.count(name)) continue;
        auto report = [&](const std::string& m) { r.env_problem(name, m); };
        auto check = [&](std::initializer_list<const char*> allowed) {
            if (!one_of(value, allowed)) report("'" + value + "' is not one of " + allowed_list(allowed));
            return one_of(value, allowed);
        };
        if (name == "PROFO_HTTP_LISTEN")
            config.http.listen = value;
        else if (name == "PROFO_HTTP_THREADS")
            Reader::parse_int(value, config.http.threads, 1, 256, report);
        else if (name == "PROFO_HTTP_MAX_CONNECTIONS")
            Reader::parse_int(value, config.http.max_connections, 1, 1000000, report);
        else if (name == "PROFO_HTTP_MAX_CONNECTIONS_PER_ADDRESS")
            Reader::parse_int(value, config.http.max_connections_per_address, 1, 1000000, report);
        else if (name == "PROFO_HTTP_MAX_PENDING_REQUESTS")
            Reader::parse_int(value, config.http.max_pending_requests, 1, 1000000, report);
        else if (name == "PROFO_HTTP_HEADER_TIMEOUT_MS")
            Reader::parse_int(value, config.http.header_timeout_ms, 100, 600000, report);
        else if (name == "PROFO_HTTP_METRICS_TOKEN")
            config.http.metrics_token = value;
        else if (name == "PROFO_HTTP_MAX_BODY_BYTES_IN_FLIGHT")
            Reader::parse_int(value, config.http.max_body_bytes_in_flight, kMinBodyBytesInFlight,
                              std::numeric_limits<int>::max(), report);
        else if (name == "PROFO_LOG_LEVEL") {
            if (check({"trace", "debug", "info", "warn", "error"})) config.log.level = value;
        } else if (name == "PROFO_LOG_FORMAT") {
            if (check({"text", "json"})) config.log.format = value;
        } else if (name == "PROFO_STORAGE_PLUGIN")
            config.storage.plugin = value;
        else if (name == "PROFO_STORAGE_DSN")
            config.storage.dsn = value;
        else if (name == "PROFO_STORAGE_POOL_SIZE")
            Reader::parse_int(value, config.storage.pool_size, 1, 1024, report);
        else if (name == "PROFO_STORAGE_BUSY_TIMEOUT_MS")
            Reader::parse_int(value, config.storage.busy_timeout_ms, 0, 600000, report);
        else if (name == "PROFO_STORAGE_SQLITE_SYNCHRONOUS") {
            if (check(kSynchronousModes)) config.storage.sqlite.synchronous = value;
        } else if (name == "PROFO_RETENTION_ENABLED")
            Reader::parse_bool(value, config.retention.enabled, report);
        else if (name == "PROFO_RETENTION_INTERVAL")
            Reader::parse_duration(value, config.retention.interval, kWindowMinimum,
                                   "passes need time between them", report);
        else if (name == "PROFO_RETENTION_BATCH_SIZE")
            Reader::parse_int(value, config.retention.batch_size, 1, 100000, report);
        else if (name == "PROFO_RETENTION_PROCESSED_UPDATES")
            Reader::parse_duration(value, config.retention.processed_updates, kLedgerMinimum, kLedgerWhy,
                                   report);
        else if (name == "PROFO_RETENTION_TIMERS")
            Reader::parse_duration(value, config.retention.timers, kWindowMinimum, kWindowWhy, report);
        else if (name == "PROFO_RETENTION_POLLS")
            Reader::parse_duration(value, config.retention.polls, kWindowMinimum, kWindowWhy, report);
        else if (name == "PROFO_RETENTION_FAILED_OUTBOX")
            Reader::parse_duration(value, config.retention.failed_outbox, kWindowMinimum, kWindowWhy, report);
        else if (name == "PROFO_RETENTION_PANEL_ACCESS")
            Reader::parse_duration(value, config.retention.panel_access, kWindowMinimum, kWindowWhy, report);
        else if (name == "PROFO_SECRETS_KEY_FILE")
            config.secrets.key_file = value;
        else if (name == "PROFO_SECRETS_KEY")
            config.secrets.key = value;
        else if (name == "PROFO_TELEGRAM_LOGIN_BOT_USERNAME")
            config.telegram_login.bot_username = value;
        else if (name == "PROFO_TELEGRAM_LOGIN_BOT_TOKEN")
            config.telegram_login.bot_token = value;
        else if (name == "PROFO_ENGINE_HINTS_USE_BUTTONS")
            config.engine.hints.use_buttons = value;
        else if (name == "PROFO_ENGINE_HINTS_RUN_FINISHED")
            config.engine.hints.run_finished = value;
        else if (name == "PROFO_ENGINE_MAX_STEPS_PER_EVENT")
            Reader::parse_int(value, config.engine.max_steps_per_event, 1, 1000000, report);
        else if (name == "PROFO_ENGINE_DEFERRED_THREADS")
            Reader::parse_int(value, config.engine.deferred.threads, 1, 256, report);
        else if (name == "PROFO_ENGINE_DEFERRED_MAX_QUEUED")
            Reader::parse_int(value, config.engine.deferred.max_queued, 1, 1000000, report);
        else if (name == "PROFO_ENGINE_DEFERRED_DEADLINE_MS")
            Reader::parse_int(value, config.engine.deferred.deadline_ms, 100, 86400000, report);
        else if (name == "PROFO_ENGINE_DEFERRED_DELIVERY_RETRIES")
            Reader::parse_int(value, config.engine.deferred.delivery_retries, 0, 100, report);
        else if (name == "PROFO_ENGINE_DEFERRED_DELIVERY_BACKOFF_MS")
            Reader::parse_int(value, config.engine.deferred.delivery_backoff_ms, 1, 600000, report);
        else if (name == "PROFO_ENGINE_GROUP_COMMIT_WORKERS")
            Reader::parse_int(value, config.engine.group_commit.workers, 0, 64, report);
        else if (name == "PROFO_ENGINE_GROUP_COMMIT_MAX_EVENTS")
            Reader::parse_int(value, config.engine.group_commit.max_events, 1, 10000, report);
        else if (name == "PROFO_ENGINE_GROUP_COMMIT_LINGER_US")
            Reader::parse_int(value, config.engine.group_commit.linger_us, 0, 100000, report);
        else if (name.rfind("PROFO_ENGINE_TEXTS_", 0) == 0) {
            auto text =
                config.engine.texts.find(lower(name.substr(std::string("PROFO_ENGINE_TEXTS_").size())));
            if (text != config.engine.texts.end())
                text->second = value;
            else
                report("names no system text (see engine.texts in the config)");
        } else if (name == "PROFO_PLUGINS_SEARCH_PATHS") {
            config.plugin_search_paths.clear();
            std::stringstream in(value);
            for (std::string dir; std::getline(in, dir, ':');)
                if (!dir.empty()) config.plugin_search_paths.push_back(dir);
        } else if (name.rfind("PROFO_PLUGINS_", 0) == 0) {
            // PROFO_PLUGINS_<KIND>_<ID>_ENABLED or PROFO_PLUGINS_<KIND>_<ID>_SETTINGS_<KEY>
            const std::string rest = name.substr(std::string("PROFO_PLUGINS_").size());
            std::string kind;
            for (const char* k : kKinds)
                if (rest.rfind(upper(k) + "_", 0) == 0) kind = k;
            const std::string tail = kind.empty() ? "" : rest.substr(kind.size() + 1);
            const auto settings_at = tail.find("_SETTINGS_");
            if (!kind.empty() && tail.size() > 8 && tail.compare(tail.size() - 8, 8, "_ENABLED") == 0) {
                auto& pc = config.plugins[kind + "/" + lower(tail.substr(0, tail.size() - 8))];
                Reader::parse_bool(value, pc.enabled, report);
            } else if (!kind.empty() && settings_at != std::string::npos && settings_at > 0) {
                auto& pc = config.plugins[kind + "/" + lower(tail.substr(0, settings_at))];
                const std::string key = lower(tail.substr(settings_at + 10));
                const auto& existing = pc.settings.contains(key) ? pc.settings[key] : nlohmann::json();
                // Keep the type the file gave the setting; new ones are strings.
                if (existing.is_boolean()) {
                    bool b = false;
                    if (Reader::parse_bool(value, b, report)) pc.settings[key] = b;
                } else if (existing.is_number_integer()) {
                    try {
                        pc.settings[key] = std::stoll(value);
                    } catch (const std::exception&) {
                        report("expected an integer, got '" + value + "'");
                    }
                } else {
                    pc.settings[key] = value;
                }
            } else if (warnings != nullptr) {
                warnings->push_back(
                    "environment " + name +
                    " matches no setting (expected PROFO_PLUGINS_<KIND>_<ID>_ENABLED or ..._SETTINGS_<KEY>)");
            }
        } else if (warnings != nullptr) {
            warnings->push_back("environment " + name + " matches no setting");
        }
    }
}

void check_consistency(Reader& r, Config& config) {
    const auto colon = config.http.listen.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 ||
        !Reader::parse_int(config.http.listen.substr(colon + 1), port, 0, 65535, [](const std::string&) {}))
        r.setting_problem("http.listen", "'" + config.http.listen + "' is not host:port");
    // Sent as a header by every scrape: printable, and long enough not to be guessed.
    const auto& token = config.http.metrics_token;
    if (!token.empty() && (token.size() < 16 || !std::all_of(token.begin(), token.end(), [](unsigned char c) {
                               return c > ' ' && c < 0x7f;
                           })))
        r.setting_problem("http.metrics_token",
                          "must be at least 16 printable ASCII characters without spaces");
    if (!config.secrets.key.empty() &&
        (config.secrets.key.size() != 64 || !std::all_of(config.secrets.key.begin(), config.secrets.key.end(),
                                                         [](unsigned char c) { return std::isxdigit(c); })))
        r.setting_problem("secrets.key", "must be 64 hex digits (a 256-bit key)");
    if (config.telegram_login.bot_token.empty() != config.telegram_login.bot_username.empty())
        r.setting_problem(
            "telegram_login",
            "bot_username and bot_token go together (the widget names the bot whose token signs)");
    if (config.telegram_login.bot_username.starts_with('@')) config.telegram_login.bot_username.erase(0, 1);
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error([&] {
          std::string all = "invalid configuration:";
          for (const auto& p : problems) all += "\n  " + p;
          return all;
      }()),
      problems_(std::move(problems)) {}

fs::path executable_dir() {
    return boost::dll::program_location().parent_path();
}

std::vector<fs::path> default_config_locations(const fs::path& working_dir, const fs::path& exe_dir) {
    return {working_dir / "config" / "profo.yaml",
            (exe_dir / ".." / "etc" / "profo" / "profo.yaml").lexically_normal(),
            (exe_dir / ".." / "config" / "profo.yaml").lexically_normal()};
}

fs::path find_default_config(const std::vector<fs::path>& locations) {
    for (const auto& file : locations) {
        std::error_code ec;
        if (fs::is_regular_file(file, ec)) return file;
    }
    std::vector<std::string> problems{
        "no config file: neither --config FILE nor PROFO_CONFIG names one, and none of these exists:"};
    for (const auto& file : locations) problems.push_back("  " + file.string());
    throw ConfigError(std::move(problems));
}

std::vector<fs::path> Config::resolved_search_paths() const {
    const std::string exe_dir = executable_dir().string();
    std::vector<fs::path> out;
    for (std::string dir : plugin_search_paths) {
        for (auto at = dir.find("{exe_dir}"); at != std::string::npos; at = dir.find("{exe_dir}"))
            dir.replace(at, 9, exe_dir);
        out.emplace_back(dir);
    }
    return out;
}

const PluginConfig* Config::plugin(const std::string& qualified_id) const {
    auto it = plugins.find(qualified_id);
    return it == plugins.end() ? nullptr : &it->second;
}

Environment process_environment() {
    Environment env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos && entry.rfind("PROFO_", 0) == 0)
            env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    return env;
}

Config parse_config(const std::string& yaml_text, const std::string& origin, const Environment& env,
                    std::vector<std::string>* warnings) {
    Config config;
    Reader r(origin);
    try {
        const YamlDocument document = read_yaml_document(yaml_text);
        if (document.second_document)
            throw ConfigError({origin + ":" + std::to_string(document.second_document->line + 1) +
                               ": the file holds more than one YAML document; the config is one mapping"});
        read_document(r, document.root, config);
    } catch (const YAML::Exception& e) {
        throw ConfigError({origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg});
    }
    apply_environment(r, env, config, warnings);
    check_consistency(r, config);
    if (!r.problems().empty()) throw ConfigError(std::move(r.problems()));
    return config;
}

Config load_config(const fs::path& file, const Environment& env, std::vector<std::string>* warnings) {
    std::ifstream in(file);
    if (!in) throw ConfigError({file.string() + ": cannot be read"});
    std::stringstream text;
    text << in.rdbuf();
    Config config = parse_config(text.str(), file.string(), env, warnings);
    config.file = file;
    return config;
}

std::string bot_api_base_url(const Config& config) {
    const auto* plugin = config.plugin("transport/telegram");
    if (plugin && plugin->settings.is_object() && plugin->settings.contains("base_url") &&
        plugin->settings["base_url"].is_string())
        return plugin->settings["base_url"].get<std::string>();
    return "https://api.telegram.org";
}

std::string panel_public_url(const Config& config) {
    const auto* plugin = config.plugin("transport/panel");
    if (plugin && plugin->settings.is_object() && plugin->settings.contains("public_url") &&
        plugin->settings["public_url"].is_string() &&
        !plugin->settings["public_url"].get<std::string>().empty()) {
        auto url = plugin->settings["public_url"].get<std::string>();
        while (url.ends_with('/')) url.pop_back();
        return url;
    }
    return "http://" + config.http.listen;
}

}  // namespace profo::host
