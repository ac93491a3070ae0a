// The connections of one open storage and what every transaction needs from
// them: leasing, BEGIN/COMMIT/ROLLBACK, and turning database errors into the
// StorageError codes of the contract.
#pragma once

#include "sql/committed_reach.hpp"
#include "sql/connection_slots.hpp"
#include "sql/dialect.hpp"
#include "sql/statement.hpp"

#include <profo/sdk/storage.hpp>

#include <soci/session.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>
#include <vector>

namespace profo::storage_sql {

// What a transaction is for: Storage::begin(), begin_unsynced(), begin_read().
enum class TxKind { synced, unsynced, read };

struct Connection {
    soci::session* session = nullptr;  // owned by the pool
    const SqlDialect* dialect = nullptr;
    StatementCache statements;
    bool needs_reopen = false;  // set when the server dropped it; reopened on next lease
    // The session's commits do not wait for the disk (UnsyncedCommit::before_begin ran).
    bool unsynced = false;
    // The session refuses writes (ReadOnlySession::on ran).
    bool read_only = false;

    PreparedStatement& statement(const Query& query) { return statements.get(*session, query, dialect); }
};

// A session setting some transactions need and the ones after them must not
// inherit: `on` runs before such a transaction's BEGIN, `off` before the next
// one without it, and `active` marks the connections where it is on. An
// empty `on` means the setting needs no statement: nothing is switched.
struct SessionSwitch {
    Query on;
    Query off;
    bool Connection::*active;

    // Throws when the statement fails; the mark then stays as it was.
    void set(Connection& connection, bool wanted) const;
};

// How a call site wants one kind of database failure reported; nullopt leaves
// the default (unique -> conflict, missing reference -> invalid, ...).
struct Explanation {
    sdk::StorageError::Code code;
    std::string message;
};

class Database {
public:
    explicit Database(std::unique_ptr<SqlDialect> dialect);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    const SqlDialect& dialect() const { return *dialect_; }
    // SqlDialect::chained_conversation_next_id_sql() as a query (empty where
    // the conversation is indexed by run).
    const Query& chained_conversation_next_id() const { return chained_conversation_next_id_; }
    CommittedReach& committed_reach() { return committed_reach_; }

    // A connection for the holder's exclusive use (and, where the dialect
    // serializes writers, this process's writer slot) until it is destroyed.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        Connection& connection() { return *connection_; }

    private:
        friend class Database;
        Lease(Database& database, std::unique_lock<std::timed_mutex> writer, std::size_t position,
              bool read_slot);

        Database* database_;
        std::unique_lock<std::timed_mutex> writer_;
        std::size_t position_;
        Connection* connection_;
        bool read_slot_;  // holds one of Database::read_slots_
    };

    // A reading transaction's lease leaves the writer slot to writers, and
    // one connection of the pool: however many reads are open, a writer
    // (on SQLite, the one writer) never waits for a connection behind them.
    // Where the dialect serializes writers, that connection is always the
    // same one and no read ever takes it (see writer_connection_).
    Lease acquire(TxKind kind = TxKind::synced);

    // Also reopens, once, a connection the server dropped while it was pooled.
    void begin(Connection& connection, TxKind kind);
    void commit(Connection& connection);
    // Never throws: a connection that cannot roll back is reopened on next lease.
    void rollback(Connection& connection) noexcept;

    // Rethrows the exception being handled as a StorageError of `operation`
    // (a StorageError passes unchanged). `explain(DbFailure)` may return a more
    // useful code and message than the default for that failure.
    template <class Explain>
    [[noreturn]] void raise_current(Connection& connection, std::string_view operation, Explain&& explain) {
        CurrentError error = inspect_current(connection);
        std::optional<Explanation> explanation;
        if (error.failure) explanation = explain(*error.failure);
        raise(operation, error, std::move(explanation));
    }

private:
    struct CurrentError {
        std::optional<DbFailure> failure;  // empty when it is not a database error
        std::string message;
    };
    CurrentError inspect_current(Connection& connection);
    [[noreturn]] static void raise(std::string_view operation, const CurrentError& error,
                                   std::optional<Explanation> explanation);
    void reopen(Connection& connection);
    // Ends what UnsyncedCommit::before_begin set, so that a connection back in
    // the pool (and durability(), which reads it) is as configured. Throws
    // when it cannot; the connection then stays marked unsynced.
    void resync(Connection& connection);
    // After a commit or rollback, which stand whether it works or not.
    void resync_after_end(Connection& connection) noexcept;

    std::unique_ptr<SqlDialect> dialect_;
    std::vector<std::unique_ptr<soci::session>> sessions_;
    std::vector<std::unique_ptr<Connection>> connections_;
    ConnectionSlots slots_;
    std::timed_mutex writer_;
    // Where writers are serialized and the pool has two or more connections,
    // the first is the writer's alone and reads share the others. A read
    // session refuses writes (ReadOnlySession), and on SQLite switching that
    // setting expires every statement the session prepared: shared, the
    // connections re-prepared the engine's statements after each read (half
    // the CPU of an event at light load). And on SQLite, a connection whose
    // last transaction is older than another connection's commit drops its
    // whole page cache: one writer keeps its cache.
    bool writer_connection_ = false;
    // Otherwise, with a pool of two or more: pool_size - 1, so that reads
    // leave one connection to writers.
    std::unique_ptr<std::counting_semaphore<>> read_slots_;
    const Query begin_;
    // SqlDialect::UnsyncedCommit: before_begin and its undo, and after_begin
    // (empty where there is nothing to run).
    const SessionSwitch unsynced_;
    const Query unsync_after_begin_;
    const Query begin_read_;
    const SessionSwitch read_only_;  // SqlDialect::ReadOnlySession
    const Query commit_;
    const Query rollback_;
    const Query chained_conversation_next_id_;
    CommittedReach committed_reach_;
};

std::int64_t now_ms();

}  // namespace profo::storage_sql
