// Storage: the interfaces that read and write the data model (records.hpp),
// and the storage plugin interface.
//
// A transaction is split into roles, one small interface per group of tables,
// so that a new table touches one role and a caller can be handed only the
// roles it needs (an enrollment plugin gets TokenStore, never the runs).
//
// Every method that touches tenant data takes the account id first and is
// scoped by it: a record of another account is "not found", never returned or
// changed. The few methods that must see all tenants (schedulers, dispatchers,
// sign-in) say so in their names (`..._all_accounts`, `memberships_of`).
#pragma once

#include <profo/sdk/plugin.hpp>
#include <profo/sdk/records.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace profo::sdk {

// Tenancy administration: accounts, their members and their bots.
class PROFO_SDK_API AccountStore {
public:
    virtual ~AccountStore() = default;

    // Account names are unique on the platform, compared without regard to the
    // case of ASCII letters: a name another account has is a conflict.
    virtual Account create_account(const std::string& name) = 0;
    virtual std::optional<Account> get_account(Id account_id) = 0;
    virtual std::vector<Account> list_accounts() = 0;
    virtual AccountMember add_member(Id account_id, const AccountMember& member) = 0;
    virtual std::vector<AccountMember> list_members(Id account_id) = 0;
    // Refused (conflict) when it would leave an account that has an owner
    // without one; false when the account has no such member.
    virtual bool remove_member(Id account_id, Id member_id) = 0;
    // Sign-in: every account the Telegram user belongs to.
    virtual std::vector<AccountMember> memberships_of(std::int64_t telegram_user_id) = 0;

    virtual Bot create_bot(Id account_id, const Bot& bot) = 0;
    virtual std::optional<Bot> get_bot(Id account_id, Id bot_id) = 0;
    virtual std::vector<Bot> list_bots(Id account_id) = 0;
    virtual bool update_bot(Id account_id, const Bot& bot) = 0;  // username, token, settings, mode
    virtual bool delete_bot(Id account_id, Id bot_id) = 0;
    virtual bool set_bot_offset(Id account_id, Id bot_id, std::int64_t offset) = 0;
    virtual std::vector<Bot> list_bots_all_accounts() = 0;  // transports serving every bot

    // The key external (LMS) links of the account are signed with, sealed
    // (SecretBox); empty until one is made. Setting it replaces the old one.
    virtual std::optional<std::string> enrollment_key(Id account_id) = 0;
    virtual void set_enrollment_key(Id account_id, const std::string& key_sealed) = 0;
};

// Renaming accounts and changing members (2.2). A role of its own rather than
// more of AccountStore: StorageTx's commit() follows AccountStore's methods in
// the vtable they share, so growing AccountStore would move commit() under
// every transport built for 2.1.
class PROFO_SDK_API AccountChanges {
public:
    virtual ~AccountChanges() = default;

    // False when there is no such account; a name another account has is a
    // conflict (as in create_account).
    virtual bool rename_account(Id account_id, const std::string& name) = 0;
    // The member's username and role, by member.id; false when the account has
    // no such member. Demoting the account's last owner is refused (conflict).
    virtual bool update_member(Id account_id, const AccountMember& member) = 0;
};

// Courses and their immutable versions.
class PROFO_SDK_API CourseStore {
public:
    virtual ~CourseStore() = default;

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
};

// Deployments and who may take them: bans and restricted-deployment participants.
class PROFO_SDK_API DeploymentStore {
public:
    virtual ~DeploymentStore() = default;

    virtual CourseDeployment create_deployment(Id account_id, const CourseDeployment& d) = 0;
    virtual std::optional<CourseDeployment> get_deployment(Id account_id, Id deployment_id) = 0;
    virtual std::vector<CourseDeployment> list_deployments(Id account_id) = 0;
    // version, environment, overrides, alias, active
    virtual bool update_deployment(Id account_id, const CourseDeployment& d) = 0;
    virtual std::optional<CourseDeployment> find_deployment_by_alias(Id account_id, Id bot_id,
                                                                     const std::string& alias) = 0;

