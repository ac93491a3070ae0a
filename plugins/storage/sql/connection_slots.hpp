// Which of a storage's pooled connections are free.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

namespace profo::storage_sql {

// Which of the pool's connections are free. Each transaction takes one of a
// range of them; the lowest free one, so that the few a light load needs
// keep their caches warm.
class ConnectionSlots {
public:
    explicit ConnectionSlots(std::size_t count) : busy_(count, false) {}
    // A free position in [first, last), or none within `timeout`.
    std::optional<std::size_t> take(std::size_t first, std::size_t last, std::chrono::milliseconds timeout);
    void give_back(std::size_t position);

private:
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<bool> busy_;
};

}  // namespace profo::storage_sql
