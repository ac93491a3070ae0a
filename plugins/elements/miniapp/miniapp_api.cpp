#include "miniapp_api.hpp"

#include "init_data.hpp"

#include <map>

namespace profo::elements::miniapp {

namespace {

sdk::HttpResponse json_response(int status, const nlohmann::json& body) {
    sdk::HttpResponse r;
    r.status = status;
    r.content_type = "application/json";
    r.headers = cors_headers();
    r.body = body.dump();
    return r;
}

sdk::HttpResponse error(int status, const std::string& message) {
    return json_response(status, {{"ok", false}, {"error", message}});
}

}  // namespace

std::vector<std::pair<std::string, std::string>> cors_headers() {
    return {{"Access-Control-Allow-Origin", "*"},
            {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
            {"Access-Control-Allow-Headers", "Content-Type"},
            {"Cache-Control", "no-store"}};
}

sdk::HttpResponse preflight_endpoint(const sdk::HttpRequest&) {
    sdk::HttpResponse r;
    r.status = 204;
    r.content_type = "text/plain";
    r.headers = cors_headers();
    r.headers.emplace_back("Access-Control-Max-Age", "86400");
    return r;
}

sdk::HttpResponse question_endpoint(const MiniappBackend& backend, const sdk::HttpRequest& request) {
    std::map<std::string, std::string> query;
    try {
        query = parse_query(request.query);
    } catch (const std::invalid_argument& e) {
        return error(400, std::string("bad query string: ") + e.what());
    }
    const auto text = query.find("ref");
    if (text == query.end() || text->second.empty()) return error(400, "'ref' is required");
    const auto ref = parse_question_ref(text->second);
    if (!ref) return error(400, "'ref' is not a question reference");
    const auto target = backend.find(*ref);
    if (!target) return error(404, "no such question");
    return json_response(200, question_for_app(target->element));
}

sdk::HttpResponse answer_endpoint(const MiniappBackend& backend, const sdk::HttpRequest& request) {
    const auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return error(400, "the body must be a JSON object {ref, answer, initData}");
    if (!body.contains("ref") || !body["ref"].is_string()) return error(400, "'ref' must be a string");
    if (!body.contains("answer") || !(body["answer"].is_string() || body["answer"].is_number()))
        return error(400, "'answer' must be a string");
    if (!body.contains("initData") || !body["initData"].is_string())
        return error(400, "'initData' must be the Telegram.WebApp.initData string");
    const auto ref = parse_question_ref(body["ref"].get<std::string>());
    if (!ref) return error(400, "'ref' is not a question reference");
    const auto target = backend.find(*ref);
    if (!target) return error(404, "no such question");

    InitData init;
    try {
        init = validate_init_data(body["initData"].get<std::string>(), backend.bot_token(target->run),
                                  backend.now(), backend.init_data_max_age);
    } catch (const InitDataError& e) {
        return error(401, e.what());
    }
    if (init.user_id != target->run.user_id) return error(403, "initData belongs to another Telegram user");
    if (!target->run.active || target->run.cursor != ref->element_id)
        return error(409, "this question is no longer open");

    const std::string answer =
        body["answer"].is_string() ? body["answer"].get<std::string>() : body["answer"].dump();
    sdk::InboundEvent event;
    event.kind = sdk::InboundEvent::Kind::web_app_data;
    event.bot_id = target->run.bot_id;
    event.chat_id = target->run.chat_id;
    event.user_id = init.user_id;
    event.username = target->run.username;
    event.text = nlohmann::json{{"ref", to_string(*ref)}, {"answer", answer}}.dump();
    const auto result = backend.dispatch(event);
    switch (result.status) {
        case sdk::DispatchResult::Status::handled:
        case sdk::DispatchResult::Status::duplicate: return json_response(200, {{"ok", true}});
        case sdk::DispatchResult::Status::no_run: return error(409, "the course run is over");
        case sdk::DispatchResult::Status::ignored: return error(409, "this question is no longer open");
        case sdk::DispatchResult::Status::refused: return error(409, result.message);
        // Nothing was recorded: the app may send the answer again.
        case sdk::DispatchResult::Status::failed:
            return error(503, "the answer could not be recorded, try again");
    }
    return error(500, "unexpected dispatch result");
}

}  // namespace profo::elements::miniapp
