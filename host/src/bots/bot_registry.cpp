#include "bots/bot_registry.hpp"

#include <profo/sdk/json_input.hpp>

#include <map>

#include "secrets/secret_box.hpp"

#include <nlohmann/json.hpp>

#include <regex>

namespace profo::host {

namespace {

bool looks_like_token(const std::string& token) {
    static const std::regex shape("[0-9]{1,20}:[A-Za-z0-9_-]{20,100}");
    return std::regex_match(token, shape);
}

std::string bot_ref(sdk::Id account_id, sdk::Id bot_id) {
    return "bot " + std::to_string(bot_id) + " of account " + std::to_string(account_id);
}

}  // namespace

std::string masked_token(const std::string& token) {
    const auto colon = token.find(':');
    return (colon == std::string::npos ? std::string("?") : token.substr(0, colon)) + ":***";
}

sdk::Bot create_bot_with_token(sdk::StorageTx& tx, const sdk::SecretBox& secrets, sdk::Id account_id,
                               sdk::Bot bot, std::string_view token) {
    bot.token_sealed.clear();
    bot = tx.create_bot(account_id, bot);
    bot.token_sealed = secrets.seal(token, sdk::bot_token_context(account_id, bot.id));
    if (!tx.update_bot(account_id, bot))
        throw std::runtime_error(bot_ref(account_id, bot.id) + " vanished while its token was being sealed");
    return bot;
}

int reseal_unbound_bot_tokens(sdk::Storage& storage, const sdk::SecretBox& secrets) {
    auto tx = storage.begin();
    int resealed = 0;
    for (auto bot : tx->list_bots_all_accounts()) {
        if (!sealed_without_context(bot.token_sealed)) continue;
        const std::string context = sdk::bot_token_context(bot.account_id, bot.id);
        std::string token;
        try {
            token = secrets.open(bot.token_sealed, context);
        } catch (const std::exception& e) {
            throw std::runtime_error("cannot re-seal the token of " + bot_ref(bot.account_id, bot.id) + ": " +
                                     e.what());
        }
        bot.token_sealed = secrets.seal(token, context);
        tx->update_bot(bot.account_id, bot);
        ++resealed;
    }
    tx->commit();
    return resealed;
}

BotRegistry::BotRegistry(sdk::Storage& storage, const sdk::SecretBox& secrets, sdk::HttpClient& http,
                         std::string bot_api_base_url)
    : storage_(storage), secrets_(secrets), http_(http), base_url_(std::move(bot_api_base_url)) {
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

std::string BotRegistry::username_of(const std::string& token) {
    sdk::HttpClientRequest request;
    request.method = "POST";
    request.url = base_url_ + "/bot" + token + "/getMe";
    request.headers = {{"Content-Type", "application/json"}};
    request.body = "{}";
    request.timeout = std::chrono::seconds(20);
    sdk::HttpClientResponse response;
    try {
        response = http_.send(request);
    } catch (const std::exception& e) {
        throw BotRegistryError("cannot reach the Bot API at " + base_url_ + " to check token " +
                                   masked_token(token) + ": " + e.what(),
                               sdk::AdminError::Code::unavailable);
    }
    const auto reply = sdk::parse_json_input(response.body);
    if (response.status == 401)
        throw BotRegistryError("Telegram does not know token " + masked_token(token) + " (401 Unauthorized)",
                               sdk::AdminError::Code::invalid_argument, "/token");
    if (!reply.is_object() || !reply.value("ok", false) || !reply.contains("result") ||
        !reply["result"].is_object() || !reply["result"].value("username", nlohmann::json()).is_string())
        throw BotRegistryError(
            "getMe for token " + masked_token(token) + " failed: HTTP " + std::to_string(response.status) +
            (reply.is_object() && reply.contains("description") && reply["description"].is_string()
                 ? " " + reply["description"].get<std::string>()
                 : std::string()));
    return reply["result"]["username"].get<std::string>();
}

sdk::Bot BotRegistry::add(sdk::Id account_id, const std::string& token, const std::string& mode) {
    if (mode != "poll" && mode != "webhook")
        throw BotRegistryError("mode must be poll or webhook, not '" + mode + "'",
                               sdk::AdminError::Code::invalid_argument, "/mode");
    if (!looks_like_token(token))
        throw BotRegistryError(
            "'" + masked_token(token) +
                "' is not a bot token (digits, a colon, then the secret part from @BotFather)",
            sdk::AdminError::Code::invalid_argument, "/token");
    sdk::Bot bot;
    bot.username = username_of(token);
    bot.mode = mode;
    auto tx = storage_.begin();
    if (!tx->get_account(account_id))
        throw BotRegistryError("account " + std::to_string(account_id) + " does not exist",
                               sdk::AdminError::Code::not_found);
    try {
        bot = create_bot_with_token(*tx, secrets_, account_id, bot, token);
    } catch (const sdk::StorageError& e) {
        if (e.code() == sdk::StorageError::Code::conflict)
            throw BotRegistryError("bot @" + bot.username + " is already registered",
                                   sdk::AdminError::Code::conflict);
        throw;
    }
    tx->commit();
    return bot;
}

std::vector<sdk::Bot> BotRegistry::list(sdk::Id account_id) {
    auto tx = storage_.begin_read();
    auto bots = tx->list_bots(account_id);
    std::erase_if(bots, [](const sdk::Bot& b) { return b.mode == "preview"; });
    return bots;
}

std::map<sdk::Id, sdk::BotHealth> BotRegistry::health(sdk::Id account_id) {
    auto tx = storage_.begin_read();
    std::map<sdk::Id, sdk::BotHealth> out;
    for (auto& h : tx->list_bot_health(account_id)) out.emplace(h.bot_id, std::move(h));
    return out;
}

sdk::Bot BotRegistry::set_enabled(sdk::Id account_id, sdk::Id bot_id, bool enabled) {
    auto tx = storage_.begin();
    auto bot = tx->get_bot(account_id, bot_id);
    if (!bot || bot->mode == "preview")  // the panel's own, not the account's to change
        throw BotRegistryError(bot_ref(account_id, bot_id) + " does not exist",
                               sdk::AdminError::Code::not_found);
    bot->enabled = enabled;
    tx->update_bot(account_id, *bot);
    tx->commit();
    return *bot;
}

void BotRegistry::remove(sdk::Id account_id, sdk::Id bot_id) {
    auto tx = storage_.begin();
    const auto bot = tx->get_bot(account_id, bot_id);
    if (!bot || bot->mode == "preview")
        throw BotRegistryError(bot_ref(account_id, bot_id) + " does not exist",
                               sdk::AdminError::Code::not_found);
    std::string active;
    std::string paused;
    std::string archived;
    for (const auto& d : tx->list_deployments(account_id)) {
        if (d.bot_id != bot_id) continue;
        const auto course = tx->get_course(account_id, d.course_id);
        auto& list = d.active ? active : (d.archived_at ? archived : paused);
        list += (list.empty() ? "" : ", ") + std::to_string(d.id) + " (course " +
                (course ? "'" + course->name + "'" : std::to_string(d.course_id)) + ")";
    }
    const std::string stop_instead =
        " (stop serving it, keeping its data: profo bot disable " + std::to_string(bot_id) + ")";
    const std::string named = "bot " + std::to_string(bot_id) + " @" + bot->username;
    // An active deployment is one students can still start: removing its bot
    // would take the course away from under them.
    if (!active.empty())
        throw BotRegistryError(named + " is not removed: students can still start its active deployments " +
                                   active + stop_instead,
                               sdk::AdminError::Code::conflict);
    // Paused deployments keep their tokens, runs and history, all tied to the
    // bot; archived ones take no students, but their runs are the account's history.
    std::string kept;
    if (!paused.empty())
        kept = "its paused deployments " + paused + " keep their tokens, runs and history on it";
    if (!archived.empty())
        kept += std::string(kept.empty() ? "" : "; ") + "its archived deployments " + archived +
                " keep their runs and history on it";
    if (!kept.empty())
        throw BotRegistryError(named + " is not removed: " + kept + stop_instead,
                               sdk::AdminError::Code::conflict);
    try {
        if (!tx->delete_bot(account_id, bot_id))
            throw BotRegistryError(bot_ref(account_id, bot_id) + " does not exist",
                                   sdk::AdminError::Code::not_found);
    } catch (const sdk::StorageError& e) {
        if (e.code() == sdk::StorageError::Code::conflict)
            throw BotRegistryError(std::string(e.what()) + " (disable it instead: profo bot disable " +
                                       std::to_string(bot_id) + ")",
                                   sdk::AdminError::Code::conflict);
        throw;
    }
    tx->commit();
}

}  // namespace profo::host
