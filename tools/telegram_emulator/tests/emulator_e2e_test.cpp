// End to end: a real Emulator on a loopback port, driven over HTTP by a Beast
// client the way a bot (and a student) would.
#include "build_tree.hpp"
#include "emulator.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace profo::telegram_emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

struct Reply {
    unsigned status = 0;
    json body;
    std::string raw;  // the body as sent (downloads are bytes, not JSON)
    std::string content_type;
    std::string content_length;
    std::string retry_after;
    bool closed = false;  // the server closed the connection without an answer
};

// A keep-alive HTTP/1.1 client; one request at a time.
class Client {
public:
    explicit Client(std::uint16_t port) : port_(port), stream_(io_) {}

    Reply call(http::verb verb, const std::string& target, const std::string& body = {},
               const std::string& content_type = "application/json") {
        if (!connected_) {
            stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
            connected_ = true;
        }
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "127.0.0.1");
        if (!body.empty()) req.set(http::field::content_type, content_type);
        req.body() = body;
        req.prepare_payload();
        http::write(stream_, req);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        beast::error_code ec;
        http::read(stream_, buffer, res, ec);
        Reply r;
        if (ec) {
            r.closed = true;
            stream_.close();
            connected_ = false;
            return r;
        }
        r.status = res.result_int();
        r.body = json::parse(res.body(), nullptr, false);
        r.raw = res.body();
        r.content_type = std::string(res[http::field::content_type]);
        r.content_length = std::string(res[http::field::content_length]);
        r.retry_after = std::string(res[http::field::retry_after]);
        return r;
    }
    Reply post(const std::string& target, const json& body) {
        return call(http::verb::post, target, body.dump());
    }
    Reply get(const std::string& target) { return call(http::verb::get, target); }

private:
    std::uint16_t port_;
    asio::io_context io_;
    beast::tcp_stream stream_;
    bool connected_ = false;
};

// multipart/form-data built by hand, as an HTTP client library writes it.
constexpr const char* kBoundary = "----profo-emulator-test-7MA4YWxkTrZu0gW";
std::string multipart_type() {
    return std::string("multipart/form-data; boundary=") + kBoundary;
}
std::string field_part(const std::string& name, const std::string& value) {
    return std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name +
           "\"\r\n\r\n" + value + "\r\n";
}
std::string file_part(const std::string& name, const std::string& filename, const std::string& type,
                      const std::string& content) {
    return std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name +
           "\"; filename=\"" + filename + "\"\r\nContent-Type: " + type + "\r\n\r\n" + content + "\r\n";
}
std::string closing() {
    return std::string("--") + kBoundary + "--\r\n";
}

// Records webhook POSTs; answers the first `failures` of them with 500.
class WebhookReceiver {
public:
    explicit WebhookReceiver(int failures)
        : failures_(failures), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        thread_ = std::thread([this] { accept_loop(); });
    }
    ~WebhookReceiver() {
        stopping_ = true;
        beast::error_code ec;
        acceptor_.close(ec);
        // Unblock accept() with a throw-away connection.
        try {
            asio::io_context io;
            tcp::socket s(io);
            s.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
        } catch (...) {
        }
        thread_.join();
        for (auto& t : handlers_) t.join();
    }
    std::uint16_t port() const { return port_; }

    struct Received {
        std::string secret;
        json body;
        unsigned answered;
    };
    std::vector<Received> wait_for(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
        return received_;
    }

private:
    void accept_loop() {
        while (!stopping_) {
            tcp::socket socket(io_);
            beast::error_code ec;
            acceptor_.accept(socket, ec);
            if (ec || stopping_) return;
            handlers_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
        }
    }
    void serve(tcp::socket socket) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            beast::error_code ec;
            http::read(socket, buffer, req, ec);
            if (ec) return;
            unsigned status = 200;
            {
                std::lock_guard lock(mutex_);
                if (failures_ > 0) {
                    --failures_;
                    status = 500;
                }
                received_.push_back(
                    {std::string(req["X-Telegram-Bot-Api-Secret-Token"]), json::parse(req.body()), status});
            }
            cv_.notify_all();
            http::response<http::string_body> res{static_cast<http::status>(status), 11};
            res.keep_alive(true);
            res.prepare_payload();
            http::write(socket, res, ec);
            if (ec) return;
        }
    }

    int failures_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = acceptor_.local_endpoint().port();
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::vector<std::thread> handlers_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Received> received_;
};

class EmulatorTest : public ::testing::Test {
protected:
    void SetUp() override {
        EmulatorConfig config;
        config.port = 0;
        config.rate_limits.enabled = false;
        config.world.webhook_retry.initial_backoff = 50ms;
        config.world.webhook_retry.request_timeout = 2s;
        emulator_ = std::make_unique<Emulator>(io_, config);
        emulator_->start();
        port_ = emulator_->endpoint().port();
        thread_ = std::thread([this] { io_.run(); });
        student_ = std::make_unique<Client>(port_);
        bot_ = std::make_unique<Client>(port_);
        const auto created = student_->post("/_emulator/bots", {{"username", "course_bot"}});
        ASSERT_EQ(created.status, 200u) << created.body;
        token_ = created.body["result"]["token"];
        bot_id_ = created.body["result"]["id"];
    }
    void TearDown() override {
        student_.reset();
        bot_.reset();
        asio::post(io_, [this] { emulator_->stop(); });
        io_.stop();
        thread_.join();
    }

    std::string method(const std::string& name) const { return "/bot" + token_ + "/" + name; }
    Reply bot_call(const std::string& name, const json& params = json::object()) {
        return bot_->post(method(name), params);
    }
    Reply bot_multipart(const std::string& name, const std::string& body) {
        return bot_->call(http::verb::post, method(name), body, multipart_type());
    }
    Reply download(const std::string& token, const std::string& file_path) {
        return bot_->get("/file/bot" + token + "/" + file_path);
    }
    static void expect_not_found(const Reply& r) {
        EXPECT_EQ(r.status, 404u);
        EXPECT_EQ(r.raw, R"({"description":"Not Found","error_code":404,"ok":false})");
    }
    Reply student(const std::string& action, json params) {
        params["bot_id"] = bot_id_;
        if (!params.contains("user_id")) params["user_id"] = kUser;
        return student_->post("/_emulator/" + action, params);
    }
    static void expect_error(const Reply& r, unsigned code, const std::string& description) {
        EXPECT_EQ(r.status, code) << r.body;
        EXPECT_EQ(r.body["ok"], false);
        EXPECT_EQ(r.body["error_code"], code);
        EXPECT_EQ(r.body["description"], description);
    }
    json updates(std::int64_t offset = 0, int timeout = 0) {
        const auto r = bot_call("getUpdates", {{"offset", offset}, {"timeout", timeout}});
        EXPECT_EQ(r.status, 200u) << r.body;
        return r.body["result"];
    }

    static constexpr std::int64_t kUser = 555001;
    asio::io_context io_;
    std::unique_ptr<Emulator> emulator_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    std::unique_ptr<Client> student_, bot_;
    std::string token_;
    std::int64_t bot_id_ = 0;
};

TEST_F(EmulatorTest, GetMeAuthAndMethodNames) {
    const auto me = bot_call("GETME");
    ASSERT_EQ(me.status, 200u);
    EXPECT_EQ(me.body["result"]["id"], bot_id_);
    EXPECT_EQ(me.body["result"]["is_bot"], true);
    EXPECT_EQ(me.body["result"]["username"], "course_bot");
    expect_error(bot_->post("/bot123:wrongtokenwrongtokenwrongtokenwrong/getMe", json::object()), 401,
                 "Unauthorized");
    expect_error(bot_call("sendTelepathy"), 404, "Not Found: method not found");
    expect_error(bot_call(""), 404, "Not Found: method not found");
    // Query string and form bodies work like JSON.
    EXPECT_EQ(bot_->get(method("getMe?x=1")).status, 200u);
}

