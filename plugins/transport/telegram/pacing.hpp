// How fast the transport may talk to Telegram: token buckets for the per-bot
// and per-chat limits, exponential backoff for failures.
#pragma once

#include <chrono>
#include <cstdint>

namespace profo::telegram {

using SteadyTime = std::chrono::steady_clock::time_point;

// `rate` tokens a second, at most `burst` saved up. Not thread-safe.
class TokenBucket {
public:
    TokenBucket(double rate_per_second, double burst, SteadyTime now);
    bool available(SteadyTime now);
    void take(SteadyTime now);
    // When the next token is there (now when one is).
    SteadyTime next_token(SteadyTime now);

private:
    void refill(SteadyTime now);
    double rate_;
    double burst_;
    double tokens_;
    SteadyTime last_;
};

// 0 -> initial, 1 -> 2*initial, ..., capped at `max`.
std::chrono::milliseconds backoff_delay(int failures, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max);

// Telegram's limits per chat: about 1 a second in private chats, 20 a minute
// in groups (negative chat ids).
struct ChatPace {
    double per_second;
    double burst;
};
ChatPace chat_pace(std::int64_t chat_id, double private_per_second, double private_burst,
                   double group_per_minute);

}  // namespace profo::telegram
