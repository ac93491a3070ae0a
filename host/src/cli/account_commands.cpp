// profo account create | list | rename and profo member add | list | role |
// remove: tenants and the Telegram users who run them, over AccountDirectory.
// The member commands work on the default account unless --account says
// otherwise, like every other command.
#include "accounts/account_directory.hpp"
#include "admin/record_json.hpp"
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "cli/time_option.hpp"
#include "runtime/platform.hpp"
#include "telegram/telegram_username.hpp"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <ostream>

namespace profo::host {

namespace {

using nlohmann::json;

template <class Body>
int with_directory(CommandIo& io, const std::vector<std::string>& args, const std::string& command,
                   Body body) {
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        AccountDirectory directory(platform.storage());
        return body(directory);
    } catch (const AccountDirectoryError& e) {
        io.err << "profo " << command << ": " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
}

// Members are Telegram users, named by their numeric id: a username can
// change hands, the id cannot.
std::int64_t telegram_user_id(const std::string& text, const std::string& what) {
    if (!text.empty() && text.front() == '@')
        throw UsageError(what + " is a Telegram user id (digits), not the username '" + text +
                         "'; a username goes with --username");
    return positive_id(text, what);
}

std::string checked_name(const std::string& name) {
    try {
        check_account_name(name);
    } catch (const AccountDirectoryError& e) {
        throw UsageError(e.what());
    }
    return name;
}

std::string checked_username(const std::string& option, const std::string& username) {
    if (!username.empty() && !is_telegram_username(without_at_sign(username)))
        throw UsageError(option + " '" + username +
                         "' is not a Telegram username (5 to 32 of letters, digits and _)");
    return username;
}

std::string checked_role(const std::string& role) {
    try {
        return parse_member_role(role);
    } catch (const AccountDirectoryError& e) {
        throw UsageError(e.what());
    }
}

std::string member_text(const sdk::AccountMember& m) {
    return "telegram user " + std::to_string(m.telegram_user_id) +
           (m.username.empty() ? std::string() : " (@" + m.username + ")") + ", " + m.role;
}

int run_account_create(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "owner", "owner-username"}, {"json"});
    if (parsed.positionals().size() != 1)
        throw UsageError("name exactly one account NAME (quote a name with spaces)");
    const auto name = checked_name(parsed.positionals()[0]);
    std::optional<MemberDraft> owner;
    if (const auto id = parsed.value("owner")) {
        owner.emplace();
        owner->telegram_user_id = telegram_user_id(*id, "--owner");
        owner->username = checked_username("--owner-username", parsed.value("owner-username").value_or(""));
        owner->role = "owner";
    } else if (parsed.value("owner-username")) {
        throw UsageError("--owner-username goes with --owner TELEGRAM_ID");
    }
    return with_directory(io, args, "account create", [&](AccountDirectory& directory) {
        const auto account = directory.create_account(name, owner);
        const auto members = directory.members(account.id);
        if (parsed.flag("json")) {
            auto list = json::array();
            for (const auto& m : members) list.push_back(member_json(m));
            io.out << json{{"id", account.id},
                           {"name", account.name},
                           {"created_at", format_time(account.created_at)},
                           {"members", list}}
                          .dump(2)
                   << "\n";
            return 0;
        }
        io.out << "created account " << account.id << " '" << account.name << "'\n";
        for (const auto& m : members) io.out << "member: " << member_text(m) << "\n";
        io.out << "its bots: profo bot add --account " << account.id << " TOKEN\n";
        return 0;
    });
}

