// The `dialog` element: a conversation with an OpenAI-compatible model until
// the model says `{STOP}` (or `#конецдиалога`). The model is called through
// ctx.defer(), so no storage transaction waits on the network; its answer
// comes back as Event::deferred. What the dialog remembers between events is
// only `pending` / `queued` in its state: the turns themselves are the run's
// history.
#pragma once

#include <profo/sdk/element.hpp>
#include <profo/sdk/http_client.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace profo::elements::dialog {

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
DialogSettings read_settings(const nlohmann::json& settings, std::vector<std::string>& problems);

class DialogElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "dialog"; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    void validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                  sdk::ValidationReport& report) const override;

    void start(sdk::HostApi& host) override;
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
};

}  // namespace profo::elements::dialog