    virtual Ban ban(Id account_id, const Ban& ban) = 0;
    virtual bool unban(Id account_id, Id ban_id) = 0;
    virtual std::vector<Ban> list_bans(Id account_id) = 0;
    virtual bool is_banned(Id account_id, Id bot_id, std::int64_t user_id) = 0;
    virtual Participant add_participant(Id account_id, const Participant& p) = 0;
    virtual bool remove_participant(Id account_id, Id participant_id) = 0;
    virtual std::vector<Participant> list_participants(Id account_id, Id deployment_id) = 0;
    virtual bool is_participant(Id account_id, Id deployment_id, std::int64_t user_id,
                                const std::string& username) = 0;
    // The ban that keeps the user off the bot: one of that bot before an
    // account-wide one, the newest first; empty when there is none.
    virtual std::optional<Ban> find_ban(Id account_id, Id bot_id, std::int64_t user_id) = 0;
};

// Enrollment tokens: what an enrollment plugin is handed while it decides.
class PROFO_SDK_API TokenStore {
public:
    virtual ~TokenStore() = default;

    virtual EnrollmentToken create_token(Id account_id, const EnrollmentToken& token) = 0;
    virtual std::optional<EnrollmentToken> get_token(Id account_id, Id token_id) = 0;
    virtual std::optional<EnrollmentToken> find_token(Id account_id, Id deployment_id,
                                                      const std::string& code) = 0;
    virtual std::vector<EnrollmentToken> list_tokens(Id account_id, Id deployment_id) = 0;
    // Atomically uses+1 unless revoked, paused or max_uses reached; false when refused.
    // Called in the transaction that starts the run, so that a use is taken
    // exactly when the run commits, however many students race for the last one.
    virtual bool consume_token(Id account_id, Id token_id) = 0;
    virtual bool revoke_token(Id account_id, Id token_id) = 0;
    // Pauses (false) or resumes (true) a token; false when there is no such token.
    virtual bool set_token_active(Id account_id, Id token_id, bool active) = 0;
};

// Runs, their conversation history and the polls they sent.
class PROFO_SDK_API RunStore {
public:
    virtual ~RunStore() = default;

    // Throws StorageError(conflict) when the student already has an active run on that bot.
    virtual Run start_run(Id account_id, const Run& run) = 0;
    virtual std::optional<Run> get_run(Id account_id, Id run_id) = 0;
    virtual std::optional<Run> active_run(Id account_id, Id bot_id, std::int64_t chat_id) = 0;
    virtual bool update_run(Id account_id, const Run& run) = 0;  // status, active, cursor, state, ended_at
    virtual std::vector<Run> list_runs(Id account_id, const RunFilter& filter) = 0;

    // Conversation history, oldest first.
    virtual Id append_conversation(Id account_id, const ConversationEntry& entry) = 0;
    virtual std::vector<ConversationEntry> conversation(Id account_id, Id run_id) = 0;

    // Polls (see PollRecord). Recording the same poll id twice is a conflict.
    virtual void record_poll(Id account_id, const PollRecord& poll) = 0;
    virtual std::optional<PollRecord> find_poll_all_accounts(Id bot_id, const std::string& poll_id) = 0;
    // Retention (2.1): forgets at most `limit` polls recorded before `before`
    // whose run is no longer active, of every account; an active run's polls
    // stay whatever their age, since an answer may still come. Conversation
    // history is product data and has no such method. Returns how many went.
    virtual int prune_polls_of_ended_runs_all_accounts(Millis before, int limit) = 0;

    // 2.9: appends `entries` in order, as as many append_conversation calls
    // would (without their ids), in as few statements as the backend can: an
    // event writes several rows, and on PostgreSQL each statement is a round
    // trip. The default calls append_conversation for each.
    virtual void append_conversation_rows(Id account_id, const std::vector<ConversationEntry>& entries);
};

// Durable timers (WaitingElement).
class PROFO_SDK_API TimerStore {
public:
    virtual ~TimerStore() = default;

