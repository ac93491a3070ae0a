#include <profo/sdk/engine.hpp>

#include <set>
#include <utility>

namespace profo::sdk {

std::vector<DispatchResult> CourseEngine::dispatch_all(const std::vector<InboundEvent>& events) {
    std::vector<DispatchResult> results;
    results.reserve(events.size());
    std::set<std::pair<Id, std::int64_t>> failed_chats;
    for (const auto& event : events) {
        const std::pair<Id, std::int64_t> chat{event.bot_id, event.chat_id};
        if (failed_chats.count(chat) != 0) {
            results.push_back({DispatchResult::Status::failed, std::nullopt,
                               "not tried: an earlier event of this chat failed"});
            continue;
        }
        results.push_back(dispatch(event));
        if (results.back().status == DispatchResult::Status::failed) failed_chats.insert(chat);
    }
    return results;
}

// By value as in the interface, where engines that queue the events keep them.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
void CourseEngine::dispatch_all_then(std::vector<InboundEvent> events, DispatchDone done) {
    done(dispatch_all(events));
}

}  // namespace profo::sdk
