// Students' runs, a run's conversation, and bans.
#include "admin/admin_catalogue.hpp"
#include "admin/record_json.hpp"

#include <limits>

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

namespace {

sdk::RunStatus status_of(const std::string& text) {
    for (const auto s : {sdk::RunStatus::active, sdk::RunStatus::completed, sdk::RunStatus::stopped,
                         sdk::RunStatus::blocked, sdk::RunStatus::abandoned})
        if (sdk::to_string(s) == text) return s;
    return sdk::RunStatus::active;  // the argument's choices let nothing else through
}

}  // namespace

void add_run_operations(AdminCatalogue& c) {
    c.add(
        {"runs.list", "students' runs, oldest first (by id) unless order is newest", "GET", "/runs",
         AdminRole::admin},
        {{"deployment_id", Type::id, "only this deployment's"},
         {"bot_id", Type::id, "only this bot's"},
         {"status",
          Type::string,
          "only runs in this status",
          false,
          false,
          {"active", "completed", "stopped", "blocked", "abandoned"}},
         {"token_id", Type::id, "only runs started with this token"},
         {"from", Type::time, "only runs started at or after this"},
         {"to", Type::time, "only runs started before this"},
         {"chat_id", Type::integer, "only runs in this chat (a student's private chat is their user id)"},
         {"order", Type::string, "oldest (the default) or newest first", false, false, {"oldest", "newest"}},
         {"limit", Type::integer, "at most this many (1 to 1000; 100 when not given)"},
         {"offset", Type::integer, "skip this many"}},
        list_of("runs", "Run"), [&c](const AdminCall& call) {
            const auto& a = call.arguments;
            sdk::RunFilter filter;
            filter.deployment_id = a.optional_id("deployment_id");
            filter.bot_id = a.optional_id("bot_id");
            if (const auto s = a.string("status")) filter.status = status_of(*s);
            filter.token_id = a.optional_id("token_id");
            filter.started_from = a.time("from");
            filter.started_before = a.time("to");
            filter.chat_id = a.integer("chat_id");
            filter.newest_first = a.string("order") == "newest";
            filter.limit = a.integer_in("limit", 1, kMaxPageLimit).value_or(100);
            filter.offset = a.integer_in("offset", 0, std::numeric_limits<int>::max()).value_or(0);
            auto tx = c.deps().storage.begin_read();
            json list = json::array();
            for (const auto& r : tx->list_runs(call.caller.account_id, filter)) list.push_back(run_json(r));
            tx->commit();
            return json{{"runs", list}};
        });
    c.add({"runs.conversation", "a run with everything said in it, oldest first", "GET",
           "/runs/{run_id}/conversation", AdminRole::admin},
          {{"run_id", Type::id, "the run", true, true}},
          {{"type", "object"},
           {"properties",
            {{"run", record_schema("Run")},
             {"entries", {{"type", "array"}, {"items", record_schema("ConversationEntry")}}}}}},
          [&c](const AdminCall& call) {
              auto tx = c.deps().storage.begin_read();
              const auto run = tx->get_run(call.caller.account_id, call.arguments.id("run_id"));
              if (!run)
                  throw sdk::AdminError(sdk::AdminError::Code::not_found,
                                        "account " + std::to_string(call.caller.account_id) + " has no run " +
                                            std::to_string(call.arguments.id("run_id")),
                                        "/run_id");
              json entries = json::array();
              for (const auto& e : tx->conversation(call.caller.account_id, run->id))
                  entries.push_back(conversation_entry_json(e));
              tx->commit();
              return json{{"run", run_json(*run)}, {"entries", entries}};
          });
    c.add({"bans.list", "the account's bans", "GET", "/bans", AdminRole::admin}, {}, list_of("bans", "Ban"),
          [&c](const AdminCall& call) {
              json list = json::array();
              for (const auto& b : c.access().bans(call.caller.account_id)) list.push_back(ban_json(b));
              return json{{"bans", list}};
          });
    c.add({"bans.add", "ban a student on one bot or on all the account's", "POST", "/bans", AdminRole::admin},
          {{"user_id", Type::integer, "the student's Telegram user id", true},
           {"bot_id", Type::id, "only on this bot"},
           {"reason", Type::string, "for the account's people (at most 1000 characters)"},
           {"message", Type::string, "what the student is told (one message: at most 4096 characters)"}},
          {{"type", "object"},
           {"properties", {{"ban", record_schema("Ban")}, {"runs_stopped", {{"type", "integer"}}}}}},
          [&c](const AdminCall& call) {
              sdk::Ban ban;
              ban.user_id = *call.arguments.integer("user_id");
              ban.bot_id = call.arguments.optional_id("bot_id");
              ban.reason = call.arguments.string("reason").value_or("");
              ban.message = call.arguments.string("message").value_or("");
              const auto result = c.access().ban(call.caller.account_id, ban, call.now);
              return json{{"ban", ban_json(result.ban)}, {"runs_stopped", result.runs_stopped}};
          });
    c.add({"bans.remove", "lift a ban", "DELETE", "/bans/{ban_id}", AdminRole::admin},
          {{"ban_id", Type::id, "the ban", true, true}}, {{"type", "object"}}, [&c](const AdminCall& call) {
              c.access().unban(call.caller.account_id, call.arguments.id("ban_id"));
              return json{{"removed", call.arguments.id("ban_id")}};
          });
}

}  // namespace profo::host
