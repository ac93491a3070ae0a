// The Mini App's view of a miniapp element: the reference its URL carries,
// the question it may show (never the answer), and how an answer is judged.
#pragma once

#include <profo/sdk/storage.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace profo::elements::miniapp {

// Which question a Mini App was opened for: one visit of one element in one
// run. Storage is scoped by account, so the account travels along. The run
// fixes the course version, so the ref stays right when the deployment moves
// to a new version. The nonce, 128 random bits kept in the element's state
// for the visit, makes a ref unguessable: run ids are sequential, and a ref
// must not tell anyone which runs exist. Reading a question and answering it
// both need initData signed for the run's student as well.
struct QuestionRef {
    sdk::Id account_id = 0;
    sdk::Id run_id = 0;
    int attempt = 0;
    std::string nonce;  // 32 lower-case hex digits
    std::string element_id;
    bool operator==(const QuestionRef&) const = default;
};

// A new nonce from the system's secure random source.
std::string new_nonce();

// "<account>.<run>.<attempt>.<nonce>.<element_id>" (links carry it URL-encoded,
// since ids may have letters of any script); the id goes last because it may
// contain dots.
std::string to_string(const QuestionRef& ref);
std::optional<QuestionRef> parse_question_ref(std::string_view text);

// `app_url` with `q=<ref>` (and `api=<public_url>` when the platform's public
// address is configured) added to its query.
std::string app_link(const std::string& app_url, const QuestionRef& ref, const std::string& public_url);

// The element's `question` for the app, without any answer, actual or correct keys a
// course may have put inside it.
nlohmann::json question_for_app(const nlohmann::json& spec);

// What a web_app_data event carries: the answer, and the ref when the answer
// came through POST /miniapp/answer.
struct SubmittedAnswer {
    std::string answer;
    std::optional<QuestionRef> ref;
};
// Accepts {"answer": ..., "ref": ...} (our endpoint), a JSON string or number,
// and anything else as the raw text (an app's own Telegram.WebApp.sendData).
SubmittedAnswer read_submitted(const std::string& data);

// Trimmed; `typein` answers ignore case (sdk::same_answer, as every element
// compares typed answers), `multiple_choice` ones must match exactly.
bool answer_matches(std::string_view given, std::string_view actual, std::string_view question_type);

}  // namespace profo::elements::miniapp
