#include "preview/preview_chat.hpp"

#include "bots/bot_registry.hpp"
#include "engine/engine.hpp"
#include "engine/run_context.hpp"

#include <profo/sdk/admin.hpp>
#include <profo/sdk/outbound.hpp>

#include <atomic>

namespace profo::host {

namespace {

using nlohmann::json;
using Code = sdk::AdminError::Code;

// Preview bots need a token like every bot row; nothing ever sends with it.
constexpr const char* kPreviewToken = "0:preview-chat";

// Telegram usernames are letters, digits and underscores: no real bot can
// take this one.
std::string preview_username(sdk::Id account_id) {
    return "preview-" + std::to_string(account_id);
}

// Poll ids are Telegram's elsewhere; here the outbox row's id makes one.
std::string preview_poll_id(sdk::Id row_id) {
    return "preview-" + std::to_string(row_id);
}

json run_view(sdk::StorageTx& tx, const sdk::Run& run) {
    std::optional<sdk::Millis> due;
    for (const auto& t : tx.pending_run_timers(run.account_id, run.id)) {
        due = t.due_at;
        break;
    }
    return {{"id", run.id},
            {"version_id", run.version_id},
            {"status", sdk::to_string(run.status)},
            {"active", run.active},
            {"cursor", run.cursor},
            {"timer_due_at", due ? json(*due) : json(nullptr)}};
}

}  // namespace

PreviewChat::PreviewChat(sdk::Storage& storage, Engine& engine, const sdk::SecretBox& secrets,
                         const sdk::Clock& clock)
    : storage_(storage), engine_(engine), secrets_(secrets), clock_(clock) {}

sdk::Id PreviewChat::preview_bot(sdk::Id account_id) {
    for (int attempt = 0;; ++attempt) {
        auto tx = storage_.begin();
        for (const auto& b : tx->list_bots(account_id))
            if (b.mode == "preview") return b.id;
        sdk::Bot bot;
        bot.username = preview_username(account_id);
        bot.mode = "preview";
        try {
            const auto id = create_bot_with_token(*tx, secrets_, account_id, bot, kPreviewToken).id;
            tx->commit();
            return id;
        } catch (const sdk::StorageError& e) {
            // Another request made it first: read it.
            if (e.code() != sdk::StorageError::Code::conflict || attempt > 0) throw;
        }
    }
}

json PreviewChat::start(const PreviewSeat& seat, sdk::Id version_id) {
    const sdk::Id bot_id = preview_bot(seat.account_id);
    sdk::Id deployment_id = 0;
    {
        auto tx = storage_.begin();
        const auto version = tx->get_version(seat.account_id, version_id);
        if (!version)
            throw sdk::AdminError(Code::not_found,
                                  "account " + std::to_string(seat.account_id) + " has no course version " +
                                      std::to_string(version_id),
                                  "/version_id");
        for (const auto& d : tx->list_deployments(seat.account_id))
            if (d.bot_id == bot_id && d.version_id == version_id && d.environment == "preview")
                deployment_id = d.id;
        if (deployment_id == 0) {
            sdk::CourseDeployment d;
            d.course_id = version->course_id;
            d.version_id = version_id;
            d.bot_id = bot_id;
            d.environment = "preview";
            deployment_id = tx->create_deployment(seat.account_id, d).id;
        }
        // What the last preview left unread is of no interest to this one.
        for (const auto& row : tx->list_outbox(seat.account_id, bot_id, seat.chat_id))
            if (row.status == "pending") tx->mark_outbox_sent(seat.account_id, row.id);
        tx->commit();
    }
    sdk::InboundEvent e;
    e.kind = sdk::InboundEvent::Kind::start;
    e.bot_id = bot_id;
    e.chat_id = e.user_id = seat.chat_id;
    e.username = "preview";
    e.deployment_id = deployment_id;
    const auto result = engine_.dispatch(e);
    if (result.status != sdk::DispatchResult::Status::handled || !result.run_id)
        throw sdk::AdminError(Code::conflict, "the preview did not start: " + result.message);
    return read(seat, result.run_id);
}

json PreviewChat::act(const PreviewSeat& seat, const json& move) {
    const sdk::Id bot_id = preview_bot(seat.account_id);
    if (!move.is_object()) throw sdk::AdminError(Code::invalid_argument, "the move is not a JSON object", "");
    sdk::InboundEvent e;
    e.bot_id = bot_id;
    e.chat_id = e.user_id = seat.chat_id;
    e.username = "preview";
    const auto text_of = [&](const char* field) {
        const auto& value = move.at(field);
        if (!value.is_string())
            throw sdk::AdminError(Code::invalid_argument, std::string(field) + " must be a string",
                                  std::string("/") + field);
        return value.get<std::string>();
    };
    int kinds = 0;
    for (const char* kind : {"text", "callback_data", "poll_id", "web_app_data", "voice"})
        kinds += move.contains(kind);
    if (kinds > 1)
        throw sdk::AdminError(Code::invalid_argument,
                              "a move is one thing a student does: one of text, callback_data, poll_id (with "
                              "options), web_app_data or voice",
                              "");
    if (move.contains("text")) {
        e.kind = sdk::InboundEvent::Kind::text;
        e.text = text_of("text");
        if (e.text.empty()) throw sdk::AdminError(Code::invalid_argument, "text is empty", "/text");
    } else if (move.contains("callback_data")) {
        static std::atomic<std::int64_t> presses{0};
        e.kind = sdk::InboundEvent::Kind::callback;
        e.callback_data = text_of("callback_data");
        e.callback_id = "preview-" + std::to_string(++presses);
    } else if (move.contains("poll_id")) {
        e.kind = sdk::InboundEvent::Kind::poll_answer;
        e.poll_id = text_of("poll_id");
        const auto& options = move.value("options", json());
        if (!options.is_array() || options.empty())
            throw sdk::AdminError(Code::invalid_argument, "options must list the chosen options (from 0)",
                                  "/options");
        for (const auto& o : options) {
            // A Telegram poll has at most 10 options.
            if (!o.is_number_integer() || o.get<std::int64_t>() < 0 || o.get<std::int64_t>() > 9)
                throw sdk::AdminError(Code::invalid_argument, "options are numbers from 0 to 9", "/options");
            e.options.push_back(o.get<int>());
        }
    } else if (move.contains("web_app_data")) {
        e.kind = sdk::InboundEvent::Kind::web_app_data;
        e.text = text_of("web_app_data");
    } else if (move.contains("voice")) {
        e.kind = sdk::InboundEvent::Kind::voice;
        e.text = text_of("voice");
    } else {
        throw sdk::AdminError(Code::invalid_argument,
                              "a move is one of text, callback_data, poll_id with options, web_app_data "
                              "or voice",
                              "");
    }
    const auto playing = storage_.begin()->active_run(seat.account_id, bot_id, seat.chat_id);
    if (!playing) throw sdk::AdminError(Code::conflict, "nothing is playing in the preview: start it first");
    const auto result = engine_.dispatch(e);
    if (result.status == sdk::DispatchResult::Status::failed)
        throw sdk::AdminError(Code::unavailable, "the move was not handled: " + result.message);
    return read(seat, playing->id);
}

json PreviewChat::skip(const PreviewSeat& seat) {
    const sdk::Id bot_id = preview_bot(seat.account_id);
    std::optional<sdk::WaitingElement> next;
    sdk::Id run_id = 0;
    {
        auto tx = storage_.begin();
        const auto run = tx->active_run(seat.account_id, bot_id, seat.chat_id);
        if (!run) throw sdk::AdminError(Code::conflict, "nothing is playing in the preview: start it first");
        run_id = run->id;
        for (auto& t : tx->pending_run_timers(seat.account_id, run->id)) {
            next = std::move(t);
            break;
        }
    }
    if (!next) throw sdk::AdminError(Code::conflict, "the run waits for no timer: there is nothing to skip");
    engine_.fire_timer(*next);
    return read(seat, run_id);
}

json PreviewChat::read(const PreviewSeat& seat, std::optional<sdk::Id> run_id) {
    const sdk::Id bot_id = preview_bot(seat.account_id);
    auto tx = storage_.begin();
    json messages = json::array();
    for (const auto& row : tx->list_outbox(seat.account_id, bot_id, seat.chat_id)) {
        if (row.status != "pending") continue;
        tx->mark_outbox_sent(seat.account_id, row.id);
        auto payload = json::parse(row.payload_json, nullptr, false);
        const std::string kind = payload.is_object() ? payload.value("kind", "") : "";
        if (kind == "typing" || kind == "callback_answer" || kind.empty()) continue;
        payload["id"] = row.id;
        payload["sent_at"] = row.created_at;
        if (kind == "poll") {
            sdk::PollRecord poll;
            poll.account_id = seat.account_id;
            poll.bot_id = bot_id;
            poll.poll_id = preview_poll_id(row.id);
            poll.run_id = row.run_id.value_or(0);
            poll.element_id = payload.value("element_id", "");
            poll.activation = payload.value("activation", std::int64_t{0});
            poll.created_at = to_millis(clock_.now());
            if (poll.run_id) tx->record_poll(seat.account_id, poll);
            payload["poll_id"] = poll.poll_id;
        }
        messages.push_back(std::move(payload));
    }
    json run = nullptr;
    if (auto active = tx->active_run(seat.account_id, bot_id, seat.chat_id))
        run = run_view(*tx, *active);
    else if (run_id)
        if (auto last = tx->get_run(seat.account_id, *run_id);
            last && last->preview && last->bot_id == bot_id && last->chat_id == seat.chat_id)
            run = run_view(*tx, *last);
    tx->commit();
    return {{"run", run}, {"messages", messages}};
}

}  // namespace profo::host
