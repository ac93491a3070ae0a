#include "dialog_element.hpp"

#include <profo/sdk/json_input.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>
#include "chat_completion.hpp"
#include "dialog_prompt.hpp"

#include <profo/sdk/course_values.hpp>
#include <profo/sdk/text.hpp>

#include <algorithm>
#include <set>
#include <thread>

namespace profo::elements::dialog {

namespace {

const std::vector<std::string> kReasoningEfforts = {"minimal", "low", "medium", "high"};

void read_text(const nlohmann::json& settings, const char* key, std::string& into,
               std::vector<std::string>& problems) {
    const nlohmann::json* value = field_value(settings, key);
    if (value == nullptr) return;
    if (value->is_string())
        into = value->get<std::string>();
    else
        problems.push_back(std::string("'") + key + "' must be a string");
}

template <class T>
void read_number(const nlohmann::json& settings, const char* key, T& into, double min, double max,
                 std::vector<std::string>& problems) {
    const nlohmann::json* value = field_value(settings, key);
    if (value == nullptr) return;
    const auto n = sdk::course_number(*value);
    if (!n || *n < min || *n > max) {
        problems.push_back(std::string("'") + key + "' must be a number from " + std::to_string(min) +
                           " to " + std::to_string(max));
        return;
    }
    into = static_cast<T>(*n);
}

sdk::OutAction reply_action(const DialogSpec& spec, std::string text) {
    sdk::OutAction action;
    action.text = std::move(text);
    action.parse_mode = spec.reply_parse_mode;
    action.link_preview = spec.style.link_preview;
    return action;
}

sdk::OutAction plain_action(std::string text) {
    sdk::OutAction action;
    action.text = std::move(text);
    return action;
}

}  // namespace

bool is_loopback_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string_view authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) return false;  // no userinfo tricks
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
        host = host.substr(0, host.find(']') + 1);
        return host == "[::1]";
    }
    host = host.substr(0, host.find(':'));
    if (host == "localhost") return true;
    // 127.0.0.0/8, written as four decimal parts.
    if (host.substr(0, 4) != "127.") return false;
    int parts = 0;
    std::size_t digits = 0;
    for (const char c : host) {
        if (c == '.') {
            if (digits == 0 || digits > 3) return false;
            ++parts;
            digits = 0;
        } else if (c >= '0' && c <= '9') {
            ++digits;
        } else {
            return false;
        }
    }
    return parts == 3 && digits > 0 && digits <= 3;
}

DialogSettings read_settings(const nlohmann::json& settings, std::vector<std::string>& problems) {
    DialogSettings out;
    if (!settings.is_object()) {
        if (!settings.is_null()) problems.push_back("settings must be a mapping");
        return out;
    }
    read_text(settings, "base_url", out.base_url, problems);
    read_text(settings, "api_key", out.api_key, problems);
    read_text(settings, "api_key_sealed", out.api_key_sealed, problems);
    read_text(settings, "model", out.model, problems);
    read_text(settings, "error_text", out.error_text, problems);
    read_text(settings, "voice_unsupported_text", out.voice_unsupported_text, problems);
    if (const nlohmann::json* t = field_value(settings, "temperature")) {
        const auto n = sdk::course_number(*t);
        if (n && *n >= 0 && *n <= 2)
            out.temperature = *n;
        else
            problems.push_back("'temperature' must be a number from 0 to 2");
    }
    long timeout = out.timeout.count(), backoff = out.retry_backoff.count();
    read_number(settings, "timeout_ms", timeout, 1, 600000, problems);
    read_number(settings, "retries", out.retries, 0, 10, problems);
    read_number(settings, "retry_backoff_ms", backoff, 0, 60000, problems);
    out.timeout = std::chrono::milliseconds(timeout);
    out.retry_backoff = std::chrono::milliseconds(backoff);
    const std::string scheme = out.base_url.substr(0, out.base_url.find("://"));
    if (scheme != "https" && !(scheme == "http" && is_loopback_url(out.base_url))) {
        problems.push_back(
            "'base_url' must be an https:// URL (http:// only on this machine: 127.0.0.1, localhost, [::1])");
        out.base_url = DialogSettings{}.base_url;
    }
    return out;
}

