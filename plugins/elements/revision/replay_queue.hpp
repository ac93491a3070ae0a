// Which elements a revision replays: every mistaken answer in course order,
// then up to two answered correctly, picked at random so the student does not
// learn that a revision only ever shows what they got wrong.
#pragma once

#include <profo/sdk/toolkit/graded_answers.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace profo::elements {

inline constexpr std::size_t kCorrectAnswersReplayed = 2;

// Empty when nothing was mistaken. `seed` makes the pick reproducible.
std::vector<std::string> replay_queue(const std::vector<GradedAnswer>& answers, std::uint64_t seed);

}  // namespace profo::elements