TEST_F(EmulatorTest, SendMessageValidation) {
    expect_error(bot_call("sendMessage", {{"chat_id", kUser}, {"text", "hi"}}), 400,
                 "Bad Request: chat not found");
    ASSERT_EQ(student("start", json::object()).status, 200u);
    expect_error(bot_call("sendMessage", {{"chat_id", kUser}}), 400, "Bad Request: message text is empty");
    expect_error(bot_call("sendMessage", {{"chat_id", kUser}, {"text", "   "}}), 400,
                 "Bad Request: message text is empty");
    // Telegram counts characters (code points, as TDLib's utf8_length), not
    // the UTF-16 units its entity offsets are in: 4096 emoji are one message.
    std::string emoji;
    for (int i = 0; i < 4096; ++i) emoji += "\xF0\x9F\x98\x80";
    EXPECT_EQ(bot_call("sendMessage", {{"chat_id", kUser}, {"text", emoji}}).status, 200u);
    expect_error(bot_call("sendMessage", {{"chat_id", kUser}, {"text", emoji + "x"}}), 400,
                 "Bad Request: message is too long");
    std::string caption_emoji;
    for (int i = 0; i < 1024; ++i) caption_emoji += "\xF0\x9F\x98\x80";
    EXPECT_EQ(
        bot_call("sendPhoto",
                 {{"chat_id", kUser}, {"photo", "https://example.org/a.jpg"}, {"caption", caption_emoji}})
            .status,
        200u);
    // The limit counts the text after entity parsing.
    const std::string plain(4096, 'a');
    EXPECT_EQ(bot_call("sendMessage",
                       {{"chat_id", kUser}, {"text", "<b>" + plain + "</b>"}, {"parse_mode", "HTML"}})
                  .status,
              200u);
    expect_error(bot_call("sendMessage", {{"chat_id", kUser}, {"text", "<b>x"}, {"parse_mode", "HTML"}}), 400,
                 "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"");
    expect_error(
        bot_call("sendMessage", {{"chat_id", kUser}, {"text", "Done."}, {"parse_mode", "MarkdownV2"}}), 400,
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the "
        "preceding '\\'");
    // 33 Cyrillic letters are 66 bytes.
    std::string cyrillic;
    for (int i = 0; i < 33; ++i) cyrillic += "я";
    const json keyboard{{"inline_keyboard", {{{{"text", "Go"}, {"callback_data", cyrillic}}}}}};
    expect_error(bot_call("sendMessage", {{"chat_id", kUser}, {"text", "x"}, {"reply_markup", keyboard}}),
                 400, "Bad Request: BUTTON_DATA_INVALID");
    // Form-encoded, with reply_markup serialized as Telegram clients do.
    const auto form = bot_->call(http::verb::post, method("sendMessage"),
                                 "chat_id=" + std::to_string(kUser) +
                                     "&text=%3Cb%3Ehi%3C%2Fb%3E&parse_mode=HTML&reply_markup=" +
                                     "%7B%22inline_keyboard%22%3A%5B%5B%7B%22text%22%3A%22A%22%2C%22callback_"
                                     "data%22%3A%22a%22%7D%5D%5D%7D",
                                 "application/x-www-form-urlencoded");
    ASSERT_EQ(form.status, 200u) << form.body;
    const auto& m = form.body["result"];
    EXPECT_EQ(m["text"], "hi");
    EXPECT_EQ(m["entities"][0]["type"], "bold");
    EXPECT_EQ(m["chat"]["type"], "private");
    EXPECT_EQ(m["from"]["is_bot"], true);
    EXPECT_EQ(m["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "a");
}

TEST_F(EmulatorTest, ReplyMarkupIsReadAsTheBotApiServerReadsIt) {
    ASSERT_EQ(student("start", json::object()).status, 200u);
    auto send = [&](const json& markup) {
        return bot_call("sendMessage", {{"chat_id", kUser}, {"text", "x"}, {"reply_markup", markup}});
    };
    // `{}` and a keyboard without rows are no markup; the message comes back without one.
    for (const auto& none : {json::object(), json{{"inline_keyboard", json::array()}}}) {
        const auto r = send(none);
        ASSERT_EQ(r.status, 200u) << r.body;
        EXPECT_FALSE(r.body["result"].contains("reply_markup")) << none;
    }
    // Numbers stand for their digits; keys Telegram does not know are not kept.
    const auto numbered =
        send({{"inline_keyboard", {{{{"text", 1}, {"callback_data", 5}, {"colour", "red"}}}}}, {"extra", 2}});
    ASSERT_EQ(numbered.status, 200u) << numbered.body;
    EXPECT_EQ(numbered.body["result"]["reply_markup"],
              (json{{"inline_keyboard", {{{{"text", "1"}, {"callback_data", "5"}}}}}}));
    // An empty callback_data is no action at all.
    expect_error(send({{"inline_keyboard", {{{{"text", "B"}, {"callback_data", ""}}}}}}), 400,
                 "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline "
                 "keyboard");
    expect_error(send({{"inline_keyboard", {{{{"text", "B"}, {"callback_data", json::array()}}}}}}), 400,
                 "Bad Request: can't parse inline keyboard button: Field \"callback_data\" must be of type "
                 "String");
}

TEST_F(EmulatorTest, DeeplyNestedJsonIsRefusedAndTheEmulatorServesOn) {
    ASSERT_EQ(student("start", json::object()).status, 200u);
    const std::size_t depth = 200000;  // far past what printing it back by recursion survives
    const std::string nested = std::string(depth, '[') + std::string(depth, ']');
    const auto as_body = bot_->call(http::verb::post, method("sendChatAction"),
                                    "{\"chat_id\":" + nested + ",\"action\":\"typing\"}", "application/json");
    EXPECT_EQ(as_body.status, 400u);
    const auto as_form = bot_->call(http::verb::post, method("sendMessage"),
                                    "chat_id=" + std::to_string(kUser) + "&text=x&reply_markup=" + nested,
                                    "application/x-www-form-urlencoded");
    EXPECT_EQ(as_form.status, 400u);
    EXPECT_EQ(as_form.body["description"], "Bad Request: can't parse reply keyboard markup JSON object");
    // 100 levels, TDLib's limit, still read.
    const std::string hundred = std::string(99, '[') + "42" + std::string(99, ']');
    EXPECT_EQ(
        bot_->call(http::verb::post, method("getMe"), "{\"x\":" + hundred + "}", "application/json").status,
        200u);
    EXPECT_EQ(bot_call("sendMessage", {{"chat_id", kUser}, {"text", "still here"}}).status, 200u);
}

// Telegram answers an upload over its limit with 413; a dropped connection
// would look like a network error, which clients retry for ever.
// The Bot API server reads parameters from JSON, form and multipart bodies
// and the query string only: a client that forgets its Content-Type fails
// against Telegram, so it fails here too.
TEST_F(EmulatorTest, ABodyOfAnotherTypeHoldsNoParameters) {
    ASSERT_EQ(student("start", json::object()).status, 200u);
    const std::string form = "chat_id=" + std::to_string(kUser) + "&text=hi";
    expect_error(bot_->call(http::verb::post, method("sendMessage"), form, "text/plain"), 400,
                 "Bad Request: message text is empty");
    EXPECT_EQ(
        bot_->call(http::verb::post, method("sendMessage"), form, "application/x-www-form-urlencoded").status,
        200u);
    EXPECT_EQ(bot_->call(http::verb::post, method("sendMessage?" + form), "ignored", "text/plain").status,
              200u);
}

// The emulator's own API takes a test driver's JSON without a Content-Type.
TEST_F(EmulatorTest, TheStudentApiReadsJsonWhateverItsContentType) {
    const json body{{"bot_id", bot_id_}, {"user_id", kUser}, {"text", "hi"}};
    EXPECT_EQ(student_->call(http::verb::post, "/_emulator/messages", body.dump(), "text/plain").status,
              200u);
    EXPECT_EQ(updates().size(), 1u);
}

TEST_F(EmulatorTest, ABodyOverTheLimitIsAnswered413) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port_});
    const std::string head = "POST " + method("sendDocument") +
                             " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: 70000000\r\n\r\n{\"chat_id\":1";
    asio::write(socket, asio::buffer(head));
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    EXPECT_EQ(res.result_int(), 413u);
    EXPECT_EQ(json::parse(res.body())["description"], "Request Entity Too Large");
    EXPECT_EQ(bot_call("getMe").status, 200u);
}

TEST_F(EmulatorTest, GetUpdatesReadsNumbersByTheirLeadingDigits) {
    student("messages", {{"text", "one"}});
    student("messages", {{"text", "two"}});
    // "x" is 0, clamped to 1; one bad value leaves the others as they are.
    const auto r = bot_call("getUpdates", {{"limit", "x"}, {"timeout", "1.9"}});
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body["result"].size(), 1u);
    // 1.5 is 1: with nothing queued the poll holds a second, not none.
    const auto last = r.body["result"][0]["update_id"].get<std::int64_t>();
    ASSERT_EQ(updates(last + 2).size(), 0u);
    const auto began = std::chrono::steady_clock::now();
    const auto held = bot_call("getUpdates", {{"offset", last + 2}, {"timeout", 1.5}});
    EXPECT_EQ(held.status, 200u);
    EXPECT_GE(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(900));
}

