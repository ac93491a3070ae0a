// Element toolkit: `answers` of the poll elements (quiz, question, multi_choice): 2 to 10
// mappings with a `text` of at most 100 characters (Telegram's poll limits),
// `correct` read with truthy() (so `correct: no` is not correct), and an
// optional `feedback`.
#pragma once

#include <profo/sdk/element.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace profo::elements {

inline constexpr std::size_t kMinAnswers = 2;
inline constexpr std::size_t kMaxAnswers = 10;
inline constexpr std::size_t kMaxAnswerCharacters = 100;

// How many answers a type wants marked correct.
enum class CorrectAnswers {
    none,          // question: `correct` means nothing there
    exactly_one,   // quiz
    at_least_one,  // multi_choice
};

void check_answers(const nlohmann::json& spec, CorrectAnswers rule, sdk::ValidationReport& report);
nlohmann::json answers_schema(CorrectAnswers rule);

struct PollAnswer {
    std::string text;
    bool correct = false;
    std::optional<std::string> feedback;
};
std::vector<PollAnswer> read_answers(const nlohmann::json& spec);

enum class PollKind { quiz, single_choice, multiple_choice };
// `question` with one option per answer; a quiz marks its first correct
// answer (Telegram knows only one).
sdk::OutAction poll_action(std::string question, const std::vector<PollAnswer>& answers, PollKind kind);
// The element's media (if any), then its poll.
void send_poll(sdk::ElementContext& ctx, const MessageStyle& style, const std::string& question,
               const std::vector<PollAnswer>& answers, PollKind kind);

// The chosen option indexes, sorted and without repeats; empty when any index
// is not an answer (a poll answer that cannot be for this poll).
std::vector<int> chosen_answers(const std::vector<int>& options, std::size_t answer_count);

}  // namespace profo::elements
