#include "http/http_server.hpp"

#include "runtime/executor.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace profo::host {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

class RecordingLogger final : public sdk::Logger {
public:
    void log(sdk::LogLevel level, std::string_view message) override {
        std::lock_guard lock(mutex_);
        lines_.emplace_back(level, std::string(message));
    }
    bool has(sdk::LogLevel level, std::string_view fragment) const {
        std::lock_guard lock(mutex_);
        for (const auto& [l, m] : lines_)
            if (l == level && m.find(fragment) != std::string::npos) return true;
        return false;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<sdk::LogLevel, std::string>> lines_;
};

// Proves handlers go through the executor rather than running inline.
class CountingExecutor final : public sdk::Executor {
public:
    void post(std::function<void()> work) override {
        ++posts;
        inner_.post(std::move(work));
    }
    TimerId schedule_after(std::chrono::milliseconds d, std::function<void()> w) override {
        return inner_.schedule_after(d, std::move(w));
    }
    bool cancel(TimerId id) override { return inner_.cancel(id); }
    std::atomic<int> posts{0};

private:
    ThreadPoolExecutor inner_{2};
};

struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // keys lower case
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// A refusal of the server itself, in the panel API's error form.
void expect_server_error(const Response& r, const std::string& code) {
    const auto body = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error") && body["error"].is_object()) << r.body;
    EXPECT_EQ(body["error"].value("code", ""), code) << r.body;
    EXPECT_FALSE(body["error"].value("message", "").empty()) << r.body;
    const auto id = body["error"].value("request_id", "");
    EXPECT_EQ(id.size(), 16u) << r.body;
    EXPECT_EQ(r.header("x-request-id"), id);
}

// A deliberately dumb blocking HTTP/1.1 client over a raw socket, so the test
// sees exactly the bytes the server sends.
class Client {
public:
    explicit Client(unsigned short port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        connect_errno_ = errno;
    }
    ~Client() { ::close(fd_); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connected() const { return connected_; }
    int connect_errno() const { return connect_errno_; }

    bool send(std::string_view data) {
        while (!data.empty()) {
            const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Reads the status line and headers; nullopt when the connection ends first.
    std::optional<Response> read_head() {
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return std::nullopt;
        const std::string head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        Response r;
        std::istringstream lines(head);
        std::string line;
        std::getline(lines, line);
        r.status = std::stoi(line.substr(9, 3));
        while (std::getline(lines, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            const auto colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        }
        return r;
    }

    std::optional<Response> read_response() {
        auto r = read_head();
        if (!r) return r;
        const auto length = static_cast<std::size_t>(
            std::stoul(r->header("content-length").empty() ? "0" : r->header("content-length")));
        while (buffer_.size() < length)
            if (!fill()) return std::nullopt;
        r->body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        return r;
    }

    std::optional<Response> request(const std::string& method, const std::string& target,
                                    const std::string& body = {}, const std::string& extra_headers = {}) {
        std::string text = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers;
        if (!body.empty() || method == "POST")
            text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        text += "\r\n" + body;
        if (!send(text)) return std::nullopt;
        return read_response();
    }

    // True when the server has closed its side (orderly or by reset).
    bool closed_by_server() {
        char c;
        const auto n = ::recv(fd_, &c, 1, 0);
        return n == 0 || (n < 0 && errno == ECONNRESET);
    }

private:
    bool fill() {
        char chunk[4096];
        const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    int connect_errno_ = 0;
    std::string buffer_;
};

class HttpServerTest : public ::testing::Test {
protected:
    void start() {
        server_.start();
        ASSERT_NE(server_.port(), 0);
    }
    std::optional<Response> get(const std::string& target) {
        return Client(server_.port()).request("GET", target);
    }

    RecordingLogger log_;
    CountingExecutor executor_;
    HttpServer server_{"127.0.0.1:0", executor_, log_};
};

TEST_F(HttpServerTest, AnswersHealthAndReadiness) {
    std::atomic<bool> ready{true};
    server_.set_readiness([&] { return ready.load(); });
    start();

    auto health = get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->header("content-type"), "application/json");
    EXPECT_EQ(Json::parse(health->body), Json({{"status", "ok"}}));

    auto readiness = get("/readyz");
    ASSERT_TRUE(readiness);
    EXPECT_EQ(readiness->status, 200);
    EXPECT_EQ(Json::parse(readiness->body), Json({{"status", "ready"}}));

    ready = false;
    readiness = get("/readyz");
    ASSERT_TRUE(readiness);
    EXPECT_EQ(readiness->status, 503);
    EXPECT_EQ(Json::parse(readiness->body), Json({{"status", "not ready"}}));
}

TEST_F(HttpServerTest, RoutesWithPlaceholdersGetDecodedParamsOnTheExecutor) {
    server_.add("GET", "/api/courses/{course}/elements/{element}", [](const sdk::HttpRequest& r) {
        sdk::HttpResponse res;
        res.body = Json{{"method", r.method},
                        {"path", r.path},
                        {"query", r.query},
                        {"params", r.path_params},
                        {"agent", r.header("x-agent")},
                        {"remote", r.remote_address}}
                       .dump();
        return res;
    });
    start();

    auto r = Client(server_.port())
                 .request("GET", "/api/courses/42/elements/%D0%B2%20x%2Fy?lang=ru&x=%20", "",
                          "X-Agent: tester\r\n");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto j = Json::parse(r->body);
    EXPECT_EQ(j["method"], "GET");
    EXPECT_EQ(j["path"], "/api/courses/42/elements/в x/y");
    EXPECT_EQ(j["query"], "lang=ru&x=%20");
    EXPECT_EQ(j["params"]["course"], "42");
    EXPECT_EQ(j["params"]["element"], "в x/y");  // the encoded slash stays inside its segment
    EXPECT_EQ(j["agent"], "tester");
    EXPECT_EQ(j["remote"], "127.0.0.1");
    EXPECT_EQ(executor_.posts.load(), 1);
}

TEST_F(HttpServerTest, PostBodyStatusAndHeadersPassThrough) {
    server_.add("post", "/api/echo", [](const sdk::HttpRequest& r) {
        sdk::HttpResponse res;
        res.status = 201;
        res.content_type = "text/plain; charset=utf-8";
        res.headers.emplace_back("X-Request-Length", std::to_string(r.body.size()));
        res.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: injected");
        res.body = "got: " + r.body;
        return res;
    });
    start();
    auto r = Client(server_.port()).request("POST", "/api/echo", "привет");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r->header("x-request-length"), "12");
    EXPECT_EQ(r->header("set-cookie"), "");
    EXPECT_EQ(r->header("x-evil"), "");
    EXPECT_EQ(r->body, "got: привет");
}

TEST_F(HttpServerTest, ExactSegmentsWinOverPlaceholdersWhateverTheOrder) {
    auto reply = [](std::string which) {
        return [which](const sdk::HttpRequest& r) {
            sdk::HttpResponse res;
            res.body = Json{{"route", which}, {"params", r.path_params}}.dump();
            return res;
        };
    };
    server_.add("GET", "/api/{kind}/{id}", reply("both"));
    server_.add("GET", "/api/courses/{id}", reply("id"));
    server_.add("GET", "/api/courses/new", reply("new"));
    start();

    EXPECT_EQ(Json::parse(get("/api/courses/new")->body)["route"], "new");
    EXPECT_EQ(Json::parse(get("/api/courses/7")->body)["route"], "id");
    const auto both = Json::parse(get("/api/bots/9")->body);
    EXPECT_EQ(both["route"], "both");
    EXPECT_EQ(both["params"], Json({{"kind", "bots"}, {"id", "9"}}));
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
    auto ok = [](const sdk::HttpRequest&) { return sdk::HttpResponse{}; };
    server_.add("GET", "/api/items/{id}", ok);
    server_.add("DELETE", "/api/items/{id}", ok);
    start();

    auto missing = get("/api/nothing/here");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    expect_server_error(*missing, "not_found");
    EXPECT_EQ(get("/api/items/1/extra")->status, 404);

    auto wrong = Client(server_.port()).request("PUT", "/api/items/1", "x");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 405);
    EXPECT_EQ(wrong->header("allow"), "DELETE, GET");
    expect_server_error(*wrong, "method_not_allowed");
    EXPECT_EQ(executor_.posts.load(), 0);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
    std::atomic<bool> called{false};
    server_.add("POST", "/upload", [&](const sdk::HttpRequest&) {
        called = true;
        return sdk::HttpResponse{};
    });
    start();

    Client client(server_.port());
    const std::string body(2 * 1024 * 1024, 'x');
    // The server answers as soon as it sees the length; it must keep reading
    // long enough for the whole upload to go through without a reset.
    auto sender = std::async(std::launch::async, [&] {
        return client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body);
    });
    auto r = client.read_response();
    sender.get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    expect_server_error(*r, "payload_too_large");
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(client.closed_by_server());
    EXPECT_FALSE(called.load());

    // Exactly at the limit is fine.
    auto at_limit = Client(server_.port()).request("POST", "/upload", std::string(1024 * 1024, 'y'));
    ASSERT_TRUE(at_limit);
    EXPECT_EQ(at_limit->status, 200);
}

TEST_F(HttpServerTest, ARouteMayTakeALargerBody) {
    std::size_t received = 0;
    server_.add(
        "POST", "/courses/{id}",
        [&](const sdk::HttpRequest& r) {
            received = r.body.size();
            return sdk::HttpResponse{};
        },
        3 * 1024 * 1024);
    server_.add("POST", "/other", [](const sdk::HttpRequest&) { return sdk::HttpResponse{}; });
    start();

    const std::string big(3 * 1024 * 1024, 'x');
    auto taken = Client(server_.port()).request("POST", "/courses/7", big);
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->status, 200);
    EXPECT_EQ(received, big.size());

