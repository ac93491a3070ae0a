// Element plugins: one course element type each (message, quiz, dialog, ...).
//
// The engine owns the run: its cursor, the transaction, the history and the
// outbox. An element plugin checks its own YAML fields once, when a course
// version is compiled, into a typed ElementSpec of its own, and reacts to the
// events the engine routes to it through ElementContext. It holds no per-run
// state of its own: whatever it must remember lives in ctx.state(), which the
// engine stores with the run in the same transaction as everything else.
// Element plugins never see storage: the run and its history reach them
// through ElementContext alone.
#pragma once

#include <profo/sdk/engine.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/records.hpp>
#include <profo/sdk/telegram_auth.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace profo::sdk {

// ---------------------------------------------------------------- validation

// One problem found in an element. `field` is a path into the element's fields:
// "answers", "answers[2].text", "" for the element as a whole. The host turns it
// into `FILE:LINE: element ID: message` using the YAML positions it recorded.
struct ValidationIssue {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    std::string field;
    std::string message;
};

class PROFO_SDK_API ValidationReport {
public:
    virtual ~ValidationReport() = default;
    virtual void add(ValidationIssue issue) = 0;

    void error(std::string field, std::string message) {
        add({ValidationIssue::Severity::error, std::move(field), std::move(message)});
    }
    void warning(std::string field, std::string message) {
        add({ValidationIssue::Severity::warning, std::move(field), std::move(message)});
    }
};

// What an element can ask about the rest of the course while it is validated.
class PROFO_SDK_API CourseOutline {
public:
    virtual ~CourseOutline() = default;
    virtual bool has_element(const std::string& element_id) const = 0;
    virtual const std::vector<std::string>& element_ids() const = 0;       // course order
    virtual std::string type_of(const std::string& element_id) const = 0;  // "" when absent
};

// One element's fields, checked and converted once when its course version is
// compiled, then shared read-only by every run of that version (from several
// threads at once). Each element type derives its own; the engine hands it
// back through ElementContext::spec_as<T>().
class PROFO_SDK_API ElementSpec {
public:
    virtual ~ElementSpec() = default;
};

// ------------------------------------------------------------------- events

struct Event {
    enum class Kind {
        start,         // the run begins at this element (text = start payload)
        text,          // free text from the student
        voice,         // a voice message (file_id in `data`)
        button,        // an inline button of this element pressed (`index`)
        poll_answer,   // answer to this element's poll (`options`; empty = retracted)
        web_app_data,  // a Mini App answer (`data`)
        timer,         // a timer this element scheduled fired (`data` = its payload)
        deferred,      // result of work this element deferred (`data`)
    };
    Kind kind = Kind::text;
    std::string text;
    int index = -1;
    std::vector<int> options;
    std::string data;
};

// What Event::deferred carries for deferred work whose result never came
// back (see ElementContext::defer): `error` says why, `interrupted` is true.
inline nlohmann::json interrupted_result(const std::string& why) {
    return {{"error", why}, {"interrupted", true}};
}

// Whether a deferred result is interrupted_result(): the work may not have
// run at all, and asking again is safe.
inline bool is_interrupted(const nlohmann::json& result) {
    if (!result.is_object()) return false;
    const auto flag = result.find("interrupted");
    return flag != result.end() && flag->is_boolean() && flag->get<bool>();
}

// ------------------------------------------------------------------ actions

struct OutButton {
    std::string text;
    std::string web_app_url;  // a web_app button when set; else a callback button
};

// A transport-neutral message to the student. The engine assigns callback
// data (never the button text: Telegram limits it to 64 bytes), splits text
// longer than 4096 characters and stores the action in the outbox.
struct OutAction {
    enum class Kind { text, media, audio, poll, typing };
    Kind kind = Kind::text;
    std::string text;        // message text, caption, or poll question
    std::string parse_mode;  // "", HTML, MARKDOWN, MarkdownV2
    bool link_preview = true;
    std::vector<std::string> media;  // URLs; media: images/videos (album when >1)
    std::vector<OutButton> buttons;  // one per row
    std::vector<std::string> poll_options;
    bool quiz = false;                  // quiz poll (needs correct_option)
    std::optional<int> correct_option;  // quiz only
    bool multiple_answers = false;
};

// ---------------------------------------------------------------- outcomes

// What the engine does after an element handled its entry or an event.
struct Outcome {
    enum class Kind {
        next,     // go on with the next element in course order
        wait,     // stay here until an event arrives
        go_to,    // go on at `target`
        call,     // play `target`, then come back: on_return() is called here
        end,      // the run is completed
        ignored,  // the event does not fit: the student gets the "use the buttons" hint
    };
    Kind kind = Kind::next;
    std::string target;

    static Outcome next() { return {Kind::next, {}}; }
    static Outcome wait() { return {Kind::wait, {}}; }
    static Outcome go_to(std::string id) { return {Kind::go_to, std::move(id)}; }
    static Outcome call(std::string id) { return {Kind::call, std::move(id)}; }
    static Outcome end() { return {Kind::end, {}}; }
    static Outcome ignored() { return {Kind::ignored, {}}; }
};

// ------------------------------------------------------------------ context

// The run as one element sees it while the engine handles one event. Every
// write joins the event's single transaction.
class PROFO_SDK_API ElementContext {
public:
    virtual ~ElementContext() = default;

