#include "endpoint_policy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

namespace profo::elements::dialog {

namespace {

struct Authority {
    std::string origin;  // scheme://host:port, what log lines name: the path may carry a secret
    std::string host;    // without brackets
    std::string port;
};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// The host and port read exactly as the host's HTTP client reads them
// (host/src/http/http_url.cpp parse_http_url): checking a host other than the
// one it then connects to would check nothing.
Authority authority_of(std::string_view url) {
    const std::string head = lower(url.substr(0, 8));
    bool tls = false;
    std::string_view rest;
    if (head.rfind("https://", 0) == 0) {
        tls = true;
        rest = url.substr(8);
    } else if (head.rfind("http://", 0) == 0) {
        rest = url.substr(7);
    } else {
        throw EndpointRefused("refused the base_url: only http:// and https:// URLs are called");
    }
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos)
        throw EndpointRefused("refused the base_url: credentials in the URL are not allowed");
    Authority out;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) throw EndpointRefused("refused the base_url: unclosed '['");
        out.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':')
            throw EndpointRefused("refused the base_url: junk after the IPv6 address");
        if (!after.empty()) port = after.substr(1);
    } else {
        const std::size_t colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (out.host.empty()) throw EndpointRefused("refused the base_url: it names no host");
    out.port = port.empty() ? (tls ? "443" : "80") : std::string(port);
    const bool v6 = out.host.find(':') != std::string::npos;
    out.origin =
        std::string(tls ? "https://" : "http://") + (v6 ? "[" + out.host + "]" : out.host) + ":" + out.port;
    return out;
}

bool operator_may_allow(AddressKind kind) {
    return kind == AddressKind::loopback || kind == AddressKind::private_network ||
           kind == AddressKind::shared;
}

std::string refusal(const Authority& where, const IpAddress& address, AddressKind kind) {
    const std::string shown = to_string(address);
    std::string what = "refused " + where.origin + ": ";
    what += shown == where.host ? shown : where.host + " resolves to " + shown + ", which";
    what += " is " + std::string(describe(kind));
    what +=
        operator_may_allow(kind)
            ? "; only public addresses are called unless the operator's config sets allow_private_addresses"
            : "; such an address is never called";
    return what;
}

AddressKind classify_v4(const unsigned char* b) {
    const unsigned a = b[0], c1 = b[1], c2 = b[2];
    if (a == 0) return AddressKind::unspecified;
    if (a == 10) return AddressKind::private_network;
    if (a == 100 && (c1 & 0xC0) == 64) return AddressKind::shared;
    if (a == 127) return AddressKind::loopback;
    if (a == 169 && c1 == 254) return AddressKind::link_local;
    if (a == 172 && (c1 & 0xF0) == 16) return AddressKind::private_network;
    if (a == 192 && c1 == 0 && c2 == 0) return AddressKind::reserved;
    if (a == 192 && c1 == 0 && c2 == 2) return AddressKind::documentation;
    if (a == 192 && c1 == 88 && c2 == 99) return AddressKind::reserved;  // the retired 6to4 relays
    if (a == 192 && c1 == 168) return AddressKind::private_network;
    if (a == 198 && (c1 & 0xFE) == 18) return AddressKind::benchmarking;
    if (a == 198 && c1 == 51 && c2 == 100) return AddressKind::documentation;
    if (a == 203 && c1 == 0 && c2 == 113) return AddressKind::documentation;
    if (a >= 224 && a <= 239) return AddressKind::multicast;
    if (a == 255 && c1 == 255 && c2 == 255 && b[3] == 255) return AddressKind::broadcast;
    if (a >= 240) return AddressKind::reserved;
    return AddressKind::public_unicast;
}

bool all_zero(const unsigned char* b, std::size_t n) {
    return std::all_of(b, b + n, [](unsigned char c) { return c == 0; });
}

