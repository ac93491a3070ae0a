#include "student_api.h"

#include "bot_api_error.h"
#include "init_data.h"
#include "text_entities.h"

#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <stdexcept>

namespace profo::telegram_emulator {

using nlohmann::json;
namespace http = boost::beast::http;

namespace {

// A student API request the emulator refuses (not a Bot API error).
struct StudentError : std::runtime_error {
    StudentError(unsigned status, const std::string& message) : std::runtime_error(message), status(status) {}
    unsigned status;
};

HttpResponse student_ok(const json& result) {
    return json_response(200, json{{"ok", true}, {"result", result}}.dump());
}

HttpResponse student_error(unsigned status, const std::string& message, const json& extra = nullptr) {
    json body{{"ok", false}, {"error", message}};
    if (!extra.is_null()) body["result"] = extra;
    return json_response(status, body.dump());
}

std::int64_t required_integer(const BotApiParams& p, const std::string& key) {
    std::optional<std::int64_t> v;
    try {
        v = p.integer(key);
    } catch (const std::invalid_argument&) {
        throw StudentError(400, key + " must be an integer");
    }
    if (!v) throw StudentError(400, key + " is required");
    return *v;
}

// A leading /command gets a bot_command entity, as Telegram clients add it.
json command_entities(const std::string& text) {
    json entities = json::array();
    if (text.size() < 2 || text[0] != '/') return entities;
    const auto end = text.find_first_of(" \n\t");
    const auto command = text.substr(0, end);
    entities.push_back({{"offset", 0}, {"length", utf16_length(command)}, {"type", "bot_command"}});
    return entities;
}

std::size_t code_points(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string base64(std::string_view bytes) {
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const auto n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < 3; ++k)
            v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
        for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(v >> (18 - 6 * k)) & 0x3F] : '=';
    }
    return out;
}

}  // namespace

StudentApi::StudentApi(World& world, FaultInjector& faults) : world_(world), faults_(faults) {
    world_.on_chat_changed = [this](PrivateChat& chat) { on_chat_changed(chat); };
}

void StudentApi::handle(HttpRequest&& request, const std::string& path, ResponderPtr responder) {
    try {
        const auto target = std::string_view(request.target());
        const auto q = target.find('?');
        const auto query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
        BotApiParams params;
        // The emulator's own API is lenient where the Bot API is not: a
        // test driver's JSON without a Content-Type is still read as JSON,
        // and any other body as a form.
        std::string type(request[http::field::content_type]);
        if (type.empty() ||
            (type.find("json") == std::string::npos && type.find("multipart") == std::string::npos)) {
            const auto body = std::string_view(request.body());
            const auto first = body.find_first_not_of(" \t\r\n");
            type = first != std::string_view::npos && body[first] == '{'
                       ? "application/json"
                       : "application/x-www-form-urlencoded";
        }
        try {
            params = BotApiParams::parse(type, request.body(), query);
        } catch (const std::invalid_argument& e) {
            throw StudentError(400, e.what());
        }
        // A student's action may wait for the bot's answer in the same call
        // (as /wait does), which saves a driver one request per turn. Checked
        // before the action, so a bad wait changes nothing.
        std::optional<WaitFor> then_wait;
        if (params.has("wait_bot_messages")) {
            if (!is_student_action(path))
                throw StudentError(400,
                                   "wait_bot_messages applies only to a student's action, not to " + path);
            then_wait = wait_for(params, "wait_bot_messages", "wait_timeout_ms");
        }
        bool answered_later = false;
        const bool is_get = request.method() == http::verb::get;
        auto result = dispatch(path, is_get, params, responder, answered_later);
        if (then_wait)
            wait(bot_param(params), world_.user(required_integer(params, "user_id")), *then_wait, responder);
        else if (!answered_later)
            responder->send(student_ok(result));
    } catch (const StudentError& e) {
        responder->send(student_error(e.status, e.what()));
    } catch (const BotApiError& e) {
        responder->send(student_error(static_cast<unsigned>(e.code), e.description));
    } catch (const std::exception& e) {
        responder->send(student_error(400, e.what()));
    }
}

