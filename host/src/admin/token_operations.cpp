// Enrollment tokens and the links that carry them.
#include "admin/admin_catalogue.hpp"
#include "admin/record_json.hpp"
#include "enrollment/qr_code.hpp"

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

void add_token_operations(AdminCatalogue& c) {
    const ArgumentSpec token{"token_id", Type::id, "the token", true, true};
    const auto one = record_schema("Token");

    c.add({"tokens.list", "the account's tokens with their links", "GET", "/tokens", AdminRole::admin},
          {{"deployment_id", Type::id, "only this deployment's"}}, list_of("tokens", "Token"),
          [&c](const AdminCall& call) {
              json list = json::array();
              for (const auto& t :
                   c.tokens().list(call.caller.account_id, call.arguments.optional_id("deployment_id")))
                  list.push_back(token_json(t, call.now));
              return json{{"tokens", list}};
          });
    c.add({"tokens.create", "a token for a deployment, with its link", "POST", "/tokens", AdminRole::admin},
          {{"deployment_id", Type::id, "the deployment it starts", true},
           {"type", Type::string, "public, group, personal, external, or another enabled type", true},
           {"label", Type::string, "for the people who hand it out"},
           {"max_uses", Type::integer, "group: how many students it admits"},
           {"expires_at", Type::time, "its links stop working then"},
           {"starts_at", Type::time, "a cohort's window opens"},
           {"ends_at", Type::time, "a cohort's window closes"},
           {"user_id", Type::integer, "personal: only this Telegram user"},
           {"username", Type::string, "personal: only this Telegram username"},
           {"utm_source", Type::string, "recorded on every run it starts"},
           {"utm_medium", Type::string, "recorded on every run it starts"},
           {"utm_campaign", Type::string, "recorded on every run it starts"}},
          one, [&c](const AdminCall& call) {
              const auto& a = call.arguments;
              TokenDraft d;
              d.deployment_id = a.id("deployment_id");
              d.type = *a.string("type");
              d.label = a.string("label").value_or("");
              d.max_uses = a.integer("max_uses");
              d.expires_at = a.time("expires_at");
              d.starts_at = a.time("starts_at");
              d.ends_at = a.time("ends_at");
              d.user_id = a.integer("user_id");
              d.username = a.string("username").value_or("");
              d.utm_source = a.string("utm_source").value_or("");
              d.utm_medium = a.string("utm_medium").value_or("");
              d.utm_campaign = a.string("utm_campaign").value_or("");
              return token_json(c.tokens().create(call.caller.account_id, d, call.now), call.now);
          });
    c.add({"tokens.update", "pause or resume a token", "PATCH", "/tokens/{token_id}", AdminRole::admin},
          {token, {"active", Type::boolean, "false pauses its links", true}}, one,
          [&c](const AdminCall& call) {
              return token_json(c.tokens().set_active(call.caller.account_id, call.arguments.id("token_id"),
                                                      *call.arguments.boolean("active")),
                                call.now);
          });
    c.add(
        {"tokens.revoke", "withdraw a token for good", "POST", "/tokens/{token_id}/revoke", AdminRole::admin},
        {token}, one, [&c](const AdminCall& call) {
            return token_json(c.tokens().revoke(call.caller.account_id, call.arguments.id("token_id")),
                              call.now);
        });
    c.add({"tokens.qr", "the token's link as a QR code (SVG)", "GET", "/tokens/{token_id}/qr",
           AdminRole::admin},
          {token},
          {{"type", "object"},
           {"properties", {{"link", {{"type", "string"}}}, {"svg", {{"type", "string"}}}}},
           {"required", {"link", "svg"}}},
          [&c](const AdminCall& call) {
              const auto issued = c.tokens().get(call.caller.account_id, call.arguments.id("token_id"));
              return json{{"link", issued.link}, {"svg", QrCode(issued.link).svg()}};
          });
    c.add({"tokens.sign", "an external token's link for one student", "POST", "/tokens/{token_id}/sign",
           AdminRole::admin},
          {token,
           {"ref", Type::string, "the student's reference in the LMS or CRM", true},
           {"expires_at", Type::time, "when the link stops working", true}},
          one, [&c](const AdminCall& call) {
              return token_json(
                  c.tokens().sign_external(call.caller.account_id, call.arguments.id("token_id"),
                                           *call.arguments.string("ref"), *call.arguments.time("expires_at"),
                                           call.now),
                  call.now);
          });
}

}  // namespace profo::host
