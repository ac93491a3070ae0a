// Outbound HTTP(S) for plugins (LLM providers, the Telegram Bot API), on
// Boost.Beast and OpenSSL. One connection per request: the callers are few and
// slow (seconds per LLM answer), so a pool would buy little and cost state.
#pragma once

#include <profo/sdk/http_client.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace profo::host {

// The parts of an http:// or https:// URL a request needs. Throws
// sdk::HttpClientError for anything else (the message never repeats the path
// or query: Bot API URLs carry the token there).
struct HttpUrl {
    bool tls = false;
    std::string host;    // without brackets for IPv6 literals
    std::string port;    // explicit or the scheme's default
    std::string target;  // path and query, "/" when empty
};
HttpUrl parse_http_url(std::string_view url);

class BeastHttpClient final : public sdk::HttpClient {
public:
    struct Options {
        // PEM certificates trusted in addition to the system's roots (a private
        // CA in front of a self-hosted provider; tests).
        std::string extra_ca_pem;
        // Responses larger than this fail instead of filling memory.
        std::size_t max_body_bytes = std::size_t{64} * 1024 * 1024;
    };

    BeastHttpClient();
    explicit BeastHttpClient(Options options);
    ~BeastHttpClient() override;

    // Blocking; each call runs its own exchange, so calls from several threads
    // never share a connection. Certificates are verified against the system
    // roots and the host name (SNI is sent for names, not for IP literals).
    sdk::HttpClientResponse send(const sdk::HttpClientRequest& request) override;
    sdk::HttpClientResponse send_to(const sdk::HttpClientRequest& request,
                                    const std::vector<std::string>& addresses) override;

private:
    // `addresses` empty: the URL's host is resolved.
    sdk::HttpClientResponse exchange(const sdk::HttpClientRequest& request,
                                     const std::vector<std::string>* addresses);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace profo::host
