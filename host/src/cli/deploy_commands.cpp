// profo deploy create | update | list | promote | pause | resume | archive |
// upgrade: thin layers over DeploymentRegistry, for the default account unless
// --account says otherwise. (profo deploy participants is in access_commands.cpp.)
#include "admin/record_json.hpp"
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "cli/time_option.hpp"
#include "deployments/deployment_overrides.hpp"
#include "deployments/deployment_registry.hpp"
#include "logging/logging.hpp"
#include "runtime/platform.hpp"
#include "secrets/secret_names.hpp"

#include <profo/sdk/deep_link.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace profo::host {

namespace {

using nlohmann::json;

// Runs `body` with a migrated platform and a registry; refusals become exit 1.
template <class Body>
int with_registry(CommandIo& io, Config config, const std::string& command, Body body) {
    try {
        Platform platform(std::move(config));
        platform.migrate();
        DeploymentRegistry registry(platform.storage(), platform.secrets(), platform.config().engine.texts);
        return body(registry);
    } catch (const DeploymentError& e) {
        io.err << "profo deploy " << command << ": " << e.what() << "\n";
        return 1;
    } catch (const sdk::StorageError& e) {
        io.err << "profo deploy " << command << ": " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
}

// What a legacy `/start <alias>` link can carry: letters, digits, '_' and
// '-', not the "__" that starts its UTM parts, not the `cd_` of deep links.
void check_alias(const std::string& alias) {
    if (auto problem = alias_problem(alias)) throw UsageError("--alias '" + alias + "' " + *problem);
}

// --text KEY=VALUE, KEY one of the platform's system texts.
std::pair<std::string, std::string> text_override(const std::string& assignment, const Config& config) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UsageError("--text takes KEY=VALUE, not '" + assignment + "'");
    const auto key = assignment.substr(0, eq);
    if (auto problem = text_key_problem(key, config.engine.texts)) throw UsageError("--text: " + *problem);
    return {key, assignment.substr(eq + 1)};
}

// A key as one line: what is around it (a file's final newline) goes, what is inside must be printable.
std::string checked_key(std::string key, const std::string& source) {
    const auto first = key.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) throw UsageError(source + ": the key is empty");
    key = key.substr(first, key.find_last_not_of(" \t\r\n") - first + 1);
    if (auto problem = api_key_problem(key)) throw UsageError(source + ": the key " + *problem);
    return key;
}

std::string key_from_file(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw UsageError("--api-key-file " + file + ": cannot be read");
    std::string key(kMaxApiKeyBytes + 1, '\0');
    in.read(key.data(), static_cast<std::streamsize>(key.size()));
    key.resize(static_cast<std::size_t>(in.gcount()));
    if (key.size() > kMaxApiKeyBytes)
        throw UsageError("--api-key-file " + file + ": more than " + std::to_string(kMaxApiKeyBytes) +
                         " bytes, which is no API key");
    return checked_key(std::move(key), "--api-key-file " + file);
}

// The command's environment holds only PROFO_* variables (config.hpp); a key
// may be in any variable, so the process's own environment is asked too.
std::string key_from_environment(const std::string& variable, const Environment& env) {
    std::string value;
    if (const auto it = env.find(variable); it != env.end())
        value = it->second;
    else if (const char* set = std::getenv(variable.c_str()); set != nullptr)
        value = set;
    if (value.empty())
        throw UsageError("--api-key-env " + variable + ": the environment variable " + variable +
                         " is not set");
    return checked_key(std::move(value), "--api-key-env " + variable);
}

double time_scale_option(const std::string& text) {
    double scale = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), scale);
    if (error != std::errc() || end != text.data() + text.size() || time_scale_problem(scale))
        throw UsageError("--time-scale takes a number from 1 (real time) to 1000000, not '" + text +
                         "' (1440 makes a day last a minute)");
    return scale;
}

