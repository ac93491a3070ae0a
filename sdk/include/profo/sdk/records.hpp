// The platform's data model: the records storage keeps, as plain values.
//
// Every record that belongs to a tenant carries account_id. Times are Unix
// epoch milliseconds. JSON-valued fields are serialized JSON text ("{}" when
// empty), so storage plugins need not understand their contents.
//
// Element plugins see a Run and its ConversationEntry rows through
// ElementContext; the storage interfaces that read and write these records
// are in storage.hpp, for the host and transports.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace profo::sdk {

using Id = std::int64_t;
using Millis = std::int64_t;

inline constexpr Id kDefaultAccountId = 1;

struct Account {
    Id id = 0;
    std::string name;
    Millis created_at = 0;
};

struct AccountMember {
    Id id = 0;
    Id account_id = 0;
    std::int64_t telegram_user_id = 0;
    std::string username;
    std::string role = "admin";  // owner | admin
    Millis created_at = 0;
};

struct Bot {
    Id id = 0;
    Id account_id = 0;
    std::string username;      // unique across the platform (Telegram's own rule)
    std::string token_sealed;  // SecretBox::seal(token, bot_token_context(...)); never the plain token
    std::string settings_json = "{}";
    // poll | webhook; 2.5: preview, the account's own bot of the panel's
    // preview chat, which no transport serves and Telegram never sees.
    std::string mode = "poll";
    std::int64_t update_offset = 0;  // next getUpdates offset, advanced after commit
    Millis created_at = 0;
    bool enabled = true;  // a disabled bot keeps its data but is not served
};

// What a bot's sealed token is bound to (SecretBox contexts): its row, named by
// account and id. The id is the row's own, not the username (which getMe may
// change) nor Telegram's bot id (which is part of the secret itself), so the
// token is sealed after the row is inserted, in the same transaction.
inline std::string bot_token_context(Id account_id, Id bot_id) {
    return "bots.token_sealed:" + std::to_string(account_id) + "/" + std::to_string(bot_id);
}

// What an account's sealed enrollment key (external start links) is bound to.
inline std::string enrollment_key_context(Id account_id) {
    return "enrollment_keys.key_sealed:" + std::to_string(account_id);
}

struct Course {
    Id id = 0;
    Id account_id = 0;
    std::string name;  // unique per account
    Millis created_at = 0;
    Millis updated_at = 0;
};

// An immutable snapshot of a course's elements. number counts from 1 per course.
struct CourseVersion {
    Id id = 0;
    Id account_id = 0;
    Id course_id = 0;
    int number = 0;
    std::string source_name;  // where it came from: file name, "panel", ...
    Millis created_at = 0;
};

struct CourseElement {
    Id id = 0;
    Id account_id = 0;
    Id version_id = 0;
    int position = 0;        // course order, from 0
    std::string element_id;  // the YAML key
    std::string type;
    std::string body_json;  // every field of the element as written, in order
};

struct CourseDeployment {
    Id id = 0;
    Id account_id = 0;
    Id course_id = 0;
    Id version_id = 0;
    Id bot_id = 0;
    std::string environment = "test";  // test | prod; 2.5: preview (on the preview bot)
    std::string overrides_json = "{}";
    std::string legacy_alias;  // accepts legacy `/start <alias>` when set
    bool active = true;
    Millis created_at = 0;
    // Only listed participants (by Telegram id or username) and holders of
    // personal tokens may start it.
    bool restricted = false;
    // A student who starts it again while taking it begins anew (the old run
    // ends as abandoned) instead of carrying on where they were.
    bool allow_restart = false;
    // A new run asks for the student's email address, and checks it, before
    // its first element.
    bool collect_email = false;
    // 2.2: when it was archived, for good: it takes no new students (active is
    // false too) and listings leave it out; runs already under way may finish.
    std::optional<Millis> archived_at;
};

// 2.2: what a secret in a deployment's overrides is sealed for (SecretBox
// contexts): that deployment's row, the plugin and the setting, so a key
// copied into another deployment, or into the platform's own settings, does
// not open there.
inline std::string deployment_override_context(Id account_id, Id deployment_id, std::string_view plugin_id,
                                               std::string_view setting) {
    return "course_deployments.overrides_json:" + std::to_string(account_id) + "/" +
           std::to_string(deployment_id) + ":" + std::string(plugin_id) + "." + std::string(setting);
}

