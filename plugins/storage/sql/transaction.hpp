// One transaction of the shared SOCI storage: the sdk::StorageTx methods as SQL.
#pragma once

#include "sql/database.hpp"

#include <profo/sdk/storage.hpp>

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

namespace profo::storage_sql {

// An insert whose caller wants only the new id, in both spellings.
struct IdInsert {
    Query plain;
    Query returning;  // the same with RETURNING id
};

// An INSERT of several rows in one statement: `head` up to VALUES, then
// `row` once per row, each `?` in it a parameter. One statement per count of
// rows (up to kMaxRows), built once: an event writes a few rows of each
// kind, and on PostgreSQL each statement is a round trip.
class RowsInsert {
public:
    static constexpr std::size_t kMaxRows = 16;

    // `apart_from_held_rows` as in Query, for every statement it makes;
    // `tail` follows the rows, and the statements return `columns`.
    RowsInsert(std::string_view head, std::string_view row, bool apart_from_held_rows = false,
               std::string_view tail = {}, const std::vector<ColumnType>& columns = {});
    const Query& query(std::size_t rows) const { return queries_.at(rows - 1); }
    std::size_t parameters_per_row() const { return per_row_; }

private:
    std::size_t per_row_;
    std::vector<Query> queries_;
};

using sdk::Account;
using sdk::AccountMember;
using sdk::ApiKey;
using sdk::Ban;
using sdk::Bot;
using sdk::ConversationEntry;
using sdk::Course;
using sdk::CourseDeployment;
using sdk::CourseElement;
using sdk::CourseVersion;
using sdk::EnrollmentToken;
using sdk::Id;
using sdk::LoginLink;
using sdk::Millis;
using sdk::OutboxMessage;
using sdk::PanelSession;
using sdk::Participant;
using sdk::PollRecord;
using sdk::Run;
using sdk::RunFilter;
using sdk::WaitingElement;

class SqlTransaction final : public sdk::StorageTx {
public:
    SqlTransaction(std::shared_ptr<Database> database, TxKind kind);
    ~SqlTransaction() override;
    SqlTransaction(const SqlTransaction&) = delete;
    SqlTransaction& operator=(const SqlTransaction&) = delete;

