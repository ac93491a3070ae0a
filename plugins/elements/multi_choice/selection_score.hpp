// The score of a multi_choice selection, per elements.md: every correct answer
// and no wrong one = 1; no correct answer at all = 0; anything between = 0.5.
#pragma once

#include <profo/sdk/toolkit/poll_answers.hpp>

#include <vector>

namespace profo::elements {

// `chosen`: indexes into `answers`, each once (see chosen_answers()).
double selection_score(const std::vector<PollAnswer>& answers, const std::vector<int>& chosen);

}  // namespace profo::elements