const std::vector<std::string> kChangeOptions = {
    "config",        "account", "alias", "environment", "restricted",   "allow-restart", "active",
    "collect-email", "text",    "model", "base-url",    "api-key-file", "api-key-env",   "time-scale"};

// The flags `deploy create` and `deploy update` share, checked for their form.
DeploymentChanges changes_from(const Arguments& parsed, const Config& config, const Environment& env) {
    DeploymentChanges c;
    if (const auto alias = parsed.value("alias")) {
        check_alias(*alias);
        c.alias = *alias;
    }
    if (const auto e = parsed.value("environment")) {
        if (*e != "test" && *e != "prod")
            throw UsageError("--environment takes test or prod, not '" + *e + "'");
        c.environment = *e;
    }
    c.restricted = switch_option(parsed, "restricted");
    c.allow_restart = switch_option(parsed, "allow-restart");
    c.collect_email = switch_option(parsed, "collect-email");
    c.active = switch_option(parsed, "active");
    if (const auto text = parsed.value("text")) c.texts.push_back(text_override(*text, config));
    c.clear_overrides = parsed.flag("clear-overrides");
    if (const auto model = parsed.value("model")) {
        if (auto problem = model_problem(*model)) throw UsageError("--model '" + *model + "' " + *problem);
        c.model = *model;
    }
    if (const auto url = parsed.value("base-url")) {
        if (!url->empty())
            if (const auto problem = endpoint_problem(*url); !problem.empty())
                throw UsageError("--base-url '" + *url + "': " + problem);
        c.base_url = *url;
    }
    const auto file = parsed.value("api-key-file");
    const auto variable = parsed.value("api-key-env");
    if (file && variable) throw UsageError("give the key once: --api-key-file or --api-key-env, not both");
    if (file) c.api_key = key_from_file(*file);
    if (variable) c.api_key = key_from_environment(*variable, env);
    // Whatever logs this process writes, the key is not in them.
    if (c.api_key) register_secret(*c.api_key);
    if (const auto scale = parsed.value("time-scale")) c.time_scale = time_scale_option(*scale);
    return c;
}

std::optional<int> version_option(const Arguments& parsed) {
    const auto text = parsed.value("version");
    if (!text) return std::nullopt;
    int number = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), number);
    if (error != std::errc() || end != text->data() + text->size() || number <= 0)
        throw UsageError("--version takes a version number (1, 2, ...; profo course versions COURSE), not '" +
                         *text + "'");
    return number;
}

// "model gpt-4o, own endpoint https://..., own key, 1440x time" for the one-line summaries.
std::string overrides_summary(const sdk::CourseDeployment& d) {
    const auto overrides = overrides_of(d);
    std::string out;
    const auto add = [&](const std::string& part) { out += ", " + part; };
    if (overrides.contains("plugins") && overrides["plugins"].is_object() &&
        overrides["plugins"].contains(kLlmPlugin) && overrides["plugins"][kLlmPlugin].is_object()) {
        const auto& llm = overrides["plugins"][kLlmPlugin];
        if (llm.contains("model") && llm["model"].is_string())
            add("model " + llm["model"].get<std::string>());
        if (llm.contains("base_url") && llm["base_url"].is_string())
            add("endpoint " + llm["base_url"].get<std::string>());
        if (llm.contains(kLlmKeySetting)) add("own LLM key");
    }
    if (overrides.contains("texts") && overrides["texts"].is_object() && !overrides["texts"].empty())
        add(std::to_string(overrides["texts"].size()) + " text(s) of its own");
    if (overrides.contains("time_scale")) add("time x" + overrides["time_scale"].dump());
    return out;
}

