// Pushes one bot's updates to its webhook the way Telegram does: one POST per
// update with the secret token header, up to max_connections at once, never
// two updates of the same chat at once and always in order, and any non-2xx
// answer or broken connection retried (first at once, then backing off).
#pragma once

#include "counters.h"
#include "update_queue.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace profo::telegram_emulator {

struct WebhookUrl {
    std::string scheme;  // "http" or "https"
    std::string host;
    std::uint16_t port = 0;
    std::string target;  // path and query
};

// Parses http(s)://host[:port][/path]; nullopt when it is not such a URL.
std::optional<WebhookUrl> parse_webhook_url(const std::string& url);

struct WebhookRetryPolicy {
    std::chrono::milliseconds initial_backoff{2000};
    std::chrono::milliseconds max_backoff{60000};
    std::chrono::milliseconds request_timeout{60000};
};

struct WebhookTarget {
    std::string url;
    WebhookUrl parsed;
    std::string secret_token;
    int max_connections = 40;
};

class WebhookDeliverer : public std::enable_shared_from_this<WebhookDeliverer> {
public:
    WebhookDeliverer(boost::asio::io_context& io, UpdateQueue& queue, WebhookTarget target,
                     WebhookRetryPolicy policy, Counters& counters);

    // New updates were queued.
    void poke();
    // The webhook was removed or replaced: deliveries in flight are abandoned
    // (their updates stay queued) and nothing is touched afterwards.
    void stop();

    const WebhookTarget& target() const { return target_; }
    std::int64_t last_error_date() const { return last_error_date_; }
    const std::string& last_error_message() const { return last_error_message_; }
    std::size_t in_flight() const { return in_flight_chats_.size(); }

private:
    struct Connection;

    void dispatch();
    void deliver(const QueuedUpdate& update, std::shared_ptr<Connection> connection, bool fresh);
    void succeeded(std::int64_t update_id, std::int64_t chat_key, std::shared_ptr<Connection> connection);
    void failed(std::int64_t update_id, std::int64_t chat_key, const std::string& message);
    void schedule_wakeup(std::chrono::steady_clock::time_point when);

    boost::asio::io_context& io_;
    UpdateQueue& queue_;
    WebhookTarget target_;
    WebhookRetryPolicy policy_;
    Counters& counters_;
    bool stopped_ = false;

    std::unordered_set<std::int64_t> in_flight_chats_;
    // A chat whose head update failed waits until then before its next attempt.
    std::unordered_map<std::int64_t, std::chrono::steady_clock::time_point> retry_at_;
    std::unordered_map<std::int64_t, int> attempts_;  // failures so far, per update_id
    std::vector<std::shared_ptr<Connection>> idle_;
    boost::asio::steady_timer wakeup_;
    std::optional<std::chrono::steady_clock::time_point> wakeup_at_;
    std::int64_t last_error_date_ = 0;
    std::string last_error_message_;
};

}  // namespace profo::telegram_emulator
