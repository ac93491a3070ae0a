// The simulated Telegram: bots, users, the private chats between them with
// every message in order, polls, callback queries, files, and each bot's
// pending updates. Everything lives on the emulator's single io_context
// thread, so nothing here locks. The HTTP fronts (bot_api, student_api) read
// and change it and park their long waits on the hooks it calls.
#pragma once

#include "counters.h"
#include "rate_limiter.h"
#include "update_queue.h"
#include "webhook_deliverer.h"

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace profo::telegram_emulator {

struct User {
    std::int64_t id = 0;
    std::string first_name;
    std::string last_name;
    std::string username;
    std::string language_code;
    bool deactivated = false;

    nlohmann::json to_json() const;
    nlohmann::json as_private_chat() const;
};

// A getUpdates call waiting for updates.
struct ParkedPoll {
    std::uint64_t serial = 0;
    std::size_t limit = 100;
    std::function<void(std::optional<std::string> conflict)> finish;  // nullopt: answer with updates
};

struct Bot {
    std::int64_t id = 0;
    std::string token;
    std::string username;
    std::string first_name;
    UpdateQueue queue;
    std::int64_t last_delivered_update_id = 0;  // to count each update's first delivery once
    std::optional<ParkedPoll> parked;
    std::shared_ptr<WebhookDeliverer> webhook;
    std::int64_t next_file_number = 0;  // file_path numbers count per bot: documents/file_0.pdf, ...

    nlohmann::json to_json() const;
};

struct StoredMessage {
    bool from_bot = false;
    nlohmann::json message;         // the Message object as the Bot API shows it
    nlohmann::json reply_keyboard;  // a reply keyboard / remove / force_reply the student sees, or null
};

struct PrivateChat {
    std::int64_t bot_id = 0;
    std::int64_t user_id = 0;
    std::int64_t next_message_id = 1;
    bool blocked = false;
    bool started = false;
    std::map<std::int64_t, StoredMessage> messages;
    std::size_t bot_messages = 0;  // ever sent by the bot, not only those still kept
    std::string last_chat_action;
    nlohmann::json callback_answers = nlohmann::json::array();
    nlohmann::json web_app_answers = nlohmann::json::array();
};

// A file a bot can reach by file_id: one a user sent it or one it sent.
// Telegram's file ids are per bot, so each record belongs to one bot.
struct StoredFile {
    std::string file_id;
    std::string file_unique_id;
    std::string kind;  // document, photo, video, audio, voice
    std::int64_t bot_id = 0;
    std::string file_name;  // documents (and uploads) only
    std::string mime_type;
    std::int64_t file_size = 0;
    // The bytes, for files that came with them (a student's document, an
    // upload). Voice and media sent by URL are known by size only and
    // download as that many zero bytes.
    std::optional<std::string> content;
    // Empty until the bot's first getFile, as a Telegram path exists only
    // once the Bot API server has fetched the file.
    std::string file_path;

    // The Document object of a message: file_name, mime_type, ids, size.
    nlohmann::json as_document() const;
};

// The MIME type a file gets from its name's extension, as Telegram apps and the
// Bot API server assign it: .yml/.yaml application/x-yaml, .txt text/plain,
// .json application/json; `fallback` for any other extension or none.
std::string mime_type_for(const std::string& file_name,
                          const std::string& fallback = "application/octet-stream");

struct PollRecord {
    std::string id;
    std::int64_t bot_id = 0;
    std::int64_t chat_id = 0;
    std::int64_t message_id = 0;
    nlohmann::json poll;
    std::map<std::int64_t, std::vector<int>> votes;  // user -> options
};

struct CallbackQueryRecord {
    std::int64_t bot_id = 0;
    std::int64_t user_id = 0;
    bool answered = false;
};

struct WebAppQueryRecord {
    std::int64_t bot_id = 0;
    std::int64_t user_id = 0;
    bool answered = false;
};

struct WorldSettings {
    std::size_t transcript_limit = 10000;  // messages kept per chat
    bool accept_any_file_id = false;
    bool strict_webhook_urls = false;
    bool poll_updates = true;  // bots get `poll` updates when votes change, as in Telegram
    WebhookRetryPolicy webhook_retry;
};

class World {
public:
    World(boost::asio::io_context& io, WorldSettings settings, RateLimits limits);

    boost::asio::io_context& io() { return io_; }
    WorldSettings& settings() { return settings_; }
    Counters& counters() { return counters_; }
    RateLimiter& rate_limiter() { return rate_limiter_; }

    // Unix time as the emulator sees it; tests move it forward to age updates.
    std::int64_t now() const;
    void advance_clock(std::chrono::seconds by) { clock_offset_ += by; }

    // Bots. An empty token gets a generated one; a given one must look like
    // Telegram's ("<digits>:<30+ of A-Za-z0-9_->"). Throws std::invalid_argument.
    Bot& create_bot(const std::string& username, const std::string& first_name, const std::string& token);
    Bot* bot_by_token(const std::string& token);
    Bot* bot_by_id(std::int64_t id);
    Bot* bot_by_username(const std::string& username);
    const std::map<std::int64_t, std::unique_ptr<Bot>>& bots() const { return bots_; }

    // Users are created on first use; details given later update them.
    User& user(std::int64_t id);
    User* find_user(std::int64_t id);
    User& create_user(const nlohmann::json& details);

    PrivateChat* find_chat(std::int64_t bot_id, std::int64_t chat_id);
    PrivateChat& chat(std::int64_t bot_id, std::int64_t user_id);

    // Appends a message to the chat and returns it (with message_id, date, from, chat).
    nlohmann::json& add_message(PrivateChat& chat, bool from_bot, nlohmann::json content,
                                nlohmann::json reply_keyboard = nullptr);
    StoredMessage* find_message(PrivateChat& chat, std::int64_t message_id);

    // Queues an update for the bot and wakes whoever waits for it.
    void enqueue_update(Bot& bot, const std::string& kind, const nlohmann::json& payload,
                        std::int64_t chat_key);

    // Files. add_file issues the file_id (unless given) and file_unique_id.
    StoredFile& add_file(StoredFile file);
    StoredFile* find_file(const std::string& file_id);
    // The file as this bot may use it: nullptr for unknown ids and other bots' files.
    StoredFile* file_for_bot(const std::string& file_id, std::int64_t bot_id);
    // The file's path for downloads, given on first use (getFile).
    const std::string& file_path(StoredFile& file);
    StoredFile* file_by_path(std::int64_t bot_id, const std::string& file_path);

    std::string new_callback_query_id(std::int64_t bot_id, std::int64_t user_id);
    CallbackQueryRecord* find_callback_query(const std::string& id);
    std::string new_web_app_query_id(std::int64_t bot_id, std::int64_t user_id);
    WebAppQueryRecord* find_web_app_query(const std::string& id);

    PollRecord& add_poll(std::int64_t bot_id, std::int64_t chat_id, std::int64_t message_id,
                         nlohmann::json poll);
    PollRecord* find_poll(const std::string& id);

    // Webhook changes; the old deliverer (if any) is stopped.
    void set_webhook(Bot& bot, WebhookTarget target);
    void delete_webhook(Bot& bot);

    // Drops updates older than 24 h (emulator time) in every bot's queue.
    void expire_updates();

    // Hooks the HTTP fronts install.
    std::function<void(Bot&)> on_update_queued;
    std::function<void(PrivateChat&)> on_chat_changed;

    nlohmann::json bot_user_json(const Bot& bot) const;

private:
    boost::asio::io_context& io_;
    WorldSettings settings_;
    Counters counters_;
    RateLimiter rate_limiter_;
    std::chrono::seconds clock_offset_{0};

    std::map<std::int64_t, std::unique_ptr<Bot>> bots_;
    std::unordered_map<std::string, Bot*> bots_by_token_;
    std::map<std::int64_t, User> users_;
    std::map<std::pair<std::int64_t, std::int64_t>, PrivateChat> chats_;
    std::unordered_map<std::string, PollRecord> polls_;
    std::unordered_map<std::string, CallbackQueryRecord> callback_queries_;
    std::unordered_map<std::string, WebAppQueryRecord> web_app_queries_;
    std::unordered_map<std::string, StoredFile> files_;                       // by file_id
    std::map<std::pair<std::int64_t, std::string>, std::string> file_paths_;  // (bot, path) -> file_id
    std::int64_t next_bot_id_ = 7000000001;
    std::int64_t next_user_id_ = 100000001;
    std::uint64_t next_sequence_ = 1;
};

}  // namespace profo::telegram_emulator
