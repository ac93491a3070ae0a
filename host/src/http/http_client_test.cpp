#include "http/http_client.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace profo::host {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct Seen {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string sni;  // TLS only
};

struct Reply {
    Reply(int s = 200, std::string b = {}, std::vector<std::pair<std::string, std::string>> h = {})
        : status(s), body(std::move(b)), headers(std::move(h)) {}
    int status;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool chunked = false;
    std::chrono::milliseconds delay{0};
};

// A loopback server that answers one connection at a time on its own thread,
// plain or TLS, and records what it was sent.
class LoopbackServer {
public:
    using Handler = std::function<Reply(const Seen&)>;

    explicit LoopbackServer(Handler handler, ssl::context* tls = nullptr)
        : handler_(std::move(handler)), tls_(tls), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        thread_ = std::thread([this] { serve(); });
    }
    ~LoopbackServer() {
        stopping_ = true;
        boost::system::error_code ec;
        tcp::socket wake(io_);
        wake.connect(acceptor_.local_endpoint(), ec);
        thread_.join();
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    std::vector<Seen> seen() {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    void serve() {
        while (true) {
            tcp::socket socket(io_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (stopping_) return;
            if (ec) continue;
            if (tls_) {
                ssl::stream<tcp::socket&> stream(socket, *tls_);
                stream.handshake(ssl::stream_base::server, ec);
                if (ec) continue;  // the client refused our certificate
                const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
                exchange(stream, sni ? sni : "");
            } else {
                exchange(socket, "");
            }
        }
    }

    template <class Stream>
    void exchange(Stream& stream, std::string sni) {
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        boost::system::error_code ec;
        http::read(stream, buffer, req, ec);
        if (ec) return;
        Seen seen{std::string(req.method_string()), std::string(req.target()), {}, req.body(), sni};
        for (const auto& f : req) {
            std::string name(f.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            seen.headers[name] = std::string(f.value());
        }
        {
            std::lock_guard lock(mutex_);
            seen_.push_back(seen);
        }
        Reply reply = handler_(seen);
        if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
        http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
        for (const auto& [k, v] : reply.headers) res.set(k, v);
        res.body() = reply.body;
        if (reply.chunked)
            res.chunked(true);
        else
            res.prepare_payload();
        http::write(stream, res, ec);
    }

    Handler handler_;
    ssl::context* tls_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::vector<Seen> seen_;
    std::thread thread_;
};

std::string error_of(sdk::HttpClient& client, const sdk::HttpClientRequest& req) {
    try {
        client.send(req);
    } catch (const sdk::HttpClientError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no error for " << req.url;
    return {};
}

TEST(HttpUrl, SplitsSchemeHostPortAndTarget) {
    auto u = parse_http_url("https://api.openai.com/v1/chat/completions?x=1#frag");
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.host, "api.openai.com");
    EXPECT_EQ(u.port, "443");
    EXPECT_EQ(u.target, "/v1/chat/completions?x=1");

    u = parse_http_url("HTTP://127.0.0.1:8080");
    EXPECT_FALSE(u.tls);
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, "8080");
    EXPECT_EQ(u.target, "/");

    u = parse_http_url("http://[::1]:9000?q=1");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, "9000");
    EXPECT_EQ(u.target, "/?q=1");
}

TEST(HttpUrl, RejectsWhatItCannotServeWithoutEchoingTheUrl) {
    for (const char* bad : {"ftp://host/secret", "host/secret", "http:///secret", "http://h:99999/secret",
                            "http://h:12ab/secret", "http://user:pw@h/secret", "http://[::1/secret"}) {
        try {
            parse_http_url(bad);
            ADD_FAILURE() << bad;
        } catch (const sdk::HttpClientError& e) {
            EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
        }
    }
}

TEST(BeastHttpClient, GetSendsHeadersAndReturnsStatusHeadersAndBody) {
    LoopbackServer server([](const Seen&) {
        return Reply{200, R"({"ok":true})", {{"Content-Type", "application/json"}, {"X-Trace", "t1"}}};
    });
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.method = "GET";
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/models?limit=2";
    req.headers = {{"Authorization", "Bearer sk-test"}, {"Accept", "application/json"}};
    auto res = client.send(req);

    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, R"({"ok":true})");
    auto header = [&](const std::string& name) {
        for (const auto& [k, v] : res.headers)
            if (k == name) return v;
        return std::string("<absent>");
    };
    EXPECT_EQ(header("content-type"), "application/json");
    EXPECT_EQ(header("x-trace"), "t1");

    auto seen = server.seen();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "GET");
    EXPECT_EQ(seen[0].target, "/v1/models?limit=2");
    EXPECT_EQ(seen[0].headers["authorization"], "Bearer sk-test");
    EXPECT_EQ(seen[0].headers["host"], "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(seen[0].headers.count("content-length"), 0u);
}

