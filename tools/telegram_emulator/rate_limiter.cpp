#include "rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace profo::telegram_emulator {

void RateLimiter::refill(Bucket& b, double rate, double burst, Clock::time_point now) {
    if (b.tokens < 0) {
        b.tokens = burst;
        b.updated = now;
        return;
    }
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    if (elapsed > 0) {
        b.tokens = std::min(burst, b.tokens + elapsed * rate);
        b.updated = now;
    }
}

double RateLimiter::wait_seconds(const Bucket& b, double rate) {
    if (b.tokens >= 1.0) return 0;
    if (rate <= 0) return 3600;
    return (1.0 - b.tokens) / rate;
}

int RateLimiter::acquire(std::int64_t bot_id, std::int64_t chat_id, Clock::time_point now) {
    if (!limits_.enabled) return 0;
    auto& bot = bots_[bot_id];
    auto& chat = chats_[ChatKey{bot_id, chat_id}];
    refill(bot, limits_.per_bot_per_second, std::max(1.0, limits_.per_bot_burst), now);
    refill(chat, limits_.per_chat_per_second, std::max(1.0, limits_.per_chat_burst), now);
    const double wait = std::max(wait_seconds(bot, limits_.per_bot_per_second),
                                 wait_seconds(chat, limits_.per_chat_per_second));
    // At most the hour a rate of zero waits: a tiny rate's wait would not fit an int.
    if (wait > 0) return std::max(1, static_cast<int>(std::ceil(std::min(wait, 3600.0))));
    bot.tokens -= 1.0;
    chat.tokens -= 1.0;
    return 0;
}

void RateLimiter::forget_bot(std::int64_t bot_id) {
    bots_.erase(bot_id);
    std::erase_if(chats_, [&](const auto& kv) { return kv.first.bot == bot_id; });
}

}  // namespace profo::telegram_emulator