// How students get into a deployment: the token's type (an enrollment
// plugin) decides, when a start link names it, whether a run may begin.
struct EnrollmentToken {
    Id id = 0;
    Id account_id = 0;
    Id deployment_id = 0;
    std::string type;  // public | group | personal | external | ...
    std::string code;  // unique per deployment; 1..32 of [A-Za-z0-9-] (deep_link.hpp)
    std::optional<std::int64_t> max_uses;
    std::int64_t uses = 0;
    std::optional<Millis> expires_at;  // its links stop working
    std::string utm_json = "{}";       // {"source", "medium", "campaign"}: copied to each run it starts
    bool revoked = false;              // withdrawn for good
    Millis created_at = 0;
    std::string label;   // for the people who hand it out: "Spring cohort", "newsletter"
    bool active = true;  // false: paused, its links refused until it is resumed
    // A cohort's start window: runs begin only from starts_at and before ends_at.
    std::optional<Millis> starts_at;
    std::optional<Millis> ends_at;
    // A personal token bound to one Telegram user, by id or by username.
    std::optional<std::int64_t> user_id;
    std::string username;
};

// Where a run stands. Only `active` runs take events; the others are history.
enum class RunStatus {
    active,     // the student is taking the course
    completed,  // it reached its end
    stopped,    // the platform stopped it (a go_to loop, an operator)
    blocked,    // the student blocked the bot
    abandoned,  // the student started another course on the same bot
};

constexpr std::string_view to_string(RunStatus status) noexcept {
    switch (status) {
        case RunStatus::active: return "active";
        case RunStatus::completed: return "completed";
        case RunStatus::stopped: return "stopped";
        case RunStatus::blocked: return "blocked";
        case RunStatus::abandoned: return "abandoned";
    }
    return "active";
}

constexpr std::optional<RunStatus> parse_run_status(std::string_view text) noexcept {
    for (const auto status : {RunStatus::active, RunStatus::completed, RunStatus::stopped, RunStatus::blocked,
                              RunStatus::abandoned})
        if (to_string(status) == text) return status;
    return std::nullopt;
}

struct Run {
    Id id = 0;
    Id account_id = 0;
    Id bot_id = 0;
    Id deployment_id = 0;
    std::int64_t chat_id = 0;
    std::int64_t user_id = 0;
    std::string username;
    std::optional<Id> token_id;  // the enrollment token it started with
    RunStatus status = RunStatus::active;
    bool active = true;             // at most one active run per (bot_id, chat_id)
    std::string cursor;             // current element id
    std::string state_json = "{}";  // engine and per-element state
    // {"source", "medium", "campaign"} of the link it started with, and
    // "external_ref" when an external (LMS) link named the student.
    std::string utm_json = "{}";
    Millis started_at = 0;
    Millis updated_at = 0;
    std::optional<Millis> ended_at;
    // 2.4: the course version it plays, fixed at its start (0: a run stored
    // before 2.4 whose version was not known).
    Id version_id = 0;
    // 2.5: a run of the panel's preview chat: kept out of analytics, exports
    // and run lists (RunFilter::preview asks for these instead).
    bool preview = false;
};

struct ConversationEntry {
    Id id = 0;
    Id account_id = 0;
    Id run_id = 0;
    std::string element_id;
    std::string role;  // bot | user
    std::string payload_json = "{}";
    std::optional<double> score;
    std::optional<double> maxscore;
    int attempt = 1;
    Millis created_at = 0;
};

// A durable timer: the run continues when it fires.
struct WaitingElement {
    Id id = 0;
    Id account_id = 0;
    Id run_id = 0;
    std::string element_id;
    Millis due_at = 0;
    std::string payload_json = "{}";
    std::string status = "pending";  // pending | fired | cancelled
    Millis created_at = 0;
};

struct Ban {
    Id id = 0;
    Id account_id = 0;
    std::optional<Id> bot_id;  // empty: banned on every bot of the account
    std::int64_t user_id = 0;
    std::string reason;  // for the operators
    Millis created_at = 0;
    std::string message;  // what the student is told; empty: the deployment's `banned` text
};

// Allow-list entry of a restricted deployment (by user id or by username).
struct Participant {
    Id id = 0;
    Id account_id = 0;
    Id deployment_id = 0;
    std::optional<std::int64_t> user_id;
    std::string username;
    Millis created_at = 0;
};

// A message waiting to be sent. Sending settles it: the row leaves the outbox
// (the conversation history already holds what was sent), so the outbox stays
// as short as the queue itself and needs no index to be scanned.
struct OutboxMessage {
    Id id = 0;
    Id account_id = 0;
    Id bot_id = 0;
    std::int64_t chat_id = 0;
    std::optional<Id> run_id;
    std::string payload_json;        // an OutboundMessage as JSON (outbound.hpp)
    std::string status = "pending";  // pending | failed (given up; kept for inspection)
    int attempts = 0;
    Millis next_attempt_at = 0;
    std::string last_error;
    Millis created_at = 0;
};

// A poll sent to a student: a poll answer carries only the poll id and the
// user, so this maps it back to its run and element.
struct PollRecord {
    Id account_id = 0;
    Id bot_id = 0;
    std::string poll_id;  // Telegram's id, unique across Telegram
    Id run_id = 0;
    std::string element_id;
    std::int64_t activation = 0;  // the element visit that sent it
    Millis created_at = 0;
};

