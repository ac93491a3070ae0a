// The emulator's HTTP/1.1 front: one acceptor, keep-alive sessions, all on
// one io_context. A request is answered through a Responder, which a handler
// may keep (a parked long poll) and use later; nothing blocks a thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <functional>
#include <memory>
#include <unordered_set>

namespace profo::telegram_emulator {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Answers one request exactly once; later calls are ignored.
class Responder {
public:
    virtual ~Responder() = default;
    virtual void send(HttpResponse&& response) = 0;
    // Closes the connection without an answer (an injected fault).
    virtual void drop() = 0;
    virtual bool answered() const = 0;
};
using ResponderPtr = std::shared_ptr<Responder>;

using RequestHandler = std::function<void(HttpRequest&&, ResponderPtr)>;

class HttpSession;

class HttpServer {
public:
    HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
               RequestHandler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start();
    // Stops accepting and closes every open connection.
    void stop();

    // Sessions register themselves so stop() can close them.
    void attach(HttpSession* s) { sessions_.insert(s); }
    void detach(HttpSession* s) { sessions_.erase(s); }
    const RequestHandler& handler() const { return handler_; }

private:
    void accept();

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    RequestHandler handler_;
    std::unordered_set<HttpSession*> sessions_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

HttpResponse json_response(unsigned status, std::string body, unsigned version = 11, bool keep_alive = true);

}  // namespace profo::telegram_emulator