    virtual Id add_timer(Id account_id, const WaitingElement& timer) = 0;
    virtual int cancel_run_timers(Id account_id, Id run_id) = 0;
    virtual std::vector<WaitingElement> due_timers_all_accounts(Millis now, int limit) = 0;
    virtual std::optional<Millis> next_timer_due_all_accounts() = 0;
    // pending -> fired; false when it was not pending (fired elsewhere or cancelled).
    virtual bool claim_timer(Id account_id, Id timer_id) = 0;
    // Retention (2.1): forgets at most `limit` timers that were fired or
    // cancelled before `before`, of every account; pending timers are never
    // touched. Returns how many went.
    virtual int prune_settled_timers_all_accounts(Millis before, int limit) = 0;
};

// The outbox of messages to send (OutboxMessage).
class PROFO_SDK_API OutboxStore {
public:
    virtual ~OutboxStore() = default;

    virtual Id enqueue_outbox(Id account_id, const OutboxMessage& message) = 0;
    virtual std::vector<OutboxMessage> pending_outbox_all_accounts(Millis now, int limit) = 0;
    // The chat's messages still in the outbox (pending and failed), oldest first.
    virtual std::vector<OutboxMessage> list_outbox(Id account_id, Id bot_id, std::int64_t chat_id) = 0;
    // The message was delivered: it leaves the outbox. False when it was not pending.
    virtual bool mark_outbox_sent(Id account_id, Id message_id) = 0;
    virtual bool mark_outbox_retry(Id account_id, Id message_id, Millis next_attempt_at,
                                   const std::string& error) = 0;
    virtual bool mark_outbox_failed(Id account_id, Id message_id, const std::string& error) = 0;
    // Retention (2.1): forgets at most `limit` given-up messages whose last
    // attempt was due before `before`, of every account; pending messages are
    // never touched (a sent one already left the outbox). Returns how many went.
    virtual int prune_failed_outbox_all_accounts(Millis before, int limit) = 0;

    // 2.9: enqueues `messages` in order, as as many enqueue_outbox calls
    // would (without their ids), in as few statements as the backend can.
    // The default calls enqueue_outbox for each.
    virtual void enqueue_outbox_rows(Id account_id, const std::vector<OutboxMessage>& messages);
};

// Ledger of handled Telegram updates, written in the same transaction as
// the update's effects so that a redelivered update does nothing twice.
class PROFO_SDK_API UpdateLedger {
public:
    virtual ~UpdateLedger() = default;

    // False when the update was seen before.
    virtual bool mark_update_processed(Id account_id, Id bot_id, std::int64_t update_id) = 0;
    // Forgets at most `limit` updates processed before `before`, of every
    // account (Telegram redelivers an update for 24 hours at most, so older
    // entries can never match again). Returns how many went.
    virtual int prune_processed_updates_all_accounts(Millis before, int limit) = 0;

    // 2.13: one update for mark_updates_processed.
    struct Update {
        Id account_id = 0;
        Id bot_id = 0;
        std::int64_t update_id = 0;
    };
    // 2.13: marks `updates` in order, as as many mark_update_processed calls
    // would, in as few statements as the backend can; element i is what the
    // call for updates[i] would have returned (an update listed twice is new
    // the first time only). The default calls mark_update_processed for each.
    virtual std::vector<bool> mark_updates_processed(const std::vector<Update>& updates);
};

// What the creators' panel signs people in with (2.3): API keys, browser
// sessions, one-time login links and the Telegram logins already accepted.
// Another base at the end of StorageTx, like AccountChanges, so the vtables
// of the earlier roles stay as 2.2 transports know them.
//
// Keys, session tokens and link tokens are never stored, only their digests
// (lowercase hex SHA-256, 64 digits; anything else is refused as invalid), so
// one digest has one spelling and the unique indexes catch every duplicate.
// The panel runs in several processes over one database: everything it must
// remember between requests is here.
class PROFO_SDK_API PanelAccessStore {
public:
    virtual ~PanelAccessStore() = default;

