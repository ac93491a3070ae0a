// profo ban add | list | remove and profo deploy participants add | list |
// remove: who may take courses, over AccessRules, for the default account
// unless --account says otherwise.
#include "admin/record_json.hpp"
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "cli/time_option.hpp"
#include "enrollment/access_rules.hpp"
#include "runtime/platform.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iomanip>
#include <ostream>

namespace profo::host {

namespace {

using nlohmann::json;

template <class Body>
int with_rules(CommandIo& io, const std::vector<std::string>& args, const std::string& command, Body body) {
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        AccessRules rules(platform.storage());
        return body(rules);
    } catch (const AccessRulesError& e) {
        io.err << "profo " << command << ": " << e.what() << "\n";
        return 1;
    } catch (const sdk::StorageError& e) {
        io.err << "profo " << command << ": " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
}

int run_ban_add(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "user", "bot", "reason", "message"}, {"json"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    const auto account = account_option(parsed);
    const auto user = parsed.value("user");
    if (!user) throw UsageError("name the --user (a Telegram user id)");
    sdk::Ban ban;
    ban.user_id = positive_id(*user, "--user");
    if (const auto bot = parsed.value("bot")) ban.bot_id = positive_id(*bot, "--bot");
    ban.reason = parsed.value("reason").value_or("");
    ban.message = parsed.value("message").value_or("");
    return with_rules(io, args, "ban add", [&](AccessRules& rules) {
        const auto result = rules.ban(account, ban, wall_clock_ms());
        if (parsed.flag("json")) {
            auto out = ban_json(result.ban);
            out["runs_stopped"] = result.runs_stopped;
            io.out << out.dump(2) << "\n";
            return 0;
        }
        io.out << "banned user " << ban.user_id << " on "
               << (ban.bot_id ? "bot " + std::to_string(*ban.bot_id)
                              : std::string("every bot of account ") + std::to_string(account))
               << " (ban " << result.ban.id << "; " << result.runs_stopped << " active run"
               << (result.runs_stopped == 1 ? "" : "s") << " stopped)\n";
        return 0;
    });
}

int run_ban_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    const auto account = account_option(parsed);
    return with_rules(io, args, "ban list", [&](AccessRules& rules) {
        const auto bans = rules.bans(account);
        if (parsed.flag("json")) {
            auto list = json::array();
            for (const auto& b : bans) list.push_back(ban_json(b));
            io.out << json{{"bans", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(7) << "ID" << std::setw(14) << "USER" << std::setw(8) << "BOT"
               << std::setw(30) << "REASON"
               << "MESSAGE\n";
        for (const auto& b : bans)
            io.out << std::setw(7) << b.id << std::setw(14) << b.user_id << std::setw(8)
                   << (b.bot_id ? std::to_string(*b.bot_id) : std::string("all")) << std::setw(30)
                   << (b.reason.size() > 28 ? b.reason.substr(0, 27) + "~" : b.reason)
                   << (b.message.empty() ? std::string("(the `banned` text)") : b.message) << "\n";
        if (bans.empty()) io.err << "no bans in account " << account << "\n";
        return 0;
    });
}

int run_ban_remove(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one BAN_ID");
    const auto account = account_option(parsed);
    const auto id = positive_id(parsed.positionals()[0], "the BAN_ID");
    return with_rules(io, args, "ban remove", [&](AccessRules& rules) {
        rules.unban(account, id);
        io.out << "removed ban " << id << "\n";
        return 0;
    });
}

int run_participants_add(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    if (parsed.positionals().size() < 2) throw UsageError("name the DEPLOYMENT and at least one USER");
    const auto account = account_option(parsed);
    const auto deployment = positive_id(parsed.positionals()[0], "the DEPLOYMENT");
    std::vector<TelegramUser> users;
    for (std::size_t i = 1; i < parsed.positionals().size(); ++i) {
        try {
            users.push_back(parse_telegram_user(parsed.positionals()[i]));
        } catch (const AccessRulesError& e) {
            throw UsageError(e.what());
        }
    }
    return with_rules(io, args, "deploy participants add", [&](AccessRules& rules) {
        auto list = json::array();
        for (const auto& user : users) {
            const auto p = rules.add_participant(account, deployment, user);
            list.push_back(participant_json(p));
            if (!parsed.flag("json"))
                io.out << "added participant " << p.id << " to deployment " << deployment << ": "
                       << (p.user_id ? std::to_string(*p.user_id) : "@" + p.username) << "\n";
        }
        if (parsed.flag("json")) io.out << json{{"participants", list}}.dump(2) << "\n";
        return 0;
    });
}

int run_participants_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one DEPLOYMENT");
    const auto account = account_option(parsed);
    const auto deployment = positive_id(parsed.positionals()[0], "the DEPLOYMENT");
    return with_rules(io, args, "deploy participants list", [&](AccessRules& rules) {
        const auto all = rules.participants(account, deployment);
        if (parsed.flag("json")) {
            auto list = json::array();
            for (const auto& p : all) list.push_back(participant_json(p));
            io.out << json{{"participants", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(7) << "ID"
               << "USER\n";
        for (const auto& p : all)
            io.out << std::setw(7) << p.id << (p.user_id ? std::to_string(*p.user_id) : "@" + p.username)
                   << "\n";
        if (all.empty()) io.err << "deployment " << deployment << " lists no participants\n";
        return 0;
    });
}

int run_participants_remove(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one PARTICIPANT_ID");
    const auto account = account_option(parsed);
    const auto id = positive_id(parsed.positionals()[0], "the PARTICIPANT_ID");
    return with_rules(io, args, "deploy participants remove", [&](AccessRules& rules) {
        rules.remove_participant(account, id);
        io.out << "removed participant " << id << "\n";
        return 0;
    });
}

}  // namespace

void add_ban_commands(CommandTree& tree) {
    const char* summary = "ban students per bot or per account";
    const char* usage =
        "Usage: profo ban COMMAND [ARGS...]\n\n"
        "A banned student's /start is refused with the ban's message (or the `banned`\n"
        "text), per bot or on every bot of the account.";
    tree.add_subcommand("ban", summary, usage,
                        {"add",
                         "ban a Telegram user",
                         "Usage: profo ban add [--config FILE] [--account ID] --user USER_ID [--bot ID]\n"
                         "                     [--reason TEXT] [--message TEXT] [--json]\n\n"
                         "  --user USER_ID  the student's Telegram user id\n"
                         "  --bot ID        only on this bot (default: every bot of the account)\n"
                         "  --reason TEXT   for the operators\n"
                         "  --message TEXT  what the student is told when they start a course\n"
                         "                  (default: the deployment's `banned` text)\n\n"
                         "The student's active runs there are stopped at once.",
                         run_ban_add,
                         {}});
    tree.add_subcommand("ban", summary, usage,
                        {"list",
                         "list the account's bans",
                         "Usage: profo ban list [--config FILE] [--account ID] [--json]",
                         run_ban_list,
                         {}});
    tree.add_subcommand("ban", summary, usage,
                        {"remove",
                         "lift a ban",
                         "Usage: profo ban remove [--config FILE] [--account ID] BAN_ID",
                         run_ban_remove,
                         {}});

    Command participants{"participants",
                         "who may start a restricted deployment",
                         "Usage: profo deploy participants COMMAND [ARGS...]\n\n"
                         "A restricted deployment (profo deploy update ID --restricted on) admits only\n"
                         "its participants, by Telegram user id or username, and holders of personal\n"
                         "tokens.",
                         nullptr,
                         {}};
    participants.subcommands.push_back(
        {"add",
         "list users as participants",
         "Usage: profo deploy participants add [--config FILE] [--account ID] [--json]\n"
         "                                     DEPLOYMENT USER [USER...]\n\n"
         "USER: a Telegram user id (digits) or @username.",
         run_participants_add,
         {}});
    participants.subcommands.push_back(
        {"list",
         "list a deployment's participants",
         "Usage: profo deploy participants list [--config FILE] [--account ID] "
         "[--json] DEPLOYMENT",
         run_participants_list,
         {}});
    participants.subcommands.push_back(
        {"remove",
         "take a participant off the list",
         "Usage: profo deploy participants remove [--config FILE] [--account ID] "
         "PARTICIPANT_ID",
         run_participants_remove,
         {}});
    tree.add_subcommand("deploy", "put courses on bots", "Usage: profo deploy COMMAND [ARGS...]",
                        std::move(participants));
}

}  // namespace profo::host
