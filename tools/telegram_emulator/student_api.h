// The student side and the emulator's controls, under /_emulator/: create
// bots and users, act as a user in a private chat (text, /start, button
// presses, poll answers, voice, documents, web_app_data, opening a Mini App,
// block/unblock), read a chat's transcript and the files in it, wait for it
// to reach N bot messages, read counters and change limits and faults at
// runtime. JSON in, {"ok":true,"result":...} out.
#pragma once

#include "bot_api_params.h"
#include "fault_injector.h"
#include "http_server.h"
#include "world.h"

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace profo::telegram_emulator {

class StudentApi {
public:
    StudentApi(World& world, FaultInjector& faults);

    // `path` is what follows /_emulator/.
    void handle(HttpRequest&& request, const std::string& path, ResponderPtr responder);
    // Answers every waiting request (shutdown).
    void release_waiters();

private:
    struct Waiter {
        std::uint64_t serial;
        std::size_t bot_messages;
        ResponderPtr responder;
        std::shared_ptr<boost::asio::steady_timer> timer;
    };
    using ChatKey = std::pair<std::int64_t, std::int64_t>;

    nlohmann::json dispatch(const std::string& path, bool is_get, const BotApiParams& p,
                            const ResponderPtr& responder, bool& answered_later);
    Bot& bot_param(const BotApiParams& p);
    User& user_param(const BotApiParams& p);
    PrivateChat& chat_for(Bot& bot, User& user);  // unblocks a blocked chat (the user restarts the bot)

    nlohmann::json send_text(Bot& bot, User& user, const std::string& text);
    nlohmann::json send_voice(Bot& bot, User& user, const BotApiParams& p);
    nlohmann::json send_document(Bot& bot, User& user, const BotApiParams& p);
    nlohmann::json file_content(const BotApiParams& p);
    nlohmann::json press_button(Bot& bot, User& user, const BotApiParams& p);
    nlohmann::json answer_poll(Bot& bot, User& user, const BotApiParams& p);
    nlohmann::json open_web_app(Bot& bot, User& user, const BotApiParams& p);
    nlohmann::json set_blocked(Bot& bot, User& user, bool blocked);
    nlohmann::json transcript(Bot& bot, User& user);
    // Until the chat holds `bot_messages` messages from the bot (ever sent),
    // at most `timeout_ms`.
    struct WaitFor {
        std::size_t bot_messages = 0;
        std::int64_t timeout_ms = 5000;
    };
    static WaitFor wait_for(const BotApiParams& p, const std::string& count_key,
                            const std::string& timeout_key);
    static bool is_student_action(const std::string& path);
    void wait(Bot& bot, User& user, const WaitFor& until, const ResponderPtr& responder);
    void on_chat_changed(PrivateChat& chat);
    nlohmann::json config();
    void apply_config(const nlohmann::json& patch);

    World& world_;
    FaultInjector& faults_;
    std::map<ChatKey, std::vector<Waiter>> waiters_;
    std::uint64_t next_waiter_ = 1;
};

}  // namespace profo::telegram_emulator