Bot& StudentApi::bot_param(const BotApiParams& p) {
    Bot* bot = nullptr;
    if (p.has("bot_id"))
        bot = world_.bot_by_id(required_integer(p, "bot_id"));
    else if (p.has("token"))
        bot = world_.bot_by_token(p.string("token").value_or(""));
    else if (p.has("bot_username"))
        bot = world_.bot_by_username(p.string("bot_username").value_or(""));
    else
        throw StudentError(400, "bot_id, token or bot_username is required");
    if (!bot) throw StudentError(404, "no such bot");
    return *bot;
}

User& StudentApi::user_param(const BotApiParams& p) {
    const auto id = required_integer(p, "user_id");
    if (id <= 0 || id >= (std::int64_t{1} << 52)) throw StudentError(400, "user_id must be in 1..2^52");
    auto& user = world_.user(id);
    if (p.has("first_name")) user.first_name = p.string("first_name").value_or("");
    if (p.has("last_name")) user.last_name = p.string("last_name").value_or("");
    if (p.has("username")) user.username = p.string("username").value_or("");
    if (p.has("language_code")) user.language_code = p.string("language_code").value_or("");
    return user;
}

PrivateChat& StudentApi::chat_for(Bot& bot, User& user) {
    auto& chat = world_.chat(bot.id, user.id);
    if (chat.blocked) set_blocked(bot, user, false);
    return chat;
}

json StudentApi::dispatch(const std::string& path, bool is_get, const BotApiParams& p,
                          const ResponderPtr& responder, bool& answered_later) {
    if (path == "health") return "up";
    if (path == "bots") {
        if (is_get) {
            json list = json::array();
            for (const auto& [id, b] : world_.bots()) list.push_back(b->to_json());
            return list;
        }
        try {
            return world_
                .create_bot(p.string("username").value_or(""), p.string("first_name").value_or(""),
                            p.string("token").value_or(""))
                .to_json();
        } catch (const std::invalid_argument& e) {
            throw StudentError(400, e.what());
        }
    }
    if (path == "users") {
        try {
            return world_.create_user(p.all()).to_json();
        } catch (const std::exception& e) {
            throw StudentError(400, e.what());
        }
    }
    if (path == "stats") return world_.counters().to_json();
    if (path == "stats/reset") {
        world_.counters() = Counters{};
        return true;
    }
    if (path == "config") {
        if (!p.all().empty()) apply_config(p.all());
        return config();
    }
    if (path == "file") return file_content(p);
    if (path == "clock") {
        const auto by = required_integer(p, "advance_seconds");
        // A century either way is more than any test needs, and far from the clock's overflow.
        constexpr std::int64_t kCentury = 100LL * 366 * 24 * 3600;
        if (by < -kCentury || by > kCentury)
            throw StudentError(400,
                               "advance_seconds must be within a century (" + std::to_string(kCentury) + ")");
        world_.advance_clock(std::chrono::seconds(by));
        world_.expire_updates();
        return {{"now", world_.now()}};
    }

    auto& bot = bot_param(p);
    auto& user = user_param(p);
    if (path == "messages" || path == "send_message") {
        const auto text = p.string("text").value_or("");
        if (text.empty()) throw StudentError(400, "text is required");
        return send_text(bot, user, text);
    }
    if (path == "start") {
        const auto payload = p.string("payload").value_or("");
        if (payload.size() > 64 || !std::all_of(payload.begin(), payload.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
            }))
            throw StudentError(400, "a deep-link payload is at most 64 of A-Z a-z 0-9 _ -");
        return send_text(bot, user, payload.empty() ? "/start" : "/start " + payload);
    }
    if (path == "press_button") return press_button(bot, user, p);
    if (path == "answer_poll") return answer_poll(bot, user, p);
    if (path == "voice") return send_voice(bot, user, p);
    if (path == "document") return send_document(bot, user, p);
    if (path == "web_app_data") {
        auto& chat = chat_for(bot, user);
        const auto data = p.string("data").value_or("");
        if (data.empty() || data.size() > 4096) throw StudentError(400, "data must be 1..4096 bytes");
        json content{
            {"web_app_data", {{"data", data}, {"button_text", p.string("button_text").value_or("")}}}};
        auto& m = world_.add_message(chat, false, std::move(content));
        world_.enqueue_update(bot, "message", m, user.id);
        return m;
    }
    if (path == "contact") {
        // The user shares a contact, their own by default (the app's "share
        // my phone number" button sends that one).
        auto& chat = chat_for(bot, user);
        const auto phone = p.string("phone_number").value_or("");
        if (phone.empty() || phone.size() > 64 || !is_valid_utf8(phone))
            throw StudentError(400, "phone_number must be 1..64 bytes of UTF-8");
        json contact{{"phone_number", phone},
                     {"first_name", p.string("first_name").value_or(user.first_name)}};
        if (const auto last = p.string("last_name"); last && !last->empty()) contact["last_name"] = *last;
        contact["user_id"] = p.integer("contact_user_id").value_or(user.id);
        auto& m = world_.add_message(chat, false, {{"contact", std::move(contact)}});
        world_.enqueue_update(bot, "message", m, user.id);
        return m;
    }
    if (path == "open_web_app") return open_web_app(bot, user, p);
    if (path == "web_app_query") {
        chat_for(bot, user);
        return {{"query_id", world_.new_web_app_query_id(bot.id, user.id)}};
    }
    if (path == "block") return set_blocked(bot, user, true);
    if (path == "unblock") return set_blocked(bot, user, false);
    if (path == "transcript") return transcript(bot, user);
    if (path == "wait") {
        wait(bot, user, wait_for(p, "bot_messages", "timeout_ms"), responder);
        answered_later = true;
        return nullptr;
    }
    throw StudentError(404, "no such emulator endpoint: /_emulator/" + path);
}

