// The course engine as transports and plugins see it: they turn what students
// do into InboundEvents and dispatch them; the engine runs the course and puts
// what the student should see into the outbox (outbound.hpp).
#pragma once

#include <profo/sdk/abi.hpp>
#include <profo/sdk/records.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace profo::sdk {

struct InboundEvent {
    enum class Kind {
        start,         // /start: text = the link's payload (deep_link.hpp), if any
        text,          // free text
        voice,         // voice message (text = file id)
        callback,      // inline button (callback_data as the engine issued it)
        poll_answer,   // poll_id + options
        web_app_data,  // Mini App answer (text = data)
        blocked,       // the student blocked the bot
        unblocked,     // ... and unblocked it
        document,      // 2.7: a file; `file_name`, `file_size`, and in `text` its content when
                       // the transport fetched it (small files only), else nothing
    };
    Kind kind = Kind::text;
    Id bot_id = 0;
    std::int64_t chat_id = 0;
    std::int64_t user_id = 0;
    std::string username;
    // Start only. Set by a trusted caller (`profo course play`, the panel),
    // it names the deployment to begin, with no link and no token. Empty: the
    // engine reads the link in `text` and the token's enrollment plugin decides.
    std::optional<Id> deployment_id;
    std::optional<Id> token_id;   // start with deployment_id only: recorded with the run
    std::string utm_json = "{}";  // start with deployment_id only
    std::string text;
    std::string callback_data;
    std::string callback_id;  // answered through the outbox, so the client stops spinning
    std::string poll_id;
    std::vector<int> options;
    // Telegram's update id: recorded in the same transaction as the effects,
    // and an update seen before is ignored.
    std::optional<std::int64_t> update_id;
    // 2.7, document only: the file's name as the sender gave it, its size in
    // bytes as Telegram reported it, and the caption sent with it.
    std::string file_name;
    std::int64_t file_size = 0;
    std::string caption;
};

struct DispatchResult {
    enum class Status {
        handled,    // effects committed
        duplicate,  // update_id seen before: nothing done
        no_run,     // no active run for this chat (and not a start)
        ignored,    // did not fit the current element: hint sent
        refused,    // start refused (a refused link, a ban, ...): `message` says why for the
                    // log; the student was told in the deployment's words
        failed,     // nothing committed (an element threw, storage failed): `message` says
                    // why, and delivering the same event again is safe
    };
    Status status = Status::handled;
    std::optional<Id> run_id;
    std::string message;
};

// One element of a run's course, as the run plays it: the run's own course
// version, whatever its deployment has moved on to since.
struct RunElement {
    Run run;
    std::string element_id;
    std::string type;       // canonical element type
    nlohmann::json source;  // the element's fields as written
    int attempt = 0;        // visits of the element in this run so far (0: never entered)
    bool current = false;   // the run is active and waits at this element now
    nlohmann::json state;   // the element's ElementContext::state() while current, else null
};

class PROFO_SDK_API CourseEngine {
public:
    virtual ~CourseEngine() = default;
    // Handles one event in one storage transaction. Events of one (bot, chat)
    // are handled strictly one at a time and in call order; different chats
    // may be handled in parallel. Thread-safe.
    virtual DispatchResult dispatch(const InboundEvent& event) = 0;
    // Element `element_id` of run `run_id` of the account; empty when there is
    // no such run, or its course has no such element. Thread-safe.
    virtual std::optional<RunElement> run_element(Id account_id, Id run_id,
                                                  const std::string& element_id) = 0;
    // 2.6: handles `events` as dispatch() would, one at a time per (bot,
    // chat) in the order given, and returns their results in that order once
    // all are settled. Events of different chats may share one transaction
    // (group commit), each under its own savepoint: a result is final only
    // when returned, and `handled` means committed. Once an event of a chat
    // fails, the chat's later events in `events` fail too without being
    // tried, so a caller that redelivers from its first failure keeps each
    // chat in order. The default dispatches one by one. Thread-safe.
    virtual std::vector<DispatchResult> dispatch_all(const std::vector<InboundEvent>& events);

    // 2.9: dispatch_all without waiting for it. `done` is called once, with
    // the results dispatch_all would return, when every event is settled: on
    // the engine's thread that settled the last one, or on the calling thread
    // before this returns. `done` must return quickly and must not dispatch
    // and wait (it may run where events are handled); an event loop posts the
    // results to itself. The default calls dispatch_all and then `done` on
    // the calling thread. Thread-safe.
    using DispatchDone = std::function<void(std::vector<DispatchResult>)>;
    virtual void dispatch_all_then(std::vector<InboundEvent> events, DispatchDone done);
};

}  // namespace profo::sdk
