// Per-chat order for group commit: work items queue per worker thread, a
// chat's always on the same worker, and each worker hands what gathered in
// its queue (at most `max_group` items, in queue order) to `run` as one
// group. While a group runs the next one gathers, so groups grow with the
// load by themselves, and an item that comes alone waits for nobody.
#pragma once

#include <profo/sdk/records.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace profo::host {

class ChatWorkQueues {
public:
    struct Item {
        sdk::Id bot_id = 0;
        std::int64_t chat_id = 0;
        Item() = default;
        Item(const Item&) = default;
        Item(Item&&) = default;
        Item& operator=(const Item&) = default;
        Item& operator=(Item&&) = default;
        virtual ~Item() = default;
    };
    // Settles every item of `group` (the queues keep no ownership).
    using RunGroup = std::function<void(std::vector<Item*>& group)>;

    // `linger`: how long a worker waits for its queue to fill up to
    // `max_group` once an item came (zero: not at all).
    ChatWorkQueues(int workers, int max_group, std::chrono::microseconds linger, RunGroup run);
    // Runs what is queued, then joins the workers.
    ~ChatWorkQueues();
    ChatWorkQueues(const ChatWorkQueues&) = delete;
    ChatWorkQueues& operator=(const ChatWorkQueues&) = delete;

    // Queues `items` in order; each must stay alive until run settles it.
    void push(const std::vector<Item*>& items);
    // True on one of the workers (where pushing and waiting would deadlock).
    static bool on_worker_thread();

private:
    struct Worker {
        std::mutex mutex;
        std::condition_variable wake;
        std::deque<Item*> queue;
        std::thread thread;
    };
    std::size_t worker_of(sdk::Id bot_id, std::int64_t chat_id) const;
    void work(Worker& worker);

    const std::size_t max_group_;
    const std::chrono::microseconds linger_;
    RunGroup run_;
    bool stopping_ = false;  // under each worker's mutex
    std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace profo::host
