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

std::unique_ptr<sdk::ElementSpec> MiniappElement::compile(const nlohmann::json& spec,
                                                          const sdk::CourseOutline&,
                                                          sdk::ValidationReport& outer) const {
    ErrorCountingReport report(outer);
    if (!check_mapping(spec, report)) return nullptr;
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
    if (report.has_errors()) return nullptr;

    auto out = std::make_unique<MiniappSpec>();
    out->style = message_style(spec);
    out->text = text_field(spec, "text").value_or("");
    out->button = text_field(spec, "button").value_or(kDefaultButton);
    out->app_url = text_field(spec, "app_url").value_or("");
    out->question_type = type;
    const nlohmann::json& answer_fields = object_field(spec, "answer");
    out->actual = text_field(answer_fields, "actual").value_or("");
    out->correct_feedback = text_field(answer_fields, "correct_feedback").value_or(kDefaultCorrect);
    out->incorrect_feedback = text_field(answer_fields, "incorrect_feedback").value_or(kDefaultIncorrect);
    return out;
}

void MiniappElement::start(sdk::ElementHost& host) {
    MiniappBackend backend;
    const nlohmann::json* age = field_value(host.settings(), "init_data_max_age_s");
    if (age != nullptr) {
        if (!age->is_number_integer() || age->get<long long>() < 1)
            throw std::runtime_error(
                "miniapp setting 'init_data_max_age_s' must be a whole number of seconds");
        backend.init_data_max_age = std::chrono::seconds(age->get<long long>());
    }
    // The engine is looked up per request: the host creates it on first use,
    // and a plugin is started before it is needed.
    sdk::ElementHost* api = &host;
    backend.find = [api](const QuestionRef& ref) {
        return api->engine().run_element(ref.account_id, ref.run_id, ref.element_id);
    };
    const auto max_age = backend.init_data_max_age;
    backend.check_init_data = [api, max_age](const sdk::Run& run, std::string_view init_data) {
        return api->telegram().check_web_app_init_data(run.account_id, run.bot_id, init_data, max_age);
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
    const auto& spec = ctx.spec_as<MiniappSpec>();
    const std::string nonce = new_nonce();
    ctx.state() = {{"nonce", nonce}};
    const QuestionRef ref{ctx.run().account_id, ctx.run().id, ctx.attempt(), nonce, ctx.element_id()};
    sdk::OutAction action = text_action(spec.style, spec.text);
    action.buttons.push_back(
        {spec.button, app_link(spec.app_url, ref, setting_text(ctx.settings(), "public_url"))});
    ctx.send(action);
    return sdk::Outcome::wait();
}

sdk::Outcome MiniappElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    if (event.kind != sdk::Event::Kind::web_app_data) return sdk::Outcome::ignored();
    const auto& spec = ctx.spec_as<MiniappSpec>();
    const SubmittedAnswer submitted = read_submitted(event.data);
    // An answer posted for an earlier visit (an old button) is not this one's.
    const auto& state = ctx.state();
    const std::string nonce = state.is_object() && state.contains("nonce") && state["nonce"].is_string()
                                  ? state["nonce"].get<std::string>()
                                  : std::string{};
    if (submitted.ref &&
        (submitted.ref->run_id != ctx.run().id || submitted.ref->element_id != ctx.element_id() ||
         submitted.ref->attempt != ctx.attempt() || submitted.ref->nonce != nonce))
        return sdk::Outcome::ignored();

    const bool correct = answer_matches(submitted.answer, spec.actual, spec.question_type);
    ctx.record("user", {{"answer", submitted.answer}, {"correct", correct}}, correct ? 1.0 : 0.0, 1.0);
    send_text(ctx, spec.style, correct ? spec.correct_feedback : spec.incorrect_feedback);
    return sdk::Outcome::next();
}

}  // namespace profo::elements::miniapp
