// The two endpoints a Mini App talks to:
//
//   GET  /miniapp/question?ref=REF        -> the question (never the answer)
//   POST /miniapp/answer {ref, answer, initData} -> {"ok": true}
//
// An answer is accepted only with initData that Telegram signed for the run's
// bot and student; it then enters the course like any other student event,
// through the engine. Storage and the engine are reached through MiniappBackend
// so the endpoints are tested without a database.
#pragma once

#include "miniapp_question.hpp"

#include <profo/sdk/engine.hpp>
#include <profo/sdk/host.hpp>

#include <chrono>
#include <functional>
#include <optional>

namespace profo::elements::miniapp {

// What a ref points at.
struct RefTarget {
    sdk::Run run;
    nlohmann::json element;  // the element's fields in the course version the run plays
};

struct MiniappBackend {
    // The run and element of a ref; empty when there is no such run, or the
    // element is not a miniapp of its course.
    std::function<std::optional<RefTarget>(const QuestionRef&)> find;
    // The bot token of a run's bot (decrypted only when an answer comes).
    std::function<std::string(const sdk::Run&)> bot_token;
    std::function<sdk::DispatchResult(const sdk::InboundEvent&)> dispatch;
    std::function<std::chrono::system_clock::time_point()> now;
    std::chrono::seconds init_data_max_age{86400};
};

// Browsers call these from the app's own origin; the answer is authorised by
// initData in the body, not by cookies, so any origin may call.
std::vector<std::pair<std::string, std::string>> cors_headers();

sdk::HttpResponse question_endpoint(const MiniappBackend& backend, const sdk::HttpRequest& request);
sdk::HttpResponse answer_endpoint(const MiniappBackend& backend, const sdk::HttpRequest& request);
sdk::HttpResponse preflight_endpoint(const sdk::HttpRequest& request);

}  // namespace profo::elements::miniapp
