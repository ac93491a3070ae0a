// Who may reach the account from outside: API keys for automation (the
// owner's to issue and revoke) and one-time sign-in links (the platform
// operator's, for a start with no login bot).
#include "admin/admin_catalogue.hpp"
#include "admin/record_json.hpp"
#include "text/record_name.hpp"

#include <profo/sdk/credentials.hpp>

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

namespace {

constexpr std::size_t kLoginLinkCodes = 43;  // about 256 bits
constexpr std::int64_t kMaxLabel = 200;

}  // namespace

void add_access_operations(AdminCatalogue& c) {
    c.add({"api_keys.list", "the account's API keys, revoked ones too (never the keys themselves)", "GET",
           "/api-keys", AdminRole::owner},
          {}, list_of("api_keys", "ApiKey"), [&c](const AdminCall& call) {
              auto tx = c.deps().storage.begin_read();
              json list = json::array();
              for (const auto& k : tx->list_api_keys(call.caller.account_id)) list.push_back(api_key_json(k));
              tx->commit();
              return json{{"api_keys", list}};
          });

    json created = record_schema("ApiKey");
    created["properties"]["key"] = {{"type", "string"},
                                    {"description", "the key: shown this once, never again"}};
    created["required"].push_back("key");
    c.add({"api_keys.create", "issue an API key; the answer is the only time the key is shown", "POST",
           "/api-keys", AdminRole::owner},
          {{"label", Type::string, "what the key is for (\"nightly export\")", true},
           {"role",
            Type::string,
            "what it may do: admin (content) or owner (also members and keys)",
            false,
            false,
            {"owner", "admin"}}},
          created, [&c](const AdminCall& call) {
              const auto label = *call.arguments.string("label");
              if (label.empty() || static_cast<std::int64_t>(label.size()) > kMaxLabel)
                  throw sdk::AdminError(sdk::AdminError::Code::invalid_argument,
                                        "label: give 1 to 200 characters saying what the key is for",
                                        "/label");
              if (auto problem = record_name_problem(label, "label", static_cast<std::size_t>(kMaxLabel)))
                  throw sdk::AdminError(sdk::AdminError::Code::invalid_argument, *problem, "/label");
              const auto issued = sdk::new_api_key();
              sdk::ApiKey key;
              key.account_id = call.caller.account_id;
              key.label = label;
              key.prefix = issued.prefix;
              key.secret_hash = sdk::sha256_hex(issued.key);
              key.role = call.arguments.string("role").value_or("admin");
              key.created_by_user_id = call.caller.telegram_user_id;
              key.created_at = call.now;
              auto tx = c.deps().storage.begin();
              key.id = tx->create_api_key(call.caller.account_id, key);
              tx->commit();
              auto out = api_key_json(key);
              out["key"] = issued.key;
              return out;
          });

    c.add({"api_keys.revoke", "revoke an API key: refused from now on, kept for the record", "DELETE",
           "/api-keys/{api_key_id}", AdminRole::owner},
          {{"api_key_id", Type::id, "the key", true, true}}, record_schema("ApiKey"),
          [&c](const AdminCall& call) {
              const auto id = call.arguments.id("api_key_id");
              auto tx = c.deps().storage.begin();
              if (!tx->revoke_api_key(call.caller.account_id, id, call.now))
                  throw sdk::AdminError(sdk::AdminError::Code::not_found,
                                        "account " + std::to_string(call.caller.account_id) +
                                            " has no API key " + std::to_string(id) + " that is not revoked",
                                        "/api_key_id");
              std::optional<sdk::ApiKey> revoked;
              for (auto& k : tx->list_api_keys(call.caller.account_id))
                  if (k.id == id) revoked = std::move(k);
              tx->commit();
              return api_key_json(*revoked);
          });

    c.add({"login_links.create", "a one-time sign-in link to the account's panel", "POST", "/login-links",
           AdminRole::platform},
          {{"valid_minutes", Type::integer, "how long it may be used (1 to 60; 10 when not given)"}},
          {{"type", "object"},
           {"properties",
            {{"id", {{"type", "integer"}}},
             {"token", {{"type", "string"}}},
             {"expires_at", {{"type", "string"}, {"format", "date-time"}}}}}},
          [&c](const AdminCall& call) {
              const auto minutes = call.arguments.integer("valid_minutes").value_or(10);
              if (minutes < 1 || minutes > 60)
                  throw sdk::AdminError(sdk::AdminError::Code::invalid_argument,
                                        "valid_minutes: must be 1 to 60", "/valid_minutes");
              const auto token = sdk::random_code(kLoginLinkCodes);
              sdk::LoginLink link;
              link.account_id = call.caller.account_id;
              link.token_hash = sdk::sha256_hex(token);
              link.created_at = call.now;
              link.expires_at = call.now + minutes * 60 * 1000;
              auto tx = c.deps().storage.begin();
              link.id = tx->create_login_link(call.caller.account_id, link);
              tx->commit();
              return json{{"id", link.id}, {"token", token}, {"expires_at", time_json(link.expires_at)}};
          });
}

}  // namespace profo::host
