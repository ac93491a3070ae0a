#include "replay_queue.hpp"

#include <algorithm>
#include <random>

namespace profo::elements {

std::vector<std::string> replay_queue(const std::vector<GradedAnswer>& answers, std::uint64_t seed) {
    std::vector<std::string> queue;
    std::vector<std::string> correct;
    for (const auto& answer : answers) (answer.mistaken() ? queue : correct).push_back(answer.element_id);
    if (queue.empty()) return queue;

    // A partial Fisher-Yates shuffle with plain modulo keeps the pick the same
    // on every standard library (distributions are implementation-defined).
    std::mt19937_64 engine(seed);
    const std::size_t picks = std::min(kCorrectAnswersReplayed, correct.size());
    for (std::size_t i = 0; i < picks; ++i) {
        const std::size_t j = i + static_cast<std::size_t>(engine() % (correct.size() - i));
        std::swap(correct[i], correct[j]);
    }
    correct.resize(picks);
    // Back in course order, so the replay follows the course.
    std::vector<std::string> ordered;
    for (const auto& answer : answers)
        if (std::find(correct.begin(), correct.end(), answer.element_id) != correct.end())
            ordered.push_back(answer.element_id);
    queue.insert(queue.end(), ordered.begin(), ordered.end());
    return queue;
}

}  // namespace profo::elements