json StudentApi::send_text(Bot& bot, User& user, const std::string& text) {
    if (!is_valid_utf8(text)) throw StudentError(400, "text must be UTF-8");
    auto& chat = chat_for(bot, user);
    json content{{"text", text}};
    if (auto e = command_entities(text); !e.empty()) content["entities"] = std::move(e);
    auto& m = world_.add_message(chat, false, std::move(content));
    world_.enqueue_update(bot, "message", m, user.id);
    return m;
}

json StudentApi::send_voice(Bot& bot, User& user, const BotApiParams& p) {
    auto& chat = chat_for(bot, user);
    const auto duration = p.integer("duration").value_or(3);
    const auto given = p.string("file_id").value_or("");
    auto* file = given.empty() ? nullptr : world_.find_file(given);
    if (file && file->bot_id != bot.id) throw StudentError(400, "file_id is a file of another bot");
    if (!file) {
        StoredFile voice;
        voice.file_id = given;  // empty: a new one is issued
        voice.kind = "voice";
        voice.bot_id = bot.id;
        voice.mime_type = "audio/ogg";
        voice.file_size = 4000 * std::max<std::int64_t>(duration, 1);
        file = &world_.add_file(std::move(voice));
    }
    json voice{{"file_id", file->file_id},
               {"file_unique_id", file->file_unique_id},
               {"duration", duration},
               {"mime_type", "audio/ogg"},
               {"file_size", file->file_size}};
    auto& m = world_.add_message(chat, false, {{"voice", voice}});
    world_.enqueue_update(bot, "message", m, user.id);
    return m;
}

// The user sends a file, as the Telegram app does: the bot gets a message with
// a Document, the caption and, for a leading /command, its entity.
json StudentApi::send_document(Bot& bot, User& user, const BotApiParams& p) {
    // The bytes come as a string parameter or as a multipart file part "content".
    const auto* upload = p.file("content");
    const auto file_name = p.string("file_name").value_or(upload ? upload->filename : "");
    if (file_name.empty() || code_points(file_name) > 255)
        throw StudentError(400, "file_name must be 1..255 characters");
    if (!is_valid_utf8(file_name)) throw StudentError(400, "file_name must be UTF-8");
    auto content = upload ? upload->content : p.string("content").value_or("");
    // Telegram does not send empty files.
    if (content.empty()) throw StudentError(400, "content is required and must not be empty");
    const auto caption = p.string("caption").value_or("");
    if (!is_valid_utf8(caption)) throw StudentError(400, "caption must be UTF-8");
    if (utf16_length(caption) > 1024) throw StudentError(400, "caption must be 0..1024 characters");
    auto mime_type = p.string("mime_type").value_or("");
    if (mime_type.empty()) mime_type = mime_type_for(file_name);

    auto& chat = chat_for(bot, user);
    StoredFile document;
    document.kind = "document";
    document.bot_id = bot.id;
    document.file_name = file_name;
    document.mime_type = mime_type;
    document.file_size = static_cast<std::int64_t>(content.size());
    document.content = std::move(content);
    const auto& stored = world_.add_file(std::move(document));
    json message{{"document", stored.as_document()}};
    if (!caption.empty()) {
        message["caption"] = caption;
        if (auto e = command_entities(caption); !e.empty()) message["caption_entities"] = std::move(e);
    }
    auto& m = world_.add_message(chat, false, std::move(message));
    world_.enqueue_update(bot, "message", m, user.id);
    return m;
}