int run_account_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config"}, {"json"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    return with_directory(io, args, "account list", [&](AccountDirectory& directory) {
        const auto accounts = directory.list_accounts();
        if (parsed.flag("json")) {
            auto list = json::array();
            for (const auto& a : accounts)
                list.push_back({{"id", a.account.id},
                                {"name", a.account.name},
                                {"created_at", format_time(a.account.created_at)},
                                {"owners", a.owners},
                                {"admins", a.admins},
                                {"bots", a.bots}});
            io.out << json{{"accounts", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(7) << "ID" << std::setw(8) << "OWNERS" << std::setw(8) << "ADMINS"
               << std::setw(6) << "BOTS" << std::setw(22) << "CREATED"
               << "NAME\n";
        for (const auto& a : accounts)
            io.out << std::setw(7) << a.account.id << std::setw(8) << a.owners << std::setw(8) << a.admins
                   << std::setw(6) << a.bots << std::setw(22) << format_time(a.account.created_at)
                   << a.account.name << "\n";
        return 0;
    });
}

int run_account_rename(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config"}, {"json"});
    if (parsed.positionals().size() != 2)
        throw UsageError("name the account ID and its new NAME (quote a name with spaces)");
    const auto id = positive_id(parsed.positionals()[0], "the account ID");
    const auto name = checked_name(parsed.positionals()[1]);
    return with_directory(io, args, "account rename", [&](AccountDirectory& directory) {
        const auto account = directory.rename_account(id, name);
        if (parsed.flag("json"))
            io.out << json{{"id", account.id}, {"name", account.name}}.dump(2) << "\n";
        else
            io.out << "renamed account " << account.id << " to '" << account.name << "'\n";
        return 0;
    });
}

void print_member(CommandIo& io, const Arguments& parsed, const std::string& verb,
                  const sdk::AccountMember& m) {
    if (parsed.flag("json"))
        io.out << member_json(m).dump(2) << "\n";
    else
        io.out << verb << " " << member_text(m) << " of account " << m.account_id << "\n";
}

int run_member_add(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "username", "role"}, {"json"});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one TELEGRAM_ID");
    const auto account = account_option(parsed);
    MemberDraft draft;
    draft.telegram_user_id = telegram_user_id(parsed.positionals()[0], "the TELEGRAM_ID");
    draft.username = checked_username("--username", parsed.value("username").value_or(""));
    draft.role = checked_role(parsed.value("role").value_or("admin"));
    return with_directory(io, args, "member add", [&](AccountDirectory& directory) {
        print_member(io, parsed, "added", directory.add_member(account, draft));
        return 0;
    });
}

int run_member_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    if (!parsed.positionals().empty())
        throw UsageError("unexpected argument '" + parsed.positionals()[0] + "'");
    const auto account = account_option(parsed);
    return with_directory(io, args, "member list", [&](AccountDirectory& directory) {
        const auto members = directory.members(account);
        if (parsed.flag("json")) {
            auto list = json::array();
            for (const auto& m : members) list.push_back(member_json(m));
            io.out << json{{"members", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(16) << "TELEGRAM_ID" << std::setw(8) << "ROLE" << std::setw(22)
               << "ADDED"
               << "USERNAME\n";
        for (const auto& m : members)
            io.out << std::setw(16) << m.telegram_user_id << std::setw(8) << m.role << std::setw(22)
                   << format_time(m.created_at) << (m.username.empty() ? "" : "@" + m.username) << "\n";
        if (members.empty()) io.err << "account " << account << " has no members\n";
        return 0;
    });
}

int run_member_role(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    if (parsed.positionals().size() != 2)
        throw UsageError("name the TELEGRAM_ID and the ROLE (owner or admin)");
    const auto account = account_option(parsed);
    const auto user = telegram_user_id(parsed.positionals()[0], "the TELEGRAM_ID");
    const auto role = checked_role(parsed.positionals()[1]);
    return with_directory(io, args, "member role", [&](AccountDirectory& directory) {
        print_member(io, parsed, "now", directory.change_role(account, user, role));
        return 0;
    });
}

int run_member_remove(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account"}, {"json"});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one TELEGRAM_ID");
    const auto account = account_option(parsed);
    const auto user = telegram_user_id(parsed.positionals()[0], "the TELEGRAM_ID");
    return with_directory(io, args, "member remove", [&](AccountDirectory& directory) {
        print_member(io, parsed, "removed", directory.remove_member(account, user));
        return 0;
    });
}

const char* kAccountFamilyUsage =
    "Usage: profo account COMMAND [ARGS...]\n\n"
    "Accounts are the platform's tenants (a school, a company): each has its own\n"
    "bots, courses, deployments, tokens, bans and students, and members who run it.\n"
    "Account 1 is the default every command uses without --account. Names are\n"
    "unique on the platform, without regard to the case of letters A-Z.";

const char* kMemberFamilyUsage =
    "Usage: profo member COMMAND [ARGS...]\n\n"
    "The Telegram users who run an account, named by their Telegram user id, each\n"
    "an owner (also manages the account and its members) or an admin (its bots,\n"
    "courses, deployments and students). An account that has an owner keeps one:\n"
    "removing or demoting its last owner is refused.";

}  // namespace

