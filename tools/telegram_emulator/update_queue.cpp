#include "update_queue.h"

namespace profo::telegram_emulator {

std::optional<std::int64_t> UpdateQueue::push(const std::string& kind, const nlohmann::json& payload,
                                              std::int64_t chat_key, std::int64_t now) {
    if (!allows(kind)) return std::nullopt;
    const auto id = next_update_id_++;
    nlohmann::json update = nlohmann::json::object();
    update["update_id"] = id;
    update[kind] = payload;
    updates_.emplace(id, QueuedUpdate{id, kind, chat_key, now, update.dump()});
    return id;
}

std::size_t UpdateQueue::confirm(std::int64_t offset) {
    if (offset == 0 || updates_.empty()) return 0;
    const auto before = updates_.size();
    if (offset < 0) {
        const auto keep = static_cast<std::size_t>(-offset);
        while (updates_.size() > keep) updates_.erase(updates_.begin());
    } else {
        updates_.erase(updates_.begin(), updates_.lower_bound(offset));
    }
    return before - updates_.size();
}

std::size_t UpdateQueue::expire(std::int64_t now, std::int64_t max_age_seconds) {
    std::size_t dropped = 0;
    for (auto it = updates_.begin(); it != updates_.end();) {
        if (now - it->second.date > max_age_seconds) {
            it = updates_.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    return dropped;
}

std::vector<const QueuedUpdate*> UpdateQueue::front(std::size_t limit) const {
    std::vector<const QueuedUpdate*> out;
    out.reserve(std::min(limit, updates_.size()));
    for (auto it = updates_.begin(); it != updates_.end() && out.size() < limit; ++it)
        out.push_back(&it->second);
    return out;
}

bool UpdateQueue::remove(std::int64_t update_id) {
    return updates_.erase(update_id) > 0;
}

void UpdateQueue::set_allowed_updates(const std::optional<std::vector<std::string>>& kinds) {
    if (!kinds) return;
    if (kinds->empty()) {
        allowed_.reset();
        return;
    }
    allowed_ = std::set<std::string>(kinds->begin(), kinds->end());
}

bool UpdateQueue::allows(const std::string& kind) const {
    if (allowed_) return allowed_->count(kind) > 0;
    // Telegram leaves these out unless asked for by name.
    return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count";
}

std::vector<std::string> UpdateQueue::allowed_updates() const {
    if (!allowed_) return {};
    return {allowed_->begin(), allowed_->end()};
}

}  // namespace profo::telegram_emulator
