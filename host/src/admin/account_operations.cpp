// The account itself and its members. Members and renaming are the owner's.
#include "admin/admin_catalogue.hpp"
#include "admin/record_json.hpp"

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

void add_account_operations(AdminCatalogue& c) {
    const ArgumentSpec user{"telegram_user_id", Type::integer, "the member's Telegram user id", true, true};
    c.add({"account.get", "the account", "GET", "", AdminRole::admin}, {}, record_schema("Account"),
          [&c](const AdminCall& call) {
              auto tx = c.deps().storage.begin_read();
              const auto account = tx->get_account(call.caller.account_id);
              tx->commit();
              if (!account)
                  throw sdk::AdminError(sdk::AdminError::Code::not_found, "the account does not exist");
              return account_json(*account);
          });
    c.add({"account.rename", "rename the account", "PATCH", "", AdminRole::owner},
          {{"name", Type::string, "the new name, unique on the platform", true}}, record_schema("Account"),
          [&c](const AdminCall& call) {
              return account_json(
                  c.accounts().rename_account(call.caller.account_id, *call.arguments.string("name")));
          });
    c.add({"members.list", "the account's members", "GET", "/members", AdminRole::admin}, {},
          list_of("members", "Member"), [&c](const AdminCall& call) {
              json list = json::array();
              for (const auto& m : c.accounts().members(call.caller.account_id))
                  list.push_back(member_json(m));
              return json{{"members", list}};
          });
    c.add({"members.add", "make a Telegram user a member", "POST", "/members", AdminRole::owner},
          {{"telegram_user_id", Type::integer, "their Telegram user id", true},
           {"username", Type::string, "their Telegram username"},
           {"role", Type::string, "owner or admin (admin when not given)", false, false, {"owner", "admin"}}},
          record_schema("Member"), [&c](const AdminCall& call) {
              MemberDraft draft;
              draft.telegram_user_id = *call.arguments.integer("telegram_user_id");
              draft.username = call.arguments.string("username").value_or("");
              draft.role = call.arguments.string("role").value_or("admin");
              return member_json(c.accounts().add_member(call.caller.account_id, draft));
          });
    c.add({"members.update", "change a member's role", "PATCH", "/members/{telegram_user_id}",
           AdminRole::owner},
          {user, {"role", Type::string, "owner or admin", true, false, {"owner", "admin"}}},
          record_schema("Member"), [&c](const AdminCall& call) {
              return member_json(c.accounts().change_role(call.caller.account_id,
                                                          *call.arguments.integer("telegram_user_id"),
                                                          *call.arguments.string("role")));
          });
    c.add({"members.remove", "remove a member (never the last owner)", "DELETE",
           "/members/{telegram_user_id}", AdminRole::owner},
          {user}, record_schema("Member"), [&c](const AdminCall& call) {
              return member_json(c.accounts().remove_member(call.caller.account_id,
                                                            *call.arguments.integer("telegram_user_id")));
          });
}

}  // namespace profo::host
