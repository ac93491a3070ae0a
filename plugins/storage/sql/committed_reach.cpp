#include "sql/committed_reach.hpp"

namespace profo::storage_sql {

std::size_t CommittedReach::KeyHash::operator()(const std::pair<sdk::Id, std::string>& key) const noexcept {
    return std::hash<std::string>{}(key.second) ^ (std::hash<sdk::Id>{}(key.first) * 0x9e3779b97f4a7c15ULL);
}

std::optional<bool> CommittedReach::find(sdk::Id run_id, const std::string& element_id) const {
    std::lock_guard lock(mutex_);
    const auto found = rows_.find({run_id, element_id});
    if (found == rows_.end()) return std::nullopt;
    return found->second;
}

void CommittedReach::add(const std::vector<Row>& rows) {
    if (rows.empty()) return;
    std::lock_guard lock(mutex_);
    if (rows_.size() + rows.size() > kCapacity) rows_.clear();
    for (const auto& row : rows) {
        auto [at, inserted] = rows_.try_emplace({row.run_id, row.element_id}, row.scored);
        if (!inserted) at->second = at->second || row.scored;
    }
}

}  // namespace profo::storage_sql
