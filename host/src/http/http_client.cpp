#include "http/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <exception>
#include <optional>
#include <vector>

namespace profo::host {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

// What a failure message names: scheme, host and port, never the target.
std::string origin_of(const HttpUrl& url) {
    const bool v6 = url.host.find(':') != std::string::npos;
    return std::string(url.tls ? "https://" : "http://") + (v6 ? "[" + url.host + "]" : url.host) + ":" +
           url.port;
}

std::string host_header(const HttpUrl& url) {
    const bool v6 = url.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + url.host + "]" : url.host;
    const bool default_port = url.port == (url.tls ? "443" : "80");
    return default_port ? host : host + ":" + url.port;
}

// The state of one exchange, alive until its coroutine finishes.
struct Exchange {
    const HttpUrl& url;
    const sdk::HttpClientRequest& request;
    Clock::time_point deadline;
    std::size_t max_body_bytes;
    std::vector<tcp::endpoint> pinned;  // connect here instead of resolving the host

    [[noreturn]] void fail(const std::string& step, const boost::system::error_code& ec) const {
        const bool timed_out =
            ec == beast::error::timeout || ec == asio::error::operation_aborted || Clock::now() >= deadline;
        std::string what = request.method + " " + origin_of(url) + ": ";
        if (timed_out)
            what += step + " timed out (timeout " + std::to_string(request.timeout.count()) + " ms)";
        else
            what += step + " failed: " + ec.message();
        throw sdk::HttpClientError(what);
    }

    http::request<http::string_body> build() const {
        http::request<http::string_body> req;
        req.version(11);
        const http::verb verb = http::string_to_verb(request.method);
        if (verb == http::verb::unknown)
            req.method_string(request.method);
        else
            req.method(verb);
        req.target(url.target);
        req.set(http::field::host, host_header(url));
        req.set(http::field::user_agent, "profo/" PROFO_VERSION);
        for (const auto& [name, value] : request.headers) req.set(name, value);
        req.body() = request.body;
        req.prepare_payload();
        return req;
    }

    template <class Stream>
    asio::awaitable<sdk::HttpClientResponse> talk(Stream& stream, beast::tcp_stream& lowest) {
        auto req = build();
        lowest.expires_at(deadline);
        auto [wec, written] = co_await http::async_write(stream, req, kTuple);
        if (wec) fail("sending the request", wec);

        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(max_body_bytes);
        parser.header_limit(64 * 1024);
        lowest.expires_at(deadline);
        auto [rec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
        if (rec) fail("reading the response", rec);

        auto& res = parser.get();
        sdk::HttpClientResponse out;
        out.status = static_cast<int>(res.result_int());
        for (const auto& field : res)
            out.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
        out.body = std::move(res.body());
        co_return out;
    }

    asio::awaitable<tcp::resolver::results_type> resolve() {
        auto executor = co_await asio::this_coro::executor;
        tcp::resolver resolver(executor);
        // The resolver has no deadline of its own: a timer cancels it.
        asio::steady_timer watchdog(executor, deadline);
        watchdog.async_wait([&resolver](boost::system::error_code ec) {
            if (!ec) resolver.cancel();
        });
        auto [ec, results] = co_await resolver.async_resolve(url.host, url.port, kTuple);
        watchdog.cancel();
        if (ec) fail("resolving the host", ec);
        co_return results;
    }

    // Where to connect: the pinned addresses, or what the host resolves to.
    asio::awaitable<std::vector<tcp::endpoint>> targets() {
        if (!pinned.empty()) co_return pinned;
        const auto results = co_await resolve();
        std::vector<tcp::endpoint> out;
        for (const auto& entry : results) out.push_back(entry.endpoint());
        co_return out;
    }

    asio::awaitable<sdk::HttpClientResponse> run(ssl::context& tls) {
        auto executor = co_await asio::this_coro::executor;
        const auto endpoints = co_await targets();
        if (!url.tls) {
            beast::tcp_stream stream(executor);
            stream.expires_at(deadline);
            auto [ec, ep] = co_await stream.async_connect(endpoints, kTuple);
            if (ec) fail("connecting", ec);
            co_return co_await talk(stream, stream);
        }
        beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
        auto& lowest = beast::get_lowest_layer(stream);
        lowest.expires_at(deadline);
        auto [ec, ep] = co_await lowest.async_connect(endpoints, kTuple);
        if (ec) fail("connecting", ec);
        // SNI must not carry IP literals (RFC 6066); the name check still applies.
        if (!is_ip_literal(url.host) && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
            fail("setting the TLS server name", boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                                                          asio::error::get_ssl_category()));
        stream.set_verify_mode(ssl::verify_peer);
        stream.set_verify_callback(ssl::host_name_verification(url.host));
        lowest.expires_at(deadline);
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kTuple);
        if (hec) fail("TLS handshake", hec);
        // No TLS shutdown: the response is complete by its framing, and a peer
        // that never answers close_notify would stall every call to the deadline.
        co_return co_await talk(stream, lowest);
    }
};

}  // namespace

