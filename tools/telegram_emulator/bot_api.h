// The bot side: /bot<token>/<method> as Telegram serves it. Validates every
// parameter with Telegram's codes and descriptions, applies flood limits and
// injected faults, and parks getUpdates long polls on the io_context.
#pragma once

#include "bot_api_error.h"
#include "bot_api_params.h"
#include "fault_injector.h"
#include "http_server.h"
#include "world.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace profo::telegram_emulator {

class BotApi {
public:
    BotApi(World& world, FaultInjector& faults);

    // `token` and `method` come from the path /bot<token>/<method>.
    void handle(HttpRequest&& request, std::string token, std::string method, ResponderPtr responder);

    // GET /file/bot<token>/<file_path>: the bytes of a file getFile gave a path.
    void download(const HttpRequest& request, const std::string& token, const std::string& file_path,
                  const ResponderPtr& responder);

    // Ends every parked long poll with an empty answer (shutdown).
    void release_parked_polls();

private:
    void process(const HttpRequest& request, const std::string& token, const std::string& method,
                 const ResponderPtr& responder);
    // Methods that answer at once; getUpdates is handled apart.
    nlohmann::json call(Bot& bot, const std::string& method, const BotApiParams& p, std::string& description);
    void get_updates(Bot& bot, const BotApiParams& p, const ResponderPtr& responder);
    void finish_parked(Bot& bot, const std::optional<std::string>& conflict);
    void on_update_queued(Bot& bot);

    nlohmann::json get_me(Bot& bot);
    nlohmann::json send_message(Bot& bot, const BotApiParams& p);
    nlohmann::json send_media(Bot& bot, const BotApiParams& p, const std::string& kind);
    nlohmann::json send_media_group(Bot& bot, const BotApiParams& p);
    nlohmann::json send_poll(Bot& bot, const BotApiParams& p);
    nlohmann::json send_chat_action(Bot& bot, const BotApiParams& p);
    nlohmann::json answer_callback_query(Bot& bot, const BotApiParams& p);
    nlohmann::json answer_web_app_query(Bot& bot, const BotApiParams& p);
    nlohmann::json edit_message_reply_markup(Bot& bot, const BotApiParams& p);
    nlohmann::json set_webhook(Bot& bot, const BotApiParams& p, std::string& description);
    nlohmann::json delete_webhook(Bot& bot, const BotApiParams& p, std::string& description);
    nlohmann::json get_webhook_info(Bot& bot);
    nlohmann::json get_file(Bot& bot, const BotApiParams& p);

    PrivateChat& target_chat(Bot& bot, const BotApiParams& p);
    void check_can_send(const PrivateChat& chat);
    void check_flood(Bot& bot, const PrivateChat& chat);
    // Checks that a media reference (upload:<field>, URL, file id) can be sent by this bot.
    void check_media_reference(Bot& bot, const BotApiParams& p, const std::string& reference);
    nlohmann::json media_object(Bot& bot, const BotApiParams& p, const std::string& kind,
                                const std::string& reference);

    World& world_;
    FaultInjector& faults_;
    std::uint64_t next_poll_serial_ = 1;
};

std::string ok_body(const nlohmann::json& result, const std::string& description = {});
std::string error_body(const BotApiError& e);
HttpResponse error_response(const BotApiError& e, unsigned version, bool keep_alive);

}  // namespace profo::telegram_emulator
