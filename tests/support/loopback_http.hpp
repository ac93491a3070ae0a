// Plain HTTP/1.1 requests to a server on 127.0.0.1, for end-to-end tests.
#pragma once

#include <map>
#include <string>

namespace profo::testing {

struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower case
    std::string body;
};

// One request on a fresh connection (Connection: close). Throws
// std::runtime_error when the connection fails.
HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body = "", const std::map<std::string, std::string>& headers = {});

}  // namespace profo::testing
