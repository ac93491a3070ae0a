#include "chat_completion.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <variant>

namespace profo::elements::dialog {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Answers from a script, one per call; a string in the script is thrown as a
// network failure.
class ScriptedClient : public sdk::HttpClient {
public:
    using Step = std::variant<sdk::HttpClientResponse, std::string>;
    explicit ScriptedClient(std::deque<Step> script) : script_(std::move(script)) {}

    sdk::HttpClientResponse send(const sdk::HttpClientRequest& request) override {
        requests.push_back(request);
        if (script_.empty()) throw std::logic_error("unexpected request");
        Step step = std::move(script_.front());
        script_.pop_front();
        if (auto* failure = std::get_if<std::string>(&step)) throw sdk::HttpClientError(*failure);
        return std::get<sdk::HttpClientResponse>(step);
    }
    sdk::HttpClientResponse send_to(const sdk::HttpClientRequest& request,
                                    const std::vector<std::string>& addresses) override {
        connected_to.push_back(addresses);
        return send(request);
    }
    std::vector<sdk::HttpClientRequest> requests;
    std::vector<std::vector<std::string>> connected_to;  // of each send_to

private:
    std::deque<Step> script_;
};

class KeptLog : public sdk::Logger {
public:
    void log(sdk::LogLevel, std::string_view message) override { lines.emplace_back(message); }
    std::vector<std::string> lines;
};

sdk::HttpClientResponse ok(const std::string& content) {
    return {200,
            {{"content-type", "application/json"}},
            json{{"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}}}}}
                .dump()};
}

sdk::HttpClientResponse status(int code, std::string body = "",
                               std::vector<std::pair<std::string, std::string>> headers = {}) {
    return {code, std::move(headers), std::move(body)};
}

CompletionCall call() {
    CompletionCall c;
    c.base_url = "http://127.0.0.1:9/v1/";
    c.api_key = "sk-test-123456";
    c.model = "gpt-4";
    c.messages = {{"system", "Be brief."}, {"user", "Привет"}};
    c.temperature = 0.7;
    c.timeout = 1234ms;
    return c;
}

std::string header(const sdk::HttpClientRequest& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return "<absent>";
}

TEST(ChatRequest, UrlAndBody) {
    EXPECT_EQ(chat_completions_url("https://api.openai.com/v1"),
              "https://api.openai.com/v1/chat/completions");
    EXPECT_EQ(chat_completions_url("http://h:1/v1//"), "http://h:1/v1/chat/completions");

    CompletionCall c = call();
    EXPECT_EQ(chat_request_body(c), json::parse(R"({"model": "gpt-4", "temperature": 0.7, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Привет"}]})"));
    c.temperature.reset();
    c.reasoning_effort = "low";
    const json body = chat_request_body(c);
    EXPECT_FALSE(body.contains("temperature"));
    EXPECT_EQ(body["reasoning_effort"], "low");
}

TEST(ChatResponse, ReadsContentPartsAndRefusals) {
    EXPECT_EQ(reply_from_body(ok("Hello").body), "Hello");
    EXPECT_EQ(reply_from_body(R"({"choices":[{"message":{"content":[{"type":"text","text":"a"},
        {"type":"image_url"},{"type":"text","text":"b"}]}}]})"),
              "ab");
    EXPECT_EQ(reply_from_body(R"({"choices":[{"message":{"content":null,"refusal":"I can't"}}]})"),
              "I can't");
    for (const char* bad :
         {"not json", "{}", R"({"choices":[]})", R"({"choices":[{"message":{"content":""}}]})"})
        EXPECT_THROW(reply_from_body(bad), CompletionError) << bad;
}

TEST(ChatResponse, ErrorsNameTheStatusAndTheProvidersMessage) {
    EXPECT_EQ(error_from_response(
                  401, R"({"error":{"message":"Incorrect API key","type":"invalid_request_error"}})"),
              "the provider answered HTTP 401: Incorrect API key");
    EXPECT_EQ(error_from_response(502, "<html>bad gateway</html>"), "the provider answered HTTP 502");
    // A long message is cut between characters, so the reason stays valid JSON text.
    std::string russian;
    for (int i = 0; i < 200; ++i) russian += "ы";  // 2 bytes each: after "z", byte 300 is mid-character
    const std::string reason = error_from_response(400, json{{"error", {{"message", "z" + russian}}}}.dump());
    EXPECT_NO_THROW(json(reason).dump());
    EXPECT_EQ(reason, "the provider answered HTTP 400: z" + russian.substr(0, 298) + "...");
    EXPECT_TRUE(is_retryable(500));
    EXPECT_TRUE(is_retryable(429));
    EXPECT_FALSE(is_retryable(400));
    EXPECT_FALSE(is_retryable(401));
}

TEST(Complete, SendsOnePostWithTheKeyAndReturnsTheReply) {
    ScriptedClient client({ok("Hi there")});
    std::vector<std::chrono::milliseconds> slept;
    auto result = complete(
        client, call(), [&](auto d) { slept.push_back(d); }, nullptr);
    EXPECT_EQ(result, json({{"reply", "Hi there"}}));
    ASSERT_EQ(client.requests.size(), 1u);
    const auto& r = client.requests[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "http://127.0.0.1:9/v1/chat/completions");
    EXPECT_EQ(r.timeout, 1234ms);
    EXPECT_EQ(header(r, "Authorization"), "Bearer sk-test-123456");
    EXPECT_EQ(header(r, "Content-Type"), "application/json");
    EXPECT_EQ(json::parse(r.body), chat_request_body(call()));
    EXPECT_TRUE(slept.empty());
}

