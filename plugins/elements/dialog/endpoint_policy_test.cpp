#include "endpoint_policy.hpp"

#include <gtest/gtest.h>

#include <map>

namespace profo::elements::dialog {
namespace {

using Kind = AddressKind;

Kind kind_of(const std::string& text) {
    const auto address = parse_ip(text);
    if (!address) throw std::invalid_argument("not an address: " + text);
    return classify(*address);
}

TEST(ClassifyAddress, EveryRangeInBothFamilies) {
    const std::vector<std::pair<std::string, Kind>> table = {
        {"8.8.8.8", Kind::public_unicast},
        {"1.1.1.1", Kind::public_unicast},
        {"93.184.216.34", Kind::public_unicast},
        {"100.63.255.255", Kind::public_unicast},
        {"100.128.0.0", Kind::public_unicast},
        {"172.15.255.255", Kind::public_unicast},
        {"172.32.0.0", Kind::public_unicast},
        {"192.169.0.1", Kind::public_unicast},
        {"223.255.255.255", Kind::public_unicast},
        {"0.0.0.0", Kind::unspecified},
        {"0.1.2.3", Kind::unspecified},
        {"127.0.0.1", Kind::loopback},
        {"127.255.255.254", Kind::loopback},
        {"10.0.0.5", Kind::private_network},
        {"10.255.255.255", Kind::private_network},
        {"172.16.0.1", Kind::private_network},
        {"172.31.255.255", Kind::private_network},
        {"192.168.1.1", Kind::private_network},
        {"100.64.0.1", Kind::shared},
        {"100.127.255.255", Kind::shared},
        {"169.254.169.254", Kind::link_local},
        {"192.0.0.8", Kind::reserved},
        {"192.0.2.1", Kind::documentation},
        {"198.51.100.7", Kind::documentation},
        {"203.0.113.9", Kind::documentation},
        {"198.18.0.1", Kind::benchmarking},
        {"198.19.255.255", Kind::benchmarking},
        {"192.88.99.1", Kind::reserved},
        {"224.0.0.1", Kind::multicast},
        {"239.255.255.250", Kind::multicast},
        {"240.0.0.1", Kind::reserved},
        {"255.255.255.255", Kind::broadcast},

        {"2606:4700:4700::1111", Kind::public_unicast},
        {"2a00:1450:4001:82b::200e", Kind::public_unicast},
        {"::", Kind::unspecified},
        {"::1", Kind::loopback},
        {"fc00::1", Kind::private_network},
        {"fd12:3456:789a::1", Kind::private_network},
        {"fec0::1", Kind::private_network},
        {"fe80::1", Kind::link_local},
        {"febf::1", Kind::link_local},
        {"ff02::1", Kind::multicast},
        {"2001:db8::1", Kind::documentation},
        {"3fff::1", Kind::documentation},
        {"2001:2::1", Kind::benchmarking},
        {"2001::1", Kind::reserved},  // Teredo
        {"100::1", Kind::reserved},   // discard-only
        {"::2", Kind::reserved},      // IPv4-compatible, retired
        {"::ffff:0:7f00:1", Kind::reserved},
        {"4000::1", Kind::reserved},
        {"64:ff9b:1::a00:5", Kind::private_network},

        // IPv6 forms of an IPv4 address are that address.
        {"::ffff:8.8.8.8", Kind::public_unicast},
        {"::ffff:127.0.0.1", Kind::loopback},
        {"::ffff:7f00:1", Kind::loopback},
        {"::ffff:10.0.0.5", Kind::private_network},
        {"::ffff:172.16.0.1", Kind::private_network},
        {"::ffff:192.168.0.1", Kind::private_network},
        {"::ffff:100.64.0.1", Kind::shared},
        {"::ffff:169.254.169.254", Kind::link_local},
        {"::ffff:0.0.0.0", Kind::unspecified},
        {"::ffff:224.0.0.1", Kind::multicast},
        {"::ffff:255.255.255.255", Kind::broadcast},
        {"::ffff:192.0.2.1", Kind::documentation},
        {"64:ff9b::8.8.8.8", Kind::public_unicast},
        {"64:ff9b::169.254.169.254", Kind::link_local},
        {"64:ff9b::127.0.0.1", Kind::loopback},
        {"2002:808:808::1", Kind::public_unicast},  // 6to4 of 8.8.8.8
        {"2002:a00:5::1", Kind::private_network},   // 6to4 of 10.0.0.5
        {"2002:7f00:1::1", Kind::loopback},         // 6to4 of 127.0.0.1
    };
    for (const auto& [text, kind] : table)
        EXPECT_EQ(kind_of(text), kind) << text << " is " << describe(kind_of(text));
}

TEST(ClassifyAddress, OnlyStrictSpellingsAreAddresses) {
    for (const char* text :
         {"127.1", "2130706433", "0x7f.0.0.1", "010.0.0.1", "1.2.3.4.5", "localhost", "", "[::1]", "::1%lo"})
        EXPECT_FALSE(parse_ip(text)) << text;
    EXPECT_EQ(to_string(*parse_ip("::ffff:10.0.0.5")), "::ffff:10.0.0.5");
    EXPECT_EQ(to_string(*parse_ip("10.0.0.5")), "10.0.0.5");
}

TEST(AddressPolicy, PublicAlwaysPrivateOnlyWhenTheOperatorAllowsTheRestNever) {
    EXPECT_TRUE(is_allowed(Kind::public_unicast, false));
    for (const Kind kind : {Kind::loopback, Kind::private_network, Kind::shared}) {
        EXPECT_FALSE(is_allowed(kind, false)) << describe(kind);
        EXPECT_TRUE(is_allowed(kind, true)) << describe(kind);
    }
    for (const Kind kind : {Kind::link_local, Kind::unspecified, Kind::multicast, Kind::broadcast,
                            Kind::documentation, Kind::benchmarking, Kind::reserved})
        for (const bool allow_private : {false, true})
            EXPECT_FALSE(is_allowed(kind, allow_private)) << describe(kind) << " " << allow_private;
}

// Names from a table; every lookup is kept.
struct TableResolver {
    std::vector<IpAddress> operator()(const std::string& host, const std::string& port) {
        asked.emplace_back(host + " " + port);
        const auto found = names.find(host);
        if (found != names.end()) {
            std::vector<IpAddress> out;
            for (const auto& text : found->second) out.push_back(*parse_ip(text));
            return out;
        }
        if (const auto literal = parse_ip(host)) return {*literal};
        throw std::runtime_error("resolving " + host + " failed: unknown name");
    }
    std::map<std::string, std::vector<std::string>> names;
    std::vector<std::string> asked;
};

std::string refusal_of(std::string_view url, bool allow_private, TableResolver& resolver) {
    try {
        check_endpoint(url, allow_private, std::ref(resolver));
        return "";
    } catch (const EndpointRefused& e) {
        return e.what();
    }
}

TEST(CheckEndpoint, EveryAddressOfTheHostMustBeAllowed) {
    TableResolver dns;
    dns.names = {{"api.example", {"93.184.216.34", "2606:2800:220:1::1"}},
                 {"half.example", {"93.184.216.34", "10.0.0.5"}},
                 {"metadata.example", {"169.254.169.254"}},
                 {"mapped.example", {"::ffff:127.0.0.1"}}};
    EXPECT_EQ(refusal_of("https://api.example/v1", false, dns), "");
    EXPECT_EQ(dns.asked, (std::vector<std::string>{"api.example 443"}));
    std::vector<std::string> checked;
    for (const auto& address : check_endpoint("https://api.example/v1", false, std::ref(dns)))
        checked.push_back(to_string(address));
    EXPECT_EQ(checked, (std::vector<std::string>{"93.184.216.34", "2606:2800:220:1::1"}))
        << "what the call connects to: every address, as checked";
    EXPECT_EQ(refusal_of("https://half.example:8443/v1", false, dns),
              "refused https://half.example:8443: half.example resolves to 10.0.0.5, which is a private "
              "address; only public addresses are called unless the operator's config sets "
              "allow_private_addresses");
    EXPECT_EQ(refusal_of("https://half.example/v1", true, dns), "");
    EXPECT_EQ(
        refusal_of("https://metadata.example/latest", true, dns),
        "refused https://metadata.example:443: metadata.example resolves to 169.254.169.254, which is a "
        "link-local address; such an address is never called");
    EXPECT_NE(refusal_of("HTTPS://mapped.example/", false, dns).find("::ffff:127.0.0.1, which is a loopback"),
              std::string::npos);
    EXPECT_EQ(refusal_of("https://10.0.0.5/v1?key=secret", false, dns),
              "refused https://10.0.0.5:443: 10.0.0.5 is a private address; only public addresses are called "
              "unless the operator's config sets allow_private_addresses");
    EXPECT_EQ(refusal_of("http://[::1]:8080/v1", false, dns).substr(0, 40),
              "refused http://[::1]:8080: ::1 is a loop");
    EXPECT_EQ(refusal_of("http://[::1]:8080/v1", true, dns), "");
    EXPECT_EQ(
        refusal_of("https://[::ffff:a00:5]/v1", false, dns).substr(0, 104),
        "refused https://[::ffff:a00:5]:443: ::ffff:a00:5 resolves to ::ffff:10.0.0.5, which is a private "
        "address");
}

TEST(CheckEndpoint, ReadsTheUrlAsTheHostsClientDoes) {
    TableResolver dns;
    EXPECT_EQ(refusal_of("ftp://93.184.216.34/", true, dns),
              "refused the base_url: only http:// and https:// URLs are called");
    EXPECT_EQ(refusal_of("https://93.184.216.34@10.0.0.5/", true, dns),
              "refused the base_url: credentials in the URL are not allowed");
    EXPECT_EQ(refusal_of("https://:443/", true, dns), "refused the base_url: it names no host");
    EXPECT_EQ(refusal_of("https://[::1/", true, dns), "refused the base_url: unclosed '['");
    EXPECT_TRUE(dns.asked.empty());
    EXPECT_EQ(refusal_of("http://127.0.0.1:9/v1/chat/completions", true, dns), "");
    EXPECT_EQ(refusal_of("https://93.184.216.34?x#y", true, dns), "");
    EXPECT_EQ(dns.asked, (std::vector<std::string>{"127.0.0.1 9", "93.184.216.34 443"}));
}

TEST(CheckEndpoint, ALookupThatFailsIsNotARefusal) {
    TableResolver dns;
    try {
        check_endpoint("https://nowhere.example/v1", false, std::ref(dns));
        FAIL() << "no address, yet checked";
    } catch (const EndpointRefused& e) {
        FAIL() << "a failed lookup may be transient, yet refused: " << e.what();
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "resolving nowhere.example failed: unknown name");
    }
}

// Through the system's resolver: names and spellings of this machine that
// getaddrinfo() accepts are loopback however they are written.
TEST(CheckEndpoint, LocalhostAndOtherSpellingsOfThisMachineAreRefusedByDefault) {
    for (const char* url : {"https://localhost/v1", "http://localhost:8080/v1", "https://127.1/v1",
                            "https://2130706433/v1", "https://0x7f000001/v1", "https://0.0.0.0/v1",
                            "https://[::1]/v1", "https://[::ffff:127.0.0.1]/v1"}) {
        try {
            check_endpoint(url, false, system_resolve);
            ADD_FAILURE() << url << " was allowed";
        } catch (const EndpointRefused& e) {
            const std::string what = e.what();
            EXPECT_TRUE(what.find("loopback") != std::string::npos ||
                        what.find("unspecified") != std::string::npos)
                << url << ": " << what;
        }
    }
    EXPECT_NO_THROW(check_endpoint("https://localhost/v1", true, system_resolve));
}

TEST(LiteralEndpointProblem, NeedsNoLookup) {
    EXPECT_EQ(literal_endpoint_problem("https://api.openai.com/v1", false), "");
    EXPECT_EQ(literal_endpoint_problem("https://8.8.8.8/v1", false), "");
    EXPECT_EQ(literal_endpoint_problem("http://127.0.0.1:9/v1", true), "");
    EXPECT_NE(literal_endpoint_problem("http://127.0.0.1:9/v1", false).find("127.0.0.1 is a loopback"),
              std::string::npos);
    EXPECT_NE(literal_endpoint_problem("http://LocalHost:9/v1", false).find("resolves to 127.0.0.1"),
              std::string::npos);
    EXPECT_NE(literal_endpoint_problem("https://169.254.169.254/", true).find("never called"),
              std::string::npos);
}

}  // namespace
}  // namespace profo::elements::dialog
