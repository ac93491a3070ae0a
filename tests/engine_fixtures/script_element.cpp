// Element type `script`: does exactly what its fields say, so the engine's
// tests can drive every mechanic (outcomes, sends, timers, deferred work,
// history, settings) without the real element plugins.
//
// On entry, in this order: `score` records a graded row ({score, maxscore});
// `report` sends facts about the context (attempt, history, settings,
// key_context, seed, state); `text` (+ `buttons`, `web_app`) / `media`
// (+ `caption`) / `audio` / `poll` are sent; `timer_ms` schedules a timer that many ms ahead; `defer`
// defers a task returning {"echo": defer} after `defer_ms` (`defer_fail`
// makes it throw);
// then `then` decides. Outcomes are written "next", "wait", "end",
// "ignored", "goto:ID", "call:ID", "throw" or "exit" (the process dies on
// the spot, as in a crash: no destructor runs, nothing is flushed).
// Events: `on_button`, `on_text`, `on_poll`, `on_timer`, `on_deferred`,
// `on_web_app` give the outcome for that event kind (absent: ignored); the
// event is recorded as a user row first and, for timers and deferred
// results, echoed as a text. `on_return` is the outcome after a call.
#include <profo/sdk/element.hpp>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace {

struct Fields final : profo::sdk::ElementSpec {
    nlohmann::json json;
};

using profo::sdk::ElementContext;
using profo::sdk::Event;
using profo::sdk::OutAction;
using profo::sdk::Outcome;

Outcome outcome_of(const std::string& word) {
    if (word == "next") return Outcome::next();
    if (word == "wait") return Outcome::wait();
    if (word == "end") return Outcome::end();
    if (word == "ignored") return Outcome::ignored();
    if (word.rfind("goto:", 0) == 0) return Outcome::go_to(word.substr(5));
    if (word.rfind("call:", 0) == 0) return Outcome::call(word.substr(5));
    if (word == "throw") throw std::runtime_error("script element told to throw");
    if (word == "exit") std::_Exit(86);
    throw std::invalid_argument("unknown outcome '" + word + "'");
}

void say(ElementContext& ctx, const std::string& text) {
    OutAction a;
    a.text = text;
    ctx.send(a);
}

class ScriptElement final : public profo::sdk::ElementPlugin {
public:
    std::string type() const override { return "script"; }
    std::vector<std::string> fields() const override {
        return {"text",       "buttons",     "web_app",    "media",     "caption",  "audio",
                "poll",       "quiz",        "score",      "report",    "timer_ms", "defer",
                "defer_fail", "defer_ms",    "then",       "on_button", "on_text",  "on_poll",
                "on_timer",   "on_deferred", "on_web_app", "on_return"};
    }
    nlohmann::json json_schema() const override { return {{"type", "object"}}; }
    std::vector<std::string> overridable_settings() const override {
        return {"b", "c", "base_url", "api_key_sealed"};
    }
    // A test fixture does what its JSON says, event by event: its spec is the JSON.
    std::unique_ptr<profo::sdk::ElementSpec> compile(const nlohmann::json& fields,
                                                     const profo::sdk::CourseOutline&,
                                                     profo::sdk::ValidationReport&) const override {
        auto spec = std::make_unique<Fields>();
        spec->json = fields;
        return spec;
    }