TEST(Complete, RetriesServerErrorsAndNetworkFailuresWithDoublingBackoff) {
    ScriptedClient client(
        {status(500, R"({"error":{"message":"overloaded"}})"), std::string("connect failed"), ok("Finally")});
    std::vector<std::chrono::milliseconds> slept;
    KeptLog log;
    auto result = complete(
        client, call(), [&](auto d) { slept.push_back(d); }, &log);
    EXPECT_EQ(result, json({{"reply", "Finally"}}));
    EXPECT_EQ(client.requests.size(), 3u);
    EXPECT_EQ(slept, (std::vector<std::chrono::milliseconds>{500ms, 1000ms}));
    ASSERT_EQ(log.lines.size(), 2u);
    EXPECT_NE(log.lines[0].find("overloaded"), std::string::npos);
    for (const auto& line : log.lines) EXPECT_EQ(line.find("sk-test-123456"), std::string::npos) << line;
}

TEST(Complete, GivesUpAfterTheRetriesWithTheLastReason) {
    ScriptedClient client({status(503), status(503), status(500, R"({"error":"still down"})")});
    std::vector<std::chrono::milliseconds> slept;
    auto result = complete(
        client, call(), [&](auto d) { slept.push_back(d); }, nullptr);
    EXPECT_EQ(result, json({{"error", "the provider answered HTTP 500: still down"}}));
    EXPECT_EQ(client.requests.size(), 3u);
}

TEST(Complete, DoesNotRetryClientErrorsAndNeverEchoesTheKey) {
    ScriptedClient client(
        {status(401, R"({"error":{"message":"Incorrect API key provided: sk-test-123456."}})")});
    auto result = complete(
        client, call(), [](auto) {}, nullptr);
    EXPECT_EQ(result, json({{"error", "the provider answered HTTP 401: Incorrect API key provided: ***."}}));
    EXPECT_EQ(client.requests.size(), 1u);
}

TEST(Complete, HonoursShortRetryAfterAndGivesUpOnLongOnes) {
    ScriptedClient client({status(429, "", {{"retry-after", "2"}}), ok("ok")});
    std::vector<std::chrono::milliseconds> slept;
    EXPECT_EQ(complete(
                  client, call(), [&](auto d) { slept.push_back(d); }, nullptr),
              json({{"reply", "ok"}}));
    EXPECT_EQ(slept, std::vector<std::chrono::milliseconds>{2000ms});

    ScriptedClient hours({status(429, "", {{"retry-after", "7200"}})});
    auto result = complete(
        hours, call(), [](auto) {}, nullptr);
    EXPECT_EQ(result, json({{"error", "the provider answered HTTP 429"}}));
    EXPECT_EQ(hours.requests.size(), 1u);
}

TEST(Complete, WithoutAKeySendsNoAuthorization) {
    ScriptedClient client({ok("local model")});
    CompletionCall c = call();
    c.api_key.clear();
    c.retries = 0;
    EXPECT_EQ(complete(
                  client, c, [](auto) {}, nullptr),
              json({{"reply", "local model"}}));
    EXPECT_EQ(header(client.requests[0], "Authorization"), "<absent>");
}

TEST(Complete, ARefusedEndpointIsNeitherCalledNorAskedAgain) {
    ScriptedClient client({ok("never sent")});
    std::vector<std::string> checked;
    std::vector<std::chrono::milliseconds> slept;
    KeptLog log;
    const auto result = complete(
        client, call(), [&](auto d) { slept.push_back(d); }, &log,
        [&](const std::string& url) -> std::vector<std::string> {
            checked.push_back(url);
            throw EndpointRefused("refused http://127.0.0.1:9: 127.0.0.1 is a loopback address");
        });
    EXPECT_EQ(result, json({{"error", "refused http://127.0.0.1:9: 127.0.0.1 is a loopback address"}}));
    EXPECT_EQ(checked, std::vector<std::string>{"http://127.0.0.1:9/v1/chat/completions"});
    EXPECT_TRUE(client.requests.empty());
    EXPECT_TRUE(slept.empty());
    EXPECT_EQ(log.lines,
              std::vector<std::string>{
                  "chat completion failed: refused http://127.0.0.1:9: 127.0.0.1 is a loopback address"});
}

TEST(Complete, ALookupThatFailsIsRetriedAsANetworkFailureAndEachAttemptIsChecked) {
    ScriptedClient client({ok("found it")});
    int checks = 0;
    std::vector<std::chrono::milliseconds> slept;
    const auto result = complete(
        client, call(), [&](auto d) { slept.push_back(d); }, nullptr,
        [&](const std::string&) {
            if (++checks == 1) throw std::runtime_error("resolving llm.example failed: try again");
            return std::vector<std::string>{"93.184.216.34", "2606:2800:220:1::1"};
        });
    EXPECT_EQ(result, json({{"reply", "found it"}}));
    EXPECT_EQ(checks, 2);
    EXPECT_EQ(client.requests.size(), 1u);
    // Sent where the check looked, not wherever a lookup of its own would lead.
    EXPECT_EQ(client.connected_to,
              (std::vector<std::vector<std::string>>{{"93.184.216.34", "2606:2800:220:1::1"}}));
    EXPECT_EQ(slept, std::vector<std::chrono::milliseconds>{500ms});
}

}  // namespace
}  // namespace profo::elements::dialog