    virtual const std::string& element_id() const = 0;
    // What this type's ElementPlugin::compile() made of the element's fields.
    virtual const ElementSpec& spec() const = 0;
    // The same as the plugin's own type: `T` is what its compile() returns.
    template <class T>
    const T& spec_as() const {
        return static_cast<const T&>(spec());
    }
    // The element's fields as written in the course (to quote them, never to
    // re-read them: spec() has them checked).
    virtual const nlohmann::json& source() const = 0;
    // Element ids in course order and any element's fields as written
    // (revision replays others; test and revision filter by prefix; dialog
    // prompts quote other elements).
    virtual const std::vector<std::string>& course_order() const = 0;
    virtual const nlohmann::json* element_source(const std::string& element_id) const = 0;

    // This element's state in this run: null on entry, kept until it is left.
    virtual nlohmann::json& state() = 0;
    virtual const Run& run() const = 0;
    // 1 for the first pass, +1 each time the element is played again.
    virtual int attempt() const = 0;
    virtual TimePoint now() const = 0;
    virtual Logger& log() = 0;
    // Plugin settings merged with the deployment's overrides for this plugin.
    virtual const nlohmann::json& settings() const = 0;

    virtual void send(const OutAction& action) = 0;
    // Records a conversation row for this element. Graded elements pass both
    // score and maxscore; `test` and `revision` read them back.
    virtual void record(const std::string& role, const nlohmann::json& payload,
                        std::optional<double> score = std::nullopt,
                        std::optional<double> maxscore = std::nullopt) = 0;
    // The run's history so far, this event's records included, oldest first.
    virtual std::vector<ConversationEntry> history() const = 0;

    // A durable timer: at `due` the element receives Event::timer with `payload`.
    virtual void schedule(TimePoint due, const nlohmann::json& payload) = 0;

    // Work that must not run inside the transaction (a network call). It runs
    // after the commit on the host's pool for blocking calls; what it returns
    // comes back as Event::deferred to this element, if the run is still here
    // by then. A throwing task delivers {"error": what()}.
    //
    // The task lives only in memory, so the event's transaction also stores a
    // deadline (engine.deferred.deadline_ms). Each deferral comes back exactly
    // once while the run stays here: either as the task's result or, when no
    // result was stored in time (the process was killed, the result could not
    // be stored, the pool's queue was full), as interrupted_result(): the
    // element must then ask again or give up, never wait for the lost result.
    // A task may still be running when its deadline passes; what it returns
    // then is dropped. Keep tasks shorter than the deadline.
    virtual void defer(std::function<nlohmann::json()> task) = 0;

    // A string the engine can feed a pseudo-random generator with: stable for
    // one run and one attempt, so replays are reproducible.
    virtual std::uint64_t random_seed() const = 0;

    // 2.2: the SecretBox context a `*_sealed` value of settings() is sealed
    // for when the run's deployment brought it in its overrides
    // (sdk::deployment_override_context of that deployment); empty when the
    // value is the platform's own, which the plugin opens under the context
    // it documents for that setting. Opening a tenant's key under its own
    // row's context is what keeps it from being used by another deployment.
    virtual std::optional<std::string> sealed_setting_context(const std::string& /*setting*/) const {
        return std::nullopt;
    }
};

// ---------------------------------------------------------------- the host

// What an element plugin may use outside a run's event, for HTTP endpoints of
// its own (the miniapp element serves its questions and takes answers).
class PROFO_SDK_API ElementHost : public HostApi {
public:
    // Dispatches student events and looks up an element of a run.
    virtual CourseEngine& engine() = 0;
    // Checks data Telegram signed with a bot's token, without handing out the token.
    virtual const TelegramSignatures& telegram() const = 0;
};

// --------------------------------------------------------------- the plugin

class PROFO_SDK_API ElementPlugin : public Plugin {
public:
    static constexpr PluginKind kKind = PluginKind::element;

    // The `type:` this plugin implements, and any legacy spellings of it.
    virtual std::string type() const = 0;
    virtual std::vector<std::string> aliases() const { return {}; }

    // Fields this type understands (for the "unknown field" warning and the
    // JSON Schema): exactly the properties of json_schema(), `type` left out.
    virtual std::vector<std::string> fields() const = 0;
    // JSON Schema (draft 2020-12) of one element of this type, `type` included;
    // every property has a description.
    virtual nlohmann::json json_schema() const = 0;
    // Checks the fields (required ones, types, limits, references to other
    // elements) and converts them into this type's ElementSpec. Reports every
    // problem it finds; returns nullptr exactly when it reported an error. An
    // element without any field is an error when the type has required
    // fields. Must not throw for bad input, however hostile: report it.
    virtual std::unique_ptr<ElementSpec> compile(const nlohmann::json& fields, const CourseOutline& course,
                                                 ValidationReport& report) const = 0;

    // Called once after every enabled plugin is loaded and storage is open.
    virtual void start(ElementHost& /*host*/) {}

    // The run arrives at this element.
    virtual Outcome enter(ElementContext& ctx) = 0;
    // An event addressed to this element while the run waits here.
    virtual Outcome on_event(ElementContext& /*ctx*/, const Event& /*event*/) { return Outcome::ignored(); }
    // The element this one called (Outcome::call) has finished.
    virtual Outcome on_return(ElementContext& /*ctx*/) { return Outcome::next(); }
    // Whether a student's answer here is scored (revision replays only these).
    virtual bool graded() const { return false; }
    // The settings a deployment may override for this plugin (overrides of
    // any other key are ignored). When an override changes a setting whose
    // name ends in `url`, or brings a credential of its own (a `*_sealed`
    // setting, see ElementContext::sealed_setting_context), the platform's own
    // secrets (settings naming a key, token, secret or password) are left
    // out: a tenant that chooses an endpoint brings its own credential, and a
    // tenant's credential is the one used for its students.
    virtual std::vector<std::string> overridable_settings() const { return {}; }
};

}  // namespace profo::sdk