void add_account_commands(CommandTree& tree) {
    const char* account_summary = "create, list, rename accounts (tenants)";
    tree.add_subcommand("account", account_summary, kAccountFamilyUsage,
                        {"create",
                         "make an account, with its first owner",
                         "Usage: profo account create [--config FILE] [--owner TELEGRAM_ID\n"
                         "                            [--owner-username NAME]] [--json] NAME\n\n"
                         "Makes the account and prints its id, which the other commands take as\n"
                         "--account ID. With --owner, the Telegram user becomes its owner in the same\n"
                         "step: both are made, or neither.\n\n"
                         "  NAME                    1 to 100 characters, no control characters, no space at\n"
                         "                          either end; not another account's name\n"
                         "  --owner TELEGRAM_ID     the first owner's Telegram user id\n"
                         "  --owner-username NAME   their Telegram username (with or without @)\n"
                         "  --json                  the account and its members as JSON",
                         run_account_create,
                         {}});
    tree.add_subcommand("account", account_summary, kAccountFamilyUsage,
                        {"list",
                         "list every account with its members and bots",
                         "Usage: profo account list [--config FILE] [--json]\n\n"
                         "Prints each account's id, how many owners, admins and bots it has, when it\n"
                         "was made, and its name.",
                         run_account_list,
                         {}});
    tree.add_subcommand("account", account_summary, kAccountFamilyUsage,
                        {"rename",
                         "give an account another name",
                         "Usage: profo account rename [--config FILE] [--json] ID NAME\n\n"
                         "NAME follows the rules of 'profo account create'.",
                         run_account_rename,
                         {}});

    const char* member_summary = "add, list, change the role of, remove an account's members";
    tree.add_subcommand("member", member_summary, kMemberFamilyUsage,
                        {"add",
                         "make a Telegram user a member of the account",
                         "Usage: profo member add [--config FILE] [--account ID] [--username NAME]\n"
                         "                        [--role owner|admin] [--json] TELEGRAM_ID\n\n"
                         "  TELEGRAM_ID       the user's numeric Telegram id\n"
                         "  --username NAME   their Telegram username (with or without @)\n"
                         "  --role ROLE       owner or admin (default admin)\n"
                         "  --account ID      the account (tenant); default 1",
                         run_member_add,
                         {}});
    tree.add_subcommand("member", member_summary, kMemberFamilyUsage,
                        {"list",
                         "list the account's members",
                         "Usage: profo member list [--config FILE] [--account ID] [--json]",
                         run_member_list,
                         {}});
    tree.add_subcommand("member", member_summary, kMemberFamilyUsage,
                        {"role",
                         "make a member owner or admin",
                         "Usage: profo member role [--config FILE] [--account ID] [--json] TELEGRAM_ID\n"
                         "                         owner|admin\n\n"
                         "Making the account's last owner an admin is refused: make another member\n"
                         "owner first.",
                         run_member_role,
                         {}});
    tree.add_subcommand("member", member_summary, kMemberFamilyUsage,
                        {"remove",
                         "take a member off the account",
                         "Usage: profo member remove [--config FILE] [--account ID] [--json] TELEGRAM_ID\n\n"
                         "Removing the account's last owner is refused: make another member owner\n"
                         "first.",
                         run_member_remove,
                         {}});
}

}  // namespace profo::host
