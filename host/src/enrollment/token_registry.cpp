#include "enrollment/token_registry.hpp"

#include "text/record_name.hpp"

#include <profo/sdk/text.hpp>

#include <profo/sdk/credentials.hpp>
#include <profo/sdk/deep_link.hpp>
#include <profo/sdk/enrollment.hpp>

#include <nlohmann/json.hpp>

#include <openssl/rand.h>

#include <chrono>

namespace profo::host {

namespace {

std::string random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1)
        throw TokenRegistryError("the system's random number generator failed",
                                 sdk::AdminError::Code::unavailable);
    return out;
}

std::string hex(std::string_view bytes) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string token_ref(sdk::Id account_id, sdk::Id token_id) {
    return "token " + std::to_string(token_id) + " of account " + std::to_string(account_id);
}

}  // namespace

TokenRegistry::TokenRegistry(sdk::Storage& storage, const PluginRegistry& plugins,
                             const sdk::SecretBox& secrets)
    : storage_(storage), plugins_(plugins), secrets_(secrets) {}

sdk::EnrollmentPlugin& TokenRegistry::plugin_for(const std::string& type) const {
    if (auto* plugin = plugins_.enrollment(type)) return *plugin;
    std::string enabled;
    for (const auto& t : plugins_.enrollment_types()) enabled += (enabled.empty() ? "" : ", ") + t;
    throw TokenRegistryError("no enabled enrollment plugin provides token type '" + type +
                                 "' (enabled: " + (enabled.empty() ? std::string("none") : enabled) +
                                 "; enable plugins.enrollment." + type + ")",
                             sdk::AdminError::Code::invalid_argument, "/type");
}

sdk::EnrollmentToken TokenRegistry::token_of(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id token_id) {
    auto token = tx.get_token(account_id, token_id);
    if (!token)
        throw TokenRegistryError(token_ref(account_id, token_id) + " does not exist",
                                 sdk::AdminError::Code::not_found);
    return *token;
}

IssuedToken TokenRegistry::issued(sdk::StorageTx& tx, sdk::Id account_id, sdk::EnrollmentToken token,
                                  const std::string& argument) {
    IssuedToken out;
    const auto deployment = tx.get_deployment(account_id, token.deployment_id);
    const auto bot = deployment ? tx.get_bot(account_id, deployment->bot_id) : std::nullopt;
    out.bot_username = bot ? bot->username : std::string();
    out.payload = sdk::deep_link_payload(token.deployment_id, token.code, argument);
    out.link = sdk::deep_link_url(out.bot_username, out.payload);
    out.token = std::move(token);
    return out;
}

IssuedToken TokenRegistry::create(sdk::Id account_id, const TokenDraft& draft, sdk::Millis now) {
    for (const auto& [field, text] : {std::pair<const char*, const std::string&>{"label", draft.label},
                                      {"utm_source", draft.utm_source},
                                      {"utm_medium", draft.utm_medium},
                                      {"utm_campaign", draft.utm_campaign}})
        if (const auto length = sdk::telegram_length(text); length > kMaxTokenTextLength)
            throw TokenRegistryError(std::string(field) + " is " + std::to_string(length) +
                                         " characters long; at most " + std::to_string(kMaxTokenTextLength) +
                                         " are kept",
                                     sdk::AdminError::Code::invalid_argument, std::string("/") + field);
        else if (!text.empty())
            if (auto problem = record_name_problem(text, field, kMaxTokenTextLength))
                throw TokenRegistryError(*problem, sdk::AdminError::Code::invalid_argument,
                                         std::string("/") + field);
    auto& plugin = plugin_for(draft.type);
    sdk::EnrollmentToken token;
    token.deployment_id = draft.deployment_id;
    token.type = draft.type;
    token.label = draft.label;
    token.max_uses = draft.max_uses;
    token.expires_at = draft.expires_at;
    token.starts_at = draft.starts_at;
    token.ends_at = draft.ends_at;
    token.user_id = draft.user_id;
    token.username = draft.username;
    nlohmann::json utm = nlohmann::json::object();
    if (!draft.utm_source.empty()) utm["source"] = draft.utm_source;
    if (!draft.utm_medium.empty()) utm["medium"] = draft.utm_medium;
    if (!draft.utm_campaign.empty()) utm["campaign"] = draft.utm_campaign;
    token.utm_json = utm.dump();
    if (token.expires_at && *token.expires_at <= now)
        throw TokenRegistryError("expires: the time given has passed already",
                                 sdk::AdminError::Code::invalid_argument, "/expires_at");
    if (token.starts_at && token.ends_at && *token.ends_at <= *token.starts_at)
        throw TokenRegistryError("ends: the start window must end after it starts",
                                 sdk::AdminError::Code::invalid_argument, "/ends_at");
    try {
        plugin.prepare_token(token);
    } catch (const std::invalid_argument& e) {
        throw TokenRegistryError(std::string("a ") + draft.type + " token cannot be made so: " + e.what());
    }
    const auto length = plugin.code_length();
    if (length < 4 || length > sdk::kMaxTokenCode)
        throw TokenRegistryError("enrollment plugin '" + draft.type + "' asks for " + std::to_string(length) +
                                 "-character codes; 4 to 32 fit a link");

    auto tx = storage_.begin();
    const auto deployment = tx->get_deployment(account_id, draft.deployment_id);
    // No link reaches a preview deployment: its bot is not on Telegram.
    if (!deployment || deployment->environment == "preview")
        throw TokenRegistryError("deployment " + std::to_string(draft.deployment_id) +
                                     " does not exist in account " + std::to_string(account_id),
                                 sdk::AdminError::Code::not_found);
    // A clash of random codes is all but impossible; a few tries settle it.
    for (int attempt = 0;; ++attempt) {
        token.code = sdk::random_code(length);
        if (!tx->find_token(account_id, draft.deployment_id, token.code)) break;
        if (attempt == 5)
            throw TokenRegistryError("no free token code after 6 tries; try again",
                                     sdk::AdminError::Code::unavailable);
    }
    auto stored = tx->create_token(account_id, token);
    auto out = issued(*tx, account_id, std::move(stored));
    tx->commit();
    return out;
}

