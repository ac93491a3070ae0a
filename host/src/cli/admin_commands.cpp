// profo admin login-link: a one-time sign-in link to an account's panel, for
// a self-hosted start with no Telegram login bot yet. The operator on the
// server may sign in to any account; the link says which.
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "runtime/platform.hpp"

#include <profo/sdk/admin.hpp>

#include <nlohmann/json.hpp>

#include <ostream>

namespace profo::host {

namespace {

int run_login_link(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "minutes"}, {"json"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    if (!parsed.value("account")) throw UsageError("name the --account the link signs in to");
    const auto account = account_option(parsed);
    nlohmann::json arguments = nlohmann::json::object();
    if (const auto minutes = parsed.value("minutes")) arguments["valid_minutes"] = *minutes;
    auto config = load_command_config(io, args);
    if (!config) return 2;
    const auto base = panel_public_url(*config);
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        const sdk::AdminCaller caller{account, sdk::AdminRole::platform, 0, "cli"};
        auto link = platform.admin().call("login_links.create", caller, arguments);
        const std::string url = base + "/login/link?token=" + link["token"].get<std::string>();
        if (parsed.flag("json")) {
            link.erase("token");
            link["url"] = url;
            io.out << link.dump(2) << "\n";
        } else {
            io.out << url << "\n";
            io.err << "One sign-in to account " << account << ", until "
                   << link["expires_at"].get<std::string>()
                   << ". Anyone with the link can use it: send it only to the person it is for.\n";
        }
        return 0;
    } catch (const sdk::AdminError& e) {
        io.err << "profo admin login-link: " << (e.field().empty() ? "" : e.field().substr(1) + ": ")
               << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
}

}  // namespace

void add_admin_commands(CommandTree& tree) {
    tree.add_subcommand(
        "admin", "the panel's sign-in, for the platform's operator",
        "Usage: profo admin <command> [options]\n\nCommands:\n"
        "  login-link  print a one-time sign-in link to an account's panel\n",
        {"login-link",
         "print a one-time sign-in link to an account's panel",
         "Usage: profo admin login-link [--config FILE] --account ID [--minutes N] [--json]\n\n"
         "  --account ID  the account the link signs in to, as its owner\n"
         "  --minutes N   how long the link may be used: 1 to 60 (default 10)\n\n"
         "The link works once. It points at the panel's public_url setting\n"
         "(plugins.transport/panel.settings.public_url), or at http.listen when none is set.",
         run_login_link,
         {}});
}

}  // namespace profo::host
