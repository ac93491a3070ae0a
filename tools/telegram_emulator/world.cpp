#include "world.h"

#include <algorithm>
#include <cctype>
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

namespace {

// Real file ids are long base64url strings that start with a type marker.
std::string file_id_prefix(const std::string& kind) {
    if (kind == "photo") return "AgAC";
    if (kind == "voice") return "AwAC";
    if (kind == "audio") return "CQAC";
    if (kind == "document") return "BQAC";
    return "BAAC";  // video
}

// The directory and default extension Telegram's file paths use per kind.
std::pair<std::string, std::string> file_path_shape(const std::string& kind) {
    if (kind == "photo") return {"photos", "jpg"};
    if (kind == "voice") return {"voice", "oga"};
    if (kind == "audio") return {"music", "mp3"};
    if (kind == "video") return {"videos", "mp4"};
    return {"documents", ""};
}

// The extension of a file name when it is a plain one (letters and digits),
// so a path never gains a '/' or spaces from a user's file name.
std::string plain_extension(const std::string& file_name) {
    const auto dot = file_name.rfind('.');
    if (dot == std::string::npos || dot + 1 == file_name.size() || file_name.size() - dot > 17) return {};
    const auto ext = file_name.substr(dot + 1);
    const bool plain = std::all_of(ext.begin(), ext.end(), [](unsigned char c) { return std::isalnum(c); });
    return plain ? ext : std::string();
}

}  // namespace

json StoredFile::as_document() const {
    return {{"file_id", file_id},
            {"file_unique_id", file_unique_id},
            {"file_size", file_size},
            {"file_name", file_name},
            {"mime_type", mime_type}};
}

std::string mime_type_for(const std::string& file_name, const std::string& fallback) {
    auto ext = plain_extension(file_name);
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == "yml" || ext == "yaml") return "application/x-yaml";
    if (ext == "txt") return "text/plain";
    if (ext == "json") return "application/json";
    return fallback;
}

StoredFile& World::add_file(StoredFile file) {
    if (file.file_id.empty())
        file.file_id = file_id_prefix(file.kind) + random_chars(40, next_sequence_++ * 7919);
    if (file.file_unique_id.empty()) file.file_unique_id = "AgAD" + random_chars(12, next_sequence_++ * 6151);
    const auto id = file.file_id;
    auto& stored = files_[id];
    stored = std::move(file);
    return stored;
}

StoredFile* World::find_file(const std::string& file_id) {
    const auto it = files_.find(file_id);
    return it == files_.end() ? nullptr : &it->second;
}

StoredFile* World::file_for_bot(const std::string& file_id, std::int64_t bot_id) {
    auto* file = find_file(file_id);
    return file && file->bot_id == bot_id ? file : nullptr;
}

const std::string& World::file_path(StoredFile& file) {
    if (!file.file_path.empty()) return file.file_path;
    auto* bot = bot_by_id(file.bot_id);
    const auto [directory, default_extension] = file_path_shape(file.kind);
    auto extension = file.kind == "document" ? plain_extension(file.file_name) : default_extension;
    file.file_path = directory + "/file_" + std::to_string(bot->next_file_number++);
    if (!extension.empty()) file.file_path += "." + extension;
    file_paths_[{file.bot_id, file.file_path}] = file.file_id;
    return file.file_path;
}

StoredFile* World::file_by_path(std::int64_t bot_id, const std::string& file_path) {
    const auto it = file_paths_.find({bot_id, file_path});
    return it == file_paths_.end() ? nullptr : find_file(it->second);
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
