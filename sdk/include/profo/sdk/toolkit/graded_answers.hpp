// The latest graded answer of each element whose id starts with a prefix.
//
// Only the student's rows count (role `user`): a `test` records its own
// summary with a score too, as a `bot` row, and a later test or revision under
// the same prefix must not take that summary for an answer.
#pragma once

#include <profo/sdk/storage.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace profo::elements {

struct GradedAnswer {
    std::string element_id;
    double score = 0;
    double maxscore = 0;
    bool mistaken() const { return score < maxscore; }
};

// In course order; elements no longer in the course are left out.
std::vector<GradedAnswer> latest_graded_answers(const std::vector<sdk::ConversationEntry>& history,
                                                std::string_view prefix,
                                                const std::vector<std::string>& course_order);

}  // namespace profo::elements