PrivateAddresses read_private_addresses(const nlohmann::json& operator_settings,
                                        std::vector<std::string>& problems) {
    const nlohmann::json* value =
        operator_settings.is_object() ? field_value(operator_settings, kAllowPrivateAddresses) : nullptr;
    if (value == nullptr) return PrivateAddresses::refused;
    if (value->is_string() && value->get<std::string>() == "platform")
        return PrivateAddresses::platform_endpoint;
    if (const auto flag = sdk::truthy(*value))
        return *flag ? PrivateAddresses::every_endpoint : PrivateAddresses::refused;
    problems.push_back("'" + std::string(kAllowPrivateAddresses) + "' must be true, false or platform");
    return PrivateAddresses::refused;
}

std::vector<std::string> DialogElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json DialogElement::json_schema() const {
    nlohmann::json turn = {
        {"type", "object"},
        {"description", "{role: system|user|assistant, content: ...}, or {user: ...} / {assistant: ...}"}};
    nlohmann::json properties = {
        {"text", text_schema("Sent when the dialog starts.")},
        {"prompt",
         text_schema(
             "The system prompt. {{element_id}} is that element's text and dialog so far, {{N]id}} its first "
             "N messages, {{id[M}} its last M; <!-- comments --> are removed.")},
        {"model",
         {{"type", "string"}, {"description", "The model; the plugin's `model` setting when absent."}}},
        {"temperature",
         {{"type", "number"}, {"minimum", 0}, {"maximum", 2}, {"description", "Sampling temperature."}}},
        {"reasoning",
         {{"type", "string"},
          {"enum", kReasoningEfforts},
          {"description", "Reasoning effort for reasoning models (sent as reasoning_effort)."}}},
        {"conversation",
         {{"type", "array"}, {"items", turn}, {"description", "Turns put before the student's."}}},
        {"auto_start", flag_schema("The model speaks first")},
        {"max_messages",
         {{"type", "integer"},
          {"minimum", 1},
          {"description", "At most this many of the latest dialog messages are sent to the model."}}},
        {"voice_response", flag_schema("Answer with voice (text until a speech provider is configured)")},
        {"tts_voice", text_schema("Voice for spoken answers.")},
        {"tts_model", text_schema("Speech model for spoken answers.")},
        {"tts_speed",
         {{"type", "number"}, {"minimum", 0.25}, {"maximum", 4}, {"description", "Speech speed."}}},
        {"transcription_language", text_schema("Language of the student's voice messages (ISO 639-1).")},
    };
    return element_schema("dialog", "A conversation with an AI model until it answers {STOP}.",
                          std::move(properties), {"text", "prompt"}, CommonFields::formatting);
}

