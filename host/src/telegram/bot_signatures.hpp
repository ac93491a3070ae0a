// sdk::TelegramSignatures over the platform's bots: the token of the bot that
// should have signed is read and opened here, inside the host, and never
// leaves it.
#pragma once

#include "config/config.hpp"

#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>
#include <profo/sdk/telegram_auth.hpp>

#include <functional>

namespace profo::host {

class BotSignatures final : public sdk::TelegramSignatures {
public:
    // `storage` is asked for lazily: plugins start before the platform opens it.
    BotSignatures(std::function<sdk::Storage&()> storage, const sdk::SecretBox& secrets,
                  const sdk::Clock& clock, Config::TelegramLogin login = {})
        : storage_(std::move(storage)), secrets_(secrets), clock_(clock), login_(std::move(login)) {}

    sdk::SignedTelegramData check_web_app_init_data(sdk::Id account_id, sdk::Id bot_id,
                                                    std::string_view init_data,
                                                    std::chrono::seconds max_age) const override;
    sdk::SignedTelegramData check_login_widget(const std::map<std::string, std::string>& fields,
                                               std::chrono::seconds max_age) const override;
    std::string login_bot_username() const override { return login_.bot_username; }

private:
    std::function<sdk::Storage&()> storage_;
    const sdk::SecretBox& secrets_;
    const sdk::Clock& clock_;
    Config::TelegramLogin login_;
};

}  // namespace profo::host
