// Element toolkit, for unit tests of an element plugin: a report that keeps
// what it is told, a course outline listing a fixed set of element ids, and
// an in-memory ElementContext that records what the element did. Behaviour
// through the real engine is tested with `profo course play` instead.
#pragma once

#include <profo/sdk/element.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::elements::testing {

class KeptReport : public sdk::ValidationReport {
public:
    void add(sdk::ValidationIssue issue) override { issues.push_back(std::move(issue)); }

    // "field: message" of every error, in the order they were reported.
    std::vector<std::string> errors() const { return lines(sdk::ValidationIssue::Severity::error); }
    std::vector<std::string> warnings() const { return lines(sdk::ValidationIssue::Severity::warning); }

    std::vector<sdk::ValidationIssue> issues;

private:
    std::vector<std::string> lines(sdk::ValidationIssue::Severity severity) const {
        std::vector<std::string> out;
        for (const auto& issue : issues)
            if (issue.severity == severity) out.push_back(issue.field + ": " + issue.message);
        return out;
    }
};

class ListedOutline : public sdk::CourseOutline {
public:
    explicit ListedOutline(std::vector<std::string> ids, std::string type = "message")
        : ids_(std::move(ids)), type_(std::move(type)) {}
    bool has_element(const std::string& id) const override {
        return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
    }
    const std::vector<std::string>& element_ids() const override { return ids_; }
    std::string type_of(const std::string& id) const override { return has_element(id) ? type_ : ""; }

private:
    std::vector<std::string> ids_;
    std::string type_;
};

// What Element::compile() reports for `spec` in a course of the given ids.
// Throws std::logic_error when compile() breaks its contract (a spec despite
// errors, or none without one).
template <class Element>
KeptReport validated(const nlohmann::json& spec, std::vector<std::string> course_ids = {}) {
    KeptReport report;
    const auto compiled = Element().compile(spec, ListedOutline(std::move(course_ids)), report);
    if ((compiled == nullptr) != !report.errors().empty())
        throw std::logic_error("compile() returned " + std::string(compiled ? "a spec" : "nothing") +
                               " with " + std::to_string(report.errors().size()) + " errors reported");
    return report;
}

// The spec Element::compile() makes of `spec`; throws std::logic_error
// listing the errors when there is none.
template <class Element>
std::shared_ptr<const sdk::ElementSpec> compiled(const Element& element, const nlohmann::json& spec,
                                                 std::vector<std::string> course_ids = {}) {
    KeptReport report;
    std::shared_ptr<const sdk::ElementSpec> out =
        element.compile(spec, ListedOutline(std::move(course_ids)), report);
    if (!out) {
        std::string all;
        for (const auto& e : report.errors()) all += "\n  " + e;
        throw std::logic_error("the spec does not compile:" + all);
    }
    return out;
}

// One element's side of a run, in memory: what it sends, records, schedules
// and defers is kept for the test to read; sends also become bot rows of the
// history, as the engine records them.
class FakeElementContext : public sdk::ElementContext {
public:
    FakeElementContext(std::string id, std::shared_ptr<const sdk::ElementSpec> spec, nlohmann::json source,
                       std::map<std::string, nlohmann::json> others = {})
        : id_(std::move(id)), spec_(std::move(spec)), source_(std::move(source)), others_(std::move(others)) {
        order_.push_back(id_);
        for (const auto& [k, v] : others_) order_.push_back(k);
    }