void print_deployment(CommandIo& io, const std::string& verb, const DeploymentView& v) {
    const auto& d = v.deployment;
    io.out << verb << " deployment " << d.id << ": course " << v.course << " version " << v.version
           << " on bot " << d.bot_id << (v.bot.empty() ? std::string() : " @" + v.bot) << ", "
           << d.environment
           << (d.archived_at ? ", archived"
               : d.active    ? ""
                             : ", paused")
           << (d.restricted ? ", restricted" : "") << (d.allow_restart ? ", restarts allowed" : "")
           << (d.collect_email ? ", asks for email" : "")
           << (d.legacy_alias.empty() ? std::string() : ", alias " + d.legacy_alias) << overrides_summary(d)
           << "\n";
}

sdk::Id one_id(const Arguments& parsed) {
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one deployment ID");
    return positive_id(parsed.positionals()[0], "the deployment ID");
}

int run_create(CommandIo& io, const std::vector<std::string>& args) {
    auto options = kChangeOptions;
    options.insert(options.end(), {"course", "bot", "version"});
    Arguments parsed(args, options, {"json", "clear-overrides"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    const auto account = account_option(parsed);
    const auto course = parsed.value("course");
    const auto bot_text = parsed.value("bot");
    if (!course || !bot_text) throw UsageError("name the --course and the --bot");
    std::vector<sdk::Id> bots;
    for (std::size_t from = 0; from <= bot_text->size();) {
        const auto comma = std::min(bot_text->find(',', from), bot_text->size());
        bots.push_back(positive_id(bot_text->substr(from, comma - from), "--bot"));
        from = comma + 1;
    }
    const auto version = version_option(parsed);
    auto config = load_command_config(io, args);
    if (!config) return 2;
    const auto changes = changes_from(parsed, *config, io.env);
    return with_registry(io, std::move(*config), "create", [&](DeploymentRegistry& registry) {
        const auto created = registry.create(account, *course, bots, version, changes);
        if (parsed.flag("json")) {
            if (created.size() == 1) {
                io.out << deployment_json(created.front()).dump(2) << "\n";
            } else {
                auto list = json::array();
                for (const auto& c : created) list.push_back(deployment_json(c));
                io.out << json{{"deployments", list}}.dump(2) << "\n";
            }
            return 0;
        }
        for (const auto& c : created) print_deployment(io, "created", c);
        io.out << "start links: profo token create --deployment "
               << (created.size() == 1 ? std::to_string(created.front().deployment.id) : std::string("ID"))
               << " --type public\n";
        return 0;
    });
}

int run_update(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, kChangeOptions, {"json", "clear-overrides"});
    const auto account = account_option(parsed);
    const auto id = one_id(parsed);
    auto config = load_command_config(io, args);
    if (!config) return 2;
    const auto changes = changes_from(parsed, *config, io.env);
    return with_registry(io, std::move(*config), "update", [&](DeploymentRegistry& registry) {
        const auto updated = registry.update(account, id, changes);
        if (parsed.flag("json"))
            io.out << deployment_json(updated).dump(2) << "\n";
        else
            print_deployment(io, "updated", updated);
        return 0;
    });
}

int run_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json", "all"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    const auto account = account_option(parsed);
    auto config = load_command_config(io, args);
    if (!config) return 2;
    return with_registry(io, std::move(*config), "list", [&](DeploymentRegistry& registry) {
        const auto all = registry.list(account, parsed.flag("all"));
        if (parsed.flag("json")) {
            auto list = json::array();
            for (const auto& v : all) list.push_back(deployment_json(v));
            io.out << json{{"deployments", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(6) << "ID" << std::setw(22) << "COURSE" << std::setw(5) << "VER"
               << std::setw(22) << "BOT" << std::setw(6) << "ENV" << std::setw(10) << "STATE" << std::setw(14)
               << "ALIAS"
               << "FLAGS\n";
        for (const auto& v : all) {
            const auto& d = v.deployment;
            std::string flags;
            const auto flag = [&](bool on, const char* name) {
                if (on) flags += (flags.empty() ? "" : ",") + std::string(name);
            };
            flag(d.restricted, "restricted");
            flag(d.allow_restart, "restarts");
            flag(d.collect_email, "email");
            flag(overrides_of(d).contains("time_scale"), "time-scale");
            io.out << std::setw(6) << d.id << std::setw(22) << v.course << std::setw(5) << v.version
                   << std::setw(22) << ("@" + v.bot) << std::setw(6) << d.environment << std::setw(10)
                   << (d.archived_at ? "archived"
                       : d.active    ? "active"
                                     : "paused")
                   << std::setw(14) << d.legacy_alias << flags << "\n";
        }
        if (all.empty())
            io.err << "no deployments in account " << account
                   << (parsed.flag("all") ? "" : " (archived ones: --all)") << "\n";
        return 0;
    });
}

int run_promote(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "bot", "into"}, {"json"});
    const auto account = account_option(parsed);
    const auto id = one_id(parsed);
    std::optional<sdk::Id> bot, into;
    if (const auto b = parsed.value("bot")) bot = positive_id(*b, "--bot");
    if (const auto i = parsed.value("into")) into = positive_id(*i, "--into");
    auto config = load_command_config(io, args);
    if (!config) return 2;
    return with_registry(io, std::move(*config), "promote", [&](DeploymentRegistry& registry) {
        const auto promotion = registry.promote(account, id, bot, into);
        if (parsed.flag("json")) {
            auto out = deployment_json(promotion.prod);
            out["created"] = promotion.created;
            out["previous_version"] =
                promotion.previous_version ? json(*promotion.previous_version) : json(nullptr);
            io.out << out.dump(2) << "\n";
            return 0;
        }
        print_deployment(io, promotion.created ? "created" : "promoted into", promotion.prod);
        if (promotion.created)
            io.out << "its start links: profo token create --deployment " << promotion.prod.deployment.id
                   << " --type public\n";
        else if (promotion.previous_version && *promotion.previous_version != promotion.prod.version)
            io.out << "new students get version " << promotion.prod.version << " instead of "
                   << *promotion.previous_version
                   << "; students under way stay on the version they started\n";
        return 0;
    });
}

Command pause_command(bool pause) {
    const std::string name = pause ? "pause" : "resume";
    return {name,
            pause ? "refuse new starts of a deployment for a while" : "take new starts again",
            "Usage: profo deploy " + name + " [--config FILE] [--account ID] [--json] ID\n\n" +
                (pause ? "New starts get the `course_paused` text until 'profo deploy resume ID'; students\n"
                         "under way carry on."
                       : "A paused deployment takes new starts again. An archived one stays archived."),
            [pause, name](CommandIo& io, const std::vector<std::string>& args) {
                Arguments parsed(args, {"config", "account"}, {"json"});
                const auto account = account_option(parsed);
                const auto id = one_id(parsed);
                auto config = load_command_config(io, args);
                if (!config) return 2;
                return with_registry(io, std::move(*config), name, [&](DeploymentRegistry& registry) {
                    const auto v = registry.set_paused(account, id, pause);
                    if (parsed.flag("json"))
                        io.out << deployment_json(v).dump(2) << "\n";
                    else
                        print_deployment(io, pause ? "paused" : "resumed", v);
                    return 0;
                });
            },
            {}};
}

int run_archive(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json", "stop-runs"});
    const auto account = account_option(parsed);
    const auto id = one_id(parsed);
    auto config = load_command_config(io, args);
    if (!config) return 2;
    return with_registry(io, std::move(*config), "archive", [&](DeploymentRegistry& registry) {
        const auto archival = registry.archive(account, id, parsed.flag("stop-runs"), wall_clock_ms());
        if (parsed.flag("json")) {
            auto out = deployment_json(archival.deployment);
            out["runs_stopped"] = archival.runs_stopped;
            out["runs_under_way"] = archival.runs_under_way;
            io.out << out.dump(2) << "\n";
            return 0;
        }
        print_deployment(io, archival.newly ? "archived" : "already archived:", archival.deployment);
        if (parsed.flag("stop-runs"))
            io.out << archival.runs_stopped << " run(s) stopped; each student was told so\n";
        else if (archival.runs_under_way > 0)
            io.out << archival.runs_under_way
                   << " run(s) under way may finish (stop them with profo deploy archive --stop-runs " << id
                   << ")\n";
        return 0;
    });
}

int run_upgrade(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "version"}, {"json"});
    const auto account = account_option(parsed);
    const auto id = one_id(parsed);
    const auto version = version_option(parsed);
    auto config = load_command_config(io, args);
    if (!config) return 2;
    return with_registry(io, std::move(*config), "upgrade", [&](DeploymentRegistry& registry) {
        const auto upgrade = registry.upgrade(account, id, version);
        if (parsed.flag("json")) {
            auto out = deployment_json(upgrade.deployment);
            out["previous_version"] = upgrade.previous_version;
            io.out << out.dump(2) << "\n";
            return 0;
        }
        if (upgrade.previous_version == upgrade.deployment.version) {
            io.out << "deployment " << id << " carries version " << upgrade.previous_version << " already\n";
            return 0;
        }
        print_deployment(io, "upgraded", upgrade.deployment);
        io.out << "new students get version " << upgrade.deployment.version
               << "; students under way stay on the version they started\n";
        return 0;
    });
}

