// profo bot add | list | enable | disable | remove, and profo deploy create |
// update | list:
// thin layers over BotRegistry and the storage, for the default account
// unless --account says otherwise.
#include "bots/bot_registry.hpp"
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "runtime/platform.hpp"

#include <profo/sdk/deep_link.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <iomanip>
#include <ostream>

namespace profo::host {

namespace {

constexpr const char* kDefaultBotApi = "https://api.telegram.org";

sdk::Id account_of(const Arguments& parsed) {
    return account_option(parsed);
}

// The telegram transport's own base_url, so a token is checked against the
// Bot API the bot will be served by (the emulator in tests).
std::string bot_api_base_url(const Config& config) {
    const auto* plugin = config.plugin("transport/telegram");
    if (plugin && plugin->settings.is_object() && plugin->settings.contains("base_url") &&
        plugin->settings["base_url"].is_string())
        return plugin->settings["base_url"].get<std::string>();
    return kDefaultBotApi;
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
        if (parsed.flag("json")) {
            auto list = nlohmann::json::array();
            for (const auto& b : bots)
                list.push_back({{"id", b.id},
                                {"username", b.username},
                                {"mode", b.mode},
                                {"enabled", b.enabled},
                                {"update_offset", b.update_offset}});
            io.out << nlohmann::json{{"bots", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(8) << "ID" << std::setw(34) << "USERNAME" << std::setw(9) << "MODE"
               << "STATE\n";
        for (const auto& b : bots)
            io.out << std::setw(8) << b.id << std::setw(34) << ("@" + b.username) << std::setw(9) << b.mode
                   << (b.enabled ? "enabled" : "disabled") << "\n";
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

// What a legacy `/start <alias>` link can carry: letters, digits, '_' and
// '-', not the "__" that starts its UTM parts, not the `cd_` of deep links.
void check_alias(const std::string& alias) {
    if (alias.empty()) return;
    const auto parsed = sdk::parse_start_payload(alias);
    if (parsed.kind != sdk::StartPayload::Kind::legacy || parsed.alias != alias)
        throw UsageError("--alias '" + alias +
                         "' cannot be a start link: use up to 64 of A-Z a-z 0-9 _ -, without '__', not "
                         "starting with 'cd_'");
}

// --text KEY=VALUE into the deployment's overrides ("texts").
void set_text_override(sdk::CourseDeployment& d, const std::string& assignment, const Config& config) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UsageError("--text takes KEY=VALUE, not '" + assignment + "'");
    const auto key = assignment.substr(0, eq);
    if (!config.engine.texts.count(key)) {
        std::string known;
        for (const auto& [name, text] : config.engine.texts) known += (known.empty() ? "" : ", ") + name;
        throw UsageError("--text: no system text is called '" + key + "' (known: " + known + ")");
    }
    auto overrides =
        nlohmann::json::parse(d.overrides_json.empty() ? "{}" : d.overrides_json, nullptr, false);
    if (!overrides.is_object()) overrides = nlohmann::json::object();
    if (eq + 1 == assignment.size()) {
        if (overrides.contains("texts")) overrides["texts"].erase(key);  // KEY= goes back to the default
    } else {
        overrides["texts"][key] = assignment.substr(eq + 1);
    }
    d.overrides_json = overrides.dump();
}

nlohmann::json deployment_json(const sdk::CourseDeployment& d, const std::string& course,
                               const std::string& bot) {
    const auto overrides = nlohmann::json::parse(d.overrides_json, nullptr, false);
    return {{"id", d.id},
            {"account_id", d.account_id},
            {"course_id", d.course_id},
            {"course", course},
            {"version_id", d.version_id},
            {"bot_id", d.bot_id},
            {"bot", bot},
            {"environment", d.environment},
            {"alias", d.legacy_alias},
            {"active", d.active},
            {"restricted", d.restricted},
            {"allow_restart", d.allow_restart},
            {"collect_email", d.collect_email},
            {"overrides", overrides.is_object() ? overrides : nlohmann::json::object()}};
}

// The flags `deploy create` and `deploy update` share.
void apply_deployment_flags(const Arguments& parsed, sdk::CourseDeployment& d, const Config& config) {
    if (const auto alias = parsed.value("alias")) {
        check_alias(*alias);
        d.legacy_alias = *alias;
    }
    if (const auto on = switch_option(parsed, "restricted")) d.restricted = *on;
    if (const auto on = switch_option(parsed, "allow-restart")) d.allow_restart = *on;
    if (const auto on = switch_option(parsed, "collect-email")) d.collect_email = *on;
    if (const auto on = switch_option(parsed, "active")) d.active = *on;
    if (const auto env = parsed.value("environment")) d.environment = *env;
    if (const auto text = parsed.value("text")) set_text_override(d, *text, config);
}

const std::vector<std::string> kDeploymentOptions = {"config",      "account",       "alias",
                                                     "environment", "restricted",    "allow-restart",
                                                     "active",      "collect-email", "text"};

void print_deployment(CommandIo& io, const Arguments& parsed, const std::string& verb, sdk::StorageTx& tx,
                      sdk::Id account, const sdk::CourseDeployment& d) {
    const auto course = tx.get_course(account, d.course_id);
    const auto bot = tx.get_bot(account, d.bot_id);
    if (parsed.flag("json")) {
        io.out << deployment_json(d, course ? course->name : "", bot ? bot->username : "").dump(2) << "\n";
        return;
    }
    io.out << verb << " deployment " << d.id << ": course " << (course ? course->name : "?") << " on bot "
           << d.bot_id << (bot ? " @" + bot->username : std::string()) << (d.active ? "" : ", paused")
           << (d.restricted ? ", restricted" : "") << (d.allow_restart ? ", restarts allowed" : "")
           << (d.collect_email ? ", asks for email" : "")
           << (d.legacy_alias.empty() ? std::string() : ", alias " + d.legacy_alias) << "\n";
}

// The latest version of a course on a bot.
int run_deploy_create(CommandIo& io, const std::vector<std::string>& args) {
    auto options = kDeploymentOptions;
    options.insert(options.end(), {"course", "bot"});
    Arguments parsed(args, options, {"json"});
    const auto account = account_of(parsed);
    const auto course_ref = parsed.value("course");
    const auto bot_text = parsed.value("bot");
    if (!course_ref || !bot_text) throw UsageError("name the --course and the --bot");
    std::vector<sdk::Id> bot_ids;
    for (std::size_t from = 0; from <= bot_text->size();) {
        const auto comma = std::min(bot_text->find(',', from), bot_text->size());
        bot_ids.push_back(positive_id(bot_text->substr(from, comma - from), "--bot"));
        from = comma + 1;
    }
    auto config = load_command_config(io, args);
    if (!config) return 2;
    sdk::CourseDeployment d;
    d.environment = "prod";
    apply_deployment_flags(parsed, d, *config);
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        auto tx = platform.storage().begin();
        std::optional<sdk::Course> course = tx->find_course(account, *course_ref);
        if (!course) {
            sdk::Id id = 0;
            auto [ptr, ec] = std::from_chars(course_ref->data(), course_ref->data() + course_ref->size(), id);
            if (ec == std::errc() && ptr == course_ref->data() + course_ref->size())
                course = tx->get_course(account, id);
        }
        if (!course)
            throw std::runtime_error("account " + std::to_string(account) + " has no course '" + *course_ref +
                                     "'");
        auto versions = tx->list_versions(account, course->id);
        if (versions.empty()) throw std::runtime_error("course '" + course->name + "' has no version");
        const auto latest =
            *std::max_element(versions.begin(), versions.end(),
                              [](const auto& a, const auto& b) { return a.number < b.number; });
        std::vector<sdk::CourseDeployment> created;
        for (const auto bot_id : bot_ids) {
            if (!tx->get_bot(account, bot_id))
                throw std::runtime_error("account " + std::to_string(account) + " has no bot " +
                                         std::to_string(bot_id));
            auto one = d;
            one.course_id = course->id;
            one.version_id = latest.id;
            one.bot_id = bot_id;
            created.push_back(tx->create_deployment(account, one));
        }
        if (parsed.flag("json") && created.size() > 1) {
            auto list = nlohmann::json::array();
            for (const auto& c : created) {
                const auto bot = tx->get_bot(account, c.bot_id);
                list.push_back(deployment_json(c, course->name, bot ? bot->username : ""));
            }
            io.out << nlohmann::json{{"deployments", list}}.dump(2) << "\n";
        } else {
            for (const auto& c : created) print_deployment(io, parsed, "created", *tx, account, c);
        }
        tx->commit();
        if (!parsed.flag("json"))
            io.out << "start links: profo token create --deployment "
                   << (created.size() == 1 ? std::to_string(created.front().id) : std::string("ID"))
                   << " --type public\n";
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
}

int run_deploy_update(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, kDeploymentOptions, {"json"});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one deployment ID");
    const auto account = account_of(parsed);
    const auto id = positive_id(parsed.positionals()[0], "the deployment ID");
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        const auto texts_config = *config;
        Platform platform(std::move(*config));
        platform.migrate();
        auto tx = platform.storage().begin();
        auto d = tx->get_deployment(account, id);
        if (!d)
            throw std::runtime_error("account " + std::to_string(account) + " has no deployment " +
                                     std::to_string(id));
        apply_deployment_flags(parsed, *d, texts_config);
        tx->update_deployment(account, *d);
        print_deployment(io, parsed, "updated", *tx, account, *d);
        tx->commit();
    } catch (const UsageError&) {
        throw;
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
}

int run_deploy_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    const auto account = account_of(parsed);
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        auto tx = platform.storage().begin();
        const auto all = tx->list_deployments(account);
        auto list = nlohmann::json::array();
        for (const auto& d : all) {
            const auto course = tx->get_course(account, d.course_id);
            const auto bot = tx->get_bot(account, d.bot_id);
            list.push_back(deployment_json(d, course ? course->name : "", bot ? bot->username : ""));
        }
        if (parsed.flag("json")) {
            io.out << nlohmann::json{{"deployments", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(6) << "ID" << std::setw(24) << "COURSE" << std::setw(24) << "BOT"
               << std::setw(16) << "ALIAS"
               << "FLAGS\n";
        for (const auto& d : list) {
            std::string flags = d["active"].get<bool>() ? "active" : "paused";
            if (d["restricted"].get<bool>()) flags += ",restricted";
            if (d["allow_restart"].get<bool>()) flags += ",restarts";
            if (d["collect_email"].get<bool>()) flags += ",email";
            io.out << std::setw(6) << d["id"].get<sdk::Id>() << std::setw(24)
                   << d["course"].get<std::string>() << std::setw(24) << ("@" + d["bot"].get<std::string>())
                   << std::setw(16) << d["alias"].get<std::string>() << flags << "\n";
        }
        if (all.empty()) io.err << "no deployments in account " << account << "\n";
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
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
    const char* deploy_usage = "Usage: profo deploy COMMAND [ARGS...]";
    const std::string flags =
        "  --alias NAME          legacy links /start NAME and /start NAME__utmsIIsrc__utmcIIcamp\n"
        "                        lead here (letters, digits, _ and -)\n"
        "  --restricted on|off   only participants (profo deploy participants) and holders of\n"
        "                        personal tokens may start it\n"
        "  --allow-restart on|off  starting it again while taking it begins anew (the old run\n"
        "                        ends as abandoned) instead of carrying on\n"
        "  --collect-email on|off  a new run asks for the student's email address first\n"
        "  --active on|off       a paused deployment refuses new starts\n"
        "  --text KEY=VALUE      what the platform tells its students instead of the config's\n"
        "                        engine.texts KEY (KEY= goes back to it), e.g.\n"
        "                        --text link_expired='Ask your teacher for a new link.'\n"
        "  --environment E       test or prod\n"
        "  --json                the deployment as JSON\n";
    tree.add_subcommand("deploy", "put courses on bots", deploy_usage,
                        {"create",
                         "deploy a course's latest version on a bot",
                         "Usage: profo deploy create [--config FILE] [--account ID] --course COURSE\n"
                         "                           --bot ID[,ID...] [FLAGS]\n\n"
                         "Several bots (--bot 1,2,3) get one deployment each, all or none.\n"
                         "Students start it with the links of its tokens (profo token create), a legacy\n"
                         "/start NAME through its alias, or a bare /start when it is the bot's only active\n"
                         "deployment.\n\n" +
                             flags,
                         run_deploy_create,
                         {}});
    tree.add_subcommand("deploy", "put courses on bots", deploy_usage,
                        {"update",
                         "change who may start a deployment and how",
                         "Usage: profo deploy update [--config FILE] [--account ID] ID [FLAGS]\n\n" + flags,
                         run_deploy_update,
                         {}});
    tree.add_subcommand("deploy", "put courses on bots", deploy_usage,
                        {"list",
                         "list the account's deployments",
                         "Usage: profo deploy list [--config FILE] [--account ID] [--json]",
                         run_deploy_list,
                         {}});
}

}  // namespace profo::host
