#include "bot_api_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

namespace profo::telegram {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;

struct BotApiClient::Connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;

    beast::tcp_stream& tcp() { return plain ? *plain : beast::get_lowest_layer(*tls); }
};

namespace {

constexpr std::size_t kMaxIdle = 512;
constexpr std::size_t kMaxBody = 16 * 1024 * 1024;

template <class Stream>
awaitable<void> exchange(Stream& stream, beast::flat_buffer& buffer,
                         http::request<http::string_body>& request,
                         http::response_parser<http::string_body>& parser) {
    co_await http::async_write(stream, request, use_awaitable);
    co_await http::async_read(stream, buffer, parser, use_awaitable);
}

}  // namespace

BotApiClient::BotApiClient(asio::io_context& io, const std::string& base_url)
    : io_(io), tls_(asio::ssl::context::tls_client) {
    std::string rest;
    if (base_url.rfind("https://", 0) == 0) {
        use_tls_ = true;
        rest = base_url.substr(8);
    } else if (base_url.rfind("http://", 0) == 0) {
        rest = base_url.substr(7);
    } else {
        throw std::invalid_argument("base_url '" + base_url + "' must start with http:// or https://");
    }
    const auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    if (slash != std::string::npos) path_prefix_ = rest.substr(slash);
    while (!path_prefix_.empty() && path_prefix_.back() == '/') path_prefix_.pop_back();
    port_ = use_tls_ ? "443" : "80";
    if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
        const auto close = authority.find(']');
        if (close == std::string::npos)
            throw std::invalid_argument("base_url '" + base_url + "' has a broken IPv6 host");
        host_ = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') port_ = authority.substr(close + 2);
    } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
        host_ = authority.substr(0, colon);
        port_ = authority.substr(colon + 1);
    } else {
        host_ = authority;
    }
    if (host_.empty() || port_.empty())
        throw std::invalid_argument("base_url '" + base_url + "' names no host");
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(asio::ssl::verify_peer);
}

BotApiClient::~BotApiClient() = default;

std::unique_ptr<BotApiClient::Connection> BotApiClient::take_idle() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return nullptr;
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
}

void BotApiClient::give_back(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

void BotApiClient::close_idle() {
    std::lock_guard lock(mutex_);
    idle_.clear();
}

awaitable<std::unique_ptr<BotApiClient::Connection>> BotApiClient::connect(
    std::chrono::milliseconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    const auto endpoints = co_await resolver.async_resolve(host_, port_, use_awaitable);
    auto connection = std::make_unique<Connection>();
    if (use_tls_) {
        connection->tls.emplace(executor, tls_);
        if (!SSL_set_tlsext_host_name(connection->tls->native_handle(), host_.c_str()))
            throw std::runtime_error("TLS: cannot set the server name");
        connection->tls->set_verify_callback(asio::ssl::host_name_verification(host_));
    } else {
        connection->plain.emplace(executor);
    }
    connection->tcp().expires_after(timeout);
    co_await connection->tcp().async_connect(endpoints, use_awaitable);
    if (connection->tls)
        co_await connection->tls->async_handshake(asio::ssl::stream_base::client, use_awaitable);
    co_return connection;
}

http::request<http::string_body> BotApiClient::request_to(http::verb verb, const std::string& target) const {
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, host_);
    request.set(http::field::user_agent, "profo-telegram");
    request.keep_alive(true);
    return request;
}

awaitable<BotApiReply> BotApiClient::call(const std::string& token, const std::string& method,
                                          const nlohmann::json& params, std::chrono::milliseconds timeout) {
    auto request = request_to(http::verb::post, path_prefix_ + "/bot" + token + "/" + method);
    request.set(http::field::content_type, "application/json");
    request.body() = params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    request.prepare_payload();
    auto exchange = exchange_pooled(std::move(request), method, timeout);
    co_return co_await std::move(exchange);
}

awaitable<BotApiReply> BotApiClient::upload(const std::string& token, const std::string& method,
                                            const nlohmann::json& params, const BotApiUpload& file,
                                            std::chrono::milliseconds timeout) {
    auto request = request_to(http::verb::post, path_prefix_ + "/bot" + token + "/" + method);
    const auto boundary = multipart_boundary(params, file);
    request.set(http::field::content_type, "multipart/form-data; boundary=" + boundary);
    request.body() = multipart_body(params, file, boundary);
    request.prepare_payload();
    auto exchange = exchange_pooled(std::move(request), method, timeout);
    co_return co_await std::move(exchange);
}

awaitable<BotApiReply> BotApiClient::download(const std::string& token, const std::string& file_path,
                                              std::chrono::milliseconds timeout) {
    // Telegram's paths are `documents/file_12.yml`: anything else in a target
    // (a space, a line break, `..`) is not one, and must not reach a request line.
    const bool usable = !file_path.empty() && file_path.size() <= 512 &&
                        file_path.find("..") == std::string::npos &&
                        std::all_of(file_path.begin(), file_path.end(), [](unsigned char c) {
                            return std::isalnum(c) != 0 || c == '/' || c == '.' || c == '_' || c == '-';
                        });
    if (!usable)
        co_return BotApiReply{400, R"({"ok":false,"error_code":400,"description":"unusable file_path"})"};
    auto request = request_to(http::verb::get, path_prefix_ + "/file/bot" + token + "/" + file_path);
    auto exchange = exchange_pooled(std::move(request), "file download", timeout);
    co_return co_await std::move(exchange);
}

awaitable<BotApiReply> BotApiClient::exchange_pooled(http::request<http::string_body> request,
                                                     const std::string& what,
                                                     std::chrono::milliseconds timeout) {
    // A pooled connection the server closed meanwhile fails at once; one more
    // try on a fresh connection tells that apart from a real failure.
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto connection = attempt == 0 ? take_idle() : nullptr;
        const bool reused = connection != nullptr;
        std::string failure;
        bool retry = false;
        try {
            if (!connection) connection = co_await connect(timeout);
            connection->tcp().expires_after(timeout);
            http::response_parser<http::string_body> parser;
            parser.body_limit(kMaxBody);
            if (connection->tls)
                co_await exchange(*connection->tls, connection->buffer, request, parser);
            else
                co_await exchange(*connection->plain, connection->buffer, request, parser);
            auto response = parser.release();
            BotApiReply reply{static_cast<int>(response.result_int()), std::move(response.body())};
            if (response.keep_alive()) {
                connection->tcp().expires_never();
                give_back(std::move(connection));
            }
            co_return reply;
        } catch (const boost::system::system_error& e) {
            const auto code = e.code();
            retry = reused && (code == http::error::end_of_stream || code == asio::error::eof ||
                               code == asio::error::connection_reset || code == asio::error::broken_pipe);
            failure = what + ": " + code.message();
        } catch (const std::exception& e) {
            failure = what + ": " + e.what();
        }
        if (!retry) co_return BotApiReply{0, failure};
    }
    co_return BotApiReply{0, what + ": connection closed"};
}

}  // namespace profo::telegram
