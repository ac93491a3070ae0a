// Storage: the data model of the platform and the storage plugin interface.
//
// Every record that belongs to a tenant carries account_id, and every method
// that touches tenant data takes the account id first and is scoped by it: a
// record of another account is "not found", never returned or changed. The few
// methods that must see all tenants (schedulers, dispatchers, sign-in) say so in
// their names (`..._all_accounts`, `memberships_of`).
//
// Times are Unix epoch milliseconds. JSON-valued fields are serialized JSON text
// ("{}" when empty), so storage plugins need not understand their contents.
#pragma once

#include <profo/sdk/plugin.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
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
    std::string token_sealed;  // SecretBox::seal(token); never the plain token
    std::string settings_json = "{}";
    std::string mode = "poll";       // poll | webhook
    std::int64_t update_offset = 0;  // next getUpdates offset, advanced after commit
    Millis created_at = 0;
};

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
    std::string environment = "test";  // test | prod
    std::string overrides_json = "{}";
    std::string legacy_alias;  // accepts legacy `/start <alias>` when set
    bool active = true;
    Millis created_at = 0;
};

struct EnrollmentToken {
    Id id = 0;
    Id account_id = 0;
    Id deployment_id = 0;
    std::string type;  // public | group | personal | external | ...
    std::string code;  // unique per deployment; [A-Za-z0-9-]
    std::optional<std::int64_t> max_uses;
    std::int64_t uses = 0;
    std::optional<Millis> expires_at;
    std::string utm_json = "{}";
    bool revoked = false;
    Millis created_at = 0;
};

struct Run {
    Id id = 0;
    Id account_id = 0;
    Id bot_id = 0;
    Id deployment_id = 0;
    std::int64_t chat_id = 0;
    std::int64_t user_id = 0;
    std::string username;
    std::optional<Id> token_id;
    std::string status = "active";  // active | completed | stopped | blocked
    bool active = true;             // at most one active run per (bot_id, chat_id)
    std::string cursor;             // current element id
    std::string state_json = "{}";  // engine and per-element state
    std::string utm_json = "{}";
    Millis started_at = 0;
    Millis updated_at = 0;
    std::optional<Millis> ended_at;
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
    std::string reason;
    Millis created_at = 0;
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
    std::string payload_json;        // a transport-neutral action, see element.hpp
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

struct RunFilter {
    std::optional<Id> deployment_id;
    std::optional<Id> bot_id;
    std::optional<std::string> status;
    int limit = 100;
    int offset = 0;
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

// One database transaction. Destroying it without commit() rolls back.
// Not thread-safe: one transaction belongs to one thread at a time.
class PROFO_SDK_API StorageTx {
public:
    virtual ~StorageTx() = default;
    virtual void commit() = 0;

    // Accounts and members.
    virtual Account create_account(const std::string& name) = 0;
    virtual std::optional<Account> get_account(Id account_id) = 0;
    virtual std::vector<Account> list_accounts() = 0;
    virtual AccountMember add_member(Id account_id, const AccountMember& member) = 0;
    virtual std::vector<AccountMember> list_members(Id account_id) = 0;
    virtual bool remove_member(Id account_id, Id member_id) = 0;
    // Sign-in: every account the Telegram user belongs to.
    virtual std::vector<AccountMember> memberships_of(std::int64_t telegram_user_id) = 0;

    // Bots.
    virtual Bot create_bot(Id account_id, const Bot& bot) = 0;
    virtual std::optional<Bot> get_bot(Id account_id, Id bot_id) = 0;
    virtual std::vector<Bot> list_bots(Id account_id) = 0;
    virtual bool update_bot(Id account_id, const Bot& bot) = 0;  // username, token, settings, mode
    virtual bool delete_bot(Id account_id, Id bot_id) = 0;
    virtual bool set_bot_offset(Id account_id, Id bot_id, std::int64_t offset) = 0;
    virtual std::vector<Bot> list_bots_all_accounts() = 0;  // transports serving every bot

    // Courses and their immutable versions.
    virtual Course create_course(Id account_id, const std::string& name) = 0;
    virtual std::optional<Course> get_course(Id account_id, Id course_id) = 0;
    virtual std::optional<Course> find_course(Id account_id, const std::string& name) = 0;
    virtual std::vector<Course> list_courses(Id account_id) = 0;
    virtual bool rename_course(Id account_id, Id course_id, const std::string& name) = 0;
    virtual bool delete_course(Id account_id, Id course_id) = 0;  // refused (conflict) while deployed
    // Numbers the version (max + 1) and stores its elements in the given order.
    virtual CourseVersion create_version(Id account_id, Id course_id, const std::string& source_name,
                                         const std::vector<CourseElement>& elements) = 0;
    virtual std::optional<CourseVersion> get_version(Id account_id, Id version_id) = 0;
    virtual std::vector<CourseVersion> list_versions(Id account_id, Id course_id) = 0;
    virtual std::vector<CourseElement> version_elements(Id account_id, Id version_id) = 0;

    // Deployments.
    virtual CourseDeployment create_deployment(Id account_id, const CourseDeployment& d) = 0;
    virtual std::optional<CourseDeployment> get_deployment(Id account_id, Id deployment_id) = 0;
    virtual std::vector<CourseDeployment> list_deployments(Id account_id) = 0;
    virtual bool update_deployment(Id account_id,
                                   const CourseDeployment& d) = 0;  // version, env, overrides, alias, active
    virtual std::optional<CourseDeployment> find_deployment_by_alias(Id account_id, Id bot_id,
                                                                     const std::string& alias) = 0;