    void commit() override;
    Account create_account(const std::string& name) override;
    std::optional<Account> get_account(Id account_id) override;
    std::vector<Account> list_accounts() override;
    AccountMember add_member(Id account_id, const AccountMember& member) override;
    std::vector<AccountMember> list_members(Id account_id) override;
    bool remove_member(Id account_id, Id member_id) override;
    std::vector<AccountMember> memberships_of(std::int64_t telegram_user_id) override;
    bool rename_account(Id account_id, const std::string& name) override;
    bool update_member(Id account_id, const AccountMember& member) override;
    Bot create_bot(Id account_id, const Bot& bot) override;
    std::optional<Bot> get_bot(Id account_id, Id bot_id) override;
    std::vector<Bot> list_bots(Id account_id) override;
    bool update_bot(Id account_id, const Bot& bot) override;
    bool delete_bot(Id account_id, Id bot_id) override;
    bool set_bot_offset(Id account_id, Id bot_id, std::int64_t offset) override;
    std::vector<Bot> list_bots_all_accounts() override;
    std::optional<std::string> enrollment_key(Id account_id) override;
    void set_enrollment_key(Id account_id, const std::string& key_sealed) override;
    Course create_course(Id account_id, const std::string& name) override;
    std::optional<Course> get_course(Id account_id, Id course_id) override;
    std::optional<Course> find_course(Id account_id, const std::string& name) override;
    std::vector<Course> list_courses(Id account_id) override;
    bool rename_course(Id account_id, Id course_id, const std::string& name) override;
    bool delete_course(Id account_id, Id course_id) override;
    CourseVersion create_version(Id account_id, Id course_id, const std::string& source_name,
                                 const std::vector<CourseElement>& elements) override;
    std::optional<CourseVersion> get_version(Id account_id, Id version_id) override;
    std::vector<CourseVersion> list_versions(Id account_id, Id course_id) override;
    std::vector<CourseElement> version_elements(Id account_id, Id version_id) override;
    CourseDeployment create_deployment(Id account_id, const CourseDeployment& d) override;
    std::optional<CourseDeployment> get_deployment(Id account_id, Id deployment_id) override;
    std::vector<CourseDeployment> list_deployments(Id account_id) override;
    bool update_deployment(Id account_id, const CourseDeployment& d) override;
    std::optional<CourseDeployment> find_deployment_by_alias(Id account_id, Id bot_id,
                                                             const std::string& alias) override;
    EnrollmentToken create_token(Id account_id, const EnrollmentToken& token) override;
    std::optional<EnrollmentToken> get_token(Id account_id, Id token_id) override;
    std::optional<EnrollmentToken> find_token(Id account_id, Id deployment_id,
                                              const std::string& code) override;
    std::vector<EnrollmentToken> list_tokens(Id account_id, Id deployment_id) override;
    bool consume_token(Id account_id, Id token_id) override;
    bool revoke_token(Id account_id, Id token_id) override;
    bool set_token_active(Id account_id, Id token_id, bool active) override;
    Run start_run(Id account_id, const Run& run) override;
    std::optional<Run> get_run(Id account_id, Id run_id) override;
    std::optional<Run> active_run(Id account_id, Id bot_id, std::int64_t chat_id) override;
    bool update_run(Id account_id, const Run& run) override;
    std::vector<Run> list_runs(Id account_id, const RunFilter& filter) override;
    Id append_conversation(Id account_id, const ConversationEntry& entry) override;
    void append_conversation_rows(Id account_id, const std::vector<ConversationEntry>& entries) override;
    std::vector<ConversationEntry> conversation(Id account_id, Id run_id) override;
    Id add_timer(Id account_id, const WaitingElement& timer) override;
    int cancel_run_timers(Id account_id, Id run_id) override;
    std::vector<WaitingElement> due_timers_all_accounts(Millis now, int limit) override;
    std::optional<Millis> next_timer_due_all_accounts() override;
    bool claim_timer(Id account_id, Id timer_id) override;
    int prune_settled_timers_all_accounts(Millis before, int limit) override;
    Ban ban(Id account_id, const Ban& ban) override;
    bool unban(Id account_id, Id ban_id) override;
    std::vector<Ban> list_bans(Id account_id) override;
    bool is_banned(Id account_id, Id bot_id, std::int64_t user_id) override;
    std::optional<Ban> find_ban(Id account_id, Id bot_id, std::int64_t user_id) override;
    Participant add_participant(Id account_id, const Participant& p) override;
    bool remove_participant(Id account_id, Id participant_id) override;
    std::vector<Participant> list_participants(Id account_id, Id deployment_id) override;
    bool is_participant(Id account_id, Id deployment_id, std::int64_t user_id,
                        const std::string& username) override;
    bool mark_update_processed(Id account_id, Id bot_id, std::int64_t update_id) override;
    std::vector<bool> mark_updates_processed(const std::vector<Update>& updates) override;
    int prune_processed_updates_all_accounts(Millis before, int limit) override;
    Id enqueue_outbox(Id account_id, const OutboxMessage& message) override;
    void enqueue_outbox_rows(Id account_id, const std::vector<OutboxMessage>& messages) override;
    std::vector<OutboxMessage> pending_outbox_all_accounts(Millis now, int limit) override;
    std::vector<OutboxMessage> list_outbox(Id account_id, Id bot_id, std::int64_t chat_id) override;
    bool mark_outbox_sent(Id account_id, Id message_id) override;
    bool mark_outbox_retry(Id account_id, Id message_id, Millis next_attempt_at,
                           const std::string& error) override;
    bool mark_outbox_failed(Id account_id, Id message_id, const std::string& error) override;
    int prune_failed_outbox_all_accounts(Millis before, int limit) override;
    void record_poll(Id account_id, const PollRecord& poll) override;
    std::optional<PollRecord> find_poll_all_accounts(Id bot_id, const std::string& poll_id) override;
    int prune_polls_of_ended_runs_all_accounts(Millis before, int limit) override;
    Id create_api_key(Id account_id, const ApiKey& key) override;
    std::vector<ApiKey> list_api_keys(Id account_id) override;
    bool revoke_api_key(Id account_id, Id key_id, Millis at) override;
    bool touch_api_key(Id account_id, Id key_id, Millis at) override;
    Id create_login_link(Id account_id, const LoginLink& link) override;
    std::optional<ApiKey> find_api_key_all_accounts(const std::string& prefix) override;
    std::optional<LoginLink> consume_login_link_all_accounts(const std::string& token_hash,
                                                             Millis now) override;
    Id create_panel_session_all_accounts(const PanelSession& session) override;
    std::optional<PanelSession> find_panel_session_all_accounts(const std::string& token_hash) override;
    bool touch_panel_session_all_accounts(Id session_id, Millis last_seen_at, Millis expires_at) override;
    bool delete_panel_session_all_accounts(const std::string& token_hash) override;
    bool remember_telegram_login_all_accounts(const std::string& login_hash, Millis expires_at) override;
    int prune_panel_access_all_accounts(Millis before, int limit) override;

