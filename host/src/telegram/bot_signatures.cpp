#include "telegram/bot_signatures.hpp"

#include "telegram/init_data.hpp"

namespace profo::host {

sdk::SignedTelegramData BotSignatures::check_web_app_init_data(sdk::Id account_id, sdk::Id bot_id,
                                                               std::string_view init_data,
                                                               std::chrono::seconds max_age) const {
    const auto bot = storage_().begin()->get_bot(account_id, bot_id);
    // The same answer as a wrong signature: a caller learns nothing about
    // which bots exist in which account.
    if (!bot) throw sdk::SignatureError("initData signature does not match this bot");
    return validate_init_data(init_data,
                              secrets_.open(bot->token_sealed, sdk::bot_token_context(account_id, bot_id)),
                              clock_.now(), max_age);
}

sdk::SignedTelegramData BotSignatures::check_login_widget(const std::map<std::string, std::string>& fields,
                                                          std::chrono::seconds max_age) const {
    return validate_login_widget(fields, login_.bot_token, clock_.now(), max_age);
}

}  // namespace profo::host
