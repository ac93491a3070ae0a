// What this process knows is committed in run_elements, so that counting an
// element's progress skips statements that could change nothing.
//
// A history row of a run at an element inserts the (run, element) row of
// run_elements unless it exists, and a scored one sets the row's `scored`
// unless it is set. Rows are never deleted and `scored` never goes back, so
// a row once seen committed (by any process) stays as seen: the statement
// would be a no-op. Most history rows are of elements their run reached
// before (a question asked again, feedback after an answer), so most of
// these statements are.
#pragma once

#include <profo/sdk/storage.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace profo::storage_sql {

class CommittedReach {
public:
    // A run_elements row: (run, element).
    using Key = std::pair<sdk::Id, std::string>;
    // Rows as a transaction knows them, each with whether `scored` is set.
    using Rows = std::map<Key, bool>;

    // Past this many rows it starts again empty: memory stays bounded, and
    // the rows of runs being taken now come back with their next events.
    static constexpr std::size_t kCapacity = 65536;

    // Whether the row is known committed, and if so whether `scored` is.
    std::optional<bool> find(const Key& key) const;
    // Rows a transaction saw or wrote, once it committed.
    void add(const Rows& rows);

private:
    struct KeyHash {
        std::size_t operator()(const Key& key) const noexcept;
    };
    mutable std::mutex mutex_;
    std::unordered_map<Key, bool, KeyHash> rows_;
};

}  // namespace profo::storage_sql
