#include "miniapp_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/course_values.hpp>

#include <algorithm>

namespace profo::elements::miniapp {

namespace {

constexpr const char* kDefaultButton = "Open";
constexpr const char* kDefaultCorrect = "Correct!";
constexpr const char* kDefaultIncorrect = "Incorrect.";

const nlohmann::json& object_field(const nlohmann::json& spec, const char* name) {
    static const nlohmann::json kEmpty = nlohmann::json::object();
    const nlohmann::json* value = field_value(spec, name);
    return value != nullptr && value->is_object() ? *value : kEmpty;
}

std::string question_type(const nlohmann::json& spec) {
    return text_field(object_field(spec, "question"), "type").value_or("multiple_choice");
}

std::vector<std::string> option_texts(const nlohmann::json& question) {
    std::vector<std::string> out;
    const nlohmann::json* options = field_value(question, "options");
    if (options == nullptr || !options->is_array()) return out;
    for (const auto& option : *options) {
        if (is_text(option))
            out.push_back(sdk::scalar_text(option).value_or(""));
        else if (auto text = text_field(option, "text"))
            out.push_back(*text);
    }
    return out;
}

std::string setting_text(const nlohmann::json& settings, const char* key) {
    const nlohmann::json* value = field_value(settings, key);
    return value != nullptr && value->is_string() ? value->get<std::string>() : std::string{};
}

}  // namespace

std::optional<RefTarget> find_in_storage(sdk::Storage& storage, const QuestionRef& ref) {
    auto tx = storage.begin();
    auto run = tx->get_run(ref.account_id, ref.run_id);
    if (!run) return std::nullopt;
    // The engine fixes the version a run plays when it starts (docs/course-runtime.md);
    // the deployment may have moved on since.
    sdk::Id version = 0;
    const auto state = nlohmann::json::parse(run->state_json, nullptr, /*allow_exceptions=*/false);
    if (state.is_object() && state.contains("version") && state["version"].is_number_integer())
        version = state["version"].get<sdk::Id>();
    if (version == 0) {
        const auto deployment = tx->get_deployment(ref.account_id, run->deployment_id);
        if (!deployment) return std::nullopt;
        version = deployment->version_id;
    }
    for (const auto& element : tx->version_elements(ref.account_id, version)) {
        if (element.element_id != ref.element_id) continue;
        if (element.type != "miniapp" && element.type != "miniapptest") return std::nullopt;
        auto body = nlohmann::json::parse(element.body_json, nullptr, /*allow_exceptions=*/false);
        if (body.is_discarded()) return std::nullopt;
        return RefTarget{std::move(*run), std::move(body)};
    }
    return std::nullopt;
}

std::vector<std::string> MiniappElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json MiniappElement::json_schema() const {
    nlohmann::json option = {{"type", {"object", "string", "number"}},
                             {"description", "An option: {text: ...} or the text itself."}};
    nlohmann::json properties = {
        {"text", text_schema("Sent with the button that opens the Mini App.")},
        {"button", text_schema("The label of the web_app button.")},
        {"app_url",
         {{"type", "string"},
          {"pattern", "^https://"},
          {"description", "The Mini App (HTTPS); ?q=<question ref> is added to it."}}},
        {"question",
         {{"type", "object"},
          {"description", "What the app shows: type, text, options. Served by GET /miniapp/question."},
          {"properties",
           {{"type", {{"enum", {"multiple_choice", "typein"}}}},
            {"text", text_schema("The question.")},
            {"options", {{"type", "array"}, {"items", option}}}}},
          {"required", {"type", "text"}}}},
        {"answer",
         {{"type", "object"},
          {"description", "The expected answer and the feedback."},
          {"properties",
           {{"actual", text_schema("The correct answer (typein compares ignoring case).")},
            {"correct_feedback", text_schema("Sent for a right answer; \"Correct!\" when absent.")},
            {"incorrect_feedback", text_schema("Sent for a wrong answer; \"Incorrect.\" when absent.")}}},
          {"required", {"actual"}}}},
    };
    return element_schema("miniapp", "A question answered in a Telegram Mini App; scores 1 or 0.",
                          std::move(properties), {"text", "button", "app_url", "question", "answer"},
                          CommonFields::formatting);
}

void MiniappElement::validate(const nlohmann::json& spec, const sdk::CourseOutline&,
                              sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_common_fields(spec, CommonFields::formatting, report);
    check_text(spec, "text", Presence::required, report);
    check_text(spec, "button", Presence::required, report);

    const nlohmann::json* url = field_value(spec, "app_url");
    if (url == nullptr)
        report.error("app_url", "'app_url' is required");
    else if (!url->is_string() || url->get<std::string>().rfind("https://", 0) != 0 ||
             url->get<std::string>().size() <= 8)
        report.error(
            "app_url",
            "'app_url' must be an https:// URL (Telegram opens only HTTPS Mini Apps), not " + shown(*url));

    const nlohmann::json* question = field_value(spec, "question");
    std::vector<std::string> options;
    std::string type;
    if (question == nullptr) {
        report.error("question", "'question' is required");
    } else if (!question->is_object()) {
        report.error("question",
                     "'question' must be a mapping with type, text and options, not " + shown(*question));
    } else {
        const nlohmann::json* t = field_value(*question, "type");
        if (t == nullptr)
            report.error("question.type", "'question.type' is required");
        else if (!t->is_string() || (*t != "multiple_choice" && *t != "typein"))
            report.error("question.type",
                         "'question.type' must be multiple_choice or typein, not " + shown(*t));
        else
            type = t->get<std::string>();
        check_text(*question, "text", Presence::required, report, "question.");
        const nlohmann::json* opts = field_value(*question, "options");
        if (opts != nullptr && !opts->is_array()) {
            report.error("question.options", "'question.options' must be a list, not " + shown(*opts));
        } else if (opts != nullptr) {
            for (std::size_t i = 0; i < opts->size(); ++i) {
                const auto& o = (*opts)[i];
                if (!is_text(o) && !(o.is_object() && text_field(o, "text"))) {
                    const std::string path = "question.options[" + std::to_string(i) + "]";
                    report.error(path, "'" + path + "' must be text or {text: ...}, not " + shown(o));
                }
            }
            options = option_texts(*question);
        }
        if (type == "multiple_choice" && options.size() < 2)
            report.error("question.options",
                         "'question.options' needs at least 2 options for multiple_choice");
    }

    const nlohmann::json* answer = field_value(spec, "answer");
    if (answer == nullptr) {
        report.error("answer", "'answer' is required");
    } else if (!answer->is_object()) {
        report.error("answer", "'answer' must be a mapping with actual and feedback, not " + shown(*answer));
    } else {
        if (check_text(*answer, "actual", Presence::required, report, "answer.") &&
            type == "multiple_choice" && options.size() >= 2) {
            const std::string actual = *text_field(*answer, "actual");
            const bool listed = std::any_of(options.begin(), options.end(), [&](const std::string& o) {
                return answer_matches(o, actual, "multiple_choice");
            });
            if (!listed)
                report.warning("answer.actual", "'answer.actual' " + shown(actual) +
                                                    " is none of the options: no choice can be right");
        }
        check_text(*answer, "correct_feedback", Presence::optional, report, "answer.");
        check_text(*answer, "incorrect_feedback", Presence::optional, report, "answer.");
        warn_unknown_fields(*answer, {"actual", "correct_feedback", "incorrect_feedback"}, "answer.", report);
    }
}

void MiniappElement::start(sdk::HostApi& host) {
    MiniappBackend backend;
    const nlohmann::json* age = field_value(host.settings(), "init_data_max_age_s");
    if (age != nullptr) {
        if (!age->is_number_integer() || age->get<long long>() < 1)
            throw std::runtime_error(
                "miniapp setting 'init_data_max_age_s' must be a whole number of seconds");
        backend.init_data_max_age = std::chrono::seconds(age->get<long long>());
    }
    // Storage and the engine are looked up per request: the host creates them
    // on first use, and a plugin is started before either is needed.
    sdk::HostApi* api = &host;
    backend.find = [api](const QuestionRef& ref) { return find_in_storage(api->storage(), ref); };
    backend.bot_token = [api](const sdk::Run& run) {
        auto tx = api->storage().begin();
        const auto bot = tx->get_bot(run.account_id, run.bot_id);
        if (!bot) throw std::runtime_error("the run's bot is gone");
        return api->secrets().open(bot->token_sealed);
    };
    backend.dispatch = [api](const sdk::InboundEvent& e) { return api->engine().dispatch(e); };
    backend.now = [api] { return api->clock().now(); };

    auto& routes = host.http();
    routes.add("GET", "/miniapp/question",
               [backend](const sdk::HttpRequest& r) { return question_endpoint(backend, r); });
    routes.add("POST", "/miniapp/answer",
               [backend](const sdk::HttpRequest& r) { return answer_endpoint(backend, r); });
    routes.add("OPTIONS", "/miniapp/answer", preflight_endpoint);
    routes.add("OPTIONS", "/miniapp/question", preflight_endpoint);
}

sdk::Outcome MiniappElement::enter(sdk::ElementContext& ctx) {
    const nlohmann::json& spec = ctx.spec();
    const QuestionRef ref{ctx.run().account_id, ctx.run().id, ctx.attempt(), ctx.element_id()};
    sdk::OutAction action = text_action(spec, text_field(spec, "text").value_or(""));
    action.buttons.push_back({text_field(spec, "button").value_or(kDefaultButton),
                              app_link(text_field(spec, "app_url").value_or(""), ref,
                                       setting_text(ctx.settings(), "public_url"))});
    ctx.send(action);
    return sdk::Outcome::wait();
}

sdk::Outcome MiniappElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::web_app_data) return sdk::Outcome::ignored();
    const SubmittedAnswer submitted = read_submitted(event.data);
    // An answer posted for an earlier visit (an old button) is not this one's.
    if (submitted.ref &&
        (submitted.ref->run_id != ctx.run().id || submitted.ref->element_id != ctx.element_id() ||
         submitted.ref->attempt != ctx.attempt()))
        return sdk::Outcome::ignored();

    const nlohmann::json& spec = ctx.spec();
    const nlohmann::json& answer = object_field(spec, "answer");
    const bool correct =
        answer_matches(submitted.answer, text_field(answer, "actual").value_or(""), question_type(spec));
    ctx.record("user", {{"answer", submitted.answer}, {"correct", correct}}, correct ? 1.0 : 0.0, 1.0);
    const std::string feedback = correct
                                     ? text_field(answer, "correct_feedback").value_or(kDefaultCorrect)
                                     : text_field(answer, "incorrect_feedback").value_or(kDefaultIncorrect);
    send_text(ctx, feedback);
    return sdk::Outcome::next();
}

}  // namespace profo::elements::miniapp
