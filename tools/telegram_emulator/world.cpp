#include "world.h"

#include <random>
#include <regex>
#include <stdexcept>

namespace profo::telegram_emulator {

using nlohmann::json;

namespace {

std::string random_chars(std::size_t n, std::uint64_t seed) {
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    std::mt19937_64 rng(seed);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += kAlphabet[rng() % 64];
    return s;
}

}  // namespace

json User::to_json() const {
    json u{{"id", id}, {"is_bot", false}, {"first_name", first_name}};
    if (!last_name.empty()) u["last_name"] = last_name;
    if (!username.empty()) u["username"] = username;
    if (!language_code.empty()) u["language_code"] = language_code;
    return u;
}

json User::as_private_chat() const {
    json c{{"id", id}, {"first_name", first_name}};
    if (!last_name.empty()) c["last_name"] = last_name;
    if (!username.empty()) c["username"] = username;
    c["type"] = "private";
    return c;
}

json Bot::to_json() const {
    // `polling`: a getUpdates is parked right now, so a client can tell a bot
    // that waits for updates from one that is not asking.
    return {{"id", id},
            {"token", token},
            {"username", username},
            {"first_name", first_name},
            {"polling", parked.has_value()}};
}

World::World(boost::asio::io_context& io, WorldSettings settings, RateLimits limits)
    : io_(io), settings_(settings), rate_limiter_(limits) {}

std::int64_t World::now() const {
    const auto t = std::chrono::system_clock::now() + clock_offset_;
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Bot& World::create_bot(const std::string& username, const std::string& first_name, const std::string& token) {
    auto bot = std::make_unique<Bot>();
    if (token.empty()) {
        bot->id = next_bot_id_++;
        while (bots_.count(bot->id)) bot->id = next_bot_id_++;
        bot->token = std::to_string(bot->id) + ":AA" + random_chars(33, static_cast<std::uint64_t>(bot->id));
    } else {
        static const std::regex kTokenShape("^([0-9]{1,15}):[A-Za-z0-9_-]{30,}$");
        std::smatch m;
        if (!std::regex_match(token, m, kTokenShape))
            throw std::invalid_argument(
                "token must look like 123456:ABC-... (digits, colon, 30+ of A-Za-z0-9_-)");
        bot->id = std::stoll(m[1].str());
        bot->token = token;
        if (bots_.count(bot->id)) throw std::invalid_argument("a bot with this id exists");
    }
    bot->username = username.empty() ? "emu" + std::to_string(bot->id) + "_bot" : username;
    if (bot_by_username(bot->username)) throw std::invalid_argument("username is taken");
    bot->first_name = first_name.empty() ? bot->username : first_name;
    auto& ref = *bot;
    bots_by_token_[ref.token] = &ref;
    bots_.emplace(ref.id, std::move(bot));
    return ref;
}

Bot* World::bot_by_token(const std::string& token) {
    const auto it = bots_by_token_.find(token);
    return it == bots_by_token_.end() ? nullptr : it->second;
}

Bot* World::bot_by_id(std::int64_t id) {
    const auto it = bots_.find(id);
    return it == bots_.end() ? nullptr : it->second.get();
}

Bot* World::bot_by_username(const std::string& username) {
    for (auto& [id, b] : bots_)
        if (b->username == username) return b.get();
    return nullptr;
}

User& World::user(std::int64_t id) {
    auto [it, inserted] = users_.try_emplace(id);
    if (inserted) {
        it->second.id = id;
        it->second.first_name = "User" + std::to_string(id);
        it->second.username = "user" + std::to_string(id);
        it->second.language_code = "en";
    }
    return it->second;
}

User* World::find_user(std::int64_t id) {
    const auto it = users_.find(id);
    return it == users_.end() ? nullptr : &it->second;
}

User& World::create_user(const json& d) {
    std::int64_t id = d.value("id", std::int64_t{0});
    if (id == 0) {
        while (users_.count(next_user_id_)) ++next_user_id_;
        id = next_user_id_++;
    }
    if (id <= 0 || id >= (std::int64_t{1} << 52)) throw std::invalid_argument("user id must be in 1..2^52");
    auto& u = user(id);
    if (d.contains("first_name")) u.first_name = d["first_name"].get<std::string>();
    if (d.contains("last_name")) u.last_name = d["last_name"].get<std::string>();
    if (d.contains("username")) u.username = d["username"].get<std::string>();
    if (d.contains("language_code")) u.language_code = d["language_code"].get<std::string>();
    if (d.contains("deactivated")) u.deactivated = d["deactivated"].get<bool>();
    return u;
}

PrivateChat* World::find_chat(std::int64_t bot_id, std::int64_t chat_id) {
    const auto it = chats_.find({bot_id, chat_id});
    return it == chats_.end() ? nullptr : &it->second;
}

PrivateChat& World::chat(std::int64_t bot_id, std::int64_t user_id) {
    auto [it, inserted] = chats_.try_emplace({bot_id, user_id});
    if (inserted) {
        it->second.bot_id = bot_id;
        it->second.user_id = user_id;
    }
    return it->second;
}

json World::bot_user_json(const Bot& bot) const {
    return {{"id", bot.id}, {"is_bot", true}, {"first_name", bot.first_name}, {"username", bot.username}};
}

json& World::add_message(PrivateChat& chat, bool from_bot, json content, json reply_keyboard) {
    const auto id = chat.next_message_id++;
    const auto& u = user(chat.user_id);
    json m = json::object();
    m["message_id"] = id;
    m["from"] = from_bot ? bot_user_json(*bot_by_id(chat.bot_id)) : u.to_json();
    m["chat"] = u.as_private_chat();
    m["date"] = now();
    for (auto& [k, v] : content.items()) m[k] = std::move(v);
    auto& stored = chat.messages[id];
    stored.from_bot = from_bot;
    stored.message = std::move(m);
    stored.reply_keyboard = std::move(reply_keyboard);
    if (from_bot) ++chat.bot_messages;
    while (chat.messages.size() > settings_.transcript_limit) chat.messages.erase(chat.messages.begin());
    if (on_chat_changed) on_chat_changed(chat);
    return stored.message;
}

StoredMessage* World::find_message(PrivateChat& chat, std::int64_t message_id) {
    const auto it = chat.messages.find(message_id);
    return it == chat.messages.end() ? nullptr : &it->second;
}

void World::enqueue_update(Bot& bot, const std::string& kind, const json& payload, std::int64_t chat_key) {
    if (!bot.queue.push(kind, payload, chat_key, now())) return;
    ++counters_.updates_queued;
    if (bot.webhook) {
        bot.webhook->poke();
    } else if (on_update_queued) {
        on_update_queued(bot);
    }
}

std::string World::issue_file_id(const std::string& kind) {
    // Real file ids are long base64url strings that start with a type marker.
    const std::string prefix = kind == "photo"   ? "AgAC"
                               : kind == "voice" ? "AwAC"
                               : kind == "audio" ? "CQAC"
                                                 : "BAAC";
    auto id = prefix + random_chars(40, next_sequence_++ * 7919);
    file_ids_[id] = kind;
    return id;
}

std::string World::new_callback_query_id(std::int64_t bot_id, std::int64_t user_id) {
    const auto id = std::to_string(bot_id % 100000) + std::to_string(1000000000000ULL + next_sequence_++);
    callback_queries_[id] = {bot_id, user_id, false};
    return id;
}

CallbackQueryRecord* World::find_callback_query(const std::string& id) {
    const auto it = callback_queries_.find(id);
    return it == callback_queries_.end() ? nullptr : &it->second;
}

std::string World::new_web_app_query_id(std::int64_t bot_id, std::int64_t user_id) {
    const auto id = "AAH" + random_chars(20, next_sequence_++ * 104729);
    web_app_queries_[id] = {bot_id, user_id, false};
    return id;
}

WebAppQueryRecord* World::find_web_app_query(const std::string& id) {
    const auto it = web_app_queries_.find(id);
    return it == web_app_queries_.end() ? nullptr : &it->second;
}

PollRecord& World::add_poll(std::int64_t bot_id, std::int64_t chat_id, std::int64_t message_id, json poll) {
    const auto id = std::to_string(5000000000000000000ULL + next_sequence_++);
    poll["id"] = id;
    auto& rec = polls_[id];
    rec.id = id;
    rec.bot_id = bot_id;
    rec.chat_id = chat_id;
    rec.message_id = message_id;
    rec.poll = std::move(poll);
    return rec;
}

PollRecord* World::find_poll(const std::string& id) {
    const auto it = polls_.find(id);
    return it == polls_.end() ? nullptr : &it->second;
}

void World::set_webhook(Bot& bot, WebhookTarget target) {
    if (bot.webhook) bot.webhook->stop();
    bot.webhook = std::make_shared<WebhookDeliverer>(io_, bot.queue, std::move(target),
                                                     settings_.webhook_retry, counters_);
    bot.webhook->poke();
}

void World::delete_webhook(Bot& bot) {
    if (bot.webhook) bot.webhook->stop();
    bot.webhook.reset();
}

void World::expire_updates() {
    const auto t = now();
    for (auto& [id, bot] : bots_) counters_.updates_expired += bot->queue.expire(t);
}

}  // namespace profo::telegram_emulator