std::unique_ptr<sdk::ElementSpec> DialogElement::compile(const nlohmann::json& fields,
                                                         const sdk::CourseOutline& course,
                                                         sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    check_common_fields(fields, CommonFields::formatting, checked);
    check_text(fields, "text", Presence::required, checked);
    PromptTemplate prompt;
    if (check_text(fields, "prompt", Presence::required, checked)) {
        prompt = compile_prompt(text_field(fields, "prompt").value_or(""));
        for (const auto& v : prompt.variables)
            if (!course.has_element(v.element_id))
                checked.warning("prompt",
                                "'prompt' uses {{" + v.element_id +
                                    "}}, which is not an element of this course: it stays as written");
    }
    const nlohmann::json* model = field_value(fields, "model");
    if (model && (!model->is_string() || model->empty()))
        checked.error("model", "'model' must be a model name, not " + shown(*model));
    const nlohmann::json* temperature = field_value(fields, "temperature");
    const auto temperature_value = temperature ? sdk::course_number(*temperature) : std::nullopt;
    if (temperature && (!temperature_value || *temperature_value < 0 || *temperature_value > 2))
        checked.error("temperature",
                      "'temperature' must be a number from 0 to 2, not " + shown(*temperature));
    const nlohmann::json* reasoning = field_value(fields, "reasoning");
    if (reasoning) {
        const bool known =
            reasoning->is_string() && std::find(kReasoningEfforts.begin(), kReasoningEfforts.end(),
                                                reasoning->get<std::string>()) != kReasoningEfforts.end();
        if (!known)
            checked.error("reasoning",
                          "'reasoning' must be minimal, low, medium or high, not " + shown(*reasoning));
    }
    const nlohmann::json* conversation = field_value(fields, "conversation");
    if (conversation) {
        if (!conversation->is_array()) {
            checked.error("conversation",
                          "'conversation' must be a list of turns, not " + shown(*conversation));
        } else {
            for (std::size_t i = 0; i < conversation->size(); ++i) {
                const std::string problem = seed_item_problem((*conversation)[i]);
                const std::string path = "conversation[" + std::to_string(i) + "]";
                if (!problem.empty()) checked.error(path, "'" + path + "' " + problem);
            }
        }
    }
    check_flag(fields, "auto_start", checked);
    check_flag(fields, "voice_response", checked);
    const nlohmann::json* max_messages = field_value(fields, "max_messages");
    const auto max_messages_value = max_messages ? sdk::course_whole_number(*max_messages) : std::nullopt;
    if (max_messages && (!max_messages_value || *max_messages_value < 1))
        checked.error("max_messages",
                      "'max_messages' must be a whole number of at least 1, not " + shown(*max_messages));
    for (const char* key : {"tts_voice", "tts_model", "transcription_language"})
        check_text(fields, key, Presence::optional, checked);
    if (const nlohmann::json* s = field_value(fields, "tts_speed");
        s && (!sdk::course_number(*s) || *sdk::course_number(*s) < 0.25 || *sdk::course_number(*s) > 4))
        checked.error("tts_speed", "'tts_speed' must be a number from 0.25 to 4, not " + shown(*s));
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<DialogSpec>();
    spec->style = message_style(fields);
    spec->text = text_field(fields, "text").value_or("");
    const nlohmann::json* mode = field_value(fields, "parse_mode");
    spec->reply_parse_mode = mode && mode->is_string() && mode->get<std::string>() == "HTML!" ? "HTML" : "";
    spec->prompt = std::move(prompt);
    if (model) spec->model = model->get<std::string>();
    if (temperature) spec->temperature = *temperature_value;
    if (reasoning) spec->reasoning_effort = reasoning->get<std::string>();
    if (conversation) spec->conversation = seed_turns(*conversation);
    spec->auto_start = flag_field(fields, "auto_start", false);
    if (max_messages) spec->max_messages = static_cast<std::size_t>(*max_messages_value);
    return spec;
}

void DialogElement::start(sdk::ElementHost& host) {
    std::vector<std::string> problems;
    const DialogSettings platform = read_settings(host.settings(), problems);
    private_addresses_ = read_private_addresses(host.settings(), problems);
    platform_base_url_ = platform.base_url;
    if (!problems.empty()) {
        std::string all = "bad settings for the dialog element:";
        for (const auto& p : problems) all += " " + p + ";";
        throw std::runtime_error(all);
    }
    client_ = &host.http_client();
    log_ = &host.log();
    secrets_ = &host.secrets();
    // Said once at start rather than only in each refused call's log line;
    // a warning, since deployments with a base_url of their own still work.
    if (const auto problem =
            literal_endpoint_problem(platform.base_url, private_addresses_ != PrivateAddresses::refused);
        !problem.empty())
        log_->warn("dialog base_url: every call of the platform's own endpoint will be " + problem);
}

sdk::Outcome DialogElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<DialogSpec>();
    ctx.state() = {{"pending", false}, {"queued", false}};
    ctx.send(text_action(spec.style, spec.text));
    if (spec.auto_start) {
        std::vector<std::string> problems;
        const DialogSettings settings = read_settings(ctx.settings(), problems);
        for (const auto& p : problems) ctx.log().warn("dialog settings: " + p);
        ask(ctx, settings, std::nullopt);
    }
    return sdk::Outcome::wait();
}

