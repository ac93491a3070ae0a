// Where the dialog may send a conversation and a key. A deployment chooses its
// own base_url, so without this a tenant could make the server call its
// private network, its cloud metadata service or the platform's own admin
// ports (server-side request forgery). The host name is resolved here and
// every address it resolves to must be allowed before the request goes out.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace profo::elements::dialog {

// The operator's setting that opens loopback and private addresses (a model
// hosted on the operator's own network, a fake model in tests). Read only
// from the operator's config, never from a deployment's overrides.
inline constexpr std::string_view kAllowPrivateAddresses = "allow_private_addresses";

struct IpAddress {
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};  // network order; IPv4 uses the first 4
};

// An IPv4 dotted quad or an IPv6 address, strictly as inet_pton reads them.
std::optional<IpAddress> parse_ip(std::string_view text);
std::string to_string(const IpAddress& address);

enum class AddressKind {
    public_unicast,
    loopback,
    private_network,  // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48
    shared,           // 100.64/10, carrier-grade NAT (and overlay networks such as Tailscale)
    link_local,       // 169.254/16 (cloud metadata services), fe80::/10
    unspecified,      // 0/8, ::
    multicast,
    broadcast,
    documentation,  // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
    benchmarking,   // 198.18/15, 2001:2::/48
    reserved,       // anything else that is not public unicast
};

// IPv6 forms that reach an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96,
// 6to4 2002::/16) are classified as that IPv4 address.
AddressKind classify(const IpAddress& address);
// "a private address", for log lines.
std::string_view describe(AddressKind kind);
// Public unicast always; loopback, private and shared addresses only when the
// operator allows private addresses; the rest never.
bool is_allowed(AddressKind kind, bool allow_private);

// Every address `host` resolves to for `port`. Throws std::runtime_error when
// it resolves to none.
using Resolver = std::function<std::vector<IpAddress>(const std::string& host, const std::string& port)>;
// getaddrinfo(), which is also what the host's HTTP client resolves with.
std::vector<IpAddress> system_resolve(const std::string& host, const std::string& port);

// The call may not go where its URL points: never worth another attempt.
class EndpointRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Every address `url`'s host resolves to, each allowed: the call connects to
// these and no others (HttpClient::send_to), so a second lookup cannot send
// it elsewhere. Throws EndpointRefused, naming the host, the address and
// why, when `url` is unreadable or any address is refused; lets resolve()'s
// own failures through (they may be transient).
std::vector<IpAddress> check_endpoint(std::string_view url, bool allow_private, const Resolver& resolve);

// Why the operator's own base_url is refused before any call, for the IP
// literals and `localhost` that need no lookup; "" otherwise.
std::string literal_endpoint_problem(std::string_view url, bool allow_private);

}  // namespace profo::elements::dialog
