// profo bot add | list | enable | disable | remove: thin layers over
// BotRegistry, for the default account unless --account says otherwise.
#include "admin/record_json.hpp"
#include "bots/bot_registry.hpp"
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "runtime/platform.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <iomanip>
#include <ostream>

namespace profo::host {

namespace {

sdk::Id account_of(const Arguments& parsed) {
    return account_option(parsed);
}

// Runs `body` with a migrated platform and a registry; errors become exit 1.
template <class Body>
int with_registry(CommandIo& io, const std::vector<std::string>& args, Body body) {
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        const auto base_url = bot_api_base_url(*config);
        Platform platform(std::move(*config));
        platform.migrate();
        BotRegistry registry(platform.storage(), platform.secrets(), platform.http_client(), base_url);
        return body(platform, registry);
    } catch (const BotRegistryError& e) {
        io.err << "profo bot: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
}

int run_add(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "mode"}, {});
    if (parsed.positionals().empty()) throw UsageError("name at least one bot TOKEN");
    const auto account = account_of(parsed);
    const auto mode = parsed.value("mode").value_or("poll");
    // Several tokens share one start of the platform: adding a fleet of bots
    // is one command, not one process each.
    return with_registry(io, args, [&](Platform&, BotRegistry& registry) {
        for (const auto& token : parsed.positionals()) {
            const auto bot = registry.add(account, token, mode);
            io.out << "added bot " << bot.id << " @" << bot.username << " (" << masked_token(token) << ", "
                   << bot.mode << ")\n";
        }
        return 0;
    });
}

int run_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    const auto account = account_of(parsed);
    return with_registry(io, args, [&](Platform&, BotRegistry& registry) {
        const auto bots = registry.list(account);
        const auto health = registry.health(account);
        const auto health_of = [&](const sdk::Bot& b) {
            const auto h = health.find(b.id);
            return h == health.end() ? nullptr : &h->second;
        };
        if (parsed.flag("json")) {
            auto list = nlohmann::json::array();
            for (const auto& b : bots) list.push_back(bot_json(b, health_of(b)));
            io.out << nlohmann::json{{"bots", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(8) << "ID" << std::setw(34) << "USERNAME" << std::setw(9) << "MODE"
               << std::setw(10) << "STATE"
               << "HEALTH\n";
        for (const auto& b : bots) {
            const auto* h = health_of(b);
            io.out << std::setw(8) << b.id << std::setw(34) << ("@" + b.username) << std::setw(9) << b.mode
                   << std::setw(10) << (b.enabled ? "enabled" : "disabled")
                   << (h && !h->state.empty() ? h->state : "unknown")
                   << (h && !h->last_error.empty() ? " (last error: " + h->last_error + ")" : "") << "\n";
        }
        if (bots.empty()) io.err << "no bots in account " << account << "\n";
        return 0;
    });
}

Command switch_command(bool enable) {
    const std::string name = enable ? "enable" : "disable";
    return {name,
            enable ? "serve a disabled bot again" : "stop serving a bot, keeping its data",
            "Usage: profo bot " + name + " [--config FILE] [--account ID] ID\n\n" +
                (enable ? "A running 'profo serve' starts serving the bot within seconds."
                        : "A running 'profo serve' stops polling (or taking webhooks for) the bot within\n"
                          "seconds; its runs, history and queued messages are kept."),
            [enable](CommandIo& io, const std::vector<std::string>& args) {
                Arguments parsed(args, {"config", "account"}, {});
                if (parsed.positionals().size() != 1) throw UsageError("name exactly one bot ID");
                const auto account = account_of(parsed);
                const auto id = positive_id(parsed.positionals()[0], "the bot ID");
                return with_registry(io, args, [&](Platform&, BotRegistry& registry) {
                    const auto bot = registry.set_enabled(account, id, enable);
                    io.out << (enable ? "enabled" : "disabled") << " bot " << bot.id << " @" << bot.username
                           << "\n";
                    return 0;
                });
            },
            {}};
}

int run_remove(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one bot ID");
    const auto account = account_of(parsed);
    const auto id = positive_id(parsed.positionals()[0], "the bot ID");
    return with_registry(io, args, [&](Platform&, BotRegistry& registry) {
        registry.remove(account, id);
        io.out << "removed bot " << id << "\n";
        return 0;
    });
}

const char* kBotFamilyUsage =
    "Usage: profo bot COMMAND [ARGS...]\n\n"
    "The account's Telegram bots. Tokens are checked with getMe against the telegram\n"
    "transport's base_url, stored sealed with the secrets key and never printed.";

}  // namespace

void add_bot_commands(CommandTree& tree) {
    const char* summary = "add, list, enable, disable, remove Telegram bots";
    tree.add_subcommand("bot", summary, kBotFamilyUsage,
                        {"add",
                         "register a bot by its token",
                         "Usage: profo bot add [--config FILE] [--account ID] [--mode poll|webhook]\n"
                         "                     TOKEN [TOKEN...]\n\n"
                         "Checks each TOKEN with getMe (learning the bot's username), stores it sealed\n"
                         "and prints the bot's id; the first failure stops there. A running\n"
                         "'profo serve' picks the bots up within seconds.\n\n"
                         "  --mode M       poll (long polling, default) or webhook (needs the\n"
                         "                 telegram transport's public_url)\n"
                         "  --account ID   the account (tenant); default 1",
                         run_add,
                         {}});
    tree.add_subcommand("bot", summary, kBotFamilyUsage,
                        {"list",
                         "list the account's bots",
                         "Usage: profo bot list [--config FILE] [--account ID] [--json]\n\n"
                         "Prints id, username, mode and state of each bot (never the token).",
                         run_list,
                         {}});
    tree.add_subcommand("bot", summary, kBotFamilyUsage, switch_command(false));
    tree.add_subcommand("bot", summary, kBotFamilyUsage, switch_command(true));
    tree.add_subcommand("bot", summary, kBotFamilyUsage,
                        {"remove",
                         "delete a bot that has no deployments",
                         "Usage: profo bot remove [--config FILE] [--account ID] ID\n\n"
                         "Refused while the bot has deployments, naming them: active ones students\n"
                         "can still start, paused ones whose tokens, runs and history are tied to it.\n"
                         "'profo bot disable ID' stops serving a bot and keeps all of that.",
                         run_remove,
                         {}});
}

}  // namespace profo::host