sdk::Outcome DialogElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    std::vector<std::string> problems;
    const DialogSettings settings = read_settings(ctx.settings(), problems);
    for (const auto& p : problems) ctx.log().warn("dialog settings: " + p);
    nlohmann::json& state = ctx.state();
    if (!state.is_object()) state = {{"pending", false}, {"queued", false}};

    switch (event.kind) {
        case sdk::Event::Kind::text: {
            if (sdk::trim(event.text).empty()) return sdk::Outcome::wait();
            const bool pending = state.value("pending", false);
            nlohmann::json payload = {{"text", event.text}};
            if (pending) payload["queued"] = true;
            ctx.record("user", payload);
            if (pending)
                state["queued"] = true;  // answered once the pending completion is back
            else
                ask(ctx, settings, std::nullopt);
            return sdk::Outcome::wait();
        }
        case sdk::Event::Kind::voice:
            // No transcription provider is wired into the SDK yet: keep the
            // message in the history and ask for text.
            ctx.record("user", {{"voice", event.data}});
            ctx.send(plain_action(settings.voice_unsupported_text));
            return sdk::Outcome::wait();
        case sdk::Event::Kind::deferred: return on_answer(ctx, settings, event.data);
        case sdk::Event::Kind::timer: {
            // The pause after an interrupted call is over: ask again, with
            // whatever the student wrote meanwhile.
            const auto payload = sdk::parse_json_input(event.data);
            if (!payload.is_object() || !payload.contains("ask_again") || !state.value("pending", false))
                return sdk::Outcome::wait();
            ask(ctx, settings, std::nullopt);
            return sdk::Outcome::wait();
        }
        default: return sdk::Outcome::ignored();
    }
}

sdk::Outcome DialogElement::on_answer(sdk::ElementContext& ctx, const DialogSettings& settings,
                                      const std::string& data) {
    const auto& spec = ctx.spec_as<DialogSpec>();
    nlohmann::json& state = ctx.state();
    const auto result = sdk::parse_json_input(data);
    const bool has_reply = result.is_object() && result.contains("reply") && result["reply"].is_string();
    if (!has_reply) {
        std::string reason = "unreadable result";
        if (result.is_object() && result.contains("error") && result["error"].is_string())
            reason = result["error"].get<std::string>();
        const int interruptions = state.value("interruptions", 0);
        // The call never finished (a restart, a result that could not be
        // stored): nobody asked the model yet, so asking again costs one call.
        // A plain error already had its retries inside the call.
        if (sdk::is_interrupted(result) && interruptions < settings.retries) {
            const auto pause = settings.retry_backoff * (1 << std::min(interruptions, 20));
            ctx.log().warn("dialog " + ctx.element_id() + ": " + reason + "; asking the model again in " +
                           std::to_string(pause.count()) + " ms");
            state["interruptions"] = interruptions + 1;
            // A durable timer, so a second crash does not lose the retry either.
            ctx.schedule(ctx.now() + pause, {{"ask_again", interruptions + 1}});
            return sdk::Outcome::wait();
        }
        ctx.log().warn("dialog " + ctx.element_id() + ": no answer from the model: " + reason);
        // The student's messages stay in the history: the next one resends them all.
        state["pending"] = false;
        state["queued"] = false;
        state["interruptions"] = 0;
        ctx.send(plain_action(settings.error_text));
        return sdk::Outcome::wait();
    }
    state["pending"] = false;
    state["interruptions"] = 0;
    const StopCheck stop = check_stop(result["reply"].get<std::string>());
    if (stop.stop) {
        if (!stop.text.empty()) ctx.send(reply_action(spec, stop.text));
        return sdk::Outcome::next();
    }
    if (!stop.text.empty()) ctx.send(reply_action(spec, stop.text));
    if (state.value("queued", false)) {
        state["queued"] = false;
        ask(ctx, settings, stop.text);
    }
    return sdk::Outcome::wait();
}

