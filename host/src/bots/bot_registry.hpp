// Registering an account's Telegram bots: the token is checked with getMe
// (which also tells the bot's username), sealed through the secret box and
// never shown again. Every call names the account, so accounts (tenancy) use
// it unchanged; the CLI passes the default account.
#pragma once

#include <profo/sdk/admin.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/http_client.hpp>
#include <profo/sdk/records.hpp>
#include <profo/sdk/storage.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace profo::host {

// Why a bot could not be registered or changed; the message is for the user
// and never contains a token.
// An AdminError, so the panel's API answers it with its code; invalid_argument
// unless the throw says otherwise.
class BotRegistryError : public sdk::AdminError {
public:
    explicit BotRegistryError(const std::string& message, Code code = Code::invalid_argument,
                              std::string field = {})
        : sdk::AdminError(code, message, std::move(field)) {}
};

// "123456:***": enough to tell bots apart, nothing to steal.
std::string masked_token(const std::string& token);

// Inserts `bot` into the account with `token` sealed for its row
// (sdk::bot_token_context). The row's id exists only after the insert, so the
// row goes in with an empty token and gets the sealed one in the same
// transaction: no other transaction ever sees it without its token.
sdk::Bot create_bot_with_token(sdk::StorageTx& tx, const sdk::SecretBox& secrets, sdk::Id account_id,
                               sdk::Bot bot, std::string_view token);

// Re-seals, for their rows, the bot tokens of every account still sealed
// without a context (written before contexts existed); returns how many.
// Until then such a token opens in any row, so this runs before serving.
int reseal_unbound_bot_tokens(sdk::Storage& storage, const sdk::SecretBox& secrets);

class BotRegistry {
public:
    // `bot_api_base_url`: the Bot API the telegram transport talks to (its
    // `base_url` setting), so the token is checked where it will be used.
    BotRegistry(sdk::Storage& storage, const sdk::SecretBox& secrets, sdk::HttpClient& http,
                std::string bot_api_base_url);

    sdk::Bot add(sdk::Id account_id, const std::string& token, const std::string& mode);
    // The account's bots, without its preview bot (the panel's own).
    std::vector<sdk::Bot> list(sdk::Id account_id);
    // How the transports last found them, by bot id (none yet: absent).
    std::map<sdk::Id, sdk::BotHealth> health(sdk::Id account_id);
    sdk::Bot set_enabled(sdk::Id account_id, sdk::Id bot_id, bool enabled);
    void remove(sdk::Id account_id, sdk::Id bot_id);

private:
    std::string username_of(const std::string& token);

    sdk::Storage& storage_;
    const sdk::SecretBox& secrets_;
    sdk::HttpClient& http_;
    std::string base_url_;
};

}  // namespace profo::host
