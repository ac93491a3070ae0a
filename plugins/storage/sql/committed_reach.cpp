#include "sql/committed_reach.hpp"

namespace profo::storage_sql {

std::size_t CommittedReach::KeyHash::operator()(const Key& key) const noexcept {
    return std::hash<std::string>{}(key.second) ^ (std::hash<sdk::Id>{}(key.first) * 0x9e3779b97f4a7c15ULL);
}

std::optional<bool> CommittedReach::find(const Key& key) const {
    std::lock_guard lock(mutex_);
    const auto found = rows_.find(key);
    if (found == rows_.end()) return std::nullopt;
    return found->second;
}

void CommittedReach::add(const Rows& rows) {
    if (rows.empty()) return;
    std::lock_guard lock(mutex_);
    if (rows_.size() + rows.size() > kCapacity) rows_.clear();
    for (const auto& [key, scored] : rows) {
        auto [at, inserted] = rows_.try_emplace(key, scored);
        if (!inserted) at->second = at->second || scored;
    }
}

}  // namespace profo::storage_sql
