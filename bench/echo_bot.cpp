// The least a Telegram bot can be: long polling, one reply per update, no
// storage, no state. profo_telegram_bench runs it against the same emulator
// as the platform, so the platform's figures are also a ratio to this ceiling.
//
//   profo-echo-bot BASE_URL TOKEN_FILE
//
// BASE_URL is http://host:port (plain HTTP only); TOKEN_FILE has one bot
// token per line. Every bot polls in its own coroutine on one thread; each
// update's reply is sent at once, on a keep-alive connection from a pool.
// Stops on SIGINT/SIGTERM.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using nlohmann::json;
using tcp = asio::ip::tcp;

struct Connection {
    explicit Connection(asio::any_io_executor executor) : stream(executor) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
};

class EchoBot {
public:
    EchoBot(asio::io_context& io, std::string host, std::string port, std::vector<std::string> tokens)
        : io_(io), host_(std::move(host)), port_(std::move(port)), tokens_(std::move(tokens)) {}

    void start() {
        endpoints_ = tcp::resolver(io_).resolve(host_, port_);
        for (const auto& token : tokens_) asio::co_spawn(io_, poll(token), asio::detached);
    }

private:
    awaitable<std::unique_ptr<Connection>> take() {
        if (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            co_return c;
        }
        auto c = std::make_unique<Connection>(io_.get_executor());
        co_await c->stream.async_connect(endpoints_, use_awaitable);
        co_return c;
    }

    // One Bot API call on a pooled connection; the answer's body, or "" when
    // the exchange failed (the caller retries or drops it).
    awaitable<std::string> call(const std::string& token, const std::string& method, const json& params) {
        try {
            auto c = co_await take();
            http::request<http::string_body> request{http::verb::post, "/bot" + token + "/" + method, 11};
            request.set(http::field::host, host_);
            request.set(http::field::content_type, "application/json");
            request.keep_alive(true);
            request.body() = params.dump();
            request.prepare_payload();
            co_await http::async_write(c->stream, request, use_awaitable);
            http::response<http::string_body> response;
            co_await http::async_read(c->stream, c->buffer, response, use_awaitable);
            std::string body = std::move(response.body());
            if (response.keep_alive()) idle_.push_back(std::move(c));
            co_return body;
        } catch (const std::exception&) {
            co_return std::string();
        }
    }

    awaitable<void> reply(std::string token, std::int64_t chat, std::string text) {
        // Named, not a temporary of the co_await expression: GCC 12 destroys those twice.
        const json params{{"chat_id", chat}, {"text", text.empty() ? std::string("ok") : text}};
        co_await call(token, "sendMessage", params);
    }

    awaitable<void> poll(std::string token) {
        std::int64_t offset = 0;
        for (;;) {
            const json params{{"offset", offset}, {"timeout", 25}};
            const auto body = co_await call(token, "getUpdates", params);
            const auto reply_json = json::parse(body, nullptr, false);
            if (!reply_json.is_object() || !reply_json.value("ok", false)) {
                asio::steady_timer pause(io_, std::chrono::milliseconds(200));
                co_await pause.async_wait(use_awaitable);
                continue;
            }
            for (const auto& update : reply_json["result"]) {
                offset = update["update_id"].get<std::int64_t>() + 1;
                if (!update.contains("message")) continue;
                const auto& message = update["message"];
                asio::co_spawn(io_,
                               reply(token, message["chat"]["id"].get<std::int64_t>(),
                                     message.value("text", std::string())),
                               asio::detached);
            }
        }
    }

    asio::io_context& io_;
    std::string host_;
    std::string port_;
    std::vector<std::string> tokens_;
    tcp::resolver::results_type endpoints_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: profo-echo-bot BASE_URL TOKEN_FILE\n");
        return 2;
    }
    std::string base = argv[1];
    if (base.rfind("http://", 0) != 0) {
        std::fprintf(stderr, "profo-echo-bot: BASE_URL must be http://host:port\n");
        return 2;
    }
    base = base.substr(7);
    const auto colon = base.rfind(':');
    std::vector<std::string> tokens;
    std::ifstream in(argv[2]);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) tokens.push_back(line);
    asio::io_context io;
    EchoBot bot(io, base.substr(0, colon), colon == std::string::npos ? "80" : base.substr(colon + 1),
                tokens);
    bot.start();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) { io.stop(); });
    io.run();
    return 0;
}