TEST_F(EmulatorTest, MessageIdsIncreasePerChat) {
    student("messages", {{"text", "hello"}});
    const auto a = bot_call("sendMessage", {{"chat_id", kUser}, {"text", "one"}});
    const auto b = bot_call("sendMessage", {{"chat_id", kUser}, {"text", "two"}});
    EXPECT_EQ(a.body["result"]["message_id"], 2);
    EXPECT_EQ(b.body["result"]["message_id"], 3);
}

TEST_F(EmulatorTest, OffsetConfirmsUpdates) {
    student("start", {{"payload", "course-42"}});
    student("messages", {{"text", "two"}});
    student("messages", {{"text", "three"}});
    auto u = updates();
    ASSERT_EQ(u.size(), 3u);
    const auto first = u[0]["update_id"].get<std::int64_t>();
    EXPECT_EQ(u[1]["update_id"], first + 1);
    EXPECT_EQ(u[2]["update_id"], first + 2);
    const auto& start = u[0]["message"];
    EXPECT_EQ(start["text"], "/start course-42");
    EXPECT_EQ(start["entities"][0], (json{{"offset", 0}, {"length", 6}, {"type", "bot_command"}}));
    EXPECT_EQ(start["from"]["is_bot"], false);
    EXPECT_EQ(start["from"]["id"], kUser);
    EXPECT_EQ(start["chat"]["id"], kUser);
    // Without an offset they come again; with one they are gone for good.
    EXPECT_EQ(updates().size(), 3u);
    EXPECT_EQ(updates(first + 2).size(), 1u);
    EXPECT_EQ(updates(first + 3).size(), 0u);
    EXPECT_EQ(updates(first).size(), 0u);
    EXPECT_EQ(bot_call("getUpdates", {{"limit", 0}}).status, 200u);  // clamped to 1
}

TEST_F(EmulatorTest, LongPollWakesOnUpdate) {
    auto poll = std::async(std::launch::async, [this] {
        Client c(port_);
        return c.post(method("getUpdates"), {{"timeout", 20}});
    });
    // The poll must be parked before the update arrives for this to test the wake-up.
    for (int i = 0; i < 200 && poll.wait_for(0ms) != std::future_status::ready; ++i) {
        if (emulator_->world().bot_by_id(bot_id_)->parked) break;
        std::this_thread::sleep_for(5ms);
    }
    const auto t0 = std::chrono::steady_clock::now();
    student("messages", {{"text", "wake"}});
    ASSERT_EQ(poll.wait_for(5s), std::future_status::ready);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    const auto r = poll.get();
    ASSERT_EQ(r.status, 200u);
    ASSERT_EQ(r.body["result"].size(), 1u);
    EXPECT_EQ(r.body["result"][0]["message"]["text"], "wake");
}