    // Past the route's own limit, and past the default on other routes, 413
    // naming the limit that applied.
    auto expect_refused = [&](const std::string& path, std::size_t size, const std::string& limit) {
        Client client(server_.port());
        const std::string body(size, 'y');
        auto sender = std::async(std::launch::async, [&] {
            return client.send("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
        });
        auto r = client.read_response();
        sender.get();
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 413) << path;
        expect_server_error(*r, "payload_too_large");
        EXPECT_NE(r->body.find("over " + limit), std::string::npos) << r->body;
    };
    expect_refused("/courses/7", big.size() + 1, "3 MiB");
    expect_refused("/other", 2 * 1024 * 1024, "1 MiB");
    // A path no route serves keeps the default.
    expect_refused("/nowhere", 2 * 1024 * 1024, "1 MiB");
}

TEST_F(HttpServerTest, MalformedRequestsAre400) {
    start();
    Client garbage(server_.port());
    ASSERT_TRUE(garbage.send("this is not http\r\n\r\n"));
    auto r = garbage.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);

    auto bad_escape = get("/api/%zz");
    ASSERT_TRUE(bad_escape);
    EXPECT_EQ(bad_escape->status, 400);
}

TEST_F(HttpServerTest, ThrowingHandlerGives500AndLogsTheReason) {
    server_.add("GET", "/boom", [](const sdk::HttpRequest&) -> sdk::HttpResponse {
        throw std::runtime_error("database is on fire");
    });
    server_.add("GET", "/bad-status", [](const sdk::HttpRequest&) {
        sdk::HttpResponse r;
        r.status = 42;
        return r;
    });
    start();
    auto r = get("/boom");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    expect_server_error(*r, "internal");
    EXPECT_EQ(r->body.find("fire"), std::string::npos);
    EXPECT_TRUE(log_.has(sdk::LogLevel::error, "database is on fire"));

    EXPECT_EQ(get("/bad-status")->status, 500);
    // The server survives both.
    EXPECT_EQ(get("/healthz")->status, 200);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    std::atomic<int> calls{0};
    server_.add("GET", "/count", [&](const sdk::HttpRequest&) {
        sdk::HttpResponse r;
        r.body = std::to_string(++calls);
        return r;
    });
    start();
    Client client(server_.port());
    auto first = client.request("GET", "/count");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->body, "1");
    EXPECT_NE(first->header("connection"), "close");
    auto second = client.request("GET", "/count");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->body, "2");
    auto third = client.request("GET", "/healthz", "", "Connection: close\r\n");
    ASSERT_TRUE(third);
    EXPECT_EQ(third->status, 200);
    EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
    server_.add("POST", "/echo", [](const sdk::HttpRequest& r) {
        sdk::HttpResponse res;
        res.body = r.body;
        return res;
    });
    start();
    Client client(server_.port());
    ASSERT_TRUE(
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
    auto interim = client.read_head();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(client.send("hello"));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
}