    const std::string& element_id() const override { return id_; }
    const sdk::ElementSpec& spec() const override { return *spec_; }
    const nlohmann::json& source() const override { return source_; }
    const std::vector<std::string>& course_order() const override { return order_; }
    const nlohmann::json* element_source(const std::string& id) const override {
        if (id == id_) return &source_;
        auto it = others_.find(id);
        return it == others_.end() ? nullptr : &it->second;
    }
    nlohmann::json& state() override { return state_; }
    const sdk::Run& run() const override { return run_; }
    int attempt() const override { return attempt_; }
    sdk::TimePoint now() const override { return now_; }
    sdk::Logger& log() override { return log_; }
    const nlohmann::json& settings() const override { return settings_; }
    void send(const sdk::OutAction& action) override {
        sent.push_back(action);
        nlohmann::json payload = {{"kind", action.kind == sdk::OutAction::Kind::typing ? "typing" : "text"}};
        if (action.kind != sdk::OutAction::Kind::typing) payload["text"] = action.text;
        add_row(id_, "bot", payload);
    }
    void record(const std::string& role, const nlohmann::json& payload, std::optional<double> score,
                std::optional<double> maxscore) override {
        records.push_back({{"role", role},
                           {"payload", payload},
                           {"score", score.value_or(-1)},
                           {"maxscore", maxscore.value_or(-1)}});
        add_row(id_, role, payload);
    }
    std::vector<sdk::ConversationEntry> history() const override { return history_; }
    void schedule(sdk::TimePoint due, const nlohmann::json& payload) override {
        timers.push_back({due, payload});
    }
    void defer(std::function<nlohmann::json()> task) override { deferred.push_back(std::move(task)); }
    std::uint64_t random_seed() const override { return 7; }
    std::optional<std::string> sealed_setting_context(const std::string& setting) const override {
        auto it = sealed_contexts_.find(setting);
        if (it == sealed_contexts_.end()) return std::nullopt;
        return it->second;
    }

    // A history row of any element, as if the engine had stored it earlier.
    void add_row(const std::string& element, const std::string& role, const nlohmann::json& payload,
                 std::optional<double> score = std::nullopt, std::optional<double> maxscore = std::nullopt) {
        sdk::ConversationEntry e;
        e.element_id = element;
        e.role = role;
        e.payload_json = payload.dump();
        e.score = score;
        e.maxscore = maxscore;
        e.attempt = attempt_;
        history_.push_back(e);
    }
    // A graded answer given at `element` earlier in the run.
    void answered(const std::string& element, double score, double maxscore = 1,
                  const std::string& role = "user") {
        add_row(element, role, {{"answer", "..."}}, score, maxscore);
    }
    // Runs the oldest deferred task as the engine would after its commit and
    // hands the result back to `element`.
    sdk::Outcome finish_deferred(sdk::ElementPlugin& element) {
        auto task = std::move(deferred.front());
        deferred.erase(deferred.begin());
        sdk::Event e;
        e.kind = sdk::Event::Kind::deferred;
        e.data = task().dump();
        return element.on_event(*this, e);
    }
    // The oldest deferred task is lost, as when the process is killed while it
    // runs: the element receives what the engine delivers at its deadline.
    sdk::Outcome interrupt_deferred(sdk::ElementPlugin& element) {
        deferred.erase(deferred.begin());
        sdk::Event e;
        e.kind = sdk::Event::Kind::deferred;
        e.data = sdk::interrupted_result("the deferred work was interrupted (test)").dump();
        return element.on_event(*this, e);
    }
    // The oldest scheduled timer fires: now() moves to its due time.
    sdk::Outcome fire_timer(sdk::ElementPlugin& element) {
        auto [due, payload] = timers.front();
        timers.erase(timers.begin());
        if (due > now_) now_ = due;
        sdk::Event e;
        e.kind = sdk::Event::Kind::timer;
        e.data = payload.dump();
        return element.on_event(*this, e);
    }
    // The texts of the text actions sent, in order.
    std::vector<std::string> texts() const {
        std::vector<std::string> out;
        for (const auto& a : sent)
            if (a.kind == sdk::OutAction::Kind::text) out.push_back(a.text);
        return out;
    }

    struct KeptLogger : sdk::Logger {
        void log(sdk::LogLevel, std::string_view message) override { lines.emplace_back(message); }
        std::vector<std::string> lines;
    };

    nlohmann::json settings_ = nlohmann::json::object();
    // Settings a deployment brought, sealed for these contexts.
    std::map<std::string, std::string> sealed_contexts_;
    sdk::Run run_;
    int attempt_ = 1;
    sdk::TimePoint now_{};
    KeptLogger log_;
    std::vector<sdk::OutAction> sent;
    std::vector<nlohmann::json> records;
    std::vector<std::pair<sdk::TimePoint, nlohmann::json>> timers;
    std::vector<std::function<nlohmann::json()>> deferred;

private:
    std::string id_;
    std::shared_ptr<const sdk::ElementSpec> spec_;
    nlohmann::json source_;
    std::map<std::string, nlohmann::json> others_;
    std::vector<std::string> order_;
    nlohmann::json state_;
    std::vector<sdk::ConversationEntry> history_;
};

}  // namespace profo::elements::testing
