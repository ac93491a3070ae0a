#include "loopback_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace profo::testing {

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body, const std::map<std::string, std::string>& headers) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
    std::ostringstream request;
    request << method << " " << target << " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [k, v] : headers) request << k << ": " << v << "\r\n";
    if (!body.empty() || method == "POST") request << "Content-Length: " << body.size() << "\r\n";
    request << "\r\n" << body;
    const std::string bytes = request.str();
    for (std::size_t sent = 0; sent < bytes.size();) {
        const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string raw;
    std::array<char, 8192> buf{};
    // The reply ends where its Content-Length says, or else when the server
    // closes: some servers (chromedriver) keep the connection whatever the
    // request asked.
    std::optional<std::size_t> length;
    for (ssize_t n; (n = recv(fd, buf.data(), buf.size(), 0)) > 0;) {
        raw.append(buf.data(), static_cast<std::size_t>(n));
        const auto end = raw.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (!length) {
            std::string head = raw.substr(0, end);
            std::transform(head.begin(), head.end(), head.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            const auto at = head.find("\r\ncontent-length:");
            if (at == std::string::npos) continue;
            length = std::stoul(head.substr(at + 17));
        }
        if (raw.size() >= end + 4 + *length) break;
    }
    close(fd);

    HttpReply reply;
    const auto head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos)
        throw std::runtime_error("malformed HTTP reply: " + raw.substr(0, 200));
    reply.status = std::stoi(raw.substr(9, 3));
    std::istringstream head(raw.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        reply.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    reply.body = length ? raw.substr(head_end + 4, *length) : raw.substr(head_end + 4);
    return reply;
}

}  // namespace profo::testing
