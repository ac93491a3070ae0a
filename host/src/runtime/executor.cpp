#include "runtime/executor.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

namespace profo::host {

namespace asio = boost::asio;

namespace {

// One failing callback must not take the worker thread (and the process) down.
void run_guarded(const std::function<void()>& work) {
    try {
        work();
    } catch (const std::exception& e) {
        spdlog::error("executor: task threw: {}", e.what());
    } catch (...) {
        spdlog::error("executor: task threw a non-standard exception");
    }
}

}  // namespace

struct ThreadPoolExecutor::State {
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::vector<std::thread> threads;

    std::mutex mutex;  // guards the fields below
    bool stopped = false;
    TimerId next_timer = 1;
    // A timer's presence here means its work is still due: whoever erases the
    // entry (the timer firing, cancel(), stop()) decides whether it runs.
    std::unordered_map<TimerId, std::shared_ptr<asio::steady_timer>> timers;

    std::mutex join_mutex;                    // a second stop() waits for the first to finish joining
    std::vector<std::thread::id> worker_ids;  // fixed after construction, so readable without a lock

    bool on_worker_thread() const {
        return std::find(worker_ids.begin(), worker_ids.end(), std::this_thread::get_id()) !=
               worker_ids.end();
    }
};

ThreadPoolExecutor::ThreadPoolExecutor(int threads) : state_(std::make_unique<State>()) {
    if (threads < 1)
        throw std::invalid_argument("executor needs at least one thread, got " + std::to_string(threads));
    state_->guard.emplace(asio::make_work_guard(state_->io));
    state_->threads.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        state_->threads.emplace_back([s = state_.get()] { s->io.run(); });
        state_->worker_ids.push_back(state_->threads.back().get_id());
    }
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
    stop();
}

void ThreadPoolExecutor::post(std::function<void()> work) {
    std::lock_guard lock(state_->mutex);
    if (state_->stopped) {
        spdlog::warn("executor: work posted after stop() is dropped");
        return;
    }
    asio::post(state_->io, [work = std::move(work)] { run_guarded(work); });
}

ThreadPoolExecutor::TimerId ThreadPoolExecutor::schedule_after(std::chrono::milliseconds delay,
                                                               std::function<void()> work) {
    std::lock_guard lock(state_->mutex);
    if (state_->stopped) {
        spdlog::warn("executor: timer scheduled after stop() is dropped");
        return 0;  // never a live id, so cancel(0) is simply false
    }
    const TimerId id = state_->next_timer++;
    auto timer = std::make_shared<asio::steady_timer>(state_->io, delay);
    state_->timers.emplace(id, timer);
    timer->async_wait([s = state_.get(), id, work = std::move(work)](const boost::system::error_code& ec) {
        {
            std::lock_guard lock(s->mutex);
            if (s->timers.erase(id) == 0) return;  // cancelled, possibly after it had already expired
        }
        if (ec) return;
        run_guarded(work);
    });
    return id;
}

bool ThreadPoolExecutor::cancel(TimerId id) {
    std::shared_ptr<asio::steady_timer> timer;
    {
        std::lock_guard lock(state_->mutex);
        const auto it = state_->timers.find(id);
        if (it == state_->timers.end()) return false;
        timer = std::move(it->second);
        state_->timers.erase(it);
    }
    // Only wakes the handler early; erasing the entry is what stops the work,
    // even if the timer expired a moment ago and its handler is queued.
    timer->cancel();
    return true;
}

void ThreadPoolExecutor::stop() {
    // Checked before taking join_mutex: a worker blocking on it while another
    // thread joins that worker would deadlock.
    if (state_->on_worker_thread())
        throw std::logic_error("ThreadPoolExecutor::stop() called from one of its own worker threads");
    std::lock_guard join_lock(state_->join_mutex);
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stopped && state_->threads.empty()) return;
        state_->stopped = true;
        for (auto& [id, timer] : state_->timers) timer->cancel();
        state_->timers.clear();
    }
    // Without the guard, run() returns once the queue (and anything the queued
    // work posts internally) is drained.
    state_->guard.reset();
    for (auto& t : state_->threads) t.join();
    state_->threads.clear();
}

}  // namespace profo::host
