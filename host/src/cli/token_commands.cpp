// profo token create | list | revoke | pause | resume | sign-external | key:
// enrollment tokens and their start links, over TokenRegistry, for the
// default account unless --account says otherwise.
#include "admin/record_json.hpp"
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "cli/time_option.hpp"
#include "enrollment/access_rules.hpp"
#include "enrollment/token_registry.hpp"
#include "runtime/platform.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iomanip>
#include <ostream>

namespace profo::host {

namespace {

using nlohmann::json;

// Runs `body` with a migrated platform and a token registry; errors become exit 1.
template <class Body>
int with_tokens(CommandIo& io, const std::vector<std::string>& args, const std::string& command, Body body) {
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        TokenRegistry registry(platform.storage(), platform.plugins(), platform.secrets());
        return body(registry);
    } catch (const TokenRegistryError& e) {
        io.err << "profo token " << command << ": " << e.what() << "\n";
        return 1;
    } catch (const AccessRulesError& e) {
        io.err << "profo token " << command << ": " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
}

void print_one(CommandIo& io, const Arguments& parsed, const std::string& verb, const IssuedToken& issued) {
    if (parsed.flag("json")) {
        io.out << token_json(issued, wall_clock_ms()).dump(2) << "\n";
        return;
    }
    const auto& t = issued.token;
    io.out << verb << " " << t.type << " token " << t.id << (t.label.empty() ? "" : " (" + t.label + ")")
           << " of deployment " << t.deployment_id << ": " << token_state(t, wall_clock_ms()) << "\n"
           << issued.link << "\n";
}

int run_create(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args,
                     {"config", "account", "deployment", "type", "label", "max-uses", "expires", "starts",
                      "ends", "user", "utm-source", "utm-medium", "utm-campaign"},
                     {"json"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    const auto account = account_option(parsed);
    const auto deployment = parsed.value("deployment");
    const auto type = parsed.value("type");
    if (!deployment || !type) throw UsageError("name the --deployment and the token --type");
    const auto now = wall_clock_ms();
    TokenDraft draft;
    draft.deployment_id = positive_id(*deployment, "--deployment");
    draft.type = *type;
    draft.label = parsed.value("label").value_or("");
    if (const auto max = parsed.value("max-uses")) draft.max_uses = positive_id(*max, "--max-uses");
    if (const auto at = parsed.value("expires")) draft.expires_at = parse_time_option("expires", *at, now);
    if (const auto at = parsed.value("starts")) draft.starts_at = parse_time_option("starts", *at, now);
    if (const auto at = parsed.value("ends")) draft.ends_at = parse_time_option("ends", *at, now);
    if (const auto user = parsed.value("user")) {
        try {
            const auto who = parse_telegram_user(*user);
            draft.user_id = who.id;
            draft.username = who.username;
        } catch (const AccessRulesError& e) {
            throw UsageError(std::string("--user: ") + e.what());
        }
    }
    draft.utm_source = parsed.value("utm-source").value_or("");
    draft.utm_medium = parsed.value("utm-medium").value_or("");
    draft.utm_campaign = parsed.value("utm-campaign").value_or("");
    return with_tokens(io, args, "create", [&](TokenRegistry& registry) {
        const auto issued = registry.create(account, draft, now);
        print_one(io, parsed, "created", issued);
        if (!parsed.flag("json") && issued.token.type == "external")
            io.out << "each student's link: profo token sign-external --token " << issued.token.id
                   << " --ref REF --expires WHEN\n";
        return 0;
    });
}

int run_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "deployment"}, {"json"});
    const auto account = account_option(parsed);
    std::optional<sdk::Id> deployment;
    if (const auto d = parsed.value("deployment")) deployment = positive_id(*d, "--deployment");
    return with_tokens(io, args, "list", [&](TokenRegistry& registry) {
        const auto tokens = registry.list(account, deployment);
        const auto now = wall_clock_ms();
        if (parsed.flag("json")) {
            auto list = json::array();
            for (const auto& t : tokens) list.push_back(token_json(t, now));
            io.out << json{{"tokens", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(7) << "ID" << std::setw(7) << "DEPL" << std::setw(10) << "TYPE"
               << std::setw(10) << "STATE" << std::setw(11) << "USES" << std::setw(22) << "LABEL"
               << "LINK\n";
        for (const auto& issued : tokens) {
            const auto& t = issued.token;
            const auto uses = std::to_string(t.uses) + (t.max_uses ? "/" + std::to_string(*t.max_uses) : "");
            io.out << std::setw(7) << t.id << std::setw(7) << t.deployment_id << std::setw(10) << t.type
                   << std::setw(10) << token_state(t, now) << std::setw(11) << uses << std::setw(22)
                   << (t.label.size() > 20 ? t.label.substr(0, 19) + "~" : t.label) << issued.link << "\n";
        }
        if (tokens.empty()) io.err << "no tokens in account " << account << "\n";
        return 0;
    });
}

Command change_command(const std::string& name, const std::string& summary, const std::string& explained) {
    return {
        name,
        summary,
        "Usage: profo token " + name + " [--config FILE] [--account ID] [--json] TOKEN_ID\n\n" + explained,
        [name](CommandIo& io, const std::vector<std::string>& args) {
            Arguments parsed(args, {"config", "account"}, {"json"});
            if (parsed.positionals().size() != 1) throw UsageError("name exactly one TOKEN_ID");
            const auto account = account_option(parsed);
            const auto id = positive_id(parsed.positionals()[0], "the TOKEN_ID");
            return with_tokens(io, args, name, [&](TokenRegistry& registry) {
                if (name == "revoke")
                    print_one(io, parsed, "revoked", registry.revoke(account, id));
                else
                    print_one(io, parsed, name == "pause" ? "paused" : "resumed",
                              registry.set_active(account, id, name == "resume"));
                return 0;
            });
        },
        {}};
}

int run_sign_external(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "token", "ref", "expires"}, {"json"});
    const auto account = account_option(parsed);
    const auto token = parsed.value("token");
    const auto ref = parsed.value("ref");
    const auto expires = parsed.value("expires");
    if (!token || !ref || !expires)
        throw UsageError("name the --token, the student's --ref and when it --expires");
    const auto token_id = positive_id(*token, "--token");
    const auto now = wall_clock_ms();
    const auto expires_at = parse_time_option("expires", *expires, now);
    return with_tokens(io, args, "sign-external", [&](TokenRegistry& registry) {
        const auto issued = registry.sign_external(account, token_id, *ref, expires_at, now);
        if (parsed.flag("json")) {
            io.out << json{{"token_id", token_id},
                           {"ref", *ref},
                           {"expires_at", format_time(expires_at)},
                           {"payload", issued.payload},
                           {"link", issued.link}}
                          .dump(2)
                   << "\n";
        } else {
            io.out << issued.link << "\n";
        }
        return 0;
    });
}

int run_key(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json", "rotate"});
    const auto account = account_option(parsed);
    return with_tokens(io, args, "key", [&](TokenRegistry& registry) {
        const auto key = registry.enrollment_key(account, parsed.flag("rotate"));
        if (parsed.flag("json"))
            io.out << json{{"account_id", account}, {"key", key}, {"rotated", parsed.flag("rotate")}}.dump(2)
                   << "\n";
        else
            io.out << key << "\n";
        return 0;
    });
}

const char* kTokenFamilyUsage =
    "Usage: profo token COMMAND [ARGS...]\n\n"
    "Enrollment tokens: how students get into a deployment. Each token has a type\n"
    "(an enrollment plugin: public, group, personal, external), a label, an active\n"
    "flag, an optional expiry and start window, and UTM source/medium/campaign\n"
    "recorded on every run it starts. Its link is\n"
    "  https://t.me/<bot>?start=cd_<deployment>_<code>\n"
    "(at most 64 characters: the deployment id in base62, a random code).";

}  // namespace

