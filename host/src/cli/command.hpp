// The `profo` command line: a tree of commands, each with its own --help.
// A command family (`course`, later `bot`, `deploy`, `token`) is a Command
// with subcommands; adding one is a call to CommandTree::add().
#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::host {

// Where a command reads and writes, so tests can run commands in-process.
struct CommandIo {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    Environment env;
};

// Options and positionals of one command invocation.
class Arguments {
public:
    // `value_options` take a value (`--name VALUE` or `--name=VALUE`);
    // `flags` take none. Anything else starting with "--" is a usage error.
    Arguments(const std::vector<std::string>& args, const std::vector<std::string>& value_options,
              const std::vector<std::string>& flags);

    bool flag(const std::string& name) const;
    std::optional<std::string> value(const std::string& name) const;
    const std::vector<std::string>& positionals() const { return positionals_; }

private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> flags_;
    std::vector<std::string> positionals_;
};

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// `text` as a positive id; a UsageError naming `what` otherwise.
std::int64_t positive_id(const std::string& text, const std::string& what);
// --account ID, or the default account.
std::int64_t account_option(const Arguments& parsed);
// An optional on|off option (also yes/no, true/false); empty when not given.
std::optional<bool> switch_option(const Arguments& parsed, const std::string& name);

struct Command {
    std::string name;
    std::string summary;  // one line, for the parent's list
    std::string usage;    // the full --help text
    // Receives the arguments after the command's name. Returns the exit code.
    std::function<int(CommandIo&, const std::vector<std::string>&)> run;
    std::vector<Command> subcommands;
};

class CommandTree {
public:
    void add(Command command);
    // Adds a subcommand to the family `parent` (created, with `parent_usage`, if absent).
    void add_subcommand(const std::string& parent, const std::string& parent_summary,
                        const std::string& parent_usage, Command command);
    // argv without the program name. Handles --help / -h / help at every level.
    int dispatch(CommandIo& io, const std::vector<std::string>& args) const;
    void print_help(std::ostream& out) const;

private:
    std::vector<Command> commands_;
};

// The config file named by --config FILE (anywhere) or else $PROFO_CONFIG;
// nothing when neither names one (see default_config_locations()).
std::optional<std::string> config_path_from(const std::vector<std::string>& args, const Environment& env);
// The arguments without --config and its value.
std::vector<std::string> without_config_option(const std::vector<std::string>& args);

CommandTree build_command_tree();

// `profo course ...`: the family every course subcommand joins.
void add_course_subcommand(CommandTree& tree, Command command);

// Each command family registers itself here; defined in its own file.
void add_serve_command(CommandTree& tree);
void add_migrate_command(CommandTree& tree);
void add_plugins_command(CommandTree& tree);
void add_version_command(CommandTree& tree);
void add_conformance_command(CommandTree& tree);
void add_course_commands(CommandTree& tree);
void add_course_play_command(CommandTree& tree);
void add_bot_commands(CommandTree& tree);
void add_deploy_commands(CommandTree& tree);
void add_run_commands(CommandTree& tree);
void add_token_commands(CommandTree& tree);
void add_ban_commands(CommandTree& tree);
void add_admin_commands(CommandTree& tree);
void add_account_commands(CommandTree& tree);  // and `member ...`
void add_legacy_commands(CommandTree& tree);

}  // namespace profo::host
