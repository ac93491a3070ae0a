// What differs between the databases behind the shared SOCI storage: how to
// connect, a few words of DDL, how transactions start and migrations lock, and
// how a backend reports a broken constraint. Everything else is one code path.
#pragma once

#include "sql/statement.hpp"

#include <profo/sdk/storage.hpp>

#include <soci/error.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace soci {
class backend_factory;
class session;
}  // namespace soci

namespace profo::storage_sql {

// What went wrong with a statement, in the terms the storage contract cares about.
enum class DbFailure {
    unique_violation,
    foreign_key_violation,
    check_violation,
    not_null_violation,
    unavailable,      // busy or locked, serialization failure, I/O trouble: worth retrying later
    connection_lost,  // the server went away or refused us
    other,
};

class SqlDialect {
public:
    virtual ~SqlDialect() = default;

    virtual std::string backend() const = 0;  // "sqlite", "postgres"
    virtual const soci::backend_factory& factory() const = 0;
    virtual std::string connect_string() const = 0;
    virtual std::size_t pool_size() const = 0;
    // How long begin() waits for a free connection (and, where writers queue
    // in-process, for the writer slot) before giving up with `unavailable`.
    virtual int acquire_timeout_ms() const = 0;
    // SQLite allows one writer per file: queueing writers of this process on a
    // mutex wakes them as soon as the slot frees, where SQLite's busy handler
    // would sleep in growing steps.
    virtual bool serializes_writers() const = 0;

    // Session settings applied to every new or reopened connection.
    virtual void prepare_connection(soci::session& session) = 0;
    // sdk::Storage::durability(), read on `session`.
    virtual std::string durability(soci::session& session) const = 0;
    virtual std::string_view begin_sql() const = 0;
    // What makes one transaction's commit not wait for the disk
    // (Storage::begin_unsynced): run before its BEGIN and undone before the
    // next synced one (a session setting), or run right after BEGIN (one
    // that ends with the transaction). Empty strings where there is nothing
    // to do (SQLite already configured synchronous=normal).
    struct UnsyncedCommit {
        std::string before_begin;
        std::string undo_before_begin;
        std::string after_begin;
    };
    virtual UnsyncedCommit unsynced_commit() const = 0;
    // Storage::begin_read: how a transaction that only reads starts, and the
    // session setting that makes the database refuse writes in it: `on` runs
    // before its BEGIN, `off` before the next writing one. Empty where the
    // BEGIN itself says so.
    virtual std::string_view begin_read_sql() const = 0;
    struct ReadOnlySession {
        std::string on;
        std::string off;
    };
    virtual ReadOnlySession read_only_session() const = 0;
    // Serializes migrators; runs first inside each migration transaction.
    virtual void lock_for_migration(soci::session& session) const = 0;
    // Makes the transactions that check account names or owners before they
    // write wait for each other: each takes this lock first, and it is held
    // until the transaction ends. Reads that only follow references to
    // accounts (every tenant insert) do not wait for it.
    virtual void lock_accounts(soci::session& session) const = 0;
    // Holds a lock on (key1, key2) until the transaction ends
    // (EventIsolation::lock_chat); empty where one writer at a time already
    // serializes everything. One row, one integer column when not empty.
    virtual std::string_view chat_lock_sql() const = 0;
    // Empty: each run's conversation stays indexed by run (conversation_by_run),
    // and a row is appended by one insert. Otherwise the conversation is a
    // chain from each run (migration 15, `{chain_conversation}`), and this
    // gives a transaction the id of its first new conversation row: one row,
    // one integer column, an id above every row's; the transaction's later
    // rows count up from it. Only for a backend whose write transactions run
    // one at a time (SQLite's BEGIN IMMEDIATE), which is also what keeps two
    // transactions from extending one run's chain from the same row.
    virtual std::string_view chained_conversation_next_id_sql() const = 0;
    // One row, one integer column: 1 when schema_migrations exists, else 0.
    virtual std::string_view schema_table_exists_sql() const = 0;
    // Surrogate key that never hands out an id twice: `{id}` in the migration DDL.
    virtual std::string_view id_column_ddl() const = 0;
    // Surrogate key of an append-only log (conversation, timers): `{log_id}`.
    // (The outbox deletes what it sent, so it takes `{id}`: a reused id could
    // name a different message.)
    // Ids still only grow while the newest row is never deleted, which a log
    // guarantees (retention deletes old settled timers but always keeps the
    // newest row), so a backend may use a cheaper key here.
    virtual std::string_view log_id_column_ddl() const = 0;
    // Ends the DDL of a table that should be stored in its primary key's order
    // (`{clustered}`): a row written there touches one b-tree instead of a
    // table and an index, which on the per-event hot path is one page less.
    virtual std::string_view clustered_table_suffix() const = 0;
    // The whole number at `key` of the JSON text in `column` (NULL when absent).
    virtual std::string json_integer_sql(std::string_view column, std::string_view key) const = 0;

    // The statements after which the database refuses every UPDATE of
    // `table` with `message` (no ':' in it: SOCI would take it for a
    // parameter): `{refuse_updates TABLE}` in the migration DDL.
    virtual std::vector<std::string> refuse_updates_ddl(std::string_view table,
                                                        const std::string& message) const = 0;

    // Whether the id of a row just inserted is cheaper to ask the session for
    // (soci::session::get_last_insert_id) than to return with RETURNING id:
    // SQLite's RETURNING buffers its rows in a temporary table first.
    virtual bool reports_last_insert_id() const = 0;

    // `sql` prepared on `session` for the backend's own client library to run
    // (DirectStatement), or null to leave it to SOCI. Throws as SOCI would
    // when the SQL does not prepare.
    virtual std::unique_ptr<DirectStatement> direct_statement(soci::session& /*session*/,
                                                              const std::string& /*sql*/) const {
        return nullptr;
    }

    virtual DbFailure classify(const soci::soci_error& error) const = 0;
    // Whether the session is unusable after an error and must be reopened.
    virtual bool connection_broken(soci::session& session) const = 0;
};

}  // namespace profo::storage_sql