AddressKind classify_v6(const unsigned char* b) {
    if (all_zero(b, 16)) return AddressKind::unspecified;
    if (all_zero(b, 15) && b[15] == 1) return AddressKind::loopback;
    if (all_zero(b, 10) && b[10] == 0xFF && b[11] == 0xFF) return classify_v4(b + 12);  // ::ffff:a.b.c.d
    const bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B;
    if (nat64 && all_zero(b + 4, 8)) return classify_v4(b + 12);               // 64:ff9b::a.b.c.d
    if (nat64 && b[4] == 0 && b[5] == 1) return AddressKind::private_network;  // local-use NAT64
    if (b[0] == 0xFF) return AddressKind::multicast;
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return AddressKind::link_local;
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return AddressKind::private_network;  // site-local, retired
    if ((b[0] & 0xFE) == 0xFC) return AddressKind::private_network;
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return AddressKind::documentation;
    if (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0) return AddressKind::documentation;
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x02 && b[4] == 0 && b[5] == 0)
        return AddressKind::benchmarking;
    // Teredo, ORCHID and the other IETF protocol assignments of 2001::/23.
    if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xFE) == 0) return AddressKind::reserved;
    if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(b + 2);  // 6to4 2002:a.b.c.d::/48
    // Only 2000::/3 is global unicast.
    if ((b[0] & 0xE0) == 0x20) return AddressKind::public_unicast;
    return AddressKind::reserved;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
    const std::string s(text);
    IpAddress out;
    if (inet_pton(AF_INET, s.c_str(), out.bytes.data()) == 1) return out;
    out.v6 = true;
    if (inet_pton(AF_INET6, s.c_str(), out.bytes.data()) == 1) return out;
    return std::nullopt;
}

std::string to_string(const IpAddress& address) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof text);
    return text;
}

AddressKind classify(const IpAddress& address) {
    return address.v6 ? classify_v6(address.bytes.data()) : classify_v4(address.bytes.data());
}

std::string_view describe(AddressKind kind) {
    switch (kind) {
        case AddressKind::public_unicast: return "a public address";
        case AddressKind::loopback: return "a loopback address";
        case AddressKind::private_network: return "a private address";
        case AddressKind::shared: return "a shared (carrier-grade NAT) address";
        case AddressKind::link_local: return "a link-local address";
        case AddressKind::unspecified: return "an unspecified address";
        case AddressKind::multicast: return "a multicast address";
        case AddressKind::broadcast: return "the broadcast address";
        case AddressKind::documentation: return "a documentation address";
        case AddressKind::benchmarking: return "a benchmarking address";
        case AddressKind::reserved: return "a reserved address";
    }
    return "an unknown kind of address";
}

bool is_allowed(AddressKind kind, bool allow_private) {
    return kind == AddressKind::public_unicast || (allow_private && operator_may_allow(kind));
}

std::vector<IpAddress> system_resolve(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
        throw std::runtime_error("resolving " + host + " failed: " + gai_strerror(rc));
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);
    std::vector<IpAddress> out;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        IpAddress address;
        if (a->ai_family == AF_INET) {
            std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr, 4);
        } else if (a->ai_family == AF_INET6) {
            address.v6 = true;
            std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr,
                        16);
        } else {
            continue;
        }
        out.push_back(address);
    }
    if (out.empty()) throw std::runtime_error("resolving " + host + " gave no address");
    return out;
}

std::vector<IpAddress> check_endpoint(std::string_view url, bool allow_private, const Resolver& resolve) {
    const Authority where = authority_of(url);
    auto addresses = resolve(where.host, where.port);
    if (addresses.empty()) throw std::runtime_error("resolving " + where.host + " gave no address");
    // Any one refused address refuses the host: the client may connect to any of them.
    for (const auto& address : addresses)
        if (const AddressKind kind = classify(address); !is_allowed(kind, allow_private))
            throw EndpointRefused(refusal(where, address, kind));
    return addresses;
}

std::string literal_endpoint_problem(std::string_view url, bool allow_private) {
    Authority where;
    try {
        where = authority_of(url);
    } catch (const EndpointRefused& e) {
        return e.what();
    }
    std::optional<IpAddress> address = parse_ip(where.host);
    if (!address && lower(where.host) == "localhost") address = parse_ip("127.0.0.1");
    if (!address) return {};
    const AddressKind kind = classify(*address);
    return is_allowed(kind, allow_private) ? std::string() : refusal(where, *address, kind);
}

}  // namespace profo::elements::dialog
