// The `dialog` element: a conversation with an OpenAI-compatible model until
// the model says `{STOP}` (or `#конецдиалога`). The model is called through
// ctx.defer(), so no storage transaction waits on the network; its answer
// comes back as Event::deferred. What the dialog remembers between events is
// only `pending` / `queued` / `interruptions` in its state: the turns
// themselves are the run's history.
#pragma once

#include <profo/sdk/toolkit/element_messages.hpp>
#include "dialog_prompt.hpp"
#include "endpoint_policy.hpp"

#include <profo/sdk/element.hpp>
#include <profo/sdk/http_client.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace profo::elements::dialog {

// The SecretBox context of the platform's own `api_key_sealed` (from the
// config). A deployment's key is sealed for that deployment's row instead
// (ElementContext::sealed_setting_context), so it opens nowhere else.
inline constexpr std::string_view kApiKeySealedContext = "settings.element/dialog.api_key_sealed";

// `plugins.element.dialog.settings`, merged by the engine with a deployment's
// overrides. Numbers may arrive as strings (environment overrides).
struct DialogSettings {
    std::string base_url = "https://api.openai.com/v1";
    std::string api_key;         // plain; usually from PROFO_PLUGINS_ELEMENT_DIALOG_SETTINGS_API_KEY
    std::string api_key_sealed;  // or sealed with the platform's SecretBox, kept encrypted at rest
    std::string model = "gpt-4o-mini";
    std::optional<double> temperature;
    std::chrono::milliseconds timeout{30000};
    int retries = 2;
    std::chrono::milliseconds retry_backoff{500};
    std::string error_text = "Sorry, I could not answer right now, please try again.";
    std::string voice_unsupported_text =
        "Sorry, I can't listen to voice messages here. Please send your message as text.";
};

// Unusable values keep their defaults and are described in `problems`.
// Whether `url` names this machine (127.0.0.0/8, localhost, [::1]): the only
// place plain http:// may carry a conversation and a key.
bool is_loopback_url(std::string_view url);

DialogSettings read_settings(const nlohmann::json& settings, std::vector<std::string>& problems);

// Which endpoints may be at loopback and private addresses: the operator's
// `allow_private_addresses`, false (none, the default), true (every one,
// deployments' included) or `platform` (the platform's own base_url only, so
// a model on the operator's network does not open that network to tenants).
enum class PrivateAddresses { refused, every_endpoint, platform_endpoint };
// Read from HostApi::settings() only, which is the operator's config alone: a
// deployment's overrides reach ctx.settings(), never this.
PrivateAddresses read_private_addresses(const nlohmann::json& operator_settings,
                                        std::vector<std::string>& problems);

// A dialog's fields, checked. The voice fields (voice_response, tts_*,
// transcription_language) are accepted but not kept: no speech provider
// exists in the SDK yet, so nothing at run time reads them.
struct DialogSpec final : sdk::ElementSpec {
    MessageStyle style;  // of `text`
    std::string text;
    // Replies are plain text unless the course says `HTML!`: model output is
    // full of characters that legacy Markdown would reject.
    std::string reply_parse_mode;
    PromptTemplate prompt;
    std::optional<std::string> model;  // the settings' model otherwise
    std::optional<double> temperature;
    std::string reasoning_effort;  // "" leaves the provider's default
    std::vector<ChatTurn> conversation;
    bool auto_start = false;
    std::optional<std::size_t> max_messages;
};

class DialogElement final : public sdk::ElementPlugin {
public:
    DialogElement() = default;
    // Tests resolve host names without DNS.
    explicit DialogElement(Resolver resolve) : resolve_(std::move(resolve)) {}

    std::string type() const override { return "dialog"; }
    std::vector<std::string> fields() const override;
    std::vector<std::string> overridable_settings() const override {
        return {"base_url", "api_key_sealed", "model", "temperature", "error_text", "voice_unsupported_text"};
    }
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& fields, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;

    // Uses only the HostApi part of the host: settings, HTTP client, secrets, log.
    void start(sdk::ElementHost& host) override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;

private:
    // Shows "typing" and defers one completion over the dialog so far.
    void ask(sdk::ElementContext& ctx, const DialogSettings& settings,
             const std::optional<std::string>& unrecorded_reply);
    sdk::Outcome on_answer(sdk::ElementContext& ctx, const DialogSettings& settings, const std::string& data);

    sdk::HttpClient* client_ = nullptr;
    sdk::Logger* log_ = nullptr;
    const sdk::SecretBox* secrets_ = nullptr;
    Resolver resolve_ = system_resolve;
    PrivateAddresses private_addresses_ = PrivateAddresses::refused;
    std::string platform_base_url_;
};

}  // namespace profo::elements::dialog