// What a file holds, for a test to read what a bot sent. JSON strings carry
// text only, so `content` is the bytes when they are UTF-8 (null otherwise)
// and `content_base64` always has them; both are null for files the emulator
// knows by size only (voice, media sent by URL).
json StudentApi::file_content(const BotApiParams& p) {
    const auto file_id = p.string("file_id").value_or("");
    if (file_id.empty()) throw StudentError(400, "file_id is required");
    const auto* file = world_.find_file(file_id);
    if (!file) throw StudentError(404, "no such file");
    if ((p.has("bot_id") || p.has("token") || p.has("bot_username")) && file->bot_id != bot_param(p).id)
        throw StudentError(404, "no such file for this bot");
    json out{{"file_id", file->file_id},     {"file_unique_id", file->file_unique_id},
             {"kind", file->kind},           {"file_name", file->file_name},
             {"mime_type", file->mime_type}, {"file_size", file->file_size},
             {"content", nullptr},           {"content_base64", nullptr}};
    if (file->content) {
        if (is_valid_utf8(*file->content)) out["content"] = *file->content;
        out["content_base64"] = base64(*file->content);
    }
    return out;
}

json StudentApi::press_button(Bot& bot, User& user, const BotApiParams& p) {
    auto* chat = world_.find_chat(bot.id, user.id);
    if (!chat) throw StudentError(404, "the user has no chat with this bot");
    const auto message_id = required_integer(p, "message_id");
    auto* stored = world_.find_message(*chat, message_id);
    if (!stored || !stored->from_bot) throw StudentError(404, "no bot message with this message_id");
    const auto& message = stored->message;
    if (!message.contains("reply_markup")) throw StudentError(400, "the message has no inline keyboard");
    const auto want_data = p.string("data");
    const auto want_text = p.string("button_text");
    if (!want_data && !want_text) throw StudentError(400, "data or button_text is required");
    const json* pressed = nullptr;
    for (const auto& row : message["reply_markup"]["inline_keyboard"])
        for (const auto& b : row)
            if (!pressed && ((want_data && b.value("callback_data", std::string()) == *want_data) ||
                             (want_text && b.value("text", std::string()) == *want_text)))
                pressed = &b;
    if (!pressed) throw StudentError(404, "no such button on the message");
    if (!pressed->contains("callback_data"))
        throw StudentError(400,
                           "the button has no callback_data (url and web_app buttons do not call the bot)");
    if (chat->blocked) set_blocked(bot, user, false);
    const auto id = world_.new_callback_query_id(bot.id, user.id);
    json query{{"id", id},
               {"from", user.to_json()},
               {"message", message},
               {"chat_instance", std::to_string(bot.id * 31 + user.id)},
               {"data", (*pressed)["callback_data"]}};
    world_.enqueue_update(bot, "callback_query", query, user.id);
    return {{"callback_query_id", id}};
}

// What the Telegram app does when the user taps a web_app button: it opens the
// button's page and hands it initData signed for this bot and this user, which
// the page posts to the bot's backend as proof of who is answering.
json StudentApi::open_web_app(Bot& bot, User& user, const BotApiParams& p) {
    auto* chat = world_.find_chat(bot.id, user.id);
    if (!chat) throw StudentError(404, "the user has no chat with this bot");
    auto* stored = world_.find_message(*chat, required_integer(p, "message_id"));
    if (!stored || !stored->from_bot) throw StudentError(404, "no bot message with this message_id");
    const auto want_text = p.string("button_text");
    std::string url;
    if (stored->message.contains("reply_markup"))
        for (const auto& row : stored->message["reply_markup"]["inline_keyboard"])
            for (const auto& b : row)
                if (url.empty() && b.contains("web_app") && (!want_text || b.value("text", "") == *want_text))
                    url = b["web_app"].value("url", "");
    if (url.empty()) throw StudentError(404, "no such web_app button on the message");
    if (chat->blocked) set_blocked(bot, user, false);
    const auto query_id = world_.new_web_app_query_id(bot.id, user.id);
    json web_app_user = user.to_json();
    web_app_user.erase("is_bot");  // WebAppUser carries it only for the receiver of an attachment menu
    web_app_user["allows_write_to_pm"] = true;
    const std::map<std::string, std::string> fields{{"auth_date", std::to_string(world_.now())},
                                                    {"chat_instance", std::to_string(bot.id * 31 + user.id)},
                                                    {"chat_type", "private"},
                                                    {"query_id", query_id},
                                                    {"user", web_app_user.dump()}};
    return {{"url", url}, {"init_data", signed_init_data(fields, bot.token)}, {"query_id", query_id}};
}