void add_token_commands(CommandTree& tree) {
    const char* summary = "create, list, revoke, pause, resume enrollment tokens; sign external links";
    tree.add_subcommand(
        "token", summary, kTokenFamilyUsage,
        {"create",
         "make a token and print its start link",
         "Usage: profo token create [--config FILE] [--account ID] --deployment ID --type TYPE\n"
         "                          [--label TEXT] [--max-uses N] [--expires WHEN]\n"
         "                          [--starts WHEN] [--ends WHEN] [--user ID|@NAME]\n"
         "                          [--utm-source S] [--utm-medium M] [--utm-campaign C] [--json]\n\n"
         "Checks the token with its type's plugin, gives it a random code and prints its\n"
         "link (with the bot's username).\n\n"
         "  --type TYPE      public (anyone, unlimited), group (needs --max-uses),\n"
         "                   personal (one use; --user binds it to one Telegram user),\n"
         "                   external (LMS/CRM links: see profo token sign-external)\n"
         "  --label TEXT     for the people who hand it out\n"
         "  --max-uses N     how many runs it may start (group; optional for external)\n"
         "  --expires WHEN   the link stops working\n"
         "  --starts WHEN    a cohort's start window: no run starts before --starts ...\n"
         "  --ends WHEN      ... nor from --ends on\n"
         "  --user ID|@NAME  personal: the only Telegram user (id or username) it admits\n"
         "  --utm-*          recorded on every run the token starts\n"
         "  --json           the token as JSON\n\n"
         "WHEN: 2025-09-01 (midnight UTC), 2025-09-01T08:30[:00][Z] (UTC), or a span from\n"
         "now: 90m, 12h, 7d, 2w.",
         run_create,
         {}});
    tree.add_subcommand(
        "token", summary, kTokenFamilyUsage,
        {"list",
         "list tokens with their state, uses and links",
         "Usage: profo token list [--config FILE] [--account ID] [--deployment ID] [--json]\n\n"
         "Every token of the deployment, or of the account. STATE is the first of revoked,\n"
         "paused, expired, used-up, not-open, closed that applies, else active.",
         run_list,
         {}});
    tree.add_subcommand("token", summary, kTokenFamilyUsage,
                        change_command("revoke", "withdraw a token for good",
                                       "Its links are refused from now on (students are told it was "
                                       "withdrawn);\nruns it started go on."));
    tree.add_subcommand("token", summary, kTokenFamilyUsage,
                        change_command("pause", "refuse a token's links until it is resumed",
                                       "Students opening its links are told it is paused."));
    tree.add_subcommand("token", summary, kTokenFamilyUsage,
                        change_command("resume", "accept a paused token's links again", ""));
    tree.add_subcommand(
        "token", summary, kTokenFamilyUsage,
        {"sign-external",
         "print an external token's link for one student",
         "Usage: profo token sign-external [--config FILE] [--account ID] --token ID --ref REF\n"
         "                                 --expires WHEN [--json]\n\n"
         "Signs REF (the student's id in the LMS/CRM: printable ASCII, no spaces) and the\n"
         "link's own expiry with the account's enrollment key, as an LMS would\n"
         "(plugins/enrollment/external/README.md describes the format). The run started\n"
         "with the link records REF as external_ref. Prints the link, or with --json the\n"
         "link, payload, ref and expiry. The whole link must fit Telegram's 64\n"
         "characters: a REF that does not is refused, saying by how much.",
         run_sign_external,
         {}});
    tree.add_subcommand("token", summary, kTokenFamilyUsage,
                        {"key",
                         "print the account's enrollment key for external links",
                         "Usage: profo token key [--config FILE] [--account ID] [--rotate] [--json]\n\n"
                         "The key (64 hex digits) an LMS/CRM signs external links with; made on first\n"
                         "use and stored sealed with the secrets key. --rotate makes a new one: links\n"
                         "signed with the old key stop working.",
                         run_key,
                         {}});
}

}  // namespace profo::host