TEST(BeastHttpClient, PostSendsBodyWithContentLength) {
    LoopbackServer server([](const Seen& s) { return Reply{201, "echo:" + s.body}; });
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/chat/completions";
    req.headers = {{"Content-Type", "application/json"}};
    req.body = R"({"model":"m","messages":[{"role":"user","content":"привет"}]})";
    auto res = client.send(req);

    EXPECT_EQ(res.status, 201);
    EXPECT_EQ(res.body, "echo:" + req.body);
    auto seen = server.seen();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "POST");
    EXPECT_EQ(seen[0].headers["content-length"], std::to_string(req.body.size()));
    EXPECT_EQ(seen[0].headers["content-type"], "application/json");
}

TEST(BeastHttpClient, ErrorStatusesAreResponsesNotExceptions) {
    LoopbackServer server([](const Seen& s) {
        if (s.target == "/500") return Reply{500, "boom"};
        if (s.target == "/429") return Reply{429, "slow down", {{"Retry-After", "3"}}};
        return Reply{404, "nope"};
    });
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.method = "GET";
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    req.url = base + "/500";
    EXPECT_EQ(client.send(req).status, 500);
    req.url = base + "/429";
    auto res = client.send(req);
    EXPECT_EQ(res.status, 429);
    EXPECT_EQ(res.body, "slow down");
    req.url = base + "/missing";
    EXPECT_EQ(client.send(req).status, 404);
}

TEST(BeastHttpClient, ReadsChunkedResponses) {
    const std::string big(100000, 'x');
    LoopbackServer server([&](const Seen&) {
        Reply r{200, big + "end"};
        r.chunked = true;
        return r;
    });
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.method = "GET";
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    auto res = client.send(req);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, big + "end");
    bool chunked = false;
    for (const auto& [k, v] : res.headers) chunked |= k == "transfer-encoding" && v == "chunked";
    EXPECT_TRUE(chunked);
}

TEST(BeastHttpClient, TimeoutCoversTheWholeExchange) {
    LoopbackServer server([](const Seen&) {
        Reply r{200, "late"};
        r.delay = 1500ms;
        return r;
    });
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/slow";
    req.timeout = 200ms;
    const auto started = std::chrono::steady_clock::now();
    const std::string what = error_of(client, req);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_LT(took, 1000ms);
    EXPECT_NE(what.find("timed out"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos) << what;
}

TEST(BeastHttpClient, ConnectionRefusedNamesTheHostAndNeverTheSecrets) {
    unsigned short port;
    {
        asio::io_context io;
        tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/bot123:SECRET-TOKEN/getMe";
    req.headers = {{"Authorization", "Bearer sk-very-secret"}};
    const std::string what = error_of(client, req);
    EXPECT_NE(what.find("http://127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find("connecting failed"), std::string::npos) << what;
    EXPECT_EQ(what.find("SECRET-TOKEN"), std::string::npos) << what;
    EXPECT_EQ(what.find("sk-very-secret"), std::string::npos) << what;
}

TEST(BeastHttpClient, UnresolvableHostIsAnError) {
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.url = "http://no-such-host.invalid/x";
    req.timeout = 5000ms;
    const std::string what = error_of(client, req);
    EXPECT_NE(what.find("no-such-host.invalid"), std::string::npos) << what;
    EXPECT_NE(what.find("resolving the host"), std::string::npos) << what;
}

TEST(BeastHttpClient, SendToConnectsWhereItIsToldWithoutResolvingTheHost) {
    LoopbackServer server([](const Seen&) { return Reply{200, "pinned"}; });
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.method = "GET";
    // A name no resolver knows: only the given address can have been used.
    req.url = "http://model.invalid:" + std::to_string(server.port()) + "/v1";
    EXPECT_EQ(client.send_to(req, {"127.0.0.1"}).body, "pinned");
    ASSERT_EQ(server.seen().size(), 1u);
    EXPECT_EQ(server.seen()[0].headers["host"], "model.invalid:" + std::to_string(server.port()));

    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"model.invalid"}, std::vector<std::string>{"127.0.0.1", "localhost"},
          std::vector<std::string>{}}) {
        try {
            client.send_to(req, bad);
            ADD_FAILURE() << "sent to " << ::testing::PrintToString(bad);
        } catch (const sdk::HttpClientError& e) {
            EXPECT_NE(std::string(e.what()).find(bad.empty() ? "no address" : "is not an IP address"),
                      std::string::npos)
                << e.what();
        }
    }
    EXPECT_EQ(server.seen().size(), 1u) << "nothing sent for a bad address";
}

TEST(BeastHttpClient, IsSafeToShareBetweenThreads) {
    LoopbackServer server([](const Seen& s) { return Reply{200, s.body}; });
    BeastHttpClient client;
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                sdk::HttpClientRequest req;
                req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
                req.body = std::to_string(t * 100 + i);
                if (client.send(req).body == req.body) ++good;
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(good.load(), 20);
}

// ---------------------------------------------------------------------- TLS

// A self-signed certificate for DNS:localhost only, made fresh for the test.
struct SelfSigned {
    std::string cert_pem;
    std::string key_pem;
};

SelfSigned make_self_signed() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(x, key, EVP_sha256());

    auto to_string = [](BIO* bio) {
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        std::string s(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        return s;
    };
    BIO* cert_bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cert_bio, x);
    BIO* key_bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    SelfSigned out{to_string(cert_bio), to_string(key_bio)};
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

class TlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        cert_ = make_self_signed();
        ASSERT_NE(cert_.cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
        tls_.use_certificate_chain(asio::buffer(cert_.cert_pem));
        tls_.use_private_key(asio::buffer(cert_.key_pem), ssl::context::pem);
        server_ = std::make_unique<LoopbackServer>([](const Seen&) { return Reply{200, "secure"}; }, &tls_);
    }
    std::string url(const std::string& host) {
        return "https://" + host + ":" + std::to_string(server_->port()) + "/hello";
    }

    SelfSigned cert_;
    ssl::context tls_{ssl::context::tls_server};
    std::unique_ptr<LoopbackServer> server_;
};