    std::vector<sdk::RunStatusCount> run_status_counts(Id account_id,
                                                       const sdk::AnalyticsFilter& filter) override;
    std::vector<sdk::ElementProgress> element_progress(Id account_id, Id version_id) override;
    std::vector<sdk::RunCohort> run_cohorts(Id account_id, const sdk::AnalyticsFilter& filter) override;
    std::vector<sdk::RunSource> run_sources(Id account_id, const sdk::AnalyticsFilter& filter) override;
    std::vector<ConversationEntry> conversation_page(Id account_id, const sdk::AnalyticsFilter& filter,
                                                     Id after_id, int limit) override;

    bool record_bot_health(Id account_id, const sdk::BotHealth& health) override;
    std::vector<sdk::BotHealth> list_bot_health(Id account_id) override;
    std::vector<WaitingElement> pending_run_timers(Id account_id, Id run_id) override;
    void savepoint() override;
    void release_savepoint() override;
    void rollback_to_savepoint() override;
    void lock_chat(Id bot_id, std::int64_t chat_id) override;
    sdk::BotLeases hold_bot_leases_all_accounts(const std::string& holder, Millis now, Millis ttl) override;
    bool release_bot_lease_all_accounts(const std::string& holder, Id bot_id) override;
    void release_bot_leases_all_accounts(const std::string& holder) override;
    std::vector<OutboxMessage> pending_outbox_of_holder_all_accounts(const std::string& holder, Millis now,
                                                                     int limit) override;
    bool record_legacy_id(Id account_id, const std::string& kind, const std::string& legacy_key,
                          Id id) override;
    std::optional<Id> find_legacy_id(Id account_id, const std::string& kind,
                                     const std::string& legacy_key) override;
    void set_chat_authoring(Id account_id, const sdk::ChatAuthoring& authoring) override;
    std::optional<sdk::ChatAuthoring> find_chat_authoring(Id account_id, Id bot_id,
                                                          std::int64_t chat_id) override;
    bool clear_chat_authoring(Id account_id, Id bot_id, std::int64_t chat_id) override;

private:
    enum class State { open, failed, finished };

    // Runs `body` as the method `operation`: refuses when the transaction is no
    // longer usable, and turns any failure into a StorageError (explained by
    // `explain(DbFailure)` where the call site knows better) that leaves the
    // transaction good only for rollback, on every backend alike.
    template <class Body, class Explain>
    auto guarded(std::string_view operation, Body&& body, Explain&& explain) -> decltype(body());
    template <class Body>
    auto guarded(std::string_view operation, Body&& body) -> decltype(body());

    // Writes the rows held back first, unless the query leaves their tables alone.
    PreparedStatement& statement(const Query& query) {
        if (!query.apart_from_held_rows && (!held_outbox_.empty() || !held_conversation_.empty()))
            write_held_rows();
        return lease_->connection().statement(query);
    }
    // Runs an insert and returns the new row's id, in the dialect's cheaper way.
    template <class... Args>
    Id insert(const IdInsert& query, const Args&... args);
    // Inserts `rows` rows, RowsInsert::kMaxRows to a statement:
    // bind_row(statement, position, k) binds row k's parameters from `position` on.
    template <class BindRow>
    void insert_rows(const RowsInsert& query, std::size_t rows, const BindRow& bind_row);
    void check_open(std::string_view operation) const;
    // Refuses (conflict) a name another account than `except` has; under the
    // accounts lock, so two transactions cannot both find a name free.
    void check_account_name_free(std::string_view operation, const std::string& name, Id except);
    // Refuses (conflict) to take the last owner of `member`'s account away;
    // under the accounts lock, so two removals cannot both count two owners.
    void check_not_last_owner(std::string_view operation, const AccountMember& member);
    // Where the dialect chains each run's conversation
    // (chained_conversation_next_id_sql).
    bool chains_conversation() const;
    // Appends `entries` to their runs' chains and returns their ids, in order.
    std::vector<Id> append_to_chains(Id account_id, std::span<const ConversationEntry> entries);
    // Counts a run reaching an element, and its first scored answer there,
    // in the counters element_progress() reads.
    void count_progress(Id account_id, const ConversationEntry& entry);
    // Writes the chain ends this transaction moved (chain_ends_) to their runs.
    void write_heads();
    // Inserts the rows held back (held_conversation_, held_outbox_), in
    // order, in as few statements as it can.
    void write_held_rows();
    // What the chain end of `run_id` is as stored, read with the run.
    void learn_chain_end(Id account_id, Id run_id, Id head);
    // Rolls back unless committed and gives the connection back.
    void release() noexcept;
    // Applies the element progress counted so far (count_progress).
    void flush_progress();

