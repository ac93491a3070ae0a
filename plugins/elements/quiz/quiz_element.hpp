// `quiz`: a Telegram quiz poll with one correct answer; the answer is recorded
// with score 1 or 0 out of 1 and answered with that option's feedback.
#pragma once

#include "single_choice_poll.hpp"

namespace profo::elements {

class QuizElement final : public SingleChoicePollElement {
public:
    QuizElement()
        : SingleChoicePollElement(
              {"quiz",
               "A Telegram quiz poll (after the media). The chosen answer is recorded with "
               "score 1 (correct) or 0 out of 1 and answered with its feedback.",
               CorrectAnswers::exactly_one, PollKind::quiz, true}) {}
};

}  // namespace profo::elements
