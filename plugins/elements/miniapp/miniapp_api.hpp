// The two endpoints a Mini App talks to:
//
//   GET  /miniapp/question?ref=REF&initData=...   -> the question (never the answer)
//   POST /miniapp/answer {ref, answer, initData}  -> {"ok": true}
//
// Both need initData that Telegram signed for the run's bot and student
// (GET may send it as the X-Telegram-Init-Data header instead), and a ref
// whose nonce is the one of the question's current visit. An answer then
// enters the course like any other student event, through the engine. The
// engine and the signature check are reached through MiniappBackend so the
// endpoints are tested without a platform.
#pragma once

#include "miniapp_question.hpp"

#include <profo/sdk/engine.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/telegram_auth.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <variant>

namespace profo::elements::miniapp {

// An initData once used for a question is good for that question only: a
// captured initData (valid for its max age) cannot open or answer the
// student's other questions. Kept in memory for the max age of initData.
class InitDataBindings {
public:
    explicit InitDataBindings(std::size_t capacity = 100000) : capacity_(capacity) {}
    // Binds `hash` (the initData's signature) to `ref` until `expires`; false
    // when it is bound to another ref already.
    bool bind(const std::string& hash, const std::string& ref, std::chrono::system_clock::time_point now,
              std::chrono::system_clock::time_point expires);

private:
    struct Binding {
        std::string ref;
        std::chrono::system_clock::time_point expires;
    };
    std::mutex mutex_;
    std::size_t capacity_;
    std::map<std::string, Binding> bindings_;
};

struct MiniappBackend {
    // The run and element of a ref: empty when there is no such run or element.
    std::function<std::optional<sdk::RunElement>(const QuestionRef&)> find;
    // Checks initData for the run's bot; throws sdk::SignatureError.
    std::function<sdk::SignedTelegramData(const sdk::Run&, std::string_view init_data)> check_init_data;
    std::function<sdk::DispatchResult(const sdk::InboundEvent&)> dispatch;
    std::function<std::chrono::system_clock::time_point()> now;
    std::chrono::seconds init_data_max_age{3600};
    std::shared_ptr<InitDataBindings> bindings = std::make_shared<InitDataBindings>();
};

// Browsers call these from the app's own origin; they are authorised by
// initData, not by cookies, so any origin may call.
std::vector<std::pair<std::string, std::string>> cors_headers();

sdk::HttpResponse question_endpoint(const MiniappBackend& backend, const sdk::HttpRequest& request);
sdk::HttpResponse answer_endpoint(const MiniappBackend& backend, const sdk::HttpRequest& request);
sdk::HttpResponse preflight_endpoint(const sdk::HttpRequest& request);

}  // namespace profo::elements::miniapp
