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
};

}  // namespace profo::sdk