    struct ProgressKey {
        Id account_id = 0;
        Id version_id = 0;
        std::string element_id;
        int shard = 0;
        bool operator<(const ProgressKey& o) const {
            return std::tie(account_id, version_id, element_id, shard) <
                   std::tie(o.account_id, o.version_id, o.element_id, o.shard);
        }
    };
    struct ProgressCount {
        ProgressKey key;
        long long reached = 0;
        long long scored = 0;
        double score_sum = 0;
        double maxscore_sum = 0;
    };

    std::shared_ptr<Database> database_;
    std::optional<Database::Lease> lease_;  // empty once committed or failed
    State state_ = State::open;
    // A failure inside an open savepoint keeps the connection, so that
    // rollback_to_savepoint() can make the transaction usable again.
    bool savepoint_open_ = false;
    // Element progress counted in this transaction, written at commit (see
    // flush_progress); what a savepoint rolled back is dropped with it.
    std::vector<ProgressCount> progress_;
    std::size_t progress_at_savepoint_ = 0;

    // What this transaction read or wrote of a run, so that counting its
    // progress and updating it take no statement to look it up again (an
    // event's handling reads its run first). A savepoint rolled back forgets
    // it all: the rows may be as they were before.
    struct KnownRun {
        Id account_id = 0;
        Id version_id = 0;  // 0: none recorded
        bool preview = false;
        bool active = false;
        Id bot_id = 0;
        sdk::RunStatus status = sdk::RunStatus::active;  // as stored
        std::optional<Millis> ended_at;
    };
    std::optional<Run> remember(std::optional<Run> run);
    // The run as this transaction knows it, if it does and in that account.
    const KnownRun* known_run(Id account_id, Id run_id) const;
    std::map<Id, KnownRun> known_runs_;
    // The end of each run's conversation chain (a chained dialect) as far as
    // this transaction knows it: read with the run (active_run, start_run)
    // or moved by an append. An end not yet written to runs.conversation_head
    // is written by the run's update_run in this transaction with the rest of
    // the row (an event appends, then updates its run: one statement instead
    // of two); whatever could read it (conversation(), a savepoint, commit)
    // writes what is left first.
    struct ChainEnd {
        Id account_id = 0;
        Id head = 0;          // the run's newest row; 0 for none
        bool written = true;  // runs.conversation_head holds it already
    };
    std::map<Id, ChainEnd> chain_ends_;
    // The id of the next chained row: read once, then counted up (the
    // transaction is the only writer, chained_conversation_next_id_sql).
    std::optional<Id> next_conversation_id_;
    // Rows held back to be inserted with the next ones, 16 to a statement,
    // so that a group's events write their history and messages in a few
    // statements instead of one or two each. Held only for a run this
    // transaction read or wrote (so its account, run and bot are known to
    // hold together: all the rows' references check), and a history row
    // only where its chain's end is known; other rows are queued here too,
    // and written at once. Written before any statement that
    // is not apart_from_held_rows, before a savepoint is taken or released,
    // and at commit; forgotten when a savepoint is rolled back to.
    struct HeldEntry {
        Id account_id = 0;
        Id id = 0;
        std::optional<Id> prev;  // none: the run's stored head, read by the insert
        Millis now = 0;          // for a row without created_at
        ConversationEntry entry;
    };
    std::vector<HeldEntry> held_conversation_;
    std::vector<std::pair<Id, OutboxMessage>> held_outbox_;
    // (run, element) rows of run_elements known to exist, and whether their
    // `scored` is known set; the database's CommittedReach learns them at commit.
    CommittedReach::Rows reached_;
};

}  // namespace profo::storage_sql
