#include "metrics/metrics_registry.hpp"

#include <cstdio>
#include <stdexcept>

namespace profo::host {

namespace {

// `{a="1",b="x"}` with the value escaped as the format asks; "" for none.
std::string render_labels(const sdk::Metrics::Labels& labels, const std::string& extra = {}) {
    std::string out;
    for (const auto& [name, value] : labels) {
        out += out.empty() ? "{" : ",";
        out += name + "=\"";
        for (const char c : value) {
            if (c == '\\' || c == '"')
                out += '\\', out += c;
            else if (c == '\n')
                out += "\\n";
            else
                out += c;
        }
        out += '"';
    }
    if (!extra.empty()) out += (out.empty() ? "{" : ",") + extra;
    return out.empty() ? out : out + "}";
}

std::string number(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.15g", v);
    return buffer;
}

// Labels as stored (rendered), with one more label put in for a bucket.
std::string with_le(const std::string& rendered, const std::string& le) {
    const std::string extra = "le=\"" + le + "\"";
    if (rendered.empty()) return "{" + extra + "}";
    return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

const char* type_name(int kind) {
    switch (kind) {
        case 0: return "counter";
        case 1: return "gauge";
        default: return "histogram";
    }
}

}  // namespace

const std::vector<double>& MetricsRegistry::buckets() {
    static const std::vector<double> bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    return bounds;
}

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, Kind kind) {
    auto it = families_.find(name);
    if (it == families_.end()) {
        it = families_.emplace(std::string(name), Family{}).first;
        it->second.kind = kind;
    } else if (it->second.kind != kind && (!it->second.values.empty() || !it->second.histograms.empty())) {
        throw std::logic_error("metric " + std::string(name) + " used as two kinds");
    }
    it->second.kind = kind;
    return it->second;
}

void MetricsRegistry::describe(std::string_view name, std::string_view help) {
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end()) it = families_.emplace(std::string(name), Family{}).first;
    it->second.help = std::string(help);
}

void MetricsRegistry::add(std::string_view counter, const Labels& labels, double value) {
    std::lock_guard lock(mutex_);
    family(counter, Kind::counter).values[render_labels(labels)] += value;
}

void MetricsRegistry::set(std::string_view gauge, const Labels& labels, double value) {
    std::lock_guard lock(mutex_);
    family(gauge, Kind::gauge).values[render_labels(labels)] = value;
}

void MetricsRegistry::observe(std::string_view histogram, const Labels& labels, double seconds) {
    std::lock_guard lock(mutex_);
    auto& h = family(histogram, Kind::histogram).histograms[render_labels(labels)];
    if (h.counts.empty()) h.counts.assign(buckets().size(), 0);
    for (std::size_t i = 0; i < buckets().size(); ++i)
        if (seconds <= buckets()[i]) {
            ++h.counts[i];
            break;
        }
    ++h.count;
    h.sum += seconds;
}

std::string MetricsRegistry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        if (f.values.empty() && f.histograms.empty()) continue;
        if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
        out += "# TYPE " + name + " " + type_name(static_cast<int>(f.kind)) + "\n";
        for (const auto& [labels, value] : f.values) out += name + labels + " " + number(value) + "\n";
        for (const auto& [labels, h] : f.histograms) {
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < buckets().size(); ++i) {
                cumulative += h.counts[i];
                out += name + "_bucket" + with_le(labels, number(buckets()[i])) + " " +
                       std::to_string(cumulative) + "\n";
            }
            out += name + "_bucket" + with_le(labels, "+Inf") + " " + std::to_string(h.count) + "\n";
            out += name + "_sum" + labels + " " + number(h.sum) + "\n";
            out += name + "_count" + labels + " " + std::to_string(h.count) + "\n";
        }
    }
    return out;
}

}  // namespace profo::host