    // A prefix another key (of any account) has is a conflict; an account
    // that does not exist, a role other than owner or admin, an empty prefix
    // or a digest that is not one is invalid. Returns the new key's id.
    virtual Id create_api_key(Id account_id, const ApiKey& key) = 0;
    virtual std::vector<ApiKey> list_api_keys(Id account_id) = 0;  // revoked ones too, oldest first
    // False when the account has no such key or it is revoked already.
    virtual bool revoke_api_key(Id account_id, Id key_id, Millis at) = 0;
    // Records a use (last_used_at never goes back); false when the account
    // has no such key or it is revoked.
    virtual bool touch_api_key(Id account_id, Id key_id, Millis at) = 0;
    // A token digest another link has is a conflict. Returns the new link's id.
    virtual Id create_login_link(Id account_id, const LoginLink& link) = 0;

    // The key with that prefix, revoked or not: the caller compares the
    // digest of what it was given and checks revoked_at.
    virtual std::optional<ApiKey> find_api_key_all_accounts(const std::string& prefix) = 0;
    // Marks the link used and returns it (with used_at = now); nothing when
    // no link has that digest, or it was used, or it expired at or before
    // `now`. One statement: of any number of concurrent consumers, in this
    // process or others, exactly one gets the link.
    virtual std::optional<LoginLink> consume_login_link_all_accounts(const std::string& token_hash,
                                                                     Millis now) = 0;
    // A session is the user's, not an account's: hence all accounts. A
    // pinned account that does not exist is invalid. Returns the new id.
    virtual Id create_panel_session_all_accounts(const PanelSession& session) = 0;
    // Expired ones too, until pruned: the caller checks expires_at.
    virtual std::optional<PanelSession> find_panel_session_all_accounts(const std::string& token_hash) = 0;
    // Slides a session on; false when there is no such session.
    virtual bool touch_panel_session_all_accounts(Id session_id, Millis last_seen_at, Millis expires_at) = 0;
    // Signing out; false when there is no such session.
    virtual bool delete_panel_session_all_accounts(const std::string& token_hash) = 0;
    // Replay protection for Telegram Login Widget data: remembers the digest
    // until `expires_at`; false when it is remembered already and has not
    // expired by the storage's clock, i.e. the same login data came before.
    virtual bool remember_telegram_login_all_accounts(const std::string& login_hash, Millis expires_at) = 0;
    // Retention: forgets at most `limit` rows, of every account, that ended
    // before `before`: sessions and remembered logins that expired, login
    // links that expired or were used. Returns how many went.
    virtual int prune_panel_access_all_accounts(Millis before, int limit) = 0;
};

// 2.4: what the panel's analytics read. Counts come from the runs table,
// except element progress, which is counted as the conversation is written
// (append_conversation), so a funnel costs one row per element whatever
// the number of runs.
class PROFO_SDK_API AnalyticsStore {
public:
    virtual ~AnalyticsStore() = default;
    virtual std::vector<RunStatusCount> run_status_counts(Id account_id, const AnalyticsFilter& filter) = 0;
    // The version's elements that some run reached; the others reached none.
    virtual std::vector<ElementProgress> element_progress(Id account_id, Id version_id) = 0;
    virtual std::vector<RunCohort> run_cohorts(Id account_id, const AnalyticsFilter& filter) = 0;  // by week
    virtual std::vector<RunSource> run_sources(Id account_id,
                                               const AnalyticsFilter& filter) = 0;  // most first
    // An export's pages: the entries of the filter's runs with ids above
    // `after_id`, by id, at most `limit`.
    virtual std::vector<ConversationEntry> conversation_page(Id account_id, const AnalyticsFilter& filter,
                                                             Id after_id, int limit) = 0;
};

// 2.5: the bots' health as transports last reported it (BotHealth). Any
// process may report or read it, so the panel of one process shows the
// bots another polls.
class PROFO_SDK_API BotHealthStore {
public:
    virtual ~BotHealthStore() = default;
    // Replaces the bot's health, except that an empty last_error keeps the
    // error recorded before (a bot that recovered still shows what it last
    // met); false when the account has no such bot.
    virtual bool record_bot_health(Id account_id, const BotHealth& health) = 0;
    // The account's bots that were reported on, by bot id.
    virtual std::vector<BotHealth> list_bot_health(Id account_id) = 0;
};