void DialogElement::ask(sdk::ElementContext& ctx, const DialogSettings& settings,
                        const std::optional<std::string>& unrecorded_reply) {
    const auto& spec = ctx.spec_as<DialogSpec>();
    const auto history = ctx.history();

    CompletionCall call;
    call.base_url = settings.base_url;
    call.api_key = settings.api_key;
    call.model = spec.model.value_or(settings.model);
    call.temperature = spec.temperature ? spec.temperature : settings.temperature;
    call.reasoning_effort = spec.reasoning_effort;
    call.timeout = settings.timeout;
    call.retries = settings.retries;
    call.backoff = settings.retry_backoff;

    const std::string system = render_prompt(
        spec.prompt, [&ctx](const std::string& id) { return ctx.element_source(id); }, history);
    call.messages.push_back({"system", system});
    call.messages.insert(call.messages.end(), spec.conversation.begin(), spec.conversation.end());
    const std::set<std::string> service_texts = {spec.text, settings.error_text,
                                                 settings.voice_unsupported_text};
    auto turns = dialog_turns(history, ctx.element_id(), ctx.attempt(), service_texts, unrecorded_reply);
    if (spec.max_messages && turns.size() > *spec.max_messages)
        turns.erase(turns.begin(), turns.end() - static_cast<std::ptrdiff_t>(*spec.max_messages));
    for (auto& turn : turns) call.messages.push_back(std::move(turn));

    sdk::OutAction typing;
    typing.kind = sdk::OutAction::Kind::typing;
    ctx.send(typing);
    ctx.state()["pending"] = true;
    // This call carries every message recorded so far, queued ones included.
    ctx.state()["queued"] = false;

    sdk::HttpClient* client = client_;
    sdk::Logger* log = log_;
    const sdk::SecretBox* secrets = secrets_;
    // From the operator's config alone (start()), whatever the deployment
    // overrides. A deployment that names the platform's own endpoint calls
    // only what the operator chose.
    const bool allow_private = private_addresses_ == PrivateAddresses::every_endpoint ||
                               (private_addresses_ == PrivateAddresses::platform_endpoint &&
                                settings.base_url == platform_base_url_);
    Resolver resolve = resolve_;
    const std::string sealed = settings.api_key_sealed;
    // A deployment's key opens only under its own row's context; the
    // platform's under the setting's.
    const std::string context =
        ctx.sealed_setting_context("api_key_sealed").value_or(std::string(kApiKeySealedContext));
    ctx.defer([client, log, secrets, sealed, context, allow_private, resolve = std::move(resolve),
               call = std::move(call)]() mutable -> nlohmann::json {
        if (client == nullptr) return {{"error", "the dialog plugin was not started"}};
        if (call.api_key.empty() && !sealed.empty()) {
            if (secrets == nullptr) return {{"error", "api_key_sealed needs the platform's secrets"}};
            try {
                call.api_key = secrets->open(sealed, context);
            } catch (const std::exception&) {
                return {{"error", "api_key_sealed cannot be opened with this platform's secrets key"}};
            }
        }
        // The back-off sleeps right here, on the engine's pool for blocking
        // calls (engine.deferred.threads): it holds only other provider calls,
        // never HTTP handlers or storage work, and is bounded by `retries` and
        // kMaxRetryAfter. Retrying through durable timers instead would cost
        // a transaction per attempt and need the scheduler, which `profo
        // course play` does not run.
        //
        // The client connects to the addresses checked, not to what a second
        // lookup of the host would give (DNS rebinding).
        return complete(
            *client, call, [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }, log,
            [&](const std::string& url) {
                std::vector<std::string> addresses;
                for (const auto& address : check_endpoint(url, allow_private, resolve))
                    addresses.push_back(to_string(address));
                return addresses;
            });
    });
}

}  // namespace profo::elements::dialog