std::vector<IssuedToken> TokenRegistry::list(sdk::Id account_id, std::optional<sdk::Id> deployment_id) {
    auto tx = storage_.begin_read();
    std::vector<sdk::Id> deployments;
    if (deployment_id) {
        if (!tx->get_deployment(account_id, *deployment_id))
            throw TokenRegistryError("deployment " + std::to_string(*deployment_id) +
                                         " does not exist in account " + std::to_string(account_id),
                                     sdk::AdminError::Code::not_found);
        deployments.push_back(*deployment_id);
    } else {
        for (const auto& d : tx->list_deployments(account_id)) deployments.push_back(d.id);
    }
    std::vector<IssuedToken> out;
    for (const auto id : deployments)
        for (auto& token : tx->list_tokens(account_id, id))
            out.push_back(issued(*tx, account_id, std::move(token)));
    return out;
}

IssuedToken TokenRegistry::get(sdk::Id account_id, sdk::Id token_id) {
    auto tx = storage_.begin_read();
    return issued(*tx, account_id, token_of(*tx, account_id, token_id));
}

IssuedToken TokenRegistry::revoke(sdk::Id account_id, sdk::Id token_id) {
    auto tx = storage_.begin();
    if (!tx->revoke_token(account_id, token_id))
        throw TokenRegistryError(token_ref(account_id, token_id) + " does not exist",
                                 sdk::AdminError::Code::not_found);
    auto out = issued(*tx, account_id, token_of(*tx, account_id, token_id));
    tx->commit();
    return out;
}

IssuedToken TokenRegistry::set_active(sdk::Id account_id, sdk::Id token_id, bool active) {
    auto tx = storage_.begin();
    const auto token = token_of(*tx, account_id, token_id);
    if (token.revoked)
        throw TokenRegistryError(
            token_ref(account_id, token_id) + " is revoked; a revoked token stays revoked",
            sdk::AdminError::Code::conflict);
    tx->set_token_active(account_id, token_id, active);
    auto out = issued(*tx, account_id, token_of(*tx, account_id, token_id));
    tx->commit();
    return out;
}

std::string TokenRegistry::key_of(sdk::StorageTx& tx, sdk::Id account_id, bool rotate) {
    if (!rotate)
        if (const auto sealed = tx.enrollment_key(account_id))
            return secrets_.open(*sealed, sdk::enrollment_key_context(account_id));
    if (!tx.get_account(account_id))
        throw TokenRegistryError("account " + std::to_string(account_id) + " does not exist",
                                 sdk::AdminError::Code::not_found);
    const auto key = hex(random_bytes(32));
    tx.set_enrollment_key(account_id, secrets_.seal(key, sdk::enrollment_key_context(account_id)));
    return key;
}

std::string TokenRegistry::enrollment_key(sdk::Id account_id, bool rotate) {
    auto tx = storage_.begin();
    auto key = key_of(*tx, account_id, rotate);
    tx->commit();
    return key;
}

IssuedToken TokenRegistry::sign_external(sdk::Id account_id, sdk::Id token_id, const std::string& ref,
                                         sdk::Millis expires_at, sdk::Millis now) {
    auto tx = storage_.begin();
    const auto token = token_of(*tx, account_id, token_id);
    auto& plugin = plugin_for(token.type);
    const auto key = key_of(*tx, account_id, false);
    const sdk::TimePoint at{std::chrono::milliseconds(now)};
    std::string argument;
    try {
        argument =
            plugin.sign_argument(token, nlohmann::json{{"ref", ref}, {"expires_at", expires_at}}, key, at);
    } catch (const std::invalid_argument& e) {
        throw TokenRegistryError(token_ref(account_id, token_id) + " (" + token.type + "): " + e.what());
    }
    auto out = issued(*tx, account_id, token, argument);
    tx->commit();
    return out;
}

}  // namespace profo::host
