// An asynchronous Bot API client on Beast and OpenSSL: one base URL, a pool
// of keep-alive connections reused across bots and calls. Calls are C++20
// coroutines on the transport's own io_context, so a long poll costs a parked
// socket, not a thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bot_api_call.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace profo::telegram {

struct BotApiReply {
    int status = 0;    // HTTP status; 0 when the exchange failed on the network
    std::string body;  // the answer, or for status 0 what failed (never the URL: it holds the token)
};

class BotApiClient {
public:
    // Throws std::invalid_argument for a base URL that is not http(s)://host[:port][/path].
    BotApiClient(boost::asio::io_context& io, const std::string& base_url);
    ~BotApiClient();

    // POST {base}/bot<token>/<method> with `params` as JSON.
    boost::asio::awaitable<BotApiReply> call(const std::string& token, const std::string& method,
                                             const nlohmann::json& params, std::chrono::milliseconds timeout);
    // The same as multipart/form-data, with `file` uploaded.
    boost::asio::awaitable<BotApiReply> upload(const std::string& token, const std::string& method,
                                               const nlohmann::json& params, const BotApiUpload& file,
                                               std::chrono::milliseconds timeout);
    // GET {base}/file/bot<token>/<file_path>: a file getFile named. A path
    // that could not be Telegram's comes back as a 400 without a request.
    boost::asio::awaitable<BotApiReply> download(const std::string& token, const std::string& file_path,
                                                 std::chrono::milliseconds timeout);

    // Closes idle connections (on stop).
    void close_idle();

private:
    struct Connection;
    // Sends `request` on a pooled connection (or a new one); `what` names it
    // in failures, which never show the URL: it holds the token.
    boost::asio::awaitable<BotApiReply> exchange_pooled(
        boost::beast::http::request<boost::beast::http::string_body> request, const std::string& what,
        std::chrono::milliseconds timeout);
    boost::beast::http::request<boost::beast::http::string_body> request_to(boost::beast::http::verb verb,
                                                                            const std::string& target) const;
    boost::asio::awaitable<std::unique_ptr<Connection>> connect(std::chrono::milliseconds timeout);
    std::unique_ptr<Connection> take_idle();
    void give_back(std::unique_ptr<Connection> connection);

    boost::asio::io_context& io_;
    boost::asio::ssl::context tls_;
    bool use_tls_ = false;
    std::string host_;
    std::string port_;
    std::string path_prefix_;  // "" or "/prefix" without a trailing slash
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace profo::telegram