TEST_F(EmulatorTest, SecondPollerEndsTheFirstWith409) {
    auto first = std::async(std::launch::async, [this] {
        Client c(port_);
        return c.post(method("getUpdates"), {{"timeout", 20}});
    });
    while (!emulator_->world().bot_by_id(bot_id_)->parked) std::this_thread::sleep_for(2ms);
    const auto second = bot_call("getUpdates", {{"timeout", 0}});
    EXPECT_EQ(second.status, 200u);
    ASSERT_EQ(first.wait_for(5s), std::future_status::ready);
    expect_error(
        first.get(), 409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running");
}

TEST_F(EmulatorTest, SetWebhookEndsAWaitingPollInItsOwnWords) {
    auto poll = std::async(std::launch::async, [this] {
        Client c(port_);
        return c.post(method("getUpdates"), {{"timeout", 20}});
    });
    while (!emulator_->world().bot_by_id(bot_id_)->parked) std::this_thread::sleep_for(2ms);
    ASSERT_EQ(bot_call("setWebhook", {{"url", "http://127.0.0.1:9/hook"}}).status, 200u);
    ASSERT_EQ(poll.wait_for(5s), std::future_status::ready);
    expect_error(poll.get(), 409, "Conflict: terminated by setWebhook request");
}

TEST_F(EmulatorTest, TextLimitsAndParseModesAsTheBotApiServerHasThem) {
    ASSERT_EQ(student("start", json::object()).status, 200u);
    // Over 32 KiB of text is refused before parsing, in other words than the 4096 limit.
    expect_error(bot_call("sendMessage", {{"chat_id", kUser}, {"text", std::string(32769, 'a')}}), 400,
                 "Bad Request: text is too long");
    // parse_mode "none" is plain text.
    const auto plain =
        bot_call("sendMessage", {{"chat_id", kUser}, {"text", "<b>x</b>"}, {"parse_mode", "none"}});
    ASSERT_EQ(plain.status, 200u) << plain.body;
    EXPECT_EQ(plain.body["result"]["text"], "<b>x</b>");
}

TEST_F(EmulatorTest, WebhookDeliveryWithSecretAndRetry) {
    WebhookReceiver receiver(1);
    const auto url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";
    expect_error(bot_call("setWebhook", {{"url", url}, {"secret_token", "bad token!"}}), 400,
                 "Bad Request: secret token contains unallowed characters");
    expect_error(bot_call("setWebhook", {{"url", url}, {"secret_token", std::string(257, 'a')}}), 400,
                 "Bad Request: secret token is too long");
    const auto set =
        bot_call("setWebhook", {{"url", url}, {"secret_token", "s3cr3t_-X"}, {"max_connections", 500}});
    ASSERT_EQ(set.status, 200u) << set.body;
    EXPECT_EQ(set.body["description"], "Webhook was set");
    expect_error(
        bot_call("getUpdates"), 409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
        "webhook first");

    student("messages", {{"text", "first"}});
    student("messages", {{"text", "second"}});
    const auto got = receiver.wait_for(3);
    ASSERT_EQ(got.size(), 3u);
    // The 500 was retried at once, and the chat's order kept.
    EXPECT_EQ(got[0].answered, 500u);
    EXPECT_EQ(got[0].body["message"]["text"], "first");
    EXPECT_EQ(got[1].body["message"]["text"], "first");
    EXPECT_EQ(got[2].body["message"]["text"], "second");
    for (const auto& r : got) EXPECT_EQ(r.secret, "s3cr3t_-X");

    json info;
    for (int i = 0; i < 200; ++i) {
        info = bot_call("getWebhookInfo").body["result"];
        if (info["pending_update_count"] == 0) break;
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(info["url"], url);
    EXPECT_EQ(info["pending_update_count"], 0);
    EXPECT_EQ(info["max_connections"], 100);
    EXPECT_EQ(info["last_error_message"], "Wrong response from the webhook: 500 Internal Server Error");
    EXPECT_GT(info["last_error_date"].get<std::int64_t>(), 0);

    EXPECT_EQ(bot_call("deleteWebhook").body["description"], "Webhook was deleted");
    EXPECT_EQ(bot_call("deleteWebhook").body["description"], "Webhook is already deleted");
    EXPECT_EQ(bot_call("getUpdates").status, 200u);
}

TEST_F(EmulatorTest, StrictWebhookUrls) {
    student_->post("/_emulator/config", {{"webhooks", {{"strict_urls", true}}}});
    expect_error(bot_call("setWebhook", {{"url", "http://127.0.0.1:9/hook"}}), 400,
                 "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
    expect_error(bot_call("setWebhook", {{"url", "https://example.org:9000/hook"}}), 400,
                 "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
}

TEST_F(EmulatorTest, TooManyRequestsUnderTheChatLimit) {
    student("start", json::object());
    student_->post("/_emulator/config", {{"rate_limits", {{"enabled", true}, {"per_chat_burst", 3}}}});
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(bot_call("sendMessage", {{"chat_id", kUser}, {"text", "x"}}).status, 200u);
    const auto limited = bot_call("sendMessage", {{"chat_id", kUser}, {"text", "x"}});
    expect_error(limited, 429, "Too Many Requests: retry after 1");
    EXPECT_EQ(limited.body["parameters"]["retry_after"], 1);
    EXPECT_EQ(limited.retry_after, "1");
    EXPECT_EQ(student_->get("/_emulator/stats").body["result"]["too_many_requests"], 1);
}

TEST_F(EmulatorTest, BlockedUserGets403AndMyChatMember) {
    student("start", json::object());
    ASSERT_EQ(student("block", json::object()).status, 200u);
    expect_error(bot_call("sendMessage", {{"chat_id", kUser}, {"text", "x"}}), 403,
                 "Forbidden: bot was blocked by the user");
    student("unblock", json::object());
    EXPECT_EQ(bot_call("sendMessage", {{"chat_id", kUser}, {"text", "x"}}).status, 200u);
    const auto u = updates();
    ASSERT_EQ(u.size(), 3u);
    EXPECT_EQ(u[1]["my_chat_member"]["new_chat_member"]["status"], "kicked");
    EXPECT_EQ(u[1]["my_chat_member"]["old_chat_member"]["status"], "member");
    EXPECT_EQ(u[2]["my_chat_member"]["new_chat_member"]["status"], "member");
    EXPECT_EQ(u[2]["my_chat_member"]["new_chat_member"]["user"]["id"], bot_id_);
}

TEST_F(EmulatorTest, CallbackQueryFlow) {
    student("start", json::object());
    const json keyboard{{"inline_keyboard",
                         {{{{"text", "Yes"}, {"callback_data", "ans:yes"}},
                           {{"text", "Site"}, {"url", "https://example.org"}}}}}};
    const auto sent =
        bot_call("sendMessage", {{"chat_id", kUser}, {"text", "Ready?"}, {"reply_markup", keyboard}});
    ASSERT_EQ(sent.status, 200u) << sent.body;
    const auto message_id = sent.body["result"]["message_id"];
    EXPECT_EQ(student("press_button", {{"message_id", message_id}, {"button_text", "Site"}}).status, 400u);
    const auto pressed = student("press_button", {{"message_id", message_id}, {"data", "ans:yes"}});
    ASSERT_EQ(pressed.status, 200u) << pressed.body;
    const auto u = updates();
    ASSERT_EQ(u.size(), 2u);
    const auto& q = u[1]["callback_query"];
    EXPECT_EQ(q["data"], "ans:yes");
    EXPECT_EQ(q["from"]["id"], kUser);
    EXPECT_EQ(q["message"]["message_id"], message_id);
    const auto id = q["id"].get<std::string>();
    expect_error(
        bot_call("answerCallbackQuery", {{"callback_query_id", id}, {"text", std::string(201, 'x')}}), 400,
        "Bad Request: MESSAGE_TOO_LONG");
    EXPECT_EQ(bot_call("answerCallbackQuery", {{"callback_query_id", id}, {"text", "Saved"}}).status, 200u);
    expect_error(bot_call("answerCallbackQuery", {{"callback_query_id", id}}), 400,
                 "Bad Request: query is too old and response timeout expired or query ID is invalid");
    expect_error(bot_call("answerCallbackQuery", {{"callback_query_id", "nope"}}), 400,
                 "Bad Request: query is too old and response timeout expired or query ID is invalid");
    // Removing the keyboard; doing it twice is "not modified".
    const auto edited = bot_call("editMessageReplyMarkup", {{"chat_id", kUser}, {"message_id", message_id}});
    ASSERT_EQ(edited.status, 200u) << edited.body;
    EXPECT_FALSE(edited.body["result"].contains("reply_markup"));
    EXPECT_EQ(bot_call("editMessageReplyMarkup", {{"chat_id", kUser}, {"message_id", message_id}}).status,
              400u);
    expect_error(bot_call("editMessageReplyMarkup", {{"chat_id", kUser}, {"message_id", 999}}), 400,
                 "Bad Request: message to edit not found");
    const auto t = student_->get("/_emulator/transcript?bot_id=" + std::to_string(bot_id_) +
                                 "&user_id=" + std::to_string(kUser));
    EXPECT_EQ(t.body["result"]["callback_answers"][0]["text"], "Saved");
    EXPECT_EQ(t.body["result"]["messages"].size(), 2u);
}

TEST_F(EmulatorTest, PollFlow) {
    student("start", json::object());
    expect_error(bot_call("sendPoll", {{"chat_id", kUser}, {"question", "Q"}, {"options", {"only"}}}), 400,
                 "Bad Request: POLL_ANSWERS_INVALID");
    expect_error(bot_call("sendPoll",
                          {{"chat_id", kUser}, {"question", std::string(301, 'q')}, {"options", {"a", "b"}}}),
                 400, "Bad Request: poll question length must not exceed 300");
    expect_error(bot_call("sendPoll",
                          {{"chat_id", kUser}, {"question", "Q"}, {"options", {"a", std::string(101, 'b')}}}),
                 400, "Bad Request: poll options length must not exceed 100");
    const auto sent = bot_call("sendPoll", {{"chat_id", kUser},
                                            {"question", "2+2?"},
                                            {"options", {"3", "4", "5"}},
                                            {"type", "quiz"},
                                            {"correct_option_id", 1},
                                            {"is_anonymous", false}});
    ASSERT_EQ(sent.status, 200u) << sent.body;
    const auto poll_id = sent.body["result"]["poll"]["id"].get<std::string>();
    EXPECT_FALSE(poll_id.empty());
    EXPECT_EQ(sent.body["result"]["poll"]["correct_option_id"], 1);
    // 2^32 + 1 is not option 1, and 1.5 is no option at all.
    for (const auto& bad : {json(4294967297LL), json(1.5), json(1e300), json("x")})
        EXPECT_EQ(student("answer_poll", {{"poll_id", poll_id}, {"option_ids", {bad}}}).status, 400u) << bad;
    ASSERT_EQ(student("answer_poll", {{"poll_id", poll_id}, {"option_ids", {1}}}).status, 200u);
    EXPECT_EQ(student("answer_poll", {{"poll_id", poll_id}, {"option_ids", json::array()}}).status, 400u);
    const auto u = updates();
    ASSERT_GE(u.size(), 2u);
    const auto& a = u[1]["poll_answer"];
    EXPECT_EQ(a["poll_id"], poll_id);
    EXPECT_EQ(a["user"]["id"], kUser);
    EXPECT_EQ(a["option_ids"], json({1}));

    // A regular poll: a vote can be retracted (empty option_ids).
    const auto regular = bot_call("sendPoll", {{"chat_id", kUser},
                                               {"question", "Pick"},
                                               {"options", {"a", "b"}},
                                               {"is_anonymous", false},
                                               {"allows_multiple_answers", true}});
    const auto rid = regular.body["result"]["poll"]["id"].get<std::string>();
    student("answer_poll", {{"poll_id", rid}, {"option_ids", {0, 1}}});
    student("answer_poll", {{"poll_id", rid}, {"option_ids", json::array()}});
    json answers = json::array();
    for (const auto& x : updates())
        if (x.contains("poll_answer") && x["poll_answer"]["poll_id"] == rid)
            answers.push_back(x["poll_answer"]["option_ids"]);
    EXPECT_EQ(answers, json({{0, 1}, json::array()}));
}

TEST_F(EmulatorTest, VoiceWebAppAndMedia) {
    student("voice", {{"duration", 7}});
    student("web_app_data", {{"data", "{\"score\":3}"}, {"button_text", "Open"}});
    const auto u = updates();
    ASSERT_EQ(u.size(), 2u);
    const auto& voice = u[0]["message"]["voice"];
    EXPECT_EQ(voice["duration"], 7);
    EXPECT_FALSE(voice["file_id"].get<std::string>().empty());
    EXPECT_EQ(u[1]["message"]["web_app_data"]["data"], "{\"score\":3}");
    EXPECT_EQ(u[1]["message"]["web_app_data"]["button_text"], "Open");

    // The bot may send back the file id it received; unknown ids are refused.
    EXPECT_EQ(bot_call("sendVoice", {{"chat_id", kUser}, {"voice", voice["file_id"]}}).status, 200u);
    expect_error(bot_call("sendPhoto", {{"chat_id", kUser}}), 400,
                 "Bad Request: there is no photo in the request");
    expect_error(bot_call("sendPhoto", {{"chat_id", kUser}, {"photo", "made-up"}}), 400,
                 "Bad Request: wrong file identifier/HTTP URL specified");
    const auto photo = bot_call("sendPhoto", {{"chat_id", kUser},
                                              {"photo", "https://example.org/a.jpg"},
                                              {"caption", "<i>c</i>"},
                                              {"parse_mode", "HTML"}});
    ASSERT_EQ(photo.status, 200u) << photo.body;
    EXPECT_EQ(photo.body["result"]["caption"], "c");
    expect_error(
        bot_call("sendPhoto",
                 {{"chat_id", kUser}, {"photo", "https://e.org/a.jpg"}, {"caption", std::string(1025, 'c')}}),
        400, "Bad Request: message caption is too long");
    const json media{{{"type", "photo"}, {"media", "https://e.org/1.jpg"}},
                     {{"type", "photo"}, {"media", "https://e.org/2.jpg"}}};
    const auto group = bot_call("sendMediaGroup", {{"chat_id", kUser}, {"media", media}});
    ASSERT_EQ(group.status, 200u) << group.body;
    EXPECT_EQ(group.body["result"].size(), 2u);
    EXPECT_EQ(group.body["result"][0]["media_group_id"], group.body["result"][1]["media_group_id"]);
    const json mixed{{{"type", "photo"}, {"media", "https://e.org/1.jpg"}},
                     {{"type", "audio"}, {"media", "https://e.org/2.mp3"}}};
    expect_error(bot_call("sendMediaGroup", {{"chat_id", kUser}, {"media", mixed}}), 400,
                 "Bad Request: audio can't be mixed with other media types");
    const json typed{{{"type", 5}, {"media", "https://e.org/1.jpg"}},
                     {{"type", "photo"}, {"media", "https://e.org/2.jpg"}}};
    const auto wrong = bot_call("sendMediaGroup", {{"chat_id", kUser}, {"media", typed}});
    EXPECT_EQ(wrong.status, 400u);
    EXPECT_EQ(wrong.body["description"].get<std::string>().find("json"), std::string::npos) << wrong.body;
    EXPECT_EQ(bot_call("sendChatAction", {{"chat_id", kUser}, {"action", "typing"}}).status, 200u);
    expect_error(bot_call("sendChatAction", {{"chat_id", kUser}, {"action", "dancing"}}), 400,
                 "Bad Request: wrong parameter action in request");

    const auto q = student("web_app_query", json::object());
    const auto qid = q.body["result"]["query_id"].get<std::string>();
    // A refused answer uses nothing up: the query can be answered after it.
    const json unreadable{{"type", "article"},
                          {"id", "1"},
                          {"title", "t"},
                          {"input_message_content", {{"message_text", json::array()}}}};
    expect_error(bot_call("answerWebAppQuery", {{"web_app_query_id", qid}, {"result", unreadable}}), 400,
                 "Bad Request: can't parse inline query result JSON object");
    const json result{{"type", "article"},
                      {"id", "1"},
                      {"title", "t"},
                      {"input_message_content", {{"message_text", "done"}}}};
    const auto confirmed = updates().size();
    EXPECT_EQ(bot_call("answerWebAppQuery", {{"web_app_query_id", qid}, {"result", result}}).status, 200u);
    expect_error(bot_call("answerWebAppQuery", {{"web_app_query_id", qid}, {"result", result}}), 400,
                 "Bad Request: query is too old and response timeout expired or query ID is invalid");
    // The answer is the user's message sent via the bot, which the bot gets too.
    const auto after = updates();
    ASSERT_EQ(after.size(), confirmed + 1);
    EXPECT_EQ(after.back()["message"]["text"], "done");
    EXPECT_EQ(after.back()["message"]["from"]["id"], kUser);
    EXPECT_EQ(after.back()["message"]["via_bot"]["is_bot"], true);
}

TEST_F(EmulatorTest, AStudentSharesTheirContact) {
    const auto sent = student("contact", {{"phone_number", "+44 20 7946 0958"}});
    ASSERT_EQ(sent.status, 200u) << sent.body;
    const auto u = updates();
    ASSERT_EQ(u.size(), 1u);
    const auto& contact = u[0]["message"]["contact"];
    EXPECT_EQ(contact["phone_number"], "+44 20 7946 0958");
    EXPECT_EQ(contact["user_id"], kUser);
    EXPECT_FALSE(contact["first_name"].get<std::string>().empty());
    EXPECT_EQ(student("contact", json::object()).status, 400u);
}

TEST_F(EmulatorTest, StudentSendsADocumentTheBotFetchesAndDownloads) {
    const std::string yaml = "title: Квиз\r\nsteps:\n  - \"a\"\n";
    const auto sent =
        student("document", {{"file_name", "course.yml"}, {"content", yaml}, {"caption", "/import now"}});
    ASSERT_EQ(sent.status, 200u) << sent.body;
    const auto u = updates();
    ASSERT_EQ(u.size(), 1u);
    const auto& message = u[0]["message"];
    EXPECT_EQ(message, sent.body["result"]);
    const auto& document = message["document"];
    EXPECT_EQ(document["file_name"], "course.yml");
    EXPECT_EQ(document["mime_type"], "application/x-yaml");
    EXPECT_EQ(document["file_size"], yaml.size());
    EXPECT_FALSE(document["file_unique_id"].get<std::string>().empty());
    EXPECT_EQ(message["caption"], "/import now");
    EXPECT_EQ(message["caption_entities"], json::parse(R"([{"offset":0,"length":7,"type":"bot_command"}])"));
    EXPECT_FALSE(message.contains("text"));
    const auto file_id = document["file_id"].get<std::string>();

    const auto file = bot_call("getFile", {{"file_id", file_id}});
    ASSERT_EQ(file.status, 200u) << file.body;
    EXPECT_EQ(file.body["result"]["file_id"], file_id);
    EXPECT_EQ(file.body["result"]["file_unique_id"], document["file_unique_id"]);
    EXPECT_EQ(file.body["result"]["file_size"], yaml.size());
    const auto path = file.body["result"]["file_path"].get<std::string>();
    EXPECT_EQ(path, "documents/file_0.yml");
    EXPECT_EQ(bot_call("getFile", {{"file_id", file_id}}).body["result"]["file_path"], path);

    const auto bytes = download(token_, path);
    EXPECT_EQ(bytes.status, 200u);
    EXPECT_EQ(bytes.raw, yaml);
    EXPECT_EQ(bytes.content_type, "application/octet-stream");
    EXPECT_EQ(bytes.content_length, std::to_string(yaml.size()));

    // The student sees the document in the chat and can read it back.
    const auto t = student("transcript", json::object());
    EXPECT_EQ(t.body["result"]["messages"][0]["document"], document);
    EXPECT_EQ(t.body["result"]["messages"][0]["sender"], "user");
    const auto read = student_->post("/_emulator/file", {{"file_id", file_id}});
    ASSERT_EQ(read.status, 200u) << read.body;
    EXPECT_EQ(read.body["result"]["file_name"], "course.yml");
    EXPECT_EQ(read.body["result"]["mime_type"], "application/x-yaml");
    EXPECT_EQ(read.body["result"]["content"], yaml);

    // The bot may send the file back by its id.
    const auto echoed = bot_call("sendDocument", {{"chat_id", kUser}, {"document", file_id}});
    ASSERT_EQ(echoed.status, 200u) << echoed.body;
    EXPECT_EQ(echoed.body["result"]["document"], document);
}

TEST_F(EmulatorTest, StudentDocumentParameters) {
    const auto plain = student("document", {{"file_name", "notes.TXT"}, {"content", "x"}});
    EXPECT_EQ(plain.body["result"]["document"]["mime_type"], "text/plain");
    EXPECT_FALSE(plain.body["result"].contains("caption"));
    EXPECT_EQ(student("document", {{"file_name", "a.json"}, {"content", "{}"}})
                  .body["result"]["document"]["mime_type"],
              "application/json");
    EXPECT_EQ(student("document", {{"file_name", "a.yaml"}, {"content", "a"}})
                  .body["result"]["document"]["mime_type"],
              "application/x-yaml");
    EXPECT_EQ(student("document", {{"file_name", "a.pdf"}, {"content", "%PDF"}})
                  .body["result"]["document"]["mime_type"],
              "application/octet-stream");
    EXPECT_EQ(student("document", {{"file_name", "README"}, {"content", "a"}})
                  .body["result"]["document"]["mime_type"],
              "application/octet-stream");
    const auto typed =
        student("document", {{"file_name", "a.pdf"}, {"content", "%PDF"}, {"mime_type", "application/pdf"}});
    EXPECT_EQ(typed.body["result"]["document"]["mime_type"], "application/pdf");
    // A caption without a command has no entities; a command is counted in UTF-16 units.
    EXPECT_FALSE(student("document", {{"file_name", "a.txt"}, {"content", "a"}, {"caption", "see /start"}})
                     .body["result"]
                     .contains("caption_entities"));
    EXPECT_EQ(student("document", {{"file_name", "a.txt"}, {"content", "a"}, {"caption", "/курс\n1"}})
                  .body["result"]["caption_entities"][0]["length"],
              5);
    EXPECT_EQ(
        student("document", {{"file_name", "a.txt"}, {"content", "a"}, {"caption", std::string(1024, 'c')}})
            .status,
        200u);

    // Bytes that are not text come as a multipart file part named "content"
    // (its filename stands in for file_name).
    const std::string binary("\x89PNG\r\n\x1a\n\x00", 9);
    const auto uploaded = student_->call(http::verb::post, "/_emulator/document",
                                         field_part("bot_id", std::to_string(bot_id_)) +
                                             field_part("user_id", std::to_string(kUser)) +
                                             file_part("content", "pic.png", "image/png", binary) + closing(),
                                         multipart_type());
    ASSERT_EQ(uploaded.status, 200u) << uploaded.body;
    EXPECT_EQ(uploaded.body["result"]["document"]["file_name"], "pic.png");
    EXPECT_EQ(uploaded.body["result"]["document"]["file_size"], 9);
    const auto path = bot_call("getFile", {{"file_id", uploaded.body["result"]["document"]["file_id"]}})
                          .body["result"]["file_path"]
                          .get<std::string>();
    EXPECT_EQ(path, "documents/file_0.png");
    EXPECT_EQ(download(token_, path).raw, binary);

    EXPECT_EQ(student("document", {{"file_name", "a.txt"}, {"content", ""}}).status, 400u);
    EXPECT_EQ(student("document", {{"file_name", "a.txt"}}).status, 400u);
    EXPECT_EQ(student("document", {{"content", "a"}}).status, 400u);
    EXPECT_EQ(student("document", {{"file_name", ""}, {"content", "a"}}).status, 400u);
    EXPECT_EQ(
        student("document", {{"file_name", std::string(252, 'n') + ".txt"}, {"content", "a"}}).body["error"],
        "file_name must be 1..255 characters");
    EXPECT_EQ(student("document", {{"file_name", std::string(251, 'n') + ".txt"}, {"content", "a"}}).status,
              200u);
    EXPECT_EQ(student("document", {{"file_name", std::string(255, 'n')}, {"content", "a"}}).status, 200u);
    EXPECT_EQ(student("document", {{"file_name", "ё" + std::string(254, 'n')}, {"content", "a"}}).status,
              200u);
    EXPECT_EQ(
        student("document", {{"file_name", "a.txt"}, {"content", "a"}, {"caption", std::string(1025, 'c')}})
            .status,
        400u);
}

TEST_F(EmulatorTest, GetFileErrors) {
    expect_error(bot_call("getFile"), 400, "Bad Request: file_id not specified");
    expect_error(bot_call("getFile", {{"file_id", ""}}), 400, "Bad Request: file_id not specified");
    expect_error(bot_call("getFile", {{"file_id", "made-up"}}), 400, "Bad Request: invalid file_id");

    // Another bot's file id is no file for this bot.
    student("start", json::object());
    const auto other = student_->post("/_emulator/bots", {{"username", "other_bot"}});
    const auto other_id = other.body["result"]["id"].get<std::int64_t>();
    const auto theirs =
        student_->post("/_emulator/document",
                       {{"bot_id", other_id}, {"user_id", kUser}, {"file_name", "a.txt"}, {"content", "a"}});
    ASSERT_EQ(theirs.status, 200u) << theirs.body;
    const auto their_file = theirs.body["result"]["document"]["file_id"];
    expect_error(bot_call("getFile", {{"file_id", their_file}}), 400, "Bad Request: invalid file_id");
    expect_error(bot_call("sendDocument", {{"chat_id", kUser}, {"document", their_file}}), 400,
                 "Bad Request: wrong file identifier/HTTP URL specified");
    EXPECT_EQ(student_->post("/_emulator/file", {{"file_id", their_file}, {"bot_id", bot_id_}}).status, 404u);

    // Bots download up to 20 MB.
    const std::int64_t limit = 20 * 1024 * 1024;
    const auto at_limit =
        student("document",
                {{"file_name", "big.bin"}, {"content", std::string(static_cast<std::size_t>(limit), 'a')}});
    ASSERT_EQ(at_limit.status, 200u);
    EXPECT_EQ(bot_call("getFile", {{"file_id", at_limit.body["result"]["document"]["file_id"]}}).status,
              200u);
    const auto over = student(
        "document",
        {{"file_name", "bigger.bin"}, {"content", std::string(static_cast<std::size_t>(limit + 1), 'a')}});
    ASSERT_EQ(over.status, 200u);
    EXPECT_EQ(over.body["result"]["document"]["file_size"], limit + 1);
    expect_error(bot_call("getFile", {{"file_id", over.body["result"]["document"]["file_id"]}}), 400,
                 "Bad Request: file is too big");
}

TEST_F(EmulatorTest, DownloadsAreOnlyForTheBotThatOwnsThePath) {
    const auto sent = student("document", {{"file_name", "a.txt"}, {"content", "secret"}});
    const auto file_id = sent.body["result"]["document"]["file_id"];
    // No path before getFile.
    expect_not_found(download(token_, "documents/file_0.txt"));
    const auto path =
        bot_call("getFile", {{"file_id", file_id}}).body["result"]["file_path"].get<std::string>();
    EXPECT_EQ(download(token_, path).raw, "secret");

    expect_not_found(download("123:wrongtokenwrongtokenwrongtokenwrong", path));
    const auto other = student_->post("/_emulator/bots", {{"username", "other_bot"}});
    expect_not_found(download(other.body["result"]["token"], path));
    expect_not_found(download(token_, "documents/file_1.txt"));
    expect_not_found(download(token_, "documents/file_0.txt/x"));
    expect_not_found(bot_->get("/file/bot" + token_ + "/"));
    expect_not_found(bot_->get("/file/bot" + token_));
    // The connection stays usable after a download.
    EXPECT_EQ(bot_call("getMe").status, 200u);

    // A voice message is known by its size only; it downloads as that many bytes.
    const auto voice = student("voice", {{"duration", 2}});
    const auto voice_file = bot_call("getFile", {{"file_id", voice.body["result"]["voice"]["file_id"]}});
    ASSERT_EQ(voice_file.status, 200u) << voice_file.body;
    const auto voice_path = voice_file.body["result"]["file_path"].get<std::string>();
    EXPECT_EQ(voice_path, "voice/file_1.oga");
    EXPECT_EQ(download(token_, voice_path).raw.size(), 8000u);
}

TEST_F(EmulatorTest, SendDocumentWithAMultipartUpload) {
    student("start", json::object());
    const std::string yaml = "title: \"Отчёт\"\r\n\r\n--not-the-boundary\r\nitems: [1, 2]\n";
    const json keyboard{{"inline_keyboard", {{{{"text", "OK"}, {"callback_data", "ok"}}}}}};
    // Fields after the file, the file between them: the order does not matter.
    const auto body = field_part("caption", "<b>Report</b> for /start") +
                      file_part("document", "report.yml", "application/octet-stream", yaml) +
                      field_part("parse_mode", "HTML") + field_part("reply_markup", keyboard.dump()) +
                      field_part("chat_id", std::to_string(kUser)) + closing();
    const auto sent = bot_multipart("sendDocument", body);
    ASSERT_EQ(sent.status, 200u) << sent.body;
    const auto& message = sent.body["result"];
    const auto& document = message["document"];
    EXPECT_EQ(document["file_name"], "report.yml");
    EXPECT_EQ(document["mime_type"], "application/x-yaml");
    EXPECT_EQ(document["file_size"], yaml.size());
    EXPECT_EQ(message["caption"], "Report for /start");
    EXPECT_EQ(message["caption_entities"], json::parse(R"([{"offset":0,"length":6,"type":"bold"}])"));
    EXPECT_EQ(message["reply_markup"], keyboard);
    const auto file_id = document["file_id"].get<std::string>();

    // The student sees it and reads the bytes back.
    const auto t = student("transcript", json::object());
    const auto& last = t.body["result"]["messages"].back();
    EXPECT_EQ(last["sender"], "bot");
    EXPECT_EQ(last["document"], document);
    const auto read = student("file", {{"file_id", file_id}});
    ASSERT_EQ(read.status, 200u) << read.body;
    EXPECT_EQ(read.body["result"]["file_name"], "report.yml");
    EXPECT_EQ(read.body["result"]["mime_type"], "application/x-yaml");
    EXPECT_EQ(read.body["result"]["content"], yaml);
    EXPECT_EQ(student("file", {{"file_id", "made-up"}}).status, 404u);

    // The bot's own upload: getFile and download give the same bytes.
    const auto path =
        bot_call("getFile", {{"file_id", file_id}}).body["result"]["file_path"].get<std::string>();
    EXPECT_EQ(download(token_, path).raw, yaml);

    // attach://<name>, binary bytes, a declared type for an unknown extension,
    // and a file name the server cleans.
    const std::string binary("\x00\xFF\r\n\x80zip", 8);
    const auto attached = bot_multipart(
        "sendDocument", field_part("chat_id", std::to_string(kUser)) +
                            field_part("document", "attach://payload") +
                            file_part("payload", "dir/a?b.zip", "application/zip", binary) + closing());
    ASSERT_EQ(attached.status, 200u) << attached.body;
    EXPECT_EQ(attached.body["result"]["document"]["file_name"], "a b.zip");
    EXPECT_EQ(attached.body["result"]["document"]["mime_type"], "application/zip");
    EXPECT_EQ(attached.body["result"]["document"]["file_size"], 8);
    const auto raw = student("file", {{"file_id", attached.body["result"]["document"]["file_id"]}});
    EXPECT_TRUE(raw.body["result"]["content"].is_null());
    EXPECT_EQ(raw.body["result"]["content_base64"], "AP8NCoB6aXA=");

    // A photo upload.
    const auto photo = bot_multipart(
        "sendPhoto", field_part("chat_id", std::to_string(kUser)) +
                         file_part("photo", "p.jpg", "image/jpeg", "\xFF\xD8\xFF\xE0") + closing());
    ASSERT_EQ(photo.status, 200u) << photo.body;
    const auto& sizes = photo.body["result"]["photo"];
    ASSERT_EQ(sizes.size(), 3u);
    EXPECT_EQ(sizes[2]["file_size"], 4);
    EXPECT_EQ(bot_call("getFile", {{"file_id", sizes[2]["file_id"]}}).body["result"]["file_path"],
              "photos/file_1.jpg");

    expect_error(
        bot_multipart("sendDocument", field_part("chat_id", std::to_string(kUser)) +
                                          file_part("document", "empty.txt", "text/plain", "") + closing()),
        400, "Bad Request: file must be non-empty");
    // Bots upload up to 50 MB per file.
    expect_error(
        bot_multipart("sendDocument", field_part("chat_id", std::to_string(kUser)) +
                                          file_part("document", "huge.bin", "application/octet-stream",
                                                    std::string(50 * 1024 * 1024 + 1, 'h')) +
                                          closing()),
        413, "Request Entity Too Large");
    expect_error(bot_multipart("sendDocument", field_part("chat_id", std::to_string(kUser)) +
                                                   field_part("document", "attach://missing") + closing()),
                 400, "Bad Request: there is no document in the request");
}

TEST_F(EmulatorTest, MultipartBodiesForAnyMethod) {
    student("start", json::object());
    const json keyboard{{"inline_keyboard", {{{{"text", "Go"}, {"url", "https://example.org"}}}}}};
    const auto sent = bot_multipart(
        "sendMessage", field_part("chat_id", std::to_string(kUser)) + field_part("text", "multi\r\nline") +
                           field_part("reply_markup", keyboard.dump()) + closing());
    ASSERT_EQ(sent.status, 200u) << sent.body;
    EXPECT_EQ(sent.body["result"]["text"], "multi\r\nline");
    EXPECT_EQ(sent.body["result"]["reply_markup"], keyboard);

    // Malformed bodies are refused, and the connection keeps serving.
    const auto unclosed = field_part("chat_id", std::to_string(kUser)) + field_part("text", "x");
    expect_error(bot_multipart("sendMessage", unclosed), 400, "Bad Request: can't parse request body");
    expect_error(
        bot_multipart("sendMessage", std::string("--") + kBoundary +
                                         "\r\nContent-Disposition: form-data\r\n\r\nx\r\n" + closing()),
        400, "Bad Request: expected form-data content disposition");
    expect_error(
        bot_multipart("sendMessage", std::string("--") + kBoundary +
                                         "\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n" +
                                         closing()),
        400, "Bad Request: field name in multipart/form-data not found");
    expect_error(
        bot_->call(http::verb::post, method("sendMessage"), unclosed + closing(), "multipart/form-data"), 400,
        "Bad Request: boundary not found");
    EXPECT_EQ(bot_call("getMe").status, 200u);
}

// The signature checked here independently of the emulator's own code, as a
// Mini App's backend checks it (Telegram's "Validating data received via the
// Mini App").
TEST_F(EmulatorTest, OpeningAWebAppButtonHandsThePageSignedInitData) {
    student("start", json::object());
    const auto sent =
        bot_call("sendMessage",
                 {{"chat_id", kUser},
                  {"text", "Open the quiz"},
                  {"reply_markup",
                   {{"inline_keyboard",
                     {{{{"text", "Launch"}, {"web_app", {{"url", "https://quiz.example/app?q=7"}}}}}}}}}});
    ASSERT_EQ(sent.status, 200u) << sent.body;
    const auto message_id = sent.body["result"]["message_id"];
    const auto opened = student("open_web_app", {{"message_id", message_id}, {"button_text", "Launch"}});
    ASSERT_EQ(opened.status, 200u) << opened.body;
    EXPECT_EQ(opened.body["result"]["url"], "https://quiz.example/app?q=7");

    std::map<std::string, std::string> fields;
    const auto init_data = opened.body["result"]["init_data"].get<std::string>();
    for (std::size_t at = 0; at <= init_data.size();) {
        const auto amp = std::min(init_data.find('&', at), init_data.size());
        const auto pair = init_data.substr(at, amp - at);
        const auto eq = pair.find('=');
        std::string value;
        for (std::size_t i = eq + 1; i < pair.size(); ++i)
            if (pair[i] == '%') {
                value += static_cast<char>(std::stoi(pair.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                value += pair[i];
            }
        fields[pair.substr(0, eq)] = value;
        at = amp + 1;
    }
    const auto hash = fields.at("hash");
    fields.erase("hash");
    std::string check;
    for (const auto& [key, value] : fields) check += (check.empty() ? "" : "\n") + key + "=" + value;
    unsigned char secret[32], digest[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), "WebAppData", 10, reinterpret_cast<const unsigned char*>(token_.data()), token_.size(),
         secret, &n);
    HMAC(EVP_sha256(), secret, 32, reinterpret_cast<const unsigned char*>(check.data()), check.size(), digest,
         &n);
    char hex[65];
    for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    EXPECT_EQ(hash, hex) << init_data;
    EXPECT_EQ(json::parse(fields.at("user"))["id"], kUser);
    EXPECT_EQ(fields.at("chat_type"), "private");
    EXPECT_NEAR(std::stoll(fields.at("auth_date")), std::time(nullptr), 5);

    // The query id lets the page answer through the bot, once.
    const json result{{"type", "article"},
                      {"id", "1"},
                      {"title", "t"},
                      {"input_message_content", {{"message_text", "done"}}}};
    EXPECT_EQ(bot_call("answerWebAppQuery", {{"web_app_query_id", fields.at("query_id")}, {"result", result}})
                  .status,
              200u);

    EXPECT_EQ(student("open_web_app", {{"message_id", message_id}, {"button_text", "Other"}}).status, 404u);
    const auto plain = bot_call("sendMessage", {{"chat_id", kUser}, {"text", "no buttons"}});
    EXPECT_EQ(student("open_web_app", {{"message_id", plain.body["result"]["message_id"]}}).status, 404u);
}

TEST_F(EmulatorTest, WaitForTranscript) {
    student("start", json::object());
    auto waiting = std::async(std::launch::async, [this] {
        Client c(port_);
        return c.get("/_emulator/wait?bot_id=" + std::to_string(bot_id_) +
                     "&user_id=" + std::to_string(kUser) + "&bot_messages=2&timeout_ms=5000");
    });
    bot_call("sendMessage", {{"chat_id", kUser}, {"text", "one"}});
    bot_call("sendMessage", {{"chat_id", kUser}, {"text", "two"}});
    ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
    const auto r = waiting.get();
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto& messages = r.body["result"]["messages"];
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[0]["sender"], "user");
    EXPECT_EQ(messages[2]["sender"], "bot");
    EXPECT_EQ(messages[2]["text"], "two");
    const auto timeout = student_->get("/_emulator/wait?bot_id=" + std::to_string(bot_id_) +
                                       "&user_id=" + std::to_string(kUser) + "&bot_messages=9&timeout_ms=50");
    EXPECT_EQ(timeout.status, 408u);
}

// A student's action can wait for the bot's reply in the same call.
TEST_F(EmulatorTest, ActionThatWaitsForTheReply) {
    student("start", json::object());
    const auto first = updates();
    ASSERT_EQ(first.size(), 1u);
    const std::int64_t next = first[0]["update_id"].get<std::int64_t>() + 1;
    auto asking = std::async(std::launch::async, [this] {
        Client c(port_);
        return c.post("/_emulator/messages", {{"bot_id", bot_id_},
                                              {"user_id", kUser},
                                              {"text", "hello"},
                                              {"wait_bot_messages", 1},
                                              {"wait_timeout_ms", 5000}});
    });
    // The message is in before the call returns: the bot sees it and answers.
    const auto got = updates(next, 5);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["message"]["text"], "hello");
    EXPECT_EQ(asking.wait_for(100ms), std::future_status::timeout);
    bot_call("sendMessage", {{"chat_id", kUser}, {"text", "hi there"}});
    ASSERT_EQ(asking.wait_for(5s), std::future_status::ready);
    const auto r = asking.get();
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body["result"]["bot_messages"], 1);
    EXPECT_EQ(r.body["result"]["messages"].back()["text"], "hi there");

    // No reply in time: 408 with what the chat shows, the message sent all the same.
    const auto late =
        student("messages", {{"text", "anyone?"}, {"wait_bot_messages", 2}, {"wait_timeout_ms", 50}});
    EXPECT_EQ(late.status, 408u);
    EXPECT_EQ(updates(next + 1).size(), 1u);

    // A wait that cannot apply, or that is malformed, refuses the action: nothing is sent.
    const auto not_action = student_->get("/_emulator/transcript?bot_id=" + std::to_string(bot_id_) +
                                          "&user_id=" + std::to_string(kUser) + "&wait_bot_messages=1");
    EXPECT_EQ(not_action.status, 400u);
    EXPECT_NE(not_action.body["error"].get<std::string>().find("wait_bot_messages"), std::string::npos);
    const auto malformed = student("messages", {{"text", "lost?"}, {"wait_bot_messages", "many"}});
    EXPECT_EQ(malformed.status, 400u);
    const auto bad_timeout =
        student("messages", {{"text", "lost?"}, {"wait_bot_messages", 1}, {"wait_timeout_ms", "soon"}});
    EXPECT_EQ(bad_timeout.status, 400u);
    EXPECT_EQ(updates(next + 2).size(), 0u);
}

TEST_F(EmulatorTest, InjectedFaults) {
    student_->post("/_emulator/config", {{"faults", {{"error_next", 1}}}});
    expect_error(bot_call("getMe"), 500, "Internal Server Error");
    EXPECT_EQ(bot_call("getMe").status, 200u);
    student_->post("/_emulator/config", {{"faults", {{"drop_next", 1}}}});
    EXPECT_TRUE(bot_call("getMe").closed);
    EXPECT_EQ(bot_call("getMe").status, 200u);
    const auto stats = student_->get("/_emulator/stats").body["result"];
    EXPECT_EQ(stats["injected_errors"], 1);
    EXPECT_EQ(stats["dropped_connections"], 1);
    // Nonsense is refused, and a refused patch changes nothing, not even its valid part.
    EXPECT_EQ(student_->post("/_emulator/config", {{"faults", {{"error_next", 1}, {"error_probability", 5}}}})
                  .status,
              400u);
    EXPECT_EQ(student_->post("/_emulator/config", {{"faults", {{"drop_probability", "half"}}}}).status, 400u);
    EXPECT_EQ(student_->post("/_emulator/config", {{"transcript_limit", -1}}).status, 400u);
    EXPECT_EQ(student_->post("/_emulator/clock", {{"advance_seconds", 1000000000000000000LL}}).status, 400u);
    EXPECT_EQ(bot_call("getMe").status, 200u) << "error_next of the refused patch was applied";
}

// Numbers of the control API are whole and in range, never wrapped round or
// cast out of range, and a patch refused at any key changes no other key.
TEST_F(EmulatorTest, AConfigPatchIsTakenWholeOrNotAtAll) {
    const auto before = student_->get("/_emulator/config").body["result"];
    const json refused[] = {
        {{"rate_limits", {{"enabled", true}}}, {"faults", {{"error_next", 1e300}}}},
        {{"poll_updates", false}, {"faults", {{"latency_ms", 4294967296LL}}}},
        {{"faults", {{"error_next", 1}}}, {"webhooks", {{"retry_initial_ms", "soon"}}}},
        {{"webhooks", {{"strict_urls", true}}}, {"transcript_limit", 18446744073709551615ULL}},
        {{"transcript_limit", 5}, {"rate_limits", {{"per_chat_burst", -1}}}},
        {{"accept_any_file_id", true}, {"faults", {{"error_status", 404}}}},
        {{"faults", {{"drop_next", 2.5}}}},
        {{"faults", "error_next"}},
    };
    for (const auto& patch : refused) {
        const auto answer = student_->post("/_emulator/config", patch);
        EXPECT_EQ(answer.status, 400u) << patch << " " << answer.body;
        EXPECT_EQ(student_->get("/_emulator/config").body["result"], before) << patch;
    }
    EXPECT_EQ(bot_call("getMe").status, 200u);
    const auto taken =
        student_->post("/_emulator/config", {{"faults", {{"error_next", "1"}, {"latency_ms", 0.0}}}});
    EXPECT_EQ(taken.status, 200u) << taken.body;
    expect_error(bot_call("getMe"), 500, "Internal Server Error");
}

// A held reply: the chat shows the message while its sender still waits.
TEST_F(EmulatorTest, LatencyAfterProcessingShowsTheMessageBeforeTheReply) {
    student("start", json::object());
    student_->post(
        "/_emulator/config",
        {{"faults",
          {{"latency_ms", 1500}, {"latency_after_processing", true}, {"methods", {"sendMessage"}}}}});
    auto sending = std::async(std::launch::async, [&] {
        Client own(port_);
        return own.post(method("sendMessage"), {{"chat_id", kUser}, {"text", "held"}});
    });
    const auto seen = student_->get("/_emulator/wait?bot_id=" + std::to_string(bot_id_) +
                                    "&user_id=" + std::to_string(kUser) + "&bot_messages=1&timeout_ms=1000");
    ASSERT_EQ(seen.status, 200u) << seen.body;
    EXPECT_EQ(sending.wait_for(0s), std::future_status::timeout) << "the reply came before the hold";
    const auto reply = sending.get();
    EXPECT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(reply.body["result"]["text"], "held");
}

TEST_F(EmulatorTest, UpdatesExpireAfter24Hours) {
    student("messages", {{"text", "old"}});
    student_->post("/_emulator/clock", {{"advance_seconds", 24 * 3600 + 1}});
    student("messages", {{"text", "new"}});
    const auto u = updates();
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0]["message"]["text"], "new");
}

// The binary: prints its address first, serves, stops on SIGTERM.
TEST(EmulatorBinary, PrintsAddressAndStopsOnSigterm) {
    const std::string binary = profo::build_tree::executable("profo-telegram-emulator");
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        execl(binary.c_str(), binary.c_str(), "--listen", "127.0.0.1:0", "--bot",
              "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789", nullptr);
        _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ASSERT_EQ(line.rfind("listening on 127.0.0.1:", 0), 0u) << line;
    const auto port = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    Client client(port);
    const auto me = client.post("/bot123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789/getMe", json::object());
    EXPECT_EQ(me.status, 200u);
    EXPECT_EQ(me.body["result"]["id"], 123456);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    close(out[0]);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace profo::telegram_emulator