// 2.5: one run's timers still to fire, soonest first (the panel's preview
// chat fires them on the creator's "skip").
class PROFO_SDK_API RunTimerStore {
public:
    virtual ~RunTimerStore() = default;
    virtual std::vector<WaitingElement> pending_run_timers(Id account_id, Id run_id) = 0;
};

// 2.6: what lets the engine commit the events of many chats in one
// transaction (group commit). Each event runs under its own savepoint, so a
// failing one undoes only itself; each chat is locked before its first
// event, so processes sharing one database handle a chat's events one at a
// time, in order. One savepoint at a time: savepoints do not nest.
class PROFO_SDK_API EventIsolation {
public:
    virtual ~EventIsolation() = default;
    // Opens the savepoint; invalid while one is open.
    virtual void savepoint() = 0;
    // Keeps what was done since savepoint() (as part of the transaction).
    virtual void release_savepoint() = 0;
    // Undoes what was done since savepoint() and closes it. The transaction
    // is usable again afterwards, even when a call inside the savepoint
    // failed (a failure with no savepoint open leaves it good only for
    // rollback, as before). Throws when the database cannot go back (the
    // connection was lost): then the whole transaction is gone.
    virtual void rollback_to_savepoint() = 0;
    // Holds the (bot, chat) lock until the transaction ends, waiting for
    // another transaction (of any process) that holds it. Callers take the
    // locks of one transaction in ascending (bot, chat) order, so two
    // transactions never wait for each other. A backend with one writer at
    // a time (SQLite) has nothing to do.
    virtual void lock_chat(Id bot_id, std::int64_t chat_id) = 0;
};

// 2.6: which process serves which bot, so that several processes on one
// database share the bots: the holder of a bot's lease alone polls it and
// sends its outbox. A lease lasts `ttl` from its last renewal: a process
// that dies loses its bots to the others once its leases expire. Times are
// the caller's clock (epoch milliseconds), the same for every process.
struct BotLeases {
    std::vector<Id> held;  // by id, renewed until now + ttl; surplus ones included
    // Of `held`, those above the holder's share (by id): it stops serving
    // them and gives each back (release_bot_lease_all_accounts) once nothing
    // of it is in flight, so the next holder repeats nothing.
    std::vector<Id> surplus;
};

class PROFO_SDK_API BotLeaseStore {
public:
    virtual ~BotLeaseStore() = default;
    // `holder` (a process's unique name) says it is alive at `now` and holds
    // its fair share of the bots a transport serves (enabled, in mode poll
    // or webhook): the number of them over the number of holders seen alive
    // within `ttl`, rounded up. It renews the leases it has until now + ttl,
    // drops those of bots no longer served, reports those above its share as
    // surplus, and takes free or expired ones up to its share. Of several
    // holders racing for a bot, exactly one gets it.
    virtual BotLeases hold_bot_leases_all_accounts(const std::string& holder, Millis now, Millis ttl) = 0;
    // Gives one bot's lease back (a surplus one); false when `holder` did not hold it.
    virtual bool release_bot_lease_all_accounts(const std::string& holder, Id bot_id) = 0;
    // Gives back all of `holder`'s leases and forgets it (a process that
    // stops), so the others take its bots at their next renewal.
    virtual void release_bot_leases_all_accounts(const std::string& holder) = 0;
    // Like pending_outbox_all_accounts, only for the bots `holder` has a
    // lease on (expired or not: the holder checks its own clock).
    virtual std::vector<OutboxMessage> pending_outbox_of_holder_all_accounts(const std::string& holder,
                                                                             Millis now, int limit) = 0;
};

// 2.6: what `profo legacy import` remembers of what it brought over from a
// legacy database: each legacy key (a course's "bot/course_id", a run's id,
// ...) of a kind and what it became here, so that an import run again brings
// nothing twice. Kinds and keys are the importer's; 1 to 200 characters each.
class PROFO_SDK_API LegacyIdStore {
public:
    virtual ~LegacyIdStore() = default;
    // Records that `legacy_key` of `kind` became `id`; false, changing
    // nothing, when the account has that key of that kind already.
    virtual bool record_legacy_id(Id account_id, const std::string& kind, const std::string& legacy_key,
                                  Id id) = 0;
    virtual std::optional<Id> find_legacy_id(Id account_id, const std::string& kind,
                                             const std::string& legacy_key) = 0;
};