const char* kDeployUsage =
    "Usage: profo deploy COMMAND [ARGS...]\n\n"
    "A deployment puts one version of a course on one bot, in environment test or prod;\n"
    "a bot may carry several (their start links tell them apart). docs/deployments.md\n"
    "has the whole story: versions, promote, pause, archive, upgrade, overrides.";

const std::string kChangeFlags =
    "  --environment E       test or prod (create: prod unless told)\n"
    "  --alias NAME          legacy links /start NAME and /start NAME__utmsIIsrc__utmcIIcamp\n"
    "                        lead here (letters, digits, _ and -)\n"
    "  --restricted on|off   only participants (profo deploy participants) and holders of\n"
    "                        personal tokens may start it\n"
    "  --allow-restart on|off  starting it again while taking it begins anew (the old run\n"
    "                        ends as abandoned) instead of carrying on\n"
    "  --collect-email on|off  a new run asks for the student's email address first\n"
    "  --active on|off       a paused deployment refuses new starts (as deploy pause|resume)\n"
    "  --text KEY=VALUE      what the platform tells its students instead of the config's\n"
    "                        engine.texts KEY (KEY= goes back to it), e.g.\n"
    "                        --text link_expired='Ask your teacher for a new link.'\n"
    "  --model M             the LLM model its dialogs use ('' goes back to the platform's)\n"
    "  --base-url URL        the OpenAI-compatible endpoint its dialogs call: https://, or\n"
    "                        http:// to this machine only; needs the deployment's own key\n"
    "                        ('' goes back to the platform's endpoint)\n"
    "  --api-key-file FILE   the deployment's own LLM key, read from FILE (one line), or\n"
    "  --api-key-env VAR     from the environment variable VAR; stored sealed for this\n"
    "                        deployment and never shown again. The platform's key is\n"
    "                        never sent to an endpoint a tenant chose\n"
    "  --time-scale F        test deployments only: waits of delay elements (and other\n"
    "                        element timers) last 1/F as long: 1440 turns a day into a\n"
    "                        minute; 1 goes back to real time\n"
    "  --clear-overrides     drop every override (texts, LLM settings and key, time scale)\n"
    "                        before the ones given here are applied\n"
    "  --json                the deployment as JSON (keys shown as \"(sealed)\")\n";

}  // namespace