struct BeastHttpClient::Impl {
    Options options;
    ssl::context tls{ssl::context::tls_client};

    explicit Impl(Options o) : options(std::move(o)) {
        tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        tls.set_default_verify_paths();
        tls.set_verify_mode(ssl::verify_peer);
        if (!options.extra_ca_pem.empty()) tls.add_certificate_authority(asio::buffer(options.extra_ca_pem));
    }
};

BeastHttpClient::BeastHttpClient() : BeastHttpClient(Options{}) {}
BeastHttpClient::BeastHttpClient(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
BeastHttpClient::~BeastHttpClient() = default;

sdk::HttpClientResponse BeastHttpClient::send(const sdk::HttpClientRequest& request) {
    return exchange(request, nullptr);
}

sdk::HttpClientResponse BeastHttpClient::send_to(const sdk::HttpClientRequest& request,
                                                 const std::vector<std::string>& addresses) {
    if (addresses.empty()) throw sdk::HttpClientError(request.method + ": send_to was given no address");
    return exchange(request, &addresses);
}

sdk::HttpClientResponse BeastHttpClient::exchange(const sdk::HttpClientRequest& request,
                                                  const std::vector<std::string>* addresses) {
    const HttpUrl url = parse_http_url(request.url);
    Exchange exchange{url, request, Clock::now() + request.timeout, impl_->options.max_body_bytes, {}};
    if (addresses != nullptr) {
        unsigned short port = 0;
        const auto [end, ec] = std::from_chars(url.port.data(), url.port.data() + url.port.size(), port);
        if (ec != std::errc() || end != url.port.data() + url.port.size())
            throw sdk::HttpClientError(request.method + " " + origin_of(url) + ": the port is not a number");
        for (const auto& address : *addresses) {
            boost::system::error_code bad;
            const auto ip = asio::ip::make_address(address, bad);
            if (bad)
                throw sdk::HttpClientError(request.method + " " + origin_of(url) + ": '" + address +
                                           "' is not an IP address to connect to");
            exchange.pinned.emplace_back(ip, port);
        }
    }

    asio::io_context io;
    std::optional<sdk::HttpClientResponse> response;
    std::exception_ptr error;
    asio::co_spawn(io, exchange.run(impl_->tls), [&](std::exception_ptr e, sdk::HttpClientResponse r) {
        if (e)
            error = e;
        else
            response = std::move(r);
    });
    io.run();
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const sdk::HttpClientError&) {
            throw;
        } catch (const std::exception& e) {
            throw sdk::HttpClientError(request.method + " " + origin_of(url) + ": " + e.what());
        }
    }
    if (!response) throw sdk::HttpClientError(request.method + " " + origin_of(url) + ": no response");
    return std::move(*response);
}

}  // namespace profo::host
