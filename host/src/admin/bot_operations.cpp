// The account's Telegram bots. A token goes in once and never comes out.
#include "admin/admin_catalogue.hpp"
#include "admin/record_json.hpp"

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

void add_bot_operations(AdminCatalogue& c) {
    const ArgumentSpec bot{"bot_id", Type::id, "the bot", true, true};
    c.add({"bots.list", "the account's bots", "GET", "/bots", AdminRole::admin}, {}, list_of("bots", "Bot"),
          [&c](const AdminCall& call) {
              json list = json::array();
              const auto health = c.bots().health(call.caller.account_id);
              for (const auto& b : c.bots().list(call.caller.account_id)) {
                  const auto h = health.find(b.id);
                  list.push_back(bot_json(b, h == health.end() ? nullptr : &h->second));
              }
              return json{{"bots", list}};
          });
    c.add({"bots.add", "add a bot by its token (checked with getMe)", "POST", "/bots", AdminRole::admin},
          {{"token", Type::string, "the token from @BotFather", true},
           {"mode",
            Type::string,
            "how updates come: poll (default) or webhook",
            false,
            false,
            {"poll", "webhook"}}},
          record_schema("Bot"), [&c](const AdminCall& call) {
              return bot_json(c.bots().add(call.caller.account_id, *call.arguments.string("token"),
                                           call.arguments.string("mode").value_or("poll")));
          });
    c.add({"bots.update", "enable or disable a bot", "PATCH", "/bots/{bot_id}", AdminRole::admin},
          {bot, {"enabled", Type::boolean, "whether it is served", true}}, record_schema("Bot"),
          [&c](const AdminCall& call) {
              return bot_json(c.bots().set_enabled(call.caller.account_id, call.arguments.id("bot_id"),
                                                   *call.arguments.boolean("enabled")));
          });
    c.add({"bots.remove", "remove a bot that carries no deployment", "DELETE", "/bots/{bot_id}",
           AdminRole::admin},
          {bot}, {{"type", "object"}}, [&c](const AdminCall& call) {
              c.bots().remove(call.caller.account_id, call.arguments.id("bot_id"));
              return json{{"removed", call.arguments.id("bot_id")}};
          });
}

}  // namespace profo::host
