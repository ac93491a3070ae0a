#include "miniapp_api.hpp"

#include <profo/sdk/form.hpp>
#include <profo/sdk/json_input.hpp>

#include <openssl/crypto.h>

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

bool same_secret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// What both endpoints check before anything else is said about a ref: that
// it names an open miniapp question of this visit, and that the signed-in
// Telegram user is the run's student. Every failure before the signature is
// checked reads the same, so a caller without initData learns nothing.
struct Authorized {
    sdk::RunElement target;
    sdk::SignedTelegramData user;
};

std::variant<Authorized, sdk::HttpResponse> authorize(const MiniappBackend& backend, const QuestionRef& ref,
                                                      const std::string& init_data) {
    const auto target = backend.find(ref);
    const bool is_question = target && (target->type == "miniapp") && target->state.is_object() &&
                             target->state.contains("nonce") && target->state["nonce"].is_string() &&
                             same_secret(target->state["nonce"].get<std::string>(), ref.nonce) &&
                             target->attempt == ref.attempt;
    if (!is_question) return error(404, "no such open question");
    Authorized out{*target, {}};
    try {
        out.user = backend.check_init_data(target->run, init_data);
    } catch (const sdk::SignatureError& e) {
        return error(401, e.what());
    }
    if (out.user.user_id != target->run.user_id)
        return error(403, "initData belongs to another Telegram user");
    const auto hash = out.user.fields.find("hash");
    const auto now = backend.now();
    const auto expires = std::chrono::system_clock::time_point(std::chrono::seconds(out.user.auth_date)) +
                         backend.init_data_max_age;
    if (hash == out.user.fields.end() || !backend.bindings->bind(hash->second, to_string(ref), now, expires))
        return error(403, "this initData was issued for another question");
    return out;
}

}  // namespace

bool InitDataBindings::bind(const std::string& hash, const std::string& ref,
                            std::chrono::system_clock::time_point now,
                            std::chrono::system_clock::time_point expires) {
    std::lock_guard lock(mutex_);
    if (auto it = bindings_.find(hash); it != bindings_.end()) {
        if (it->second.expires > now) return it->second.ref == ref;
        bindings_.erase(it);
    }
    if (bindings_.size() >= capacity_) {
        std::erase_if(bindings_, [&](const auto& entry) { return entry.second.expires <= now; });
        // Still full: the oldest binding goes (its initData expires first).
        if (bindings_.size() >= capacity_) {
            auto oldest = bindings_.begin();
            for (auto it = bindings_.begin(); it != bindings_.end(); ++it)
                if (it->second.expires < oldest->second.expires) oldest = it;
            bindings_.erase(oldest);
        }
    }
    bindings_.emplace(hash, Binding{ref, expires});
    return true;
}

std::vector<std::pair<std::string, std::string>> cors_headers() {
    return {{"Access-Control-Allow-Origin", "*"},
            {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
            {"Access-Control-Allow-Headers", "Content-Type, X-Telegram-Init-Data"},
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
        query = sdk::parse_form(request.query);
    } catch (const std::invalid_argument& e) {
        return error(400, std::string("bad query string: ") + e.what());
    }
    const auto text = query.find("ref");
    if (text == query.end() || text->second.empty()) return error(400, "'ref' is required");
    const auto ref = parse_question_ref(text->second);
    if (!ref) return error(400, "'ref' is not a question reference");
    std::string init_data = request.header("x-telegram-init-data");
    if (const auto it = query.find("initData"); init_data.empty() && it != query.end())
        init_data = it->second;
    if (init_data.empty())
        return error(401,
                     "'initData' is required: the Telegram.WebApp.initData string, as a query "
                     "parameter or the X-Telegram-Init-Data header");
    auto checked = authorize(backend, *ref, init_data);
    if (auto* refused = std::get_if<sdk::HttpResponse>(&checked)) return *refused;
    return json_response(200, question_for_app(std::get<Authorized>(checked).target.source));
}

sdk::HttpResponse answer_endpoint(const MiniappBackend& backend, const sdk::HttpRequest& request) {
    const auto body = sdk::parse_json_input(request.body);
    if (!body.is_object()) return error(400, "the body must be a JSON object {ref, answer, initData}");
    if (!body.contains("ref") || !body["ref"].is_string()) return error(400, "'ref' must be a string");
    if (!body.contains("answer") || !(body["answer"].is_string() || body["answer"].is_number()))
        return error(400, "'answer' must be a string");
    if (!body.contains("initData") || !body["initData"].is_string())
        return error(400, "'initData' must be the Telegram.WebApp.initData string");
    const auto ref = parse_question_ref(body["ref"].get<std::string>());
    if (!ref) return error(400, "'ref' is not a question reference");
    auto checked = authorize(backend, *ref, body["initData"].get<std::string>());
    if (auto* refused = std::get_if<sdk::HttpResponse>(&checked)) return *refused;
    const auto& [target, user] = std::get<Authorized>(checked);
    if (!target.current) return error(409, "this question is no longer open");

    const std::string answer =
        body["answer"].is_string() ? body["answer"].get<std::string>() : body["answer"].dump();
    sdk::InboundEvent event;
    event.kind = sdk::InboundEvent::Kind::web_app_data;
    event.bot_id = target.run.bot_id;
    event.chat_id = target.run.chat_id;
    event.user_id = user.user_id;
    event.username = target.run.username;
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
