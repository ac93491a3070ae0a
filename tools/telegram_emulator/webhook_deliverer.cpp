#include "webhook_deliverer.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace profo::telegram_emulator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Scanning stops here: a backlog of a million updates must not make every
// delivery walk all of them.
constexpr std::size_t kMaxScan = 4096;

std::string describe(const beast::error_code& ec) {
    if (ec == asio::error::connection_refused) return "Connection refused";
    if (ec == beast::error::timeout) return "Read timeout expired";
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset)
        return "Connection closed";
    if (ec == asio::error::host_not_found) return "Failed to resolve host: Name or service not known";
    return ec.message();
}

}  // namespace

std::optional<WebhookUrl> parse_webhook_url(const std::string& url) {
    WebhookUrl u;
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return std::nullopt;
    u.scheme = url.substr(0, scheme_end);
    std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
    auto rest = std::string_view(url).substr(scheme_end + 3);
    const auto path_begin = rest.find_first_of("/?");
    auto authority = rest.substr(0, path_begin);
    u.target = path_begin == std::string_view::npos ? "/" : std::string(rest.substr(path_begin));
    if (!u.target.empty() && u.target.front() == '?') u.target = "/" + u.target;
    if (authority.find('@') != std::string_view::npos) return std::nullopt;
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        u.host = std::string(authority.substr(1, close - 1));
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') return std::nullopt;
            port_text = authority.substr(close + 2);
        }
    } else {
        const auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (u.host.empty()) return std::nullopt;
    if (port_text.empty()) {
        u.port = u.scheme == "https" ? 443 : 80;
    } else {
        unsigned port = 0;
        const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535)
            return std::nullopt;
        u.port = static_cast<std::uint16_t>(port);
    }
    return u;
}

struct WebhookDeliverer::Connection {
    explicit Connection(asio::io_context& io) : stream(io), resolver(io) {}
    beast::tcp_stream stream;
    tcp::resolver resolver;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
    bool connected = false;
};

WebhookDeliverer::WebhookDeliverer(asio::io_context& io, UpdateQueue& queue, WebhookTarget target,
                                   WebhookRetryPolicy policy, Counters& counters)
    : io_(io), queue_(queue), target_(std::move(target)), policy_(policy), counters_(counters), wakeup_(io) {}

void WebhookDeliverer::poke() {
    if (!stopped_) dispatch();
}

void WebhookDeliverer::stop() {
    stopped_ = true;
    wakeup_.cancel();
    for (auto& c : idle_) {
        beast::error_code ec;
        c->stream.socket().close(ec);
    }
    idle_.clear();
}

void WebhookDeliverer::dispatch() {
    if (stopped_) return;
    const auto now = SteadyClock::now();
    std::unordered_set<std::int64_t> blocked;  // chats with an earlier update still waiting
    std::optional<SteadyClock::time_point> next_retry;
    std::size_t scanned = 0;
    for (const auto& [id, update] : queue_.items()) {
        if (++scanned > kMaxScan) break;
        if (in_flight_chats_.size() >= static_cast<std::size_t>(target_.max_connections)) break;
        const auto chat = update.chat_key;
        if (blocked.count(chat) || in_flight_chats_.count(chat)) {
            blocked.insert(chat);
            continue;
        }
        if (const auto it = retry_at_.find(chat); it != retry_at_.end()) {
            if (it->second > now) {
                blocked.insert(chat);
                next_retry = next_retry ? std::min(*next_retry, it->second) : it->second;
                continue;
            }
            retry_at_.erase(it);
        }
        blocked.insert(chat);
        in_flight_chats_.insert(chat);
        std::shared_ptr<Connection> connection;
        bool fresh = idle_.empty();
        if (fresh) {
            connection = std::make_shared<Connection>(io_);
        } else {
            connection = std::move(idle_.back());
            idle_.pop_back();
        }
        deliver(update, std::move(connection), fresh);
    }
    if (next_retry) schedule_wakeup(*next_retry);
}

void WebhookDeliverer::schedule_wakeup(SteadyClock::time_point when) {
    if (wakeup_at_ && *wakeup_at_ <= when) return;
    wakeup_at_ = when;
    wakeup_.expires_at(when);
    wakeup_.async_wait([weak = weak_from_this()](beast::error_code ec) {
        if (ec) return;
        if (auto self = weak.lock()) {
            self->wakeup_at_.reset();
            self->dispatch();
        }
    });
}

