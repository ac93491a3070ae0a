#include "fault_injector.h"

#include "bot_api_params.h"

#include <stdexcept>

namespace profo::telegram_emulator {

FaultDecision FaultInjector::decide(const std::string& method) {
    FaultDecision d;
    if (!settings_.methods.empty() && settings_.methods.count(method) == 0) return d;
    d.latency = settings_.latency;
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    if (settings_.drop_next > 0) {
        --settings_.drop_next;
        d.kind = FaultDecision::Kind::drop;
    } else if (settings_.error_next > 0) {
        --settings_.error_next;
        d.kind = FaultDecision::Kind::error;
    } else if (settings_.drop_probability > 0 && coin(rng_) < settings_.drop_probability) {
        d.kind = FaultDecision::Kind::drop;
    } else if (settings_.error_probability > 0 && coin(rng_) < settings_.error_probability) {
        d.kind = FaultDecision::Kind::error;
    }
    if (d.kind == FaultDecision::Kind::error) d.status = settings_.error_status;
    return d;
}

FaultSettings FaultInjector::patched(FaultSettings next, const nlohmann::json& patch) {
    if (!patch.is_object()) throw std::invalid_argument("faults must be a JSON object");
    // A million calls to fail or drop is beyond any test, and fits an int.
    const auto count = [](const std::string& key, const nlohmann::json& value) {
        return static_cast<int>(whole_number_in(value, key, 0, 1'000'000));
    };
    const auto probability = [](const std::string& key, const nlohmann::json& value) {
        if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1)
            throw std::invalid_argument(key + " must be a number from 0 to 1");
        return value.get<double>();
    };
    for (const auto& [key, value] : patch.items()) {
        if (key == "error_probability")
            next.error_probability = probability(key, value);
        else if (key == "error_next")
            next.error_next = count(key, value);
        else if (key == "error_status")
            next.error_status = static_cast<int>(whole_number_in(value, key, 500, 599));
        else if (key == "drop_probability")
            next.drop_probability = probability(key, value);
        else if (key == "drop_next")
            next.drop_next = count(key, value);
        else if (key == "drop_after_processing")
            next.drop_after_processing = value.get<bool>();
        else if (key == "latency_after_processing")
            next.latency_after_processing = value.get<bool>();
        else if (key == "latency_ms")
            next.latency = control_milliseconds(value, key);
        else if (key == "methods") {
            next.methods.clear();
            for (const auto& m : value) {
                auto name = m.get<std::string>();
                for (auto& c : name)
                    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
                next.methods.insert(name);
            }
        } else {
            throw std::invalid_argument("unknown fault setting: " + key);
        }
    }
    return next;
}

nlohmann::json FaultInjector::to_json() const {
    return {{"error_probability", settings_.error_probability},
            {"error_next", settings_.error_next},
            {"error_status", settings_.error_status},
            {"drop_probability", settings_.drop_probability},
            {"drop_next", settings_.drop_next},
            {"drop_after_processing", settings_.drop_after_processing},
            {"latency_ms", settings_.latency.count()},
            {"latency_after_processing", settings_.latency_after_processing},
            {"methods", settings_.methods}};
}

std::string fault_error_description(int status) {
    switch (status) {
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Internal Server Error";
    }
}

}  // namespace profo::telegram_emulator
