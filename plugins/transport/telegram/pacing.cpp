#include "pacing.hpp"

#include <algorithm>

namespace profo::telegram {

TokenBucket::TokenBucket(double rate_per_second, double burst, SteadyTime now)
    : rate_(std::max(rate_per_second, 0.001)), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

void TokenBucket::refill(SteadyTime now) {
    if (now <= last_) return;
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
    last_ = now;
}

bool TokenBucket::available(SteadyTime now) {
    refill(now);
    return tokens_ >= 1.0;
}

void TokenBucket::take(SteadyTime now) {
    refill(now);
    tokens_ -= 1.0;
}

SteadyTime TokenBucket::next_token(SteadyTime now) {
    refill(now);
    if (tokens_ >= 1.0) return now;
    const double wait = (1.0 - tokens_) / rate_;
    return now + std::chrono::duration_cast<SteadyTime::duration>(std::chrono::duration<double>(wait));
}

std::chrono::milliseconds backoff_delay(int failures, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max) {
    auto delay = initial;
    for (int i = 0; i < failures && delay < max; ++i) delay *= 2;
    return std::min(delay, max);
}

ChatPace chat_pace(std::int64_t chat_id, double private_per_second, double private_burst,
                   double group_per_minute) {
    if (chat_id < 0) return {group_per_minute / 60.0, 1.0};
    return {private_per_second, private_burst};
}

}  // namespace profo::telegram