void WebhookDeliverer::deliver(const QueuedUpdate& update, std::shared_ptr<Connection> c, bool fresh) {
    ++counters_.webhook_attempts;
    const auto update_id = update.update_id;
    const auto chat = update.chat_key;
    auto& req = c->request;
    req = {};
    req.method(http::verb::post);
    req.target(target_.parsed.target);
    req.version(11);
    req.set(http::field::host, target_.parsed.host + ":" + std::to_string(target_.parsed.port));
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "profo-telegram-emulator");
    if (!target_.secret_token.empty()) req.set("X-Telegram-Bot-Api-Secret-Token", target_.secret_token);
    req.keep_alive(true);
    req.body() = update.body;
    req.prepare_payload();

    auto self = shared_from_this();
    auto on_response = [self, c, update_id, chat, fresh](beast::error_code ec, std::size_t) {
        if (self->stopped_) return;
        if (ec) {
            beast::error_code ignored;
            c->stream.socket().close(ignored);
            // A kept-alive connection the receiver closed meanwhile is not the
            // receiver's failure: try once more on a new connection.
            if (!fresh && self->queue_.items().count(update_id)) {
                const auto& u = self->queue_.items().at(update_id);
                return self->deliver(u, std::make_shared<Connection>(self->io_), true);
            }
            return self->failed(update_id, chat, describe(ec));
        }
        const auto status = c->response.result_int();
        if (status >= 200 && status < 300) {
            if (!c->response.keep_alive()) {
                beast::error_code ignored;
                c->stream.socket().close(ignored);
                c->connected = false;
            }
            return self->succeeded(update_id, chat, c);
        }
        beast::error_code ignored;
        c->stream.socket().close(ignored);
        self->failed(update_id, chat,
                     "Wrong response from the webhook: " + std::to_string(status) + " " +
                         std::string(c->response.reason()));
    };
    auto send = [self, c, on_response]() {
        c->stream.expires_after(self->policy_.request_timeout);
        http::async_write(c->stream, c->request, [self, c, on_response](beast::error_code ec, std::size_t n) {
            if (ec) return on_response(ec, n);
            c->response = {};
            c->buffer.clear();
            http::async_read(c->stream, c->buffer, c->response, on_response);
        });
    };

    if (target_.parsed.scheme == "https") {
        // TLS delivery is not emulated (see README): report it like a failed delivery.
        return asio::post(io_, [self, update_id, chat] {
            if (!self->stopped_)
                self->failed(update_id, chat, "SSL error: HTTPS webhooks are not supported by the emulator");
        });
    }
    if (c->connected) return send();
    c->resolver.async_resolve(
        target_.parsed.host, std::to_string(target_.parsed.port),
        [self, c, send, on_response](beast::error_code ec, tcp::resolver::results_type results) {
            if (ec) return on_response(ec, 0);
            c->stream.expires_after(self->policy_.request_timeout);
            c->stream.async_connect(results,
                                    [c, send, on_response](beast::error_code ec, const tcp::endpoint&) {
                                        if (ec) return on_response(ec, 0);
                                        c->connected = true;
                                        send();
                                    });
        });
}

void WebhookDeliverer::succeeded(std::int64_t update_id, std::int64_t chat_key,
                                 std::shared_ptr<Connection> c) {
    in_flight_chats_.erase(chat_key);
    attempts_.erase(update_id);
    if (queue_.remove(update_id)) ++counters_.updates_delivered;
    if (c->connected) idle_.push_back(std::move(c));
    dispatch();
}

void WebhookDeliverer::failed(std::int64_t update_id, std::int64_t chat_key, const std::string& message) {
    ++counters_.webhook_failures;
    in_flight_chats_.erase(chat_key);
    last_error_date_ = static_cast<std::int64_t>(std::time(nullptr));
    last_error_message_ = message;
    const int failures = ++attempts_[update_id];
    // First retry at once, then 2 s, 4 s, ... up to the cap.
    if (failures > 1) {
        auto backoff = policy_.initial_backoff * (1LL << std::min(failures - 2, 20));
        backoff = std::min<std::chrono::milliseconds>(backoff, policy_.max_backoff);
        const auto when = SteadyClock::now() + backoff;
        retry_at_[chat_key] = when;
        schedule_wakeup(when);
    }
    dispatch();
}

}  // namespace profo::telegram_emulator