void add_deploy_commands(CommandTree& tree) {
    const char* summary = "put course versions on bots: test and prod, promote, pause, archive, upgrade";
    tree.add_subcommand("deploy", summary, kDeployUsage,
                        {"create",
                         "deploy a course version on a bot",
                         "Usage: profo deploy create [--config FILE] [--account ID] --course COURSE\n"
                         "                           --bot ID[,ID...] [--version N] [FLAGS]\n\n"
                         "Puts version N of COURSE (id or name; the latest without --version) on each\n"
                         "bot: several bots (--bot 1,2,3) get one deployment each, all or none.\n"
                         "Students start it with the links of its tokens (profo token create), a legacy\n"
                         "/start NAME through its alias, or a bare /start when it is the bot's only active\n"
                         "deployment.\n\n" +
                             kChangeFlags,
                         run_create,
                         {}});
    tree.add_subcommand("deploy", summary, kDeployUsage,
                        {"update",
                         "change who may start a deployment, how, and its overrides",
                         "Usage: profo deploy update [--config FILE] [--account ID] ID [FLAGS]\n\n"
                         "Changes what the flags say and nothing else; an archived deployment no longer\n"
                         "changes. The version is changed by 'profo deploy upgrade'.\n\n" +
                             kChangeFlags,
                         run_update,
                         {}});
    tree.add_subcommand("deploy", summary, kDeployUsage,
                        {"list",
                         "list the account's deployments",
                         "Usage: profo deploy list [--config FILE] [--account ID] [--all] [--json]\n\n"
                         "Prints id, course, version, bot, environment, state (active, paused or\n"
                         "archived), alias and flags of each deployment. Archived ones only with --all.",
                         run_list,
                         {}});
    tree.add_subcommand("deploy", summary, kDeployUsage,
                        {"promote",
                         "put a test deployment's version on prod",
                         "Usage: profo deploy promote [--config FILE] [--account ID] [--bot B | --into ID]\n"
                         "                            [--json] TEST_ID\n\n"
                         "The version of test deployment TEST_ID goes to prod:\n"
                         "  - with --into ID, to that prod deployment of the same course;\n"
                         "  - else to the prod deployment of the course on bot B (default: the test\n"
                         "    deployment's bot), when there is exactly one (several: name it with --into);\n"
                         "  - else to a new prod deployment there, which copies the test deployment's\n"
                         "    restricted, restart and email flags and its overrides (texts, LLM settings,\n"
                         "    its key sealed anew for the new deployment), but not its time scale, alias\n"
                         "    or tokens: make its start links with profo token create.\n"
                         "An existing prod deployment keeps its own flags, overrides and links: only\n"
                         "its version changes. New students get the version; students under way stay\n"
                         "on theirs. The test deployment stays as it is.",
                         run_promote,
                         {}});
    tree.add_subcommand("deploy", summary, kDeployUsage, pause_command(true));
    tree.add_subcommand("deploy", summary, kDeployUsage, pause_command(false));
    tree.add_subcommand(
        "deploy", summary, kDeployUsage,
        {"archive",
         "retire a deployment for good",
         "Usage: profo deploy archive [--config FILE] [--account ID] [--stop-runs] [--json] ID\n\n"
         "An archived deployment refuses new starts with the `course_archived` text\n"
         "(\"This course is no longer available.\"), no longer changes, frees its alias\n"
         "for other deployments of the bot and is left out of 'profo deploy list'\n"
         "unless --all. Students under way may finish (their own link resumes them);\n"
         "with --stop-runs their runs end as stopped at once and each is told\n"
         "`course_archived`. Archiving cannot be undone: deploy the course again.",
         run_archive,
         {}});
    tree.add_subcommand(
        "deploy", summary, kDeployUsage,
        {"upgrade",
         "move a deployment to another version of its course",
         "Usage: profo deploy upgrade [--config FILE] [--account ID] [--version N] [--json] ID\n\n"
         "New starts get version N of the course (the latest without --version; an\n"
         "older N rolls back). Students under way stay on the version they started\n"
         "with until they finish.",
         run_upgrade,
         {}});
}

}  // namespace profo::host
