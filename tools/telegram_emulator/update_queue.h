// One bot's pending updates, as Telegram keeps them between the moment they
// happen and their confirmation (getUpdates offset) or webhook delivery.
// Each update is serialized once: it is sent many times in benchmarks.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace profo::telegram_emulator {

struct QueuedUpdate {
    std::int64_t update_id = 0;
    std::string kind;           // "message", "callback_query", ...
    std::int64_t chat_key = 0;  // chat (or user) it belongs to: webhook order is per chat
    std::int64_t date = 0;      // unix seconds when it was queued
    std::string body;           // the Update object as JSON text
};

class UpdateQueue {
public:
    // Updates live 24 hours at most.
    static constexpr std::int64_t kMaxAgeSeconds = 24 * 60 * 60;

    // Queues an update unless allowed_updates excludes its kind; returns its
    // update_id, or nullopt when filtered out.
    std::optional<std::int64_t> push(const std::string& kind, const nlohmann::json& payload,
                                     std::int64_t chat_key, std::int64_t now);

    // getUpdates offset: updates with update_id < offset are confirmed and
    // forgotten. A negative offset keeps only the last -offset updates. 0 = none.
    // Returns how many went.
    std::size_t confirm(std::int64_t offset);
    // Drops updates older than max_age; returns how many went.
    std::size_t expire(std::int64_t now, std::int64_t max_age_seconds = kMaxAgeSeconds);

    // The oldest updates, at most `limit`.
    std::vector<const QueuedUpdate*> front(std::size_t limit) const;
    bool remove(std::int64_t update_id);
    void clear() { updates_.clear(); }

    // allowed_updates as getUpdates/setWebhook set it: nullopt leaves the
    // previous setting, an empty list restores the default.
    void set_allowed_updates(const std::optional<std::vector<std::string>>& kinds);
    bool allows(const std::string& kind) const;
    std::vector<std::string> allowed_updates() const;

    std::size_t size() const { return updates_.size(); }
    bool empty() const { return updates_.empty(); }
    std::int64_t last_update_id() const { return next_update_id_ - 1; }
    const std::map<std::int64_t, QueuedUpdate>& items() const { return updates_; }

private:
    std::map<std::int64_t, QueuedUpdate> updates_;
    std::int64_t next_update_id_ = 1;
    std::optional<std::set<std::string>> allowed_;  // nullopt = Telegram's default set
};

}  // namespace profo::telegram_emulator
