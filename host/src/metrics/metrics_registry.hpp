// The host's sdk::Metrics: counters, gauges and duration histograms kept in
// memory and written out in Prometheus' text exposition format for /metrics.
#pragma once

#include <profo/sdk/host.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace profo::host {

class MetricsRegistry final : public sdk::Metrics {
public:
    void describe(std::string_view name, std::string_view help) override;
    void add(std::string_view counter, const Labels& labels, double value = 1) override;
    void set(std::string_view gauge, const Labels& labels, double value) override;
    void observe(std::string_view histogram, const Labels& labels, double seconds) override;

    // Everything, as Prometheus reads it (text format 0.0.4).
    std::string render() const;

    // The upper bounds of every histogram's buckets, in seconds.
    static const std::vector<double>& buckets();

private:
    enum class Kind { counter, gauge, histogram };
    struct Histogram {
        std::vector<std::uint64_t> counts;  // per bucket, not cumulative
        std::uint64_t count = 0;
        double sum = 0;
    };
    struct Family {
        Kind kind = Kind::counter;
        std::string help;
        std::map<std::string, double> values;         // by rendered labels
        std::map<std::string, Histogram> histograms;  // by rendered labels
    };
    Family& family(std::string_view name, Kind kind);

    mutable std::mutex mutex_;
    std::map<std::string, Family, std::less<>> families_;
};

}  // namespace profo::host