json StudentApi::answer_poll(Bot& bot, User& user, const BotApiParams& p) {
    PollRecord* poll = nullptr;
    if (p.has("poll_id")) {
        poll = world_.find_poll(p.string("poll_id").value_or(""));
    } else if (p.has("message_id")) {
        auto* chat = world_.find_chat(bot.id, user.id);
        auto* stored = chat ? world_.find_message(*chat, required_integer(p, "message_id")) : nullptr;
        if (stored && stored->message.contains("poll"))
            poll = world_.find_poll(stored->message["poll"]["id"].get<std::string>());
    } else {
        throw StudentError(400, "poll_id or message_id is required");
    }
    if (!poll || poll->bot_id != bot.id || poll->chat_id != user.id)
        throw StudentError(404, "no such poll in this chat");
    std::vector<int> chosen;
    std::optional<json> ids;
    try {
        ids = p.json_value("option_ids");
    } catch (const std::invalid_argument&) {
        throw StudentError(400, "option_ids must be a JSON array of integers");
    }
    if (ids) {
        if (!ids->is_array()) throw StudentError(400, "option_ids must be a JSON array of integers");
        for (const auto& i : *ids) {
            try {
                chosen.push_back(static_cast<int>(whole_number_in(
                    i, "option_ids", std::numeric_limits<int>::min(), std::numeric_limits<int>::max())));
            } catch (const std::invalid_argument&) {
                throw StudentError(400, "option_ids must be a JSON array of integers");
            }
        }
    }
    auto& pj = poll->poll;
    const int n = static_cast<int>(pj["options"].size());
    std::set<int> unique(chosen.begin(), chosen.end());
    if (unique.size() != chosen.size()) throw StudentError(400, "option_ids repeat an option");
    for (int i : chosen)
        if (i < 0 || i >= n) throw StudentError(400, "option id out of range");
    if (chosen.size() > 1 && !pj["allows_multiple_answers"].get<bool>())
        throw StudentError(400, "the poll takes one answer");
    const bool quiz = pj["type"] == "quiz";
    const auto previous = poll->votes.find(user.id);
    if (quiz && previous != poll->votes.end())
        throw StudentError(400, "a quiz answer can't be changed or retracted");
    if (chosen.empty() && previous == poll->votes.end()) throw StudentError(400, "nothing to retract");

    if (previous != poll->votes.end()) {
        for (int i : previous->second)
            pj["options"][i]["voter_count"] = pj["options"][i]["voter_count"].get<int>() - 1;
        pj["total_voter_count"] = pj["total_voter_count"].get<int>() - 1;
        poll->votes.erase(previous);
    }
    if (!chosen.empty()) {
        for (int i : chosen) pj["options"][i]["voter_count"] = pj["options"][i]["voter_count"].get<int>() + 1;
        pj["total_voter_count"] = pj["total_voter_count"].get<int>() + 1;
        poll->votes[user.id] = chosen;
    }
    if (auto* chat = world_.find_chat(bot.id, user.id)) {
        if (auto* stored = world_.find_message(*chat, poll->message_id)) stored->message["poll"] = pj;
        if (chat->blocked) set_blocked(bot, user, false);
    }
    // Non-anonymous polls tell the bot who voted; every poll reports its new counts.
    if (!pj["is_anonymous"].get<bool>())
        world_.enqueue_update(bot, "poll_answer",
                              {{"poll_id", poll->id}, {"user", user.to_json()}, {"option_ids", chosen}},
                              user.id);
    if (world_.settings().poll_updates) world_.enqueue_update(bot, "poll", pj, user.id);
    return pj;
}

