#include "selection_score.hpp"

namespace profo::elements {

double selection_score(const std::vector<PollAnswer>& answers, const std::vector<int>& chosen) {
    std::size_t right = 0;
    std::size_t wrong = 0;
    for (int index : chosen) {
        if (answers.at(static_cast<std::size_t>(index)).correct) {
            ++right;
        } else {
            ++wrong;
        }
    }
    std::size_t correct_total = 0;
    for (const auto& answer : answers) correct_total += answer.correct ? 1 : 0;
    if (right == 0) return 0.0;
    if (right == correct_total && wrong == 0) return 1.0;
    return 0.5;
}

}  // namespace profo::elements
