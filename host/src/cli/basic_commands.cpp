// serve, migrate, plugins, version: the commands that run the platform itself.
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "engine/engine.hpp"
#include "http/http_server.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/platform.hpp"

#include <profo/sdk/abi.hpp>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <csignal>
#include <iomanip>
#include <ostream>

namespace profo::host {

namespace {

int run_serve(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config"}, {});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    auto config = load_command_config(io, args);
    if (!config) return 2;

    // Block the stop signals in every thread the platform starts, then wait for
    // them here: shutdown runs on this thread, in order, not in a handler.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    try {
        Platform platform(std::move(*config));
        platform.migrate();
        platform.reseal_unbound_secrets();
        platform.start_plugins();
        platform.engine().start_scheduler();
        platform.start_retention();
        // Ready while every transport serves (its polls answer, its webhooks are set).
        platform.http().set_readiness([&platform] {
            for (const auto& p : platform.plugins().loaded()) {
                if (p->metadata().kind != sdk::PluginKind::transport) continue;
                try {
                    if (!p->as<sdk::TransportPlugin>().ready()) return false;
                } catch (const std::exception&) {
                    return false;
                }
            }
            return true;
        });
        platform.http().start();
        spdlog::info("serving on {}:{} (storage {}, {}, {} plugins); stop with Ctrl-C",
                     platform.config().http.listen.substr(0, platform.config().http.listen.rfind(':')),
                     platform.http().port(), platform.storage().backend(), platform.storage().durability(),
                     platform.plugins().loaded().size());
        int received = 0;
        sigwait(&stop_signals, &received);
        spdlog::info("received {}, shutting down", received == SIGINT ? "SIGINT" : "SIGTERM");
        platform.http().stop();
        platform.stop_retention();
        // Deferred calls in flight finish and are stored; the ones still
        // queued come back through their deadline markers after a restart.
        platform.engine().stop();
        platform.stop_plugins();
        // The platform's destructor drains the executor and closes the database.
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    spdlog::info("stopped cleanly");
    return 0;
}

int run_migrate(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config"}, {"status"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        if (parsed.flag("status")) {
            const int current = platform.storage().schema_version();
            const int latest = platform.storage().latest_schema_version();
            io.out << "schema version " << current << " of " << latest
                   << (current == latest ? " (up to date)" : " (migrations pending)") << "\n";
            return 0;
        }
        const auto report = platform.migrate();
        platform.reseal_unbound_secrets();
        io.out << (report.applied.empty() ? "schema is up to date at version "
                                          : "schema migrated to version ")
               << report.to_version << "\n";
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
}

const char* state_name(PluginStatus::State s) {
    switch (s) {
        case PluginStatus::State::enabled: return "enabled";
        case PluginStatus::State::disabled: return "disabled";
        case PluginStatus::State::refused: return "refused";
    }
    return "?";
}

int run_plugins(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config"}, {"json"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    auto config = load_command_config(io, args);
    if (!config) return 2;
    PluginRegistry registry(*config, discover_plugins(config->resolved_search_paths()));

    if (parsed.flag("json")) {
        auto list = nlohmann::json::array();
        for (const auto& s : registry.statuses()) {
            nlohmann::json item{{"file", s.candidate.path.string()}, {"state", state_name(s.state)}};
            if (const auto& m = s.candidate.metadata) {
                item["kind"] = sdk::to_string(m->kind);
                item["id"] = m->id;
                item["version"] = m->version;
            }
            if (!s.reason.empty()) item["reason"] = s.reason;
            list.push_back(item);
        }
        io.out << nlohmann::json{{"plugins", list}, {"problems", registry.failures()}}.dump(2) << "\n";
    } else {
        // Ids and versions are the plugins' own: the columns fit the longest.
        std::vector<std::array<std::string, 5>> rows{{"KIND", "ID", "VERSION", "STATE", "FILE"}};
        for (const auto& s : registry.statuses()) {
            const auto& m = s.candidate.metadata;
            rows.push_back({m ? sdk::to_string(m->kind) : "?", m ? m->id : "?", m ? m->version : "?",
                            state_name(s.state), s.candidate.path.string()});
        }
        std::array<std::size_t, 4> widths{};
        for (const auto& row : rows)
            for (std::size_t i = 0; i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
        for (std::size_t r = 0; r < rows.size(); ++r) {
            io.out << std::left;
            for (std::size_t i = 0; i < widths.size(); ++i)
                io.out << std::setw(static_cast<int>(widths[i] + 2)) << rows[r][i];
            io.out << rows[r][4] << "\n";
            const auto& reason = r == 0 ? std::string() : registry.statuses()[r - 1].reason;
            if (!reason.empty()) io.out << "    refused: " << reason << "\n";
        }
        for (const auto& f : registry.failures()) io.err << "problem: " << f << "\n";
    }
    return registry.failures().empty() ? 0 : 1;
}

int run_version(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config"}, {});
    io.out << "profo " << PROFO_VERSION << "\nSDK ABI " << sdk::kAbiMajor << "." << sdk::kAbiMinor
           << "\ntoolchain " << PROFO_SDK_TOOLCHAIN << "\n";
    return 0;
}

}  // namespace

void add_serve_command(CommandTree& tree) {
    tree.add({"serve",
              "run the platform: HTTP listener, plugins, storage",
              "Usage: profo serve [--config FILE]\n\n"
              "Loads the enabled plugins, migrates the database, starts every plugin, the\n"
              "course engine's durable timer scheduler and the HTTP listener (http.listen;\n"
              "/healthz and /readyz are always served),\n"
              "then runs until SIGINT or SIGTERM, when it stops accepting, finishes the\n"
              "requests in flight, stops the plugins and closes the database.",
              run_serve,
              {}});
}

void add_migrate_command(CommandTree& tree) {
    tree.add({"migrate",
              "bring the database schema up to date",
              "Usage: profo migrate [--config FILE] [--status]\n\n"
              "Applies the numbered migrations the database lacks, each in its own\n"
              "transaction; safe when several processes migrate at once, a no-op when up\n"
              "to date, and refused when the database is newer than this build.\n\n"
              "  --status   print the schema version and whether migrations are pending",
              run_migrate,
              {}});
}

void add_plugins_command(CommandTree& tree) {
    tree.add({"plugins",
              "list every plugin module found and its state",
              "Usage: profo plugins [--config FILE] [--json]\n\n"
              "Lists each module in plugins.search_paths with kind, id, version and state:\n"
              "enabled (loaded), disabled (not enabled in the config) or refused, with the\n"
              "reason. Exits 1 when an enabled plugin cannot be loaded.\n\n"
              "  --json   print the list as JSON",
              run_plugins,
              {}});
}

void add_version_command(CommandTree& tree) {
    tree.add({"version",
              "print the version, SDK ABI and toolchain",
              "Usage: profo version\n\nPrints the build's version, the SDK ABI it offers plugins and the\n"
              "toolchain fingerprint plugins must match.",
              run_version,
              {}});
}

}  // namespace profo::host
