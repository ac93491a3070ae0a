#include "http_server.h"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include <array>
#include <chrono>
#include <optional>

namespace profo::telegram_emulator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(tcp::socket socket, HttpServer& server, std::shared_ptr<bool> server_alive)
        : stream_(std::move(socket)), server_(server), server_alive_(std::move(server_alive)) {
        server_.attach(this);
    }
    ~HttpSession() {
        if (*server_alive_) server_.detach(this);
    }

    void start() { read(); }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.socket().close(ec);
    }

    void reply(HttpResponse&& response) {
        if (!stream_.socket().is_open()) return;
        response.keep_alive(keep_alive_);
        response.prepare_payload();
        auto self = shared_from_this();
        auto held = std::make_shared<HttpResponse>(std::move(response));
        http::async_write(stream_, *held, [self, held](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            if (!held->keep_alive()) return self->close();
            self->read();
        });
    }

private:
    // Answered as the Bot API server answers it: a client that only saw the
    // connection drop would take it for a network error and send it again.
    // The rest of the upload is read and dropped, so that closing does not
    // reset the connection before the client has read the answer.
    void refuse_too_large() {
        auto self = shared_from_this();
        auto held = std::make_shared<HttpResponse>(json_response(
            413, R"({"ok":false,"error_code":413,"description":"Request Entity Too Large"})", 11, false));
        held->prepare_payload();
        http::async_write(stream_, *held, [self, held](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            self->stream_.expires_after(std::chrono::seconds(10));
            self->drain();
        });
    }

    void drain() {
        auto self = shared_from_this();
        auto scratch = std::make_shared<std::array<char, 64 * 1024>>();
        stream_.async_read_some(asio::buffer(*scratch), [self, scratch](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->drain();
        });
    }

    class SessionResponder : public Responder {
    public:
        explicit SessionResponder(std::shared_ptr<HttpSession> s) : session_(std::move(s)) {}
        void send(HttpResponse&& response) override {
            if (auto s = take()) s->reply(std::move(response));
        }
        void drop() override {
            if (auto s = take()) s->close();
        }
        bool answered() const override { return session_ == nullptr; }

    private:
        std::shared_ptr<HttpSession> take() { return std::exchange(session_, nullptr); }
        std::shared_ptr<HttpSession> session_;
    };

    void read() {
        parser_.emplace();
        // File uploads (multipart sendPhoto) can be large; Telegram takes 50 MB.
        parser_->body_limit(64 * 1024 * 1024);
        auto self = shared_from_this();
        http::async_read(stream_, buffer_, *parser_, [self](beast::error_code ec, std::size_t) {
            if (ec == http::error::body_limit) return self->refuse_too_large();
            if (ec) return self->close();
            auto request = self->parser_->release();
            self->keep_alive_ = request.keep_alive();
            const auto& handler = self->server_.handler();
            handler(std::move(request), std::make_shared<SessionResponder>(self));
        });
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    HttpServer& server_;
    std::shared_ptr<bool> server_alive_;
    bool keep_alive_ = true;
};

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& endpoint, RequestHandler handler)
    : io_(io), acceptor_(io), handler_(std::move(handler)) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

HttpServer::~HttpServer() {
    *alive_ = false;
    stop();
}

tcp::endpoint HttpServer::local_endpoint() const {
    return acceptor_.local_endpoint();
}

void HttpServer::start() {
    accept();
}

void HttpServer::stop() {
    beast::error_code ec;
    acceptor_.close(ec);
    // Closing may destroy sessions, which detach themselves: iterate a copy.
    const auto sessions = sessions_;
    for (auto* s : sessions) s->close();
}

void HttpServer::accept() {
    acceptor_.async_accept(io_, [this, alive = alive_](beast::error_code ec, tcp::socket socket) {
        if (!*alive || !acceptor_.is_open()) return;
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<HttpSession>(std::move(socket), *this, alive)->start();
        }
        accept();
    });
}

HttpResponse json_response(unsigned status, std::string body, unsigned version, bool keep_alive) {
    HttpResponse r{static_cast<http::status>(status), version};
    r.set(http::field::server, "profo-telegram-emulator");
    r.set(http::field::content_type, "application/json");
    r.keep_alive(keep_alive);
    r.body() = std::move(body);
    return r;
}

}  // namespace profo::telegram_emulator
