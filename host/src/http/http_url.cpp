// URL parsing apart from the client, so that it builds (and is fuzzed)
// without Asio and OpenSSL.
#include "http/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace profo::host {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

HttpUrl parse_http_url(std::string_view url) {
    HttpUrl out;
    const std::string head = lower(url.substr(0, 8));
    std::string_view rest;
    if (head.rfind("https://", 0) == 0) {
        out.tls = true;
        rest = url.substr(8);
    } else if (head.rfind("http://", 0) == 0) {
        rest = url.substr(7);
    } else {
        throw sdk::HttpClientError("unsupported URL: only http:// and https:// are allowed");
    }
    const std::size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    std::string_view target = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (authority.find('@') != std::string_view::npos)
        throw sdk::HttpClientError("unsupported URL: credentials in the URL are not allowed");

    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) throw sdk::HttpClientError("bad URL: unclosed '[' in the host");
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw sdk::HttpClientError("bad URL: junk after the IPv6 address");
            port = after.substr(1);
        }
    } else {
        const std::size_t colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (out.host.empty()) throw sdk::HttpClientError("bad URL: no host");
    if (port.empty()) {
        out.port = out.tls ? "443" : "80";
    } else {
        if (port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw sdk::HttpClientError("bad URL: port must be a number");
        const int n = std::stoi(std::string(port));
        if (n < 1 || n > 65535) throw sdk::HttpClientError("bad URL: port out of range");
        out.port = std::string(port);
    }
    const std::size_t fragment = target.find('#');
    if (fragment != std::string_view::npos) target = target.substr(0, fragment);
    if (target.empty())
        out.target = "/";
    else if (target.front() == '?')
        out.target = "/" + std::string(target);
    else
        out.target = std::string(target);
    return out;
}

}  // namespace profo::host