TEST_F(TlsTest, UntrustedCertificateIsRefused) {
    BeastHttpClient client;
    sdk::HttpClientRequest req;
    req.method = "GET";
    req.url = url("localhost");
    const std::string what = error_of(client, req);
    EXPECT_NE(what.find("TLS handshake failed"), std::string::npos) << what;
    EXPECT_NE(what.find("certificate verify failed"), std::string::npos) << what;
    EXPECT_TRUE(server_->seen().empty());
}

TEST_F(TlsTest, TrustedCertificateWorksAndSendsSni) {
    BeastHttpClient client(BeastHttpClient::Options{cert_.cert_pem});
    sdk::HttpClientRequest req;
    req.method = "GET";
    req.url = url("localhost");
    auto res = client.send(req);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "secure");
    auto seen = server_->seen();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].sni, "localhost");
    EXPECT_EQ(seen[0].target, "/hello");
}

TEST_F(TlsTest, SendToStillChecksTheCertificateAgainstTheUrlsHost) {
    BeastHttpClient client(BeastHttpClient::Options{cert_.cert_pem});
    sdk::HttpClientRequest req;
    req.method = "GET";
    req.url = url("localhost");
    EXPECT_EQ(client.send_to(req, {"127.0.0.1"}).body, "secure");
    ASSERT_EQ(server_->seen().size(), 1u);
    EXPECT_EQ(server_->seen()[0].sni, "localhost");
    // The address serves a certificate for localhost, not for the URL's name.
    req.url = url("model.example");
    const std::string what = [&] {
        try {
            client.send_to(req, {"127.0.0.1"});
        } catch (const sdk::HttpClientError& e) {
            return std::string(e.what());
        }
        return std::string("sent");
    }();
    EXPECT_NE(what.find("TLS handshake failed"), std::string::npos) << what;
    EXPECT_EQ(server_->seen().size(), 1u);
}

TEST_F(TlsTest, HostNameMustMatchTheCertificate) {
    // Trusted, but issued for "localhost", not for the address.
    BeastHttpClient client(BeastHttpClient::Options{cert_.cert_pem});
    sdk::HttpClientRequest req;
    req.method = "GET";
    req.url = url("127.0.0.1");
    const std::string what = error_of(client, req);
    EXPECT_NE(what.find("TLS handshake failed"), std::string::npos) << what;
    EXPECT_TRUE(server_->seen().empty());
}

}  // namespace
}  // namespace profo::host
