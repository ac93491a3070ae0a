#include "cli/command.hpp"

#include <profo/sdk/records.hpp>

#include <algorithm>
#include <charconv>
#include <iomanip>
#include <ostream>

namespace profo::host {

namespace {

bool is_help(const std::string& a) {
    return a == "--help" || a == "-h" || a == "help";
}

void print_subcommands(std::ostream& out, const std::vector<Command>& commands) {
    std::size_t width = 0;
    for (const auto& c : commands) width = std::max(width, c.name.size());
    for (const auto& c : commands)
        out << "  " << std::left << std::setw(static_cast<int>(width) + 2) << c.name << c.summary << "\n";
}

int run_command(const Command& command, const std::string& path, CommandIo& io,
                const std::vector<std::string>& args) {
    if (!command.subcommands.empty()) {
        if (args.empty() || is_help(args[0])) {
            (args.empty() ? io.err : io.out) << command.usage << "\n\nCommands:\n";
            print_subcommands(args.empty() ? io.err : io.out, command.subcommands);
            return args.empty() ? 2 : 0;
        }
        for (const auto& sub : command.subcommands)
            if (sub.name == args[0])
                return run_command(sub, path + " " + sub.name, io, {args.begin() + 1, args.end()});
        io.err << "profo: unknown command '" << path << " " << args[0] << "'; see 'profo " << path
               << " --help'\n";
        return 2;
    }
    if (std::any_of(args.begin(), args.end(),
                    [](const std::string& a) { return a == "--help" || a == "-h"; })) {
        io.out << command.usage << "\n";
        return 0;
    }
    try {
        return command.run(io, args);
    } catch (const UsageError& e) {
        io.err << "profo " << path << ": " << e.what() << "\nsee 'profo " << path << " --help'\n";
        return 2;
    }
}

}  // namespace

Arguments::Arguments(const std::vector<std::string>& args, const std::vector<std::string>& value_options,
                     const std::vector<std::string>& flags) {
    auto known = [](const std::vector<std::string>& list, const std::string& name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0 || a == "--") {
            positionals_.push_back(a);
            continue;
        }
        const auto eq = a.find('=');
        const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        if (known(flags, name) && eq == std::string::npos) {
            flags_.push_back(name);
        } else if (known(value_options, name)) {
            if (eq != std::string::npos) {
                values_[name] = a.substr(eq + 1);
            } else if (i + 1 < args.size()) {
                values_[name] = args[++i];
            } else {
                throw UsageError("option --" + name + " needs a value");
            }
        } else {
            throw UsageError("unknown option --" + name);
        }
    }
}

bool Arguments::flag(const std::string& name) const {
    return std::find(flags_.begin(), flags_.end(), name) != flags_.end();
}

std::optional<std::string> Arguments::value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::int64_t positive_id(const std::string& text, const std::string& what) {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value <= 0)
        throw UsageError(what + " must be a positive id, not '" + text + "'");
    return value;
}

std::int64_t account_option(const Arguments& parsed) {
    const auto text = parsed.value("account");
    return text ? positive_id(*text, "--account") : sdk::kDefaultAccountId;
}

std::optional<bool> switch_option(const Arguments& parsed, const std::string& name) {
    const auto text = parsed.value(name);
    if (!text) return std::nullopt;
    if (*text == "on" || *text == "yes" || *text == "true") return true;
    if (*text == "off" || *text == "no" || *text == "false") return false;
    throw UsageError("--" + name + " takes on or off, not '" + *text + "'");
}

void CommandTree::add(Command command) {
    commands_.push_back(std::move(command));
}

void CommandTree::add_subcommand(const std::string& parent, const std::string& parent_summary,
                                 const std::string& parent_usage, Command command) {
    for (auto& c : commands_) {
        if (c.name == parent) {
            c.subcommands.push_back(std::move(command));
            return;
        }
    }
    commands_.push_back({parent, parent_summary, parent_usage, nullptr, {std::move(command)}});
}

void CommandTree::print_help(std::ostream& out) const {
    out << "profo: the ProfoChatBot platform\n\n"
           "Usage: profo [--config FILE] COMMAND [ARGS...]\n\n"
           "The config file is --config, else $PROFO_CONFIG, else the first that exists of\n"
           "config/profo.yaml in the current folder, <exe_dir>/../etc/profo/profo.yaml (an\n"
           "install) and <exe_dir>/../config/profo.yaml (the build tree).\n"
           "Every setting can be overridden by a PROFO_* environment variable.\n\n"
           "Commands:\n";
    print_subcommands(out, commands_);
    out << "\nRun 'profo COMMAND --help' for a command's options.\n";
}

int CommandTree::dispatch(CommandIo& io, const std::vector<std::string>& all_args) const {
    // --config may stand anywhere; commands find it through PROFO_CONFIG, which
    // the option overrides, so it reaches subcommands however deep.
    if (const auto named = config_path_from(all_args, io.env)) io.env["PROFO_CONFIG"] = *named;
    const auto args = without_config_option(all_args);
    if (args.empty()) {
        print_help(io.err);
        return 2;
    }
    if (is_help(args[0])) {
        print_help(io.out);
        return 0;
    }
    for (const auto& c : commands_)
        if (c.name == args[0]) return run_command(c, c.name, io, {args.begin() + 1, args.end()});
    io.err << "profo: unknown command '" << args[0] << "'; see 'profo --help'\n";
    return 2;
}

std::optional<std::string> config_path_from(const std::vector<std::string>& args, const Environment& env) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--config" && i + 1 < args.size()) return args[i + 1];
        if (args[i].rfind("--config=", 0) == 0) return args[i].substr(9);
    }
    if (auto it = env.find("PROFO_CONFIG"); it != env.end() && !it->second.empty()) return it->second;
    return std::nullopt;
}

std::vector<std::string> without_config_option(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--config") {
            ++i;
            continue;
        }
        if (args[i].rfind("--config=", 0) == 0) continue;
        out.push_back(args[i]);
    }
    return out;
}

void add_course_subcommand(CommandTree& tree, Command command) {
    tree.add_subcommand("course", "validate, import, export, play courses (YAML)",
                        "Usage: profo course COMMAND [ARGS...]\n\n"
                        "Courses are YAML documents: a mapping of element id to element, in course\n"
                        "order. Every element type, its fields and an example: docs/elements.md;\n"
                        "how a course runs: docs/course-runtime.md.",
                        std::move(command));
}

CommandTree build_command_tree() {
    CommandTree tree;
    add_serve_command(tree);
    add_migrate_command(tree);
    add_plugins_command(tree);
    add_version_command(tree);
    add_conformance_command(tree);
    add_course_commands(tree);
    add_course_play_command(tree);
    add_bot_commands(tree);
    add_deploy_commands(tree);
    add_run_commands(tree);
    add_token_commands(tree);
    add_ban_commands(tree);
    add_account_commands(tree);
    add_admin_commands(tree);
    add_legacy_commands(tree);
    return tree;
}

}  // namespace profo::host