    Outcome enter(ElementContext& ctx) override {
        const auto& spec = ctx.spec_as<Fields>().json;
        if (spec.contains("score")) ctx.record("user", {{"scored", true}}, spec["score"].get<double>(), 1.0);
        if (spec.contains("report")) report(ctx, spec["report"]);
        if (spec.contains("text") || spec.contains("buttons")) {
            OutAction a;
            a.text = spec.value("text", "");
            a.parse_mode = spec.value("parse_mode", "");
            if (spec.contains("buttons"))
                for (const auto& b : spec["buttons"]) a.buttons.push_back({b.get<std::string>(), {}});
            if (spec.contains("web_app")) a.buttons.push_back({"Open", spec["web_app"].get<std::string>()});
            ctx.send(a);
        }
        if (spec.contains("media")) {
            OutAction a;
            a.kind = OutAction::Kind::media;
            a.media = spec["media"].get<std::vector<std::string>>();
            a.text = spec.value("caption", "");
            ctx.send(a);
        }
        if (spec.contains("audio")) {
            OutAction a;
            a.kind = OutAction::Kind::audio;
            a.media = spec["audio"].get<std::vector<std::string>>();
            a.text = spec.value("caption", "");
            ctx.send(a);
        }
        if (spec.contains("poll")) {
            OutAction a;
            a.kind = OutAction::Kind::poll;
            a.text = spec.value("question", "Choose");
            a.poll_options = spec["poll"].get<std::vector<std::string>>();
            if (spec.contains("quiz")) {
                a.quiz = true;
                a.correct_option = spec["quiz"].get<int>();
            }
            ctx.send(a);
        }
        if (spec.contains("timer_ms"))
            ctx.schedule(ctx.now() + std::chrono::milliseconds(spec["timer_ms"].get<int>()),
                         {{"ms", spec["timer_ms"]}});
        if (spec.contains("defer")) {
            const auto value = spec["defer"];
            const bool fail = spec.contains("defer_fail");
            const std::string why = spec.value("defer_fail", "");
            const int delay_ms = spec.value("defer_ms", 0);
            ctx.defer([value, fail, why, delay_ms]() -> nlohmann::json {
                std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
                if (fail) throw std::runtime_error(why);
                return {{"echo", value}};
            });
        }
        return outcome_of(spec.value("then", "next"));
    }

    Outcome on_event(ElementContext& ctx, const Event& event) override {
        const auto& spec = ctx.spec_as<Fields>().json;
        const char* key = nullptr;
        nlohmann::json row;
        switch (event.kind) {
            case Event::Kind::button:
                key = "on_button";
                row = {{"button", event.index}};
                break;
            case Event::Kind::text:
                key = "on_text";
                row = {{"text", event.text}};
                break;
            case Event::Kind::poll_answer:
                key = "on_poll";
                row = {{"options", event.options}};
                break;
            case Event::Kind::timer:
                key = "on_timer";
                row = {{"timer", event.data}};
                break;
            case Event::Kind::deferred:
                key = "on_deferred";
                row = {{"deferred", event.data}};
                break;
            case Event::Kind::web_app_data:
                key = "on_web_app";
                row = {{"web_app", event.data}};
                break;
            default: return Outcome::ignored();
        }
        if (!spec.contains(key)) return Outcome::ignored();
        ctx.record("user", row);
        if (event.kind == Event::Kind::text) {
            auto& seen = ctx.state()["seen"];
            if (seen.is_null()) seen = nlohmann::json::array();
            seen.push_back(event.text);
        }
        if (event.kind == Event::Kind::timer) say(ctx, "timer fired " + event.data);
        if (event.kind == Event::Kind::deferred) say(ctx, "deferred " + event.data);
        return outcome_of(spec[key].get<std::string>());
    }

    Outcome on_return(ElementContext& ctx) override {
        say(ctx, "back at " + ctx.element_id() + " state " + ctx.state().dump());
        return outcome_of(ctx.spec_as<Fields>().json.value("on_return", "next"));
    }

private:
    static void report(ElementContext& ctx, const nlohmann::json& what) {
        for (const auto& item : what) {
            const auto fact = item.get<std::string>();
            if (fact == "attempt") say(ctx, "attempt " + std::to_string(ctx.attempt()));
            if (fact == "history") {
                ctx.record("user", {{"note", "before counting"}});
                say(ctx, "history " + std::to_string(ctx.history().size()));
            }
            if (fact == "settings") say(ctx, "settings " + ctx.settings().dump());
            if (fact == "key_context")
                say(ctx,
                    "key context " + ctx.sealed_setting_context("api_key_sealed").value_or("(platform's)"));
            if (fact == "seed") say(ctx, "seed " + std::to_string(ctx.random_seed()));
            if (fact == "state") {
                ctx.state() = {{"kept", ctx.element_id()}};
                say(ctx, "state set");
            }
        }
    }
};

}  // namespace

PROFO_PLUGIN(ScriptElement, element)
