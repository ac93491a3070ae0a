// `question`: a regular poll without a right answer; the choice is recorded
// without a score and answered with that option's feedback.
#pragma once

#include "single_choice_poll.hpp"

namespace profo::elements {

class QuestionElement final : public SingleChoicePollElement {
public:
    QuestionElement()
        : SingleChoicePollElement({"question",
                                   "A regular poll without a right answer (after the media). The choice is "
                                   "recorded without a score and answered with its feedback.",
                                   CorrectAnswers::none, PollKind::single_choice, false}) {}
};

}  // namespace profo::elements
