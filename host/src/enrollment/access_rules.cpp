#include "enrollment/access_rules.hpp"

#include "engine/outbox_writer.hpp"
#include "telegram/telegram_username.hpp"

#include <profo/sdk/text.hpp>

#include <charconv>

namespace profo::host {

TelegramUser parse_telegram_user(const std::string& text) {
    TelegramUser user;
    std::int64_t id = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (!text.empty() && error == std::errc() && end == text.data() + text.size()) {
        if (id <= 0) throw AccessRulesError("a Telegram user id is a positive number, not " + text);
        user.id = id;
        return user;
    }
    const std::string name = without_at_sign(text);
    if (!is_telegram_username(name))
        throw AccessRulesError("'" + text +
                               "' is neither a Telegram user id nor a username (@ and 5 to 32 of "
                               "letters, digits and _)");
    user.username = name;
    return user;
}

AccessRules::AccessRules(sdk::Storage& storage) : storage_(storage) {}

BanResult AccessRules::ban(sdk::Id account_id, const sdk::Ban& ban, sdk::Millis now) {
    if (ban.user_id <= 0)
        throw AccessRulesError("a ban names a Telegram user id, not " + std::to_string(ban.user_id),
                               sdk::AdminError::Code::invalid_argument, "/user_id");
    // The message is what the student is sent: one Telegram message.
    if (auto problem = student_message_problem(ban.message))
        throw AccessRulesError("the ban's message " + *problem, sdk::AdminError::Code::invalid_argument,
                               "/message");
    if (const auto length = sdk::telegram_length(ban.reason); length > kMaxBanReasonLength)
        throw AccessRulesError("the ban's reason is " + std::to_string(length) +
                                   " characters long; at most " + std::to_string(kMaxBanReasonLength) +
                                   " are kept",
                               sdk::AdminError::Code::invalid_argument, "/reason");
    auto tx = storage_.begin();
    if (ban.bot_id && !tx->get_bot(account_id, *ban.bot_id))
        throw AccessRulesError(
            "bot " + std::to_string(*ban.bot_id) + " does not exist in account " + std::to_string(account_id),
            sdk::AdminError::Code::not_found);
    BanResult result;
    result.ban = tx->ban(account_id, ban);
    sdk::RunFilter filter;
    filter.bot_id = ban.bot_id;
    filter.status = sdk::RunStatus::active;
    filter.limit = 1000;
    std::vector<sdk::Run> stopping;
    for (;; filter.offset += filter.limit) {
        const auto page = tx->list_runs(account_id, filter);
        for (const auto& run : page)
            if (run.user_id == ban.user_id) stopping.push_back(run);
        if (static_cast<int>(page.size()) < filter.limit) break;
    }
    for (auto& run : stopping) {
        run.status = sdk::RunStatus::stopped;
        run.active = false;
        run.ended_at = now;
        run.updated_at = now;
        tx->update_run(account_id, run);
        tx->cancel_run_timers(account_id, run.id);
        ++result.runs_stopped;
    }
    tx->commit();
    return result;
}

void AccessRules::unban(sdk::Id account_id, sdk::Id ban_id) {
    auto tx = storage_.begin();
    if (!tx->unban(account_id, ban_id))
        throw AccessRulesError(
            "ban " + std::to_string(ban_id) + " does not exist in account " + std::to_string(account_id),
            sdk::AdminError::Code::not_found);
    tx->commit();
}

std::vector<sdk::Ban> AccessRules::bans(sdk::Id account_id) {
    return storage_.begin_read()->list_bans(account_id);
}

sdk::Participant AccessRules::add_participant(sdk::Id account_id, sdk::Id deployment_id,
                                              const TelegramUser& user) {
    auto tx = storage_.begin();
    if (!tx->get_deployment(account_id, deployment_id))
        throw AccessRulesError("deployment " + std::to_string(deployment_id) + " does not exist in account " +
                                   std::to_string(account_id),
                               sdk::AdminError::Code::not_found);
    sdk::Participant p;
    p.deployment_id = deployment_id;
    p.user_id = user.id;
    p.username = user.username;
    p = tx->add_participant(account_id, p);
    tx->commit();
    return p;
}

void AccessRules::remove_participant(sdk::Id account_id, sdk::Id participant_id) {
    auto tx = storage_.begin();
    if (!tx->remove_participant(account_id, participant_id))
        throw AccessRulesError("participant " + std::to_string(participant_id) +
                                   " does not exist in account " + std::to_string(account_id),
                               sdk::AdminError::Code::not_found);
    tx->commit();
}

std::vector<sdk::Participant> AccessRules::participants(sdk::Id account_id, sdk::Id deployment_id) {
    auto tx = storage_.begin();
    if (!tx->get_deployment(account_id, deployment_id))
        throw AccessRulesError("deployment " + std::to_string(deployment_id) + " does not exist in account " +
                                   std::to_string(account_id),
                               sdk::AdminError::Code::not_found);
    return tx->list_participants(account_id, deployment_id);
}

}  // namespace profo::host
