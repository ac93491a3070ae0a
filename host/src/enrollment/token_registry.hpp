// Issuing enrollment tokens and the links that carry them: a token is
// checked by the plugin of its type before it is stored, its code is random
// (as long as the type asks), and its link is printed with the bot's
// username. Every call names the account, so accounts (tenancy) use it
// unchanged; the CLI passes the default account.
#pragma once

#include <profo/sdk/admin.hpp>

#include "plugins/plugin_registry.hpp"

#include <profo/sdk/host.hpp>
#include <profo/sdk/records.hpp>
#include <profo/sdk/storage.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace profo::host {

// Why a token could not be issued or changed; the message names what was
// wrong and where, for the person at the command line.
// An AdminError, so the panel's API answers it with its code; invalid_argument
// unless the throw says otherwise.
class TokenRegistryError : public sdk::AdminError {
public:
    explicit TokenRegistryError(const std::string& message, Code code = Code::invalid_argument,
                                std::string field = {})
        : sdk::AdminError(code, message, std::move(field)) {}
};

// A token's label and each of its UTM values, in characters.
inline constexpr std::size_t kMaxTokenTextLength = 200;

// What `profo token create` asks for.
struct TokenDraft {
    sdk::Id deployment_id = 0;
    std::string type;
    std::string label;
    std::optional<std::int64_t> max_uses;
    std::optional<sdk::Millis> expires_at;
    std::optional<sdk::Millis> starts_at;
    std::optional<sdk::Millis> ends_at;
    std::optional<std::int64_t> user_id;  // personal: bound to this Telegram user
    std::string username;                 // ... or to this username
    std::string utm_source;
    std::string utm_medium;
    std::string utm_campaign;
};

struct IssuedToken {
    sdk::EnrollmentToken token;
    std::string bot_username;
    std::string payload;  // what follows /start
    std::string link;     // https://t.me/<bot>?start=<payload>
};

class TokenRegistry {
public:
    TokenRegistry(sdk::Storage& storage, const PluginRegistry& plugins, const sdk::SecretBox& secrets);

    IssuedToken create(sdk::Id account_id, const TokenDraft& draft, sdk::Millis now);
    // The deployment's tokens, or every token of the account.
    std::vector<IssuedToken> list(sdk::Id account_id, std::optional<sdk::Id> deployment_id);
    IssuedToken get(sdk::Id account_id, sdk::Id token_id);
    IssuedToken revoke(sdk::Id account_id, sdk::Id token_id);
    IssuedToken set_active(sdk::Id account_id, sdk::Id token_id, bool active);
    // A link of an external token for one student: the type's plugin signs
    // `ref` and the expiry with the account's enrollment key.
    IssuedToken sign_external(sdk::Id account_id, sdk::Id token_id, const std::string& ref,
                              sdk::Millis expires_at, sdk::Millis now);
    // The account's enrollment key in hex (made on first use; `rotate` makes a
    // new one, and links signed with the old one stop working).
    std::string enrollment_key(sdk::Id account_id, bool rotate);

private:
    IssuedToken issued(sdk::StorageTx& tx, sdk::Id account_id, sdk::EnrollmentToken token,
                       const std::string& argument = {});
    sdk::EnrollmentPlugin& plugin_for(const std::string& type) const;
    std::string key_of(sdk::StorageTx& tx, sdk::Id account_id, bool rotate);
    sdk::EnrollmentToken token_of(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id token_id);

    sdk::Storage& storage_;
    const PluginRegistry& plugins_;
    const sdk::SecretBox& secrets_;
};

}  // namespace profo::host
