// profo legacy import: the legacy product's database into an account
// (host/src/legacy/, docs/legacy-import.md).
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "legacy/legacy_import.hpp"
#include "runtime/platform.hpp"

#include <fstream>
#include <ostream>
#include <sstream>

namespace profo::host {

namespace {

// --token may come several times; Arguments keeps one value an option, so
// the tokens are taken out first.
std::vector<std::string> take_tokens(const std::vector<std::string>& args,
                                     std::map<std::string, std::string>& tokens) {
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string value;
        if (args[i] == "--token") {
            if (i + 1 == args.size()) throw UsageError("--token needs BOTNAME=TOKEN");
            value = args[++i];
        } else if (args[i].rfind("--token=", 0) == 0) {
            value = args[i].substr(8);
        } else {
            rest.push_back(args[i]);
            continue;
        }
        const auto eq = value.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == value.size())
            throw UsageError("--token takes BOTNAME=TOKEN");  // the value is not echoed: it may be a token
        tokens[value.substr(0, eq)] = value.substr(eq + 1);
    }
    return rest;
}

int run_import(CommandIo& io, const std::vector<std::string>& all_args) {
    std::map<std::string, std::string> tokens;
    const auto args = take_tokens(all_args, tokens);
    Arguments parsed(args, {"config", "account", "tokens-file"}, {"dry-run", "json", "quiet"});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one legacy database DSN");
    legacy::ImportOptions options;
    options.account_id = account_option(parsed);
    options.dry_run = parsed.flag("dry-run");
    if (!parsed.flag("quiet")) options.progress = &io.err;
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        if (const auto file = parsed.value("tokens-file")) {
            std::ifstream in(*file);
            if (!in) throw legacy::ImportRefused("cannot read the tokens file " + *file);
            std::stringstream text;
            text << in.rdbuf();
            for (auto& [name, token] : legacy::parse_token_lines(text.str(), *file))
                tokens.emplace(name, token);  // the command line's win
        }
        options.tokens = std::move(tokens);
        Platform platform(std::move(*config));
        platform.migrate();
        legacy::LegacyDatabase source(parsed.positionals()[0]);
        const auto report =
            legacy::import_legacy(source, platform.storage(), platform.plugins(), platform.secrets(),
                                  platform.config().engine.texts, options);
        if (parsed.flag("json"))
            io.out << report.to_json().dump(2) << "\n";
        else
            report.print(io.out);
        return 0;
    } catch (const legacy::ImportRefused& e) {
        io.err << "profo legacy import: " << e.what() << "\n";
        return 1;
    } catch (const legacy::LegacyDatabaseError& e) {
        io.err << "profo legacy import: " << e.what() << "\n";
        return 1;
    } catch (const PluginFailures& e) {
        return report_command_failure(io, e);
    } catch (const std::exception& e) {
        // The one transaction was rolled back with it.
        io.err << "profo legacy import: nothing was imported: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

void add_legacy_commands(CommandTree& tree) {
    tree.add_subcommand(
        "legacy", "bring the legacy product's database over",
        "Usage: profo legacy COMMAND [ARGS...]\n\nMoving the legacy single-bot product's data onto the "
        "platform.",
        {"import",
         "import a legacy database: courses, bots, runs, history, delays, bans, allow-lists",
         "Usage: profo legacy import [--config FILE] [--account ID] [--dry-run] [--json] [--quiet]\n"
         "                           [--token BOTNAME=TOKEN]... [--tokens-file FILE] DSN\n\n"
         "Reads the legacy PostgreSQL database DSN (libpq conninfo or URL; read only) and\n"
         "brings it into the account (default 1) in one transaction: all of it or nothing.\n"
         "Courses become courses with a published version; each bot a bot with a prod\n"
         "deployment per course that also answers the legacy '/start COURSE' links; runs\n"
         "keep their history, UTM and status, and active ones go on where they were\n"
         "(students waiting for an answer get the element again, pending delays fire when\n"
         "due). Bans (NULL 'excluded' counts as in force) and allow-lists come along;\n"
         "gen_settings become deployment overrides where a setting matches.\n"
         "Running it again brings over only what is new. Progress goes to stderr.\n\n"
         "  --token B=T       the bot B's token (repeatable); never read from the database\n"
         "  --tokens-file F   lines BOTNAME=TOKEN ('#' comments)\n"
         "  --dry-run         report what would be imported, and every problem; change nothing\n"
         "  --json            the report as JSON\n"
         "  --quiet           no progress lines",
         run_import,
         {}});
}

}  // namespace profo::host