// 2.3: a key the panel issues for automation. The key is `prefix` followed
// by a secret part; only its digest is kept, so a stolen database holds no
// key that works.
struct ApiKey {
    Id id = 0;
    Id account_id = 0;
    std::string label;                    // what it is for: "CI upload", "nightly export"
    std::string prefix;                   // the public part the key is looked up by; unique on the platform
    std::string secret_hash;              // lowercase hex SHA-256 of the whole key
    std::string role = "admin";           // owner | admin: what the key may do in its account
    std::int64_t created_by_user_id = 0;  // the Telegram user who issued it
    Millis created_at = 0;
    std::optional<Millis> last_used_at;
    std::optional<Millis> revoked_at;  // refused from then on, kept for the record
};

// 2.3: a signed-in browser of the panel. It belongs to a Telegram user, not
// to an account: the user may be a member of several. The cookie holds a
// token; only its digest is kept.
struct PanelSession {
    Id id = 0;
    std::string token_hash;  // lowercase hex SHA-256 of the cookie's token; unique
    // 0 only in a session pinned to an account (a login link's: the
    // platform's operator, who need not be a Telegram user).
    std::int64_t telegram_user_id = 0;
    std::string username;
    std::string first_name;
    Millis created_at = 0;
    Millis expires_at = 0;
    Millis last_seen_at = 0;
    // Opened through a one-time login link: this account only, whatever
    // else the user is a member of.
    std::optional<Id> pinned_account_id;
};

// 2.3: a one-time sign-in link of an account (`profo admin login-link`).
// The link carries a token; only its digest is kept.
struct LoginLink {
    Id id = 0;
    Id account_id = 0;
    std::string token_hash;  // lowercase hex SHA-256 of the link's token; unique
    Millis created_at = 0;
    Millis expires_at = 0;
    std::optional<Millis> used_at;  // set by the one sign-in it allowed
};

struct RunFilter {
    std::optional<Id> deployment_id;
    std::optional<Id> bot_id;
    std::optional<RunStatus> status;
    int limit = 100;
    int offset = 0;
    // 2.4
    std::optional<Id> token_id;
    std::optional<Millis> started_from;    // started at or after
    std::optional<Millis> started_before;  // started before
    bool preview = false;                  // 2.5: preview runs instead of real ones
    // 2.12: only the runs of this chat (a student's private chat is their user id).
    std::optional<std::int64_t> chat_id;
    bool newest_first = false;  // 2.12: by id, newest first, instead of oldest first
};

// 2.4: the runs the panel's analytics count, of one account.
struct AnalyticsFilter {
    std::vector<Id> version_ids;  // the versions they play; empty: any
    std::optional<Id> deployment_id;
    std::optional<Millis> started_from;    // started at or after
    std::optional<Millis> started_before;  // started before
};

// 2.5: how its transport last found a bot, for the panel's bots screen.
// Written when the state changes or an error comes, not per update.
struct BotHealth {
    Id bot_id = 0;
    std::string state;       // polling | webhook | failing | stopped ("" until first served)
    std::string last_error;  // Telegram's description or the network error, newest first
    Millis last_error_at = 0;
    Millis updated_at = 0;
};

struct RunStatusCount {
    RunStatus status = RunStatus::active;
    std::int64_t runs = 0;
};

// Of one element of a course version: the runs that reached it, and their
// first scored answers there.
struct ElementProgress {
    std::string element_id;
    std::int64_t reached = 0;
    std::int64_t scored = 0;
    double score_sum = 0;
    double maxscore_sum = 0;
};

// Runs that started in one week (from Monday 00:00 UTC).
struct RunCohort {
    Millis week_start = 0;
    std::int64_t started = 0;
    std::int64_t completed = 0;
};

// Runs by the token and the UTM tags they started with.
struct RunSource {
    std::optional<Id> token_id;
    std::string utm_json = "{}";
    std::int64_t started = 0;
    std::int64_t completed = 0;
};

// 2.7: what a member of the bot's account asked for in the chat (`/create`,
// `/edit COURSE`): the next course file or text the chat sends is for it,
// until it expires. One per chat.
struct ChatAuthoring {
    Id bot_id = 0;
    std::int64_t chat_id = 0;
    std::int64_t user_id = 0;     // the member who asked
    std::string mode;             // "create" or "edit"
    std::string course_name;      // create: the name `/create NAME` gave ("" takes the file's)
    std::optional<Id> course_id;  // edit: the course a changed file becomes a version of
    Millis expires_at = 0;
};

// Thrown by storage methods. A failed method leaves the transaction usable only
// for rollback (destroying it without commit()).
class StorageError : public std::runtime_error {
public:
    enum class Code { conflict, invalid, unavailable, schema_too_new, internal };
    StorageError(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
    Code code() const noexcept { return code_; }

private:
    Code code_;
};

}  // namespace profo::sdk