// 2.7: course authors in the chat (docs/chat-authoring.md).
class PROFO_SDK_API ChatAuthoringStore {
public:
    virtual ~ChatAuthoringStore() = default;
    // Sets what the chat waits for, replacing what it waited for before. A bot
    // that is not the account's, or a mode other than create or edit, is
    // invalid.
    virtual void set_chat_authoring(Id account_id, const ChatAuthoring& authoring) = 0;
    // Expired ones too, until cleared or replaced: the caller checks expires_at.
    virtual std::optional<ChatAuthoring> find_chat_authoring(Id account_id, Id bot_id,
                                                             std::int64_t chat_id) = 0;
    // False when the chat waited for nothing.
    virtual bool clear_chat_authoring(Id account_id, Id bot_id, std::int64_t chat_id) = 0;
};

// One database transaction with every role. Destroying it without commit()
// rolls back. Not thread-safe: one transaction belongs to one thread at a time.
class PROFO_SDK_API StorageTx : public AccountStore,
                                public CourseStore,
                                public DeploymentStore,
                                public TokenStore,
                                public RunStore,
                                public TimerStore,
                                public OutboxStore,
                                public UpdateLedger,
                                public AccountChanges,
                                public PanelAccessStore,
                                public AnalyticsStore,
                                public BotHealthStore,
                                public RunTimerStore,
                                public EventIsolation,
                                public BotLeaseStore,
                                public LegacyIdStore,
                                public ChatAuthoringStore {
public:
    ~StorageTx() override = default;
    virtual void commit() = 0;
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
    // 2.1: what a commit survives, as the database itself reports it (not as
    // configured): "synchronous=full" (SQLite), "synchronous_commit=on"
    // (PostgreSQL). `profo serve` logs it at startup.
    virtual std::string durability() = 0;
    // 2.8: a transaction like begin()'s, except that its commit does not wait
    // for the disk: as atomic and isolated, and it survives a crash of the
    // process, but a power loss or OS crash may undo it until the next commit
    // of begin() or (SQLite) the next checkpoint, at most a fraction of a
    // second later, makes it durable. For writes whose loss only repeats work
    // that was done, such as marking a message Telegram took as sent (lost, it
    // is sent again): each synced commit costs an fsync the others queue
    // behind. SQLite: synchronous=NORMAL for this transaction; PostgreSQL:
    // synchronous_commit=off for it. With storage.sqlite.synchronous=normal,
    // the same as begin().
    virtual std::unique_ptr<StorageTx> begin_unsynced() = 0;

    // 2.10: a transaction that only reads, for the scans and lookups of hot
    // paths (the outbox, polls). It sees one consistent snapshot of what was
    // committed, and on SQLite it neither waits for the writer (whose commits,
    // with synchronous=full, hold the file through an fsync) nor makes the
    // writer wait. A write through it throws StorageError and changes
    // nothing. By default, begin().
    virtual std::unique_ptr<StorageTx> begin_read();
};

// SQLite's PRAGMA synchronous in WAL mode. `full` syncs the log on every
// commit; `normal` only at checkpoints, so a power loss or OS crash (not a
// process crash) can undo the last commits that were already acknowledged.
enum class SqliteSynchronous { full, normal };

struct StorageOptions {
    std::string dsn;  // sqlite: a file path (or ":memory:"); postgres: libpq conninfo
    int pool_size = 4;
    int busy_timeout_ms = 5000;
    SqliteSynchronous sqlite_synchronous = SqliteSynchronous::full;  // 2.1; other backends ignore it
};

class PROFO_SDK_API StoragePlugin : public Plugin {
public:
    static constexpr PluginKind kKind = PluginKind::storage;
    // Opens (creating when needed) the database; does not migrate.
    virtual std::unique_ptr<Storage> open(const StorageOptions& options) = 0;
};

}  // namespace profo::sdk
