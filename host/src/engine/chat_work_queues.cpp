#include "engine/chat_work_queues.hpp"

#include <algorithm>

namespace profo::host {

namespace {
thread_local bool is_worker_thread = false;
}  // namespace

ChatWorkQueues::ChatWorkQueues(int workers, int max_group, std::chrono::microseconds linger, RunGroup run)
    : max_group_(static_cast<std::size_t>(std::max(1, max_group))), linger_(linger), run_(std::move(run)) {
    const int count = std::max(1, workers);
    for (int i = 0; i < count; ++i) workers_.push_back(std::make_unique<Worker>());
    for (auto& worker : workers_) {
        Worker& w = *worker;
        w.thread = std::thread([this, &w] { work(w); });
    }
}

ChatWorkQueues::~ChatWorkQueues() {
    for (auto& worker : workers_) {
        {
            std::lock_guard lock(worker->mutex);
            stopping_ = true;
        }
        worker->wake.notify_all();
    }
    for (auto& worker : workers_) worker->thread.join();
}

bool ChatWorkQueues::on_worker_thread() {
    return is_worker_thread;
}

std::size_t ChatWorkQueues::worker_of(sdk::Id bot_id, std::int64_t chat_id) const {
    const auto h = std::hash<std::int64_t>{}(chat_id)*31 + std::hash<sdk::Id>{}(bot_id);
    return h % workers_.size();
}

void ChatWorkQueues::push(const std::vector<Item*>& items) {
    if (workers_.size() == 1) {
        auto& worker = *workers_.front();
        {
            std::lock_guard lock(worker.mutex);
            worker.queue.insert(worker.queue.end(), items.begin(), items.end());
        }
        worker.wake.notify_one();
        return;
    }
    std::vector<std::vector<Item*>> by_worker(workers_.size());
    for (Item* item : items) by_worker[worker_of(item->bot_id, item->chat_id)].push_back(item);
    for (std::size_t i = 0; i < by_worker.size(); ++i) {
        if (by_worker[i].empty()) continue;
        auto& worker = *workers_[i];
        {
            std::lock_guard lock(worker.mutex);
            worker.queue.insert(worker.queue.end(), by_worker[i].begin(), by_worker[i].end());
        }
        worker.wake.notify_one();
    }
}

void ChatWorkQueues::work(Worker& worker) {
    is_worker_thread = true;
    std::vector<Item*> group;
    for (;;) {
        {
            std::unique_lock lock(worker.mutex);
            worker.wake.wait(lock, [&] { return stopping_ || !worker.queue.empty(); });
            if (worker.queue.empty()) return;  // stopping, and nothing left to run
            if (linger_.count() > 0 && worker.queue.size() < max_group_ && !stopping_)
                worker.wake.wait_for(lock, linger_,
                                     [&] { return stopping_ || worker.queue.size() >= max_group_; });
            const std::size_t n = std::min(max_group_, worker.queue.size());
            group.assign(worker.queue.begin(), worker.queue.begin() + static_cast<std::ptrdiff_t>(n));
            worker.queue.erase(worker.queue.begin(), worker.queue.begin() + static_cast<std::ptrdiff_t>(n));
        }
        run_(group);
    }
}

}  // namespace profo::host