TEST_F(HttpServerTest, DuplicateAndMalformedRoutesAreRefused) {
    auto ok = [](const sdk::HttpRequest&) { return sdk::HttpResponse{}; };
    server_.add("GET", "/api/courses/{id}", ok);
    EXPECT_THROW(server_.add("GET", "/api/courses/{id}", ok), std::invalid_argument);
    EXPECT_THROW(server_.add("get", "/api/courses/{other}", ok), std::invalid_argument);
    EXPECT_THROW(server_.add("GET", "/healthz", ok), std::invalid_argument);
    EXPECT_NO_THROW(server_.add("POST", "/api/courses/{id}", ok));
    EXPECT_NO_THROW(server_.add("GET", "/api/courses/{id}/runs", ok));
    EXPECT_THROW(server_.add("GET", "no-slash", ok), std::invalid_argument);
    EXPECT_THROW(server_.add("GET", "/a/{x}/{x}", ok), std::invalid_argument);
    EXPECT_THROW(server_.add("GET", "/a/{x", ok), std::invalid_argument);
    EXPECT_THROW(server_.add("GE T", "/a", ok), std::invalid_argument);
}

TEST_F(HttpServerTest, BindFailureNamesTheAddress) {
    start();
    const std::string listen = "127.0.0.1:" + std::to_string(server_.port());
    HttpServer second(listen, executor_, log_);
    try {
        second.start();
        FAIL() << "two servers bound " << listen;
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "cannot listen on " + listen + ": Address already in use");
    }
    HttpServer nonsense("localhost", executor_, log_);
    EXPECT_THROW(nonsense.start(), std::runtime_error);
}

