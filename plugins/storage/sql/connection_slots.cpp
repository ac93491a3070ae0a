#include "sql/connection_slots.hpp"

#include <algorithm>

namespace profo::storage_sql {

std::optional<std::size_t> ConnectionSlots::take(std::size_t first, std::size_t last,
                                                 std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    last = std::min(last, busy_.size());
    std::optional<std::size_t> found;
    const auto free_one = [&] {
        for (std::size_t i = first; i < last; ++i)
            if (!busy_[i]) {
                found = i;
                return true;
            }
        return false;
    };
    if (!freed_.wait_for(lock, timeout, free_one)) return std::nullopt;
    busy_[*found] = true;
    return found;
}

void ConnectionSlots::give_back(std::size_t position) {
    {
        std::lock_guard lock(mutex_);
        busy_[position] = false;
    }
    // Waiters may want different ranges: each looks for itself.
    freed_.notify_all();
}

}  // namespace profo::storage_sql
