// The panel's preview chat: a creator plays a course version through the
// real engine, as a student would in Telegram, with no Telegram bot at all.
//
// Each account has one preview bot (mode "preview": no transport serves it)
// and, on it, one preview deployment per version tried. The engine treats
// them like any other, so what plays in the preview plays the same in a chat;
// runs on them are marked preview and stay out of analytics. What the engine
// sends lands in the outbox like every message and is read from there here,
// then marked sent: the browser asks for it (`read`), so replies that come
// later (a dialog's model call, a delay) arrive as they would in Telegram.
#pragma once

#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace profo::host {

class Engine;

// Who plays: an account and the creator's chat on its preview bot (their
// Telegram user id, or 1 for an operator who signed in without Telegram).
struct PreviewSeat {
    PreviewSeat(sdk::Id account_id_, std::int64_t chat_id_) : account_id(account_id_), chat_id(chat_id_) {}
    sdk::Id account_id;
    std::int64_t chat_id;
};

class PreviewChat {
public:
    PreviewChat(sdk::Storage& storage, Engine& engine, const sdk::SecretBox& secrets,
                const sdk::Clock& clock);

    // Starts `version_id` from its first element (a run under way in the
    // seat is stopped). Throws sdk::AdminError (not_found) for a version the
    // account does not have.
    nlohmann::json start(const PreviewSeat& seat, sdk::Id version_id);

    // The student's next move: {"text": ...}, {"callback_data": ...} (a
    // button), {"poll_id": ..., "options": [0, ...]}, {"web_app_data": ...}
    // or {"voice": FILE_ID}. Refused (invalid_argument, naming the field)
    // when it is none of these; conflict when nothing runs in the seat.
    nlohmann::json act(const PreviewSeat& seat, const nlohmann::json& move);

    // Fires the run's next pending timer now (a delay's wait, a jump's).
    nlohmann::json skip(const PreviewSeat& seat);

    // What was sent since the last read, and where the run stands:
    // {"run": {...} | null, "messages": [...]}; each message is the outbox
    // payload (sdk/outbound.hpp's JSON) with its "id", and a poll's "poll_id".
    // The run is the seat's active one, else `run_id` (the one the page
    // played, now over) when it is a preview run of this seat.
    nlohmann::json read(const PreviewSeat& seat, std::optional<sdk::Id> run_id = std::nullopt);

private:
    sdk::Id preview_bot(sdk::Id account_id);

    sdk::Storage& storage_;
    Engine& engine_;
    const sdk::SecretBox& secrets_;
    const sdk::Clock& clock_;
};

}  // namespace profo::host
