#include "runtime/blocking_call_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace profo::host {

BlockingCallPool::BlockingCallPool(int threads, std::size_t max_queued) : max_queued_(max_queued) {
    if (threads < 1)
        throw std::invalid_argument("a blocking-call pool needs at least one thread, got " +
                                    std::to_string(threads));
    threads_.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

BlockingCallPool::~BlockingCallPool() {
    stop();
}

bool BlockingCallPool::try_post(std::function<void()> work) {
    {
        std::lock_guard lock(mutex_);
        if (!stopped_ && queue_.size() < max_queued_) {
            queue_.push_back(std::move(work));
            ready_.notify_one();
            return true;
        }
    }
    // Destroyed outside the lock: what it captures may post again.
    work = nullptr;
    return false;
}

std::size_t BlockingCallPool::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void BlockingCallPool::stop() {
    const auto self = std::this_thread::get_id();
    if (std::any_of(threads_.begin(), threads_.end(),
                    [&](const std::thread& t) { return t.get_id() == self; }))
        throw std::logic_error("BlockingCallPool::stop() called from one of its own threads");
    std::lock_guard join_lock(join_mutex_);  // a second stop() waits for the first to join
    std::deque<std::function<void()>> dropped;
    {
        std::lock_guard lock(mutex_);
        if (stopped_ && threads_.empty()) return;
        stopped_ = true;
        dropped.swap(queue_);
    }
    ready_.notify_all();
    dropped.clear();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void BlockingCallPool::loop() {
    for (;;) {
        std::function<void()> work;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopped
            work = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            work();
        } catch (const std::exception& e) {
            spdlog::error("blocking-call pool: task threw: {}", e.what());
        } catch (...) {
            spdlog::error("blocking-call pool: task threw a non-standard exception");
        }
    }
}

}  // namespace profo::host
