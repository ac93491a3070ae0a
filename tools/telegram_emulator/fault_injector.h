// Faults the emulator injects into Bot API calls so clients' retry paths get
// exercised: server errors (by probability or for the next N calls), added
// latency, and connections closed without an answer.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>

namespace profo::telegram_emulator {

struct FaultSettings {
    double error_probability = 0.0;  // each call fails with error_status with this probability
    int error_next = 0;              // the next N calls fail with error_status
    int error_status = 500;
    double drop_probability = 0.0;  // close the connection without a reply
    int drop_next = 0;
    // A dropped call is carried out before the connection closes, like a
    // reply lost on the way back (the client cannot know whether it happened).
    bool drop_after_processing = false;
    std::chrono::milliseconds latency{0};  // added before every reply
    // The latency comes after the call was carried out instead of before: the
    // chat already shows a message whose reply the client is still waiting
    // for (what a client killed then has sent without knowing it).
    bool latency_after_processing = false;
    std::set<std::string> methods;  // lower-case method names; empty = all
};

// What happens to one call.
struct FaultDecision {
    enum class Kind { none, error, drop } kind = Kind::none;
    int status = 0;
    std::chrono::milliseconds latency{0};
};

class FaultInjector {
public:
    explicit FaultInjector(FaultSettings s = {}, std::uint64_t seed = 12345)
        : settings_(std::move(s)), rng_(seed) {}

    FaultDecision decide(const std::string& lowercase_method);

    FaultSettings& settings() { return settings_; }
    const FaultSettings& settings() const { return settings_; }

    // `from` with a partial update from the control API applied; unknown
    // keys and values out of range throw std::invalid_argument naming them.
    static FaultSettings patched(FaultSettings from, const nlohmann::json& patch);
    nlohmann::json to_json() const;

private:
    FaultSettings settings_;
    std::mt19937_64 rng_;
};

// Body of an injected server error, as Telegram's front servers send it.
std::string fault_error_description(int status);

}  // namespace profo::telegram_emulator
