// Telegram's flood control for sending bots: about 1 message per second per
// chat with a short burst tolerated, about 30 per second per bot. Token
// buckets; a refused call costs no tokens and learns how long to wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>

namespace profo::telegram_emulator {

struct RateLimits {
    bool enabled = true;
    double per_chat_per_second = 1.0;
    double per_chat_burst = 3.0;
    double per_bot_per_second = 30.0;
    double per_bot_burst = 30.0;
};

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    explicit RateLimiter(RateLimits limits = {}) : limits_(limits) {}

    void set_limits(const RateLimits& limits) { limits_ = limits; }
    const RateLimits& limits() const { return limits_; }

    // 0 when the message may go now (and is counted), otherwise the whole
    // seconds to wait (>= 1), i.e. the 429 retry_after.
    int acquire(std::int64_t bot_id, std::int64_t chat_id, Clock::time_point now);

    // Forgets the state of a bot (e.g. when it is deleted).
    void forget_bot(std::int64_t bot_id);

private:
    struct Bucket {
        double tokens = -1;  // < 0: not touched yet, starts full
        Clock::time_point updated{};
    };
    struct ChatKey {
        std::int64_t bot, chat;
        bool operator==(const ChatKey&) const = default;
    };
    struct ChatKeyHash {
        std::size_t operator()(const ChatKey& k) const noexcept {
            return std::hash<std::int64_t>{}(k.bot * 1000003 ^ k.chat);
        }
    };

    static void refill(Bucket& b, double rate, double burst, Clock::time_point now);
    static double wait_seconds(const Bucket& b, double rate);

    RateLimits limits_;
    std::unordered_map<std::int64_t, Bucket> bots_;
    std::unordered_map<ChatKey, Bucket, ChatKeyHash> chats_;
};

}  // namespace profo::telegram_emulator