    // Enrollment tokens.
    virtual EnrollmentToken create_token(Id account_id, const EnrollmentToken& token) = 0;
    virtual std::optional<EnrollmentToken> get_token(Id account_id, Id token_id) = 0;
    virtual std::optional<EnrollmentToken> find_token(Id account_id, Id deployment_id,
                                                      const std::string& code) = 0;
    virtual std::vector<EnrollmentToken> list_tokens(Id account_id, Id deployment_id) = 0;
    // Atomically uses+1 unless revoked or max_uses reached; false when refused.
    virtual bool consume_token(Id account_id, Id token_id) = 0;
    virtual bool revoke_token(Id account_id, Id token_id) = 0;

    // Runs. start_run throws StorageError(conflict) when the student already
    // has an active run on that bot.
    virtual Run start_run(Id account_id, const Run& run) = 0;
    virtual std::optional<Run> get_run(Id account_id, Id run_id) = 0;
    virtual std::optional<Run> active_run(Id account_id, Id bot_id, std::int64_t chat_id) = 0;
    virtual bool update_run(Id account_id, const Run& run) = 0;  // status, active, cursor, state, ended_at
    virtual std::vector<Run> list_runs(Id account_id, const RunFilter& filter) = 0;

    // Conversation history, oldest first.
    virtual Id append_conversation(Id account_id, const ConversationEntry& entry) = 0;
    virtual std::vector<ConversationEntry> conversation(Id account_id, Id run_id) = 0;

    // Durable timers.
    virtual Id add_timer(Id account_id, const WaitingElement& timer) = 0;
    virtual int cancel_run_timers(Id account_id, Id run_id) = 0;
    virtual std::vector<WaitingElement> due_timers_all_accounts(Millis now, int limit) = 0;
    virtual std::optional<Millis> next_timer_due_all_accounts() = 0;
    // pending -> fired; false when it was not pending (fired elsewhere or cancelled).
    virtual bool claim_timer(Id account_id, Id timer_id) = 0;

    // Bans and restricted-deployment participants.
    virtual Ban ban(Id account_id, const Ban& ban) = 0;
    virtual bool unban(Id account_id, Id ban_id) = 0;
    virtual std::vector<Ban> list_bans(Id account_id) = 0;
    virtual bool is_banned(Id account_id, Id bot_id, std::int64_t user_id) = 0;
    virtual Participant add_participant(Id account_id, const Participant& p) = 0;
    virtual bool remove_participant(Id account_id, Id participant_id) = 0;
    virtual std::vector<Participant> list_participants(Id account_id, Id deployment_id) = 0;
    virtual bool is_participant(Id account_id, Id deployment_id, std::int64_t user_id,
                                const std::string& username) = 0;

    // Ledger of handled Telegram updates: false when the update was seen before.
    virtual bool mark_update_processed(Id account_id, Id bot_id, std::int64_t update_id) = 0;

    // Outbox of messages to send.
    virtual Id enqueue_outbox(Id account_id, const OutboxMessage& message) = 0;
    virtual std::vector<OutboxMessage> pending_outbox_all_accounts(Millis now, int limit) = 0;
    // The chat's messages still in the outbox (pending and failed), oldest first.
    virtual std::vector<OutboxMessage> list_outbox(Id account_id, Id bot_id, std::int64_t chat_id) = 0;
    // The message was delivered: it leaves the outbox. False when it was not pending.
    virtual bool mark_outbox_sent(Id account_id, Id message_id) = 0;
    virtual bool mark_outbox_retry(Id account_id, Id message_id, Millis next_attempt_at,
                                   const std::string& error) = 0;
    virtual bool mark_outbox_failed(Id account_id, Id message_id, const std::string& error) = 0;

    // Polls (see PollRecord). Recording the same poll id twice is a conflict.
    virtual void record_poll(Id account_id, const PollRecord& poll) = 0;
    virtual std::optional<PollRecord> find_poll_all_accounts(Id bot_id, const std::string& poll_id) = 0;
};

struct MigrationReport {
    int from_version = 0;
    int to_version = 0;
    std::vector<int> applied;
};

class PROFO_SDK_API Storage {
public:
    virtual ~Storage() = default;
    virtual std::string backend() const = 0;  // "sqlite", "postgres"
    virtual std::unique_ptr<StorageTx> begin() = 0;

    // Applies numbered migrations up to `target` (latest when empty), each in its
    // own transaction. Safe when several processes migrate at once; a no-op when
    // up to date; throws StorageError(schema_too_new) when the database carries
    // a version this build does not know.
    virtual MigrationReport migrate(std::optional<int> target = std::nullopt) = 0;
    virtual int schema_version() = 0;
    virtual int latest_schema_version() const = 0;
};

struct StorageOptions {
    std::string dsn;  // sqlite: a file path (or ":memory:"); postgres: libpq conninfo
    int pool_size = 4;
    int busy_timeout_ms = 5000;
};

class PROFO_SDK_API StoragePlugin : public Plugin {
public:
    static constexpr PluginKind kKind = PluginKind::storage;
    // Opens (creating when needed) the database; does not migrate.
    virtual std::unique_ptr<Storage> open(const StorageOptions& options) = 0;
};

}  // namespace profo::sdk
