#include "chat_completion.hpp"

#include <profo/sdk/json_input.hpp>

#include <algorithm>
#include <exception>

namespace profo::elements::dialog {

namespace {

// A Retry-After longer than this is not waited for on a worker thread: the
// student is told to try again instead.
constexpr std::chrono::milliseconds kMaxRetryAfter{30000};

// Bytes of a provider's error message kept in the reason.
constexpr std::size_t kMaxErrorMessage = 300;

std::string without_secret(std::string text, const std::string& secret) {
    if (secret.empty()) return text;
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
        text.replace(at, secret.size(), "***");
    return text;
}

std::optional<std::chrono::milliseconds> retry_after(const sdk::HttpClientResponse& response) {
    for (const auto& [name, value] : response.headers) {
        if (name != "retry-after") continue;
        try {
            std::size_t used = 0;
            const long seconds = std::stol(value, &used);
            if (used == value.size() && seconds >= 0) return std::chrono::seconds(seconds);
        } catch (const std::exception&) {
        }
    }
    return std::nullopt;
}

}  // namespace

std::string chat_completions_url(std::string_view base_url) {
    std::string url(base_url);
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url + "/chat/completions";
}

nlohmann::json chat_request_body(const CompletionCall& call) {
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& turn : call.messages)
        messages.push_back({{"role", turn.role}, {"content", turn.content}});
    nlohmann::json body = {{"model", call.model}, {"messages", std::move(messages)}};
    if (call.temperature) body["temperature"] = *call.temperature;
    if (!call.reasoning_effort.empty()) body["reasoning_effort"] = call.reasoning_effort;
    return body;
}

std::string reply_from_body(const std::string& body) {
    const auto json = sdk::parse_json_input(body);
    if (json.is_discarded()) throw CompletionError("the provider's answer is not JSON");
    const auto choices = json.find("choices");
    if (choices == json.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object())
        throw CompletionError("the provider's answer has no choices");
    const auto& message = (*choices)[0].value("message", nlohmann::json::object());
    if (!message.is_object()) throw CompletionError("the provider's answer has no message");
    const auto content = message.find("content");
    if (content != message.end() && content->is_string() && !content->get<std::string>().empty())
        return content->get<std::string>();
    if (content != message.end() && content->is_array()) {
        std::string text;
        for (const auto& part : *content)
            if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
                part["text"].is_string())
                text += part["text"].get<std::string>();
        if (!text.empty()) return text;
    }
    const auto refusal = message.find("refusal");
    if (refusal != message.end() && refusal->is_string() && !refusal->get<std::string>().empty())
        return refusal->get<std::string>();
    throw CompletionError("the provider's answer is empty");
}

std::string error_from_response(int status, const std::string& body) {
    std::string reason = "the provider answered HTTP " + std::to_string(status);
    const auto json = sdk::parse_json_input(body);
    if (json.is_object() && json.contains("error")) {
        const auto& error = json["error"];
        std::string message;
        if (error.is_object() && error.contains("message") && error["message"].is_string())
            message = error["message"].get<std::string>();
        else if (error.is_string())
            message = error.get<std::string>();
        if (message.size() > kMaxErrorMessage) {
            // Cut between characters: the reason travels as JSON, which
            // refuses a torn UTF-8 sequence.
            std::size_t cut = kMaxErrorMessage;
            while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
            message = message.substr(0, cut) + "...";
        }
        if (!message.empty()) reason += ": " + message;
    }
    return reason;
}

bool is_retryable(int status) {
    return status == 429 || status == 408 || status >= 500;
}

nlohmann::json complete(sdk::HttpClient& client, const CompletionCall& call, const Sleep& sleep,
                        sdk::Logger* log, const EndpointCheck& check) {
    sdk::HttpClientRequest request;
    request.method = "POST";
    request.timeout = call.timeout;
    request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    if (!call.api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + call.api_key);
    std::string last_error;
    try {
        request.url = chat_completions_url(call.base_url);
        request.body = chat_request_body(call).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } catch (const std::exception& e) {
        return {{"error", without_secret(e.what(), call.api_key)}};
    }

    std::chrono::milliseconds delay = call.backoff;
    for (int attempt = 0;; ++attempt) {
        std::optional<std::chrono::milliseconds> server_delay;
        bool retryable = false;
        try {
            const std::vector<std::string> addresses =
                check ? check(request.url) : std::vector<std::string>{};
            const sdk::HttpClientResponse response =
                addresses.empty() ? client.send(request) : client.send_to(request, addresses);
            if (response.status >= 200 && response.status < 300) {
                try {
                    return {{"reply", reply_from_body(response.body)}};
                } catch (const CompletionError& e) {
                    // A malformed 2xx is a provider hiccup more often than a contract change.
                    last_error = e.what();
                    retryable = true;
                }
            } else {
                last_error = error_from_response(response.status, response.body);
                retryable = is_retryable(response.status);
                if (response.status == 429) server_delay = retry_after(response);
            }
        } catch (const EndpointRefused& e) {
            last_error = e.what();
        } catch (const std::exception& e) {
            last_error = e.what();
            retryable = true;
        }
        last_error = without_secret(last_error, call.api_key);
        if (!retryable || attempt >= call.retries) break;
        if (server_delay && *server_delay > kMaxRetryAfter) break;
        const auto wait = std::max(delay, server_delay.value_or(std::chrono::milliseconds(0)));
        if (log != nullptr)
            log->warn("chat completion attempt " + std::to_string(attempt + 1) + " of " +
                      std::to_string(call.retries + 1) + " failed (" + last_error + "); retrying in " +
                      std::to_string(wait.count()) + " ms");
        sleep(wait);
        delay *= 2;
    }
    if (log != nullptr) log->error("chat completion failed: " + last_error);
    return {{"error", last_error}};
}

}  // namespace profo::elements::dialog
