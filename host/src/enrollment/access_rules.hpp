// Who may take courses: bans (per bot or for the whole account, with the
// text the student is told) and the participants of restricted deployments.
// Every call names the account, like BotRegistry and TokenRegistry.
#pragma once

#include <profo/sdk/admin.hpp>
#include <profo/sdk/records.hpp>
#include <profo/sdk/storage.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace profo::host {

// An AdminError, so the panel's API answers it with its code; invalid_argument
// unless the throw says otherwise.
class AccessRulesError : public sdk::AdminError {
public:
    explicit AccessRulesError(const std::string& message, Code code = Code::invalid_argument,
                              std::string field = {})
        : sdk::AdminError(code, message, std::move(field)) {}
};

// A ban's reason, for the account's people, in Telegram's units (UTF-16
// code units). Its message, sent to the student, is one Telegram message.
inline constexpr std::size_t kMaxBanReasonLength = 1000;

struct BanResult {
    sdk::Ban ban;
    int runs_stopped = 0;  // the student's active runs the ban ended
};

// A Telegram user as the command line names one: digits for an id,
// `@name` (or a bare name) for a username. Throws AccessRulesError.
struct TelegramUser {
    std::optional<std::int64_t> id;
    std::string username;  // without '@'
};
TelegramUser parse_telegram_user(const std::string& text);

class AccessRules {
public:
    explicit AccessRules(sdk::Storage& storage);

    // Bans `ban.user_id` (on `ban.bot_id`, or on every bot of the account)
    // and stops the active runs it has there, so nothing more is sent to it.
    BanResult ban(sdk::Id account_id, const sdk::Ban& ban, sdk::Millis now);
    void unban(sdk::Id account_id, sdk::Id ban_id);
    std::vector<sdk::Ban> bans(sdk::Id account_id);

    sdk::Participant add_participant(sdk::Id account_id, sdk::Id deployment_id, const TelegramUser& user);
    void remove_participant(sdk::Id account_id, sdk::Id participant_id);
    std::vector<sdk::Participant> participants(sdk::Id account_id, sdk::Id deployment_id);

private:
    sdk::Storage& storage_;
};

}  // namespace profo::host