json StudentApi::set_blocked(Bot& bot, User& user, bool blocked) {
    auto& chat = world_.chat(bot.id, user.id);
    if (chat.blocked == blocked) return {{"blocked", blocked}};
    chat.blocked = blocked;
    const auto bot_user = world_.bot_user_json(bot);
    json old_member{{"user", bot_user}, {"status", blocked ? "member" : "kicked"}};
    json new_member{{"user", bot_user}, {"status", blocked ? "kicked" : "member"}};
    if (blocked)
        new_member["until_date"] = 0;
    else
        old_member["until_date"] = 0;
    json update{{"chat", user.as_private_chat()},
                {"from", user.to_json()},
                {"date", world_.now()},
                {"old_chat_member", old_member},
                {"new_chat_member", new_member}};
    world_.enqueue_update(bot, "my_chat_member", update, user.id);
    on_chat_changed(chat);
    return {{"blocked", blocked}};
}

json StudentApi::transcript(Bot& bot, User& user) {
    json out{{"bot_id", bot.id}, {"user_id", user.id}, {"chat_id", user.id}};
    auto* chat = world_.find_chat(bot.id, user.id);
    json messages = json::array();
    if (chat) {
        for (const auto& [id, stored] : chat->messages) {
            json m = stored.message;
            m["sender"] = stored.from_bot ? "bot" : "user";
            if (!stored.reply_keyboard.is_null()) m["reply_keyboard"] = stored.reply_keyboard;
            messages.push_back(std::move(m));
        }
    }
    out["messages"] = std::move(messages);
    out["bot_messages"] = chat ? chat->bot_messages : 0;
    out["blocked"] = chat ? chat->blocked : false;
    out["last_chat_action"] = chat ? chat->last_chat_action : "";
    out["callback_answers"] = chat ? chat->callback_answers : json::array();
    out["web_app_answers"] = chat ? chat->web_app_answers : json::array();
    return out;
}

StudentApi::WaitFor StudentApi::wait_for(const BotApiParams& p, const std::string& count_key,
                                         const std::string& timeout_key) {
    WaitFor w;
    w.bot_messages = static_cast<std::size_t>(std::max<std::int64_t>(0, required_integer(p, count_key)));
    if (p.has(timeout_key))
        w.timeout_ms = std::clamp<std::int64_t>(required_integer(p, timeout_key), 0, 600000);
    return w;
}

bool StudentApi::is_student_action(const std::string& path) {
    static const std::set<std::string> actions{"messages",    "send_message", "start",    "press_button",
                                               "answer_poll", "voice",        "document", "web_app_data",
                                               "contact",     "block",        "unblock"};
    return actions.count(path) != 0;
}

void StudentApi::wait(Bot& bot, User& user, const WaitFor& until, const ResponderPtr& responder) {
    const auto want = until.bot_messages;
    const auto timeout_ms = until.timeout_ms;
    auto* chat = world_.find_chat(bot.id, user.id);
    if (chat && chat->bot_messages >= want) return responder->send(student_ok(transcript(bot, user)));
    if (timeout_ms == 0) return responder->send(student_error(408, "timeout", transcript(bot, user)));
    const ChatKey key{bot.id, user.id};
    const auto serial = next_waiter_++;
    auto timer =
        std::make_shared<boost::asio::steady_timer>(world_.io(), std::chrono::milliseconds(timeout_ms));
    waiters_[key].push_back({serial, want, responder, timer});
    timer->async_wait([this, key, serial, b = &bot, u = &user](boost::system::error_code ec) {
        if (ec) return;
        auto it = waiters_.find(key);
        if (it == waiters_.end()) return;
        auto& list = it->second;
        const auto w =
            std::find_if(list.begin(), list.end(), [&](const Waiter& x) { return x.serial == serial; });
        if (w == list.end()) return;
        auto responder = w->responder;
        list.erase(w);
        responder->send(student_error(408, "timeout", transcript(*b, *u)));
    });
}

void StudentApi::on_chat_changed(PrivateChat& chat) {
    const auto it = waiters_.find({chat.bot_id, chat.user_id});
    if (it == waiters_.end()) return;
    auto& list = it->second;
    std::vector<Waiter> ready;
    for (auto w = list.begin(); w != list.end();) {
        if (chat.bot_messages >= w->bot_messages) {
            ready.push_back(std::move(*w));
            w = list.erase(w);
        } else {
            ++w;
        }
    }
    if (ready.empty()) return;
    auto* bot = world_.bot_by_id(chat.bot_id);
    auto& user = world_.user(chat.user_id);
    const auto body = transcript(*bot, user);
    for (auto& w : ready) {
        w.timer->cancel();
        w.responder->send(student_ok(body));
    }
}

