#include <profo/sdk/toolkit/graded_answers.hpp>

#include <map>

namespace profo::elements {

std::vector<GradedAnswer> latest_graded_answers(const std::vector<sdk::ConversationEntry>& history,
                                                std::string_view prefix,
                                                const std::vector<std::string>& course_order) {
    std::map<std::string, GradedAnswer, std::less<>> latest;
    for (const auto& entry : history) {  // oldest first: later rows replace earlier ones
        if (entry.role != "user" || !entry.score || !entry.maxscore) continue;
        if (entry.element_id.compare(0, prefix.size(), prefix) != 0) continue;
        latest[entry.element_id] = {entry.element_id, *entry.score, *entry.maxscore};
    }
    std::vector<GradedAnswer> ordered;
    for (const auto& id : course_order) {
        auto it = latest.find(id);
        if (it != latest.end()) ordered.push_back(it->second);
    }
    return ordered;
}

}  // namespace profo::elements
