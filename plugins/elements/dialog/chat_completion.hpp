// One call to an OpenAI-compatible `POST {base_url}/chat/completions`: the
// request body, the reading of the answer, and the retry policy. The network
// goes through the host's sdk::HttpClient, and waiting between attempts through
// a function the caller gives, so all of it is tested without sockets or sleeps.
#pragma once

#include "dialog_prompt.hpp"
#include "endpoint_policy.hpp"

#include <profo/sdk/host.hpp>
#include <profo/sdk/http_client.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::elements::dialog {

struct CompletionCall {
    std::string base_url;  // ".../v1"; "/chat/completions" is appended
    std::string api_key;   // sent as "Authorization: Bearer ..."; never logged
    std::string model;
    std::vector<ChatTurn> messages;  // system prompt first
    std::optional<double> temperature;
    std::string reasoning_effort;  // "" leaves the provider's default
    std::chrono::milliseconds timeout{30000};
    int retries = 2;                         // attempts after the first
    std::chrono::milliseconds backoff{500};  // before the first retry; doubles each time
};

std::string chat_completions_url(std::string_view base_url);
nlohmann::json chat_request_body(const CompletionCall& call);

// A provider answer that is not a usable reply.
class CompletionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The assistant's text from a 2xx body: choices[0].message.content (a string
// or a list of text parts), or its `refusal`. Throws CompletionError.
std::string reply_from_body(const std::string& body);
// A short reason for a non-2xx answer: the provider's error.message when the
// body has one, else the status alone.
std::string error_from_response(int status, const std::string& body);
// 429, 5xx and network failures are worth another try; other 4xx are not.
bool is_retryable(int status);

using Sleep = std::function<void(std::chrono::milliseconds)>;
// Run on the request's URL before each attempt (an address may change
// between attempts): the addresses to connect to, all of them checked, or
// none for the client to resolve the host itself. Throws EndpointRefused
// when the call may not go there.
using EndpointCheck = std::function<std::vector<std::string>(const std::string& url)>;

// Runs the call with retries. Never throws: {"reply": text} or
// {"error": reason}, the reason free of the API key. Retries are logged as
// warnings without the key or the conversation. A refused endpoint ends the
// call at once: asking again would be refused again.
nlohmann::json complete(sdk::HttpClient& client, const CompletionCall& call, const Sleep& sleep,
                        sdk::Logger* log, const EndpointCheck& check = {});

}  // namespace profo::elements::dialog