void StudentApi::release_waiters() {
    for (auto& [key, list] : waiters_)
        for (auto& w : list) {
            w.timer->cancel();
            w.responder->send(student_error(503, "the emulator is stopping"));
        }
    waiters_.clear();
}

json StudentApi::config() {
    const auto& l = world_.rate_limiter().limits();
    const auto& s = world_.settings();
    return {{"rate_limits",
             {{"enabled", l.enabled},
              {"per_chat_per_second", l.per_chat_per_second},
              {"per_chat_burst", l.per_chat_burst},
              {"per_bot_per_second", l.per_bot_per_second},
              {"per_bot_burst", l.per_bot_burst}}},
            {"faults", faults_.to_json()},
            {"webhooks",
             {{"strict_urls", s.strict_webhook_urls},
              {"retry_initial_ms", s.webhook_retry.initial_backoff.count()},
              {"retry_max_ms", s.webhook_retry.max_backoff.count()},
              {"timeout_ms", s.webhook_retry.request_timeout.count()}}},
            {"accept_any_file_id", s.accept_any_file_id},
            {"poll_updates", s.poll_updates},
            {"transcript_limit", s.transcript_limit}};
}

void StudentApi::apply_config(const json& patch) {
    // Onto copies, kept only when the whole patch reads: a refused patch
    // changes nothing, not even the keys before the one at fault.
    auto limits = world_.rate_limiter().limits();
    auto faults = faults_.settings();
    auto settings = world_.settings();
    const auto rate = [](const json& value, const std::string& key) {
        if (!value.is_number() || value.get<double>() < 0)
            throw StudentError(400, key + " must be a number of at least 0");
        return value.get<double>();
    };
    try {
        for (const auto& [key, value] : patch.items()) {
            if (key == "rate_limits") {
                for (const auto& [k, v] : value.items()) {
                    if (k == "enabled")
                        limits.enabled = v.get<bool>();
                    else if (k == "per_chat_per_second")
                        limits.per_chat_per_second = rate(v, k);
                    else if (k == "per_chat_burst")
                        limits.per_chat_burst = rate(v, k);
                    else if (k == "per_bot_per_second")
                        limits.per_bot_per_second = rate(v, k);
                    else if (k == "per_bot_burst")
                        limits.per_bot_burst = rate(v, k);
                    else
                        throw StudentError(400, "unknown rate limit setting: " + k);
                }
            } else if (key == "faults") {
                faults = FaultInjector::patched(std::move(faults), value);
            } else if (key == "webhooks") {
                for (const auto& [k, v] : value.items()) {
                    if (k == "strict_urls")
                        settings.strict_webhook_urls = v.get<bool>();
                    else if (k == "retry_initial_ms")
                        settings.webhook_retry.initial_backoff = control_milliseconds(v, k);
                    else if (k == "retry_max_ms")
                        settings.webhook_retry.max_backoff = control_milliseconds(v, k);
                    else if (k == "timeout_ms")
                        settings.webhook_retry.request_timeout = control_milliseconds(v, k);
                    else
                        throw StudentError(400, "unknown webhook setting: " + k);
                }
            } else if (key == "accept_any_file_id") {
                settings.accept_any_file_id = value.get<bool>();
            } else if (key == "poll_updates") {
                settings.poll_updates = value.get<bool>();
            } else if (key == "transcript_limit") {
                settings.transcript_limit = static_cast<std::size_t>(
                    whole_number_in(value, key, 1, std::numeric_limits<std::int64_t>::max()));
            } else {
                throw StudentError(400, "unknown setting: " + key);
            }
        }
    } catch (const std::invalid_argument& e) {
        throw StudentError(400, e.what());
    } catch (const json::exception& e) {
        throw StudentError(400, std::string("a setting has the wrong type: ") + e.what());
    }
    world_.rate_limiter().set_limits(limits);
    faults_.settings() = std::move(faults);
    world_.settings() = settings;
}

}  // namespace profo::telegram_emulator