TEST_F(HttpServerTest, StopLetsInFlightRequestFinishThenRefusesConnections) {
    std::promise<void> entered;
    server_.add("GET", "/slow", [&](const sdk::HttpRequest&) {
        entered.set_value();
        std::this_thread::sleep_for(300ms);
        sdk::HttpResponse r;
        r.body = R"({"done":true})";
        return r;
    });
    start();
    const auto port = server_.port();

    Client idle(port);  // an idle keep-alive connection must not hold stop() up
    ASSERT_TRUE(idle.request("GET", "/healthz"));

    auto response = std::async(std::launch::async, [port] { return Client(port).request("GET", "/slow"); });
    ASSERT_EQ(entered.get_future().wait_for(5s), std::future_status::ready);

    const auto before = std::chrono::steady_clock::now();
    server_.stop(5s);
    EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);

    auto r = response.get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"done":true})");
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(idle.closed_by_server());

    Client late(port);
    EXPECT_FALSE(late.connected());
    EXPECT_EQ(late.connect_errno(), ECONNREFUSED);
    server_.stop();  // idempotent
}

TEST_F(HttpServerTest, StopGivesUpOnHandlersThatOutlastTheGrace) {
    std::promise<void> entered;
    std::promise<void> release;
    auto released = release.get_future().share();
    server_.add("GET", "/stuck", [&, released](const sdk::HttpRequest&) {
        entered.set_value();
        released.wait_for(5s);
        return sdk::HttpResponse{};
    });
    start();
    Client client(server_.port());
    ASSERT_TRUE(client.send("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_EQ(entered.get_future().wait_for(5s), std::future_status::ready);

    const auto before = std::chrono::steady_clock::now();
    server_.stop(100ms);
    const auto took = std::chrono::steady_clock::now() - before;
    EXPECT_GE(took, 100ms);
    EXPECT_LT(took, 2s);
    EXPECT_FALSE(client.read_response());  // closed without an answer
    EXPECT_TRUE(log_.has(sdk::LogLevel::warn, "still busy"));
    release.set_value();  // the handler finishes after the server stopped: nothing to deliver to
}

// A server on a free port with the limits `set` gives, its handlers on one
// thread, and what it logs.
struct LimitedServer {
    explicit LimitedServer(const std::function<void(HttpServerLimits&)>& set)
        : server("127.0.0.1:0", executor, log, [&] {
              HttpServerLimits limits;
              set(limits);
              return limits;
          }()) {}
    RecordingLogger log;
    ThreadPoolExecutor executor{1};
    HttpServer server;
};

// Idle sockets once exhausted the process's descriptors (and with them
// SQLite's): connections past the limits are closed as soon as accepted.
TEST(HttpServerLimitsTest, ConnectionsPerAddressAndInTotalAreCapped) {
    for (const bool per_address : {true, false}) {
        LimitedServer limited([&](HttpServerLimits& limits) {
            (per_address ? limits.max_connections_per_address : limits.max_connections) = 2;
        });
        auto& server = limited.server;
        server.start();
        auto first = std::make_unique<Client>(server.port());
        Client second(server.port());
        ASSERT_TRUE(first->request("GET", "/healthz"));
        ASSERT_TRUE(second.request("GET", "/healthz"));

        Client third(server.port());
        EXPECT_TRUE(third.closed_by_server()) << (per_address ? "per address" : "in total");
        EXPECT_TRUE(limited.log.has(sdk::LogLevel::warn, per_address ? "http.max_connections_per_address"
                                                                     : "(http.max_connections)"));
        // The kept connections still work, and a closed one frees its place.
        auto r = second.request("GET", "/healthz");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        first.reset();
        std::optional<Response> again;
        for (int i = 0; i < 50 && !again; ++i) {
            std::this_thread::sleep_for(20ms);
            again = Client(server.port()).request("GET", "/healthz");
        }
        ASSERT_TRUE(again);
        EXPECT_EQ(again->status, 200);
    }
}

TEST(HttpServerLimitsTest, SilentClientIsDroppedAfterTheHeaderTimeout) {
    LimitedServer limited([&](HttpServerLimits& limits) { limits.header_timeout = 200ms; });
    auto& server = limited.server;
    server.start();
    Client client(server.port());
    ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\n"));  // and never the rest
    const auto before = std::chrono::steady_clock::now();
    EXPECT_TRUE(client.closed_by_server());
    EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
}

// Bodies are read before a handler can check who sent them: clients that
// announce bodies and send them slowly (or never) hold no more memory than
// the budget, and once they go, others upload again.
TEST(HttpServerLimitsTest, BodiesBeingReceivedShareOneBudget) {
    LimitedServer limited([&](HttpServerLimits& limits) { limits.max_body_bytes_in_flight = 3000; });
    auto& server = limited.server;
    server.add("POST", "/upload", [](const sdk::HttpRequest& r) {
        return sdk::HttpResponse{200, "text/plain", {}, std::to_string(r.body.size())};
    });
    server.start();
    auto slow = std::make_unique<Client>(server.port());
    ASSERT_TRUE(slow->send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\nabc"));
    auto chunked = std::make_unique<Client>(server.port());
    // A chunked body counts as the most its route takes: 1 MiB, over the whole budget.
    ASSERT_TRUE(chunked->send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    auto r = chunked->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->header("retry-after"), "1");
    EXPECT_NE(r->body.find("http.max_body_bytes_in_flight"), std::string::npos) << r->body;

    Client other(server.port());
    r = other.request("POST", "/upload", std::string(1500, 'x'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << "2000 held by the slow client, 1500 more is over 3000";
    // Within what is left, and a request without a body, go through.
    Client small(server.port());
    r = small.request("POST", "/upload", std::string(900, 'x'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "900");
    r = small.request("GET", "/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);

    slow.reset();  // gone: its share comes back
    std::optional<Response> later;
    for (int i = 0; i < 50 && (!later || later->status != 200); ++i) {
        std::this_thread::sleep_for(10ms);
        later = Client(server.port()).request("POST", "/upload", std::string(2500, 'x'));
    }
    ASSERT_TRUE(later);
    EXPECT_EQ(later->status, 200);
    EXPECT_EQ(later->body, "2500");
}

TEST(HttpServerLimitsTest, FullHandlerQueueAnswers503WithRetryAfter) {
    LimitedServer limited([&](HttpServerLimits& limits) { limits.max_pending_requests = 1; });
    auto& server = limited.server;
    std::promise<void> entered;
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<bool> first_call{true};
    server.add("GET", "/work", [&, released](const sdk::HttpRequest&) {
        if (first_call.exchange(false)) {
            entered.set_value();
            released.wait_for(5s);
        }
        return sdk::HttpResponse{};
    });
    server.start();
    Client busy(server.port());
    ASSERT_TRUE(busy.send("GET /work HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_EQ(entered.get_future().wait_for(5s), std::future_status::ready);

    Client refused(server.port());
    auto r = refused.request("GET", "/work");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->header("retry-after"), "1");
    // Built-in routes run on the network thread and still answer.
    r = refused.request("GET", "/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);

    release.set_value();
    r = busy.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    std::optional<Response> later;
    for (int i = 0; i < 50 && (!later || later->status != 200); ++i) {
        std::this_thread::sleep_for(10ms);
        later = refused.request("GET", "/work");
    }
    ASSERT_TRUE(later);
    EXPECT_EQ(later->status, 200);
}

}  // namespace
}  // namespace profo::host
