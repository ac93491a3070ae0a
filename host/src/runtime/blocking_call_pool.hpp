// Threads for work that blocks on the network (deferred element work: LLM
// calls and their back-off), kept apart from the executor that runs HTTP
// handlers and storage work: two slow providers must not stall every Mini App
// request behind them. Like the HTTP server's handler queue, its queue is
// bounded, and past it work is refused rather than queued for minutes.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace profo::host {

class BlockingCallPool {
public:
    BlockingCallPool(int threads, std::size_t max_queued);
    ~BlockingCallPool();  // stop()s
    BlockingCallPool(const BlockingCallPool&) = delete;
    BlockingCallPool& operator=(const BlockingCallPool&) = delete;

    // False, with `work` destroyed unrun, when max_queued tasks already wait
    // or the pool is stopped. A task that throws is logged and dropped.
    bool try_post(std::function<void()> work);

    // Work not started yet is destroyed unrun; work running is waited for.
    // Idempotent; must not be called from one of the pool's threads.
    void stop();

    std::size_t queued() const;

private:
    void loop();

    const std::size_t max_queued_;
    std::mutex join_mutex_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> queue_;
    bool stopped_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace profo::host
