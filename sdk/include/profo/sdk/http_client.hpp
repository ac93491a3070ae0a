// Outbound HTTP(S) for plugins (LLM providers, the Telegram Bot API): one
// client the host configures once (TLS roots, timeouts), so plugins need no
// networking library of their own.
#pragma once

#include <profo/sdk/abi.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace profo::sdk {

struct HttpClientRequest {
    std::string method = "POST";
    std::string url;  // http:// or https://
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{30000};  // whole exchange
};

struct HttpClientResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower case
    std::string body;
};

// Network failures (DNS, connect, TLS, timeout); an HTTP error status is a
// response, not an exception.
class HttpClientError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class PROFO_SDK_API HttpClient {
public:
    virtual ~HttpClient() = default;
    // Blocking; safe to call from several threads at once.
    virtual HttpClientResponse send(const HttpClientRequest& request) = 0;
    // 2.12: as send(), but connects to `addresses` (IP literals, tried in
    // order, at the URL's port) instead of resolving the URL's host; TLS
    // still checks the certificate against that host. For a caller that
    // checked where a name leads and must connect where it checked, not
    // where a second lookup (an attacker's DNS) would send it. Throws
    // HttpClientError when an address is not an IP literal or none is given.
    virtual HttpClientResponse send_to(const HttpClientRequest& request,
                                       const std::vector<std::string>& addresses) = 0;
};

}  // namespace profo::sdk
