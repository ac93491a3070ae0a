// profo run list: the account's runs (who is where in which course), for
// support and for checking a deployment from scripts (--json).
#include "admin/record_json.hpp"
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "runtime/platform.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <iomanip>
#include <limits>
#include <ostream>

namespace profo::host {

namespace {

std::int64_t whole_number(const std::string& text, const std::string& what, std::int64_t low) {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value < low)
        throw UsageError(what + " must be a whole number of at least " + std::to_string(low) + ", not '" +
                         text + "'");
    return value;
}

int run_list(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "bot", "deployment", "status", "limit"}, {"json"});
    const auto account = parsed.value("account") ? whole_number(*parsed.value("account"), "--account", 1)
                                                 : sdk::kDefaultAccountId;
    sdk::RunFilter filter;
    if (auto bot = parsed.value("bot")) filter.bot_id = whole_number(*bot, "--bot", 1);
    if (auto d = parsed.value("deployment")) filter.deployment_id = whole_number(*d, "--deployment", 1);
    if (auto status = parsed.value("status")) {
        filter.status = sdk::parse_run_status(*status);
        if (!filter.status)
            throw UsageError("--status must be active, completed, stopped, blocked or abandoned, not '" +
                             *status + "'");
    }
    // A larger limit than there can be runs lists them all.
    filter.limit = static_cast<int>(std::min<std::int64_t>(
        whole_number(parsed.value("limit").value_or("100"), "--limit", 1), std::numeric_limits<int>::max()));
    auto config = load_command_config(io, args);
    if (!config) return 2;
    try {
        Platform platform(std::move(*config));
        platform.migrate();
        auto tx = platform.storage().begin();
        // A filter naming what the account does not have is a mistake, not an
        // empty answer: it would read as "no student there yet".
        const auto in_account = " does not exist in account " + std::to_string(account);
        if (!tx->get_account(account))
            throw std::runtime_error("account " + std::to_string(account) + " does not exist");
        if (filter.bot_id && !tx->get_bot(account, *filter.bot_id))
            throw std::runtime_error("bot " + std::to_string(*filter.bot_id) + in_account);
        if (filter.deployment_id && !tx->get_deployment(account, *filter.deployment_id))
            throw std::runtime_error("deployment " + std::to_string(*filter.deployment_id) + in_account);
        const auto runs = tx->list_runs(account, filter);
        tx->commit();
        if (parsed.flag("json")) {
            auto list = nlohmann::json::array();
            for (const auto& r : runs) list.push_back(run_json(r));
            io.out << nlohmann::json{{"runs", list}}.dump(2) << "\n";
            return 0;
        }
        io.out << std::left << std::setw(8) << "ID" << std::setw(6) << "BOT" << std::setw(16) << "CHAT"
               << std::setw(11) << "STATUS"
               << "AT\n";
        for (const auto& r : runs)
            io.out << std::setw(8) << r.id << std::setw(6) << r.bot_id << std::setw(16) << r.chat_id
                   << std::setw(11) << sdk::to_string(r.status) << r.cursor << "\n";
        if (runs.empty()) io.err << "no runs match\n";
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
    return 0;
}

}  // namespace

void add_run_commands(CommandTree& tree) {
    tree.add_subcommand("run", "students' runs through courses", "Usage: profo run COMMAND [ARGS...]",
                        {"list",
                         "list the account's runs, oldest first",
                         "Usage: profo run list [--config FILE] [--account ID] [--bot ID] [--deployment ID]\n"
                         "                      [--status active|completed|stopped|blocked|abandoned]\n"
                         "                      [--limit N] [--json]\n\n"
                         "Prints each run's id, bot, chat, status and the element it is at (the last\n"
                         "one for a finished run); --limit (default 100) caps how many.",
                         run_list,
                         {}});
}

}  // namespace profo::host
