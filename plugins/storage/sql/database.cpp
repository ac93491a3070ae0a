#include "sql/database.hpp"

#include <soci/soci.h>

#include <stdexcept>

namespace profo::storage_sql {

using sdk::StorageError;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Database::Database(std::unique_ptr<SqlDialect> dialect)
    : dialect_(std::move(dialect)),
      slots_(dialect_->pool_size()),
      begin_{std::string(dialect_->begin_sql()), {}},
      unsynced_{{dialect_->unsynced_commit().before_begin, {}},
                {dialect_->unsynced_commit().undo_before_begin, {}},
                &Connection::unsynced},
      unsync_after_begin_{dialect_->unsynced_commit().after_begin, {}},
      begin_read_{std::string(dialect_->begin_read_sql()), {}},
      read_only_{{dialect_->read_only_session().on, {}},
                 {dialect_->read_only_session().off, {}},
                 &Connection::read_only},
      commit_{"COMMIT", {}},
      rollback_{"ROLLBACK", {}},
      chained_conversation_next_id_{
          std::string(dialect_->chained_conversation_next_id_sql()), {ColumnType::integer}, true} {
    writer_connection_ = dialect_->serializes_writers() && dialect_->pool_size() >= 2;
    if (dialect_->pool_size() >= 2 && !writer_connection_)
        read_slots_ = std::make_unique<std::counting_semaphore<>>(
            static_cast<std::ptrdiff_t>(dialect_->pool_size() - 1));
    for (std::size_t i = 0; i < dialect_->pool_size(); ++i) {
        soci::session& session = *sessions_.emplace_back(std::make_unique<soci::session>());
        try {
            session.open(dialect_->factory(), dialect_->connect_string());
            dialect_->prepare_connection(session);
        } catch (const StorageError&) {
            throw;
        } catch (const std::exception& e) {
            throw StorageError(StorageError::Code::unavailable,
                               "cannot open the " + dialect_->backend() + " database: " + e.what());
        }
        auto connection = std::make_unique<Connection>();
        connection->session = &session;
        connection->dialect = dialect_.get();
        connections_.push_back(std::move(connection));
    }
}

Database::~Database() {
    // Statements belong to their sessions' backends: finalize them while the
    // sessions are still open.
    for (auto& connection : connections_) connection->statements.clear();
}

Database::Lease::Lease(Database& database, std::unique_lock<std::timed_mutex> writer, std::size_t position,
                       bool read_slot)
    : database_(&database),
      writer_(std::move(writer)),
      position_(position),
      connection_(database.connections_[position].get()),
      read_slot_(read_slot) {}

Database::Lease::Lease(Lease&& other) noexcept
    : database_(other.database_),
      writer_(std::move(other.writer_)),
      position_(other.position_),
      connection_(other.connection_),
      read_slot_(other.read_slot_) {
    other.database_ = nullptr;
}

Database::Lease::~Lease() {
    if (database_ == nullptr) return;
    database_->slots_.give_back(position_);
    if (read_slot_) database_->read_slots_->release();
}

Database::Lease Database::acquire(TxKind kind) {
    const int timeout_ms = dialect_->acquire_timeout_ms();
    std::unique_lock<std::timed_mutex> writer;
    if (dialect_->serializes_writers() && kind != TxKind::read) {
        writer = std::unique_lock<std::timed_mutex>(writer_, std::defer_lock);
        if (!writer.try_lock_for(std::chrono::milliseconds(timeout_ms)))
            throw StorageError(StorageError::Code::unavailable,
                               "the database stayed locked by another transaction of this process for " +
                                   std::to_string(timeout_ms) + " ms");
    }
    const bool read_slot = kind == TxKind::read && read_slots_;
    if (read_slot && !read_slots_->try_acquire_for(std::chrono::milliseconds(timeout_ms)))
        throw StorageError(StorageError::Code::unavailable, "no database connection free for a read within " +
                                                                std::to_string(timeout_ms) + " ms (pool of " +
                                                                std::to_string(dialect_->pool_size()) +
                                                                ", one of them kept for writing)");
    std::size_t first = 0;
    std::size_t last = connections_.size();
    if (writer_connection_) (kind == TxKind::read ? first : last) = 1;
    const auto position = slots_.take(first, last, std::chrono::milliseconds(timeout_ms));
    if (!position) {
        if (read_slot) read_slots_->release();
        const bool kept = writer_connection_ && kind == TxKind::read;
        throw StorageError(StorageError::Code::unavailable,
                           std::string(kind == TxKind::read ? "no database connection free for a read"
                                                            : "no free database connection") +
                               " within " + std::to_string(timeout_ms) + " ms (pool of " +
                               std::to_string(dialect_->pool_size()) +
                               (kept ? ", one of them kept for writing)" : ")"));
    }
    Lease lease(*this, std::move(writer), *position, read_slot);
    if (lease.connection().needs_reopen) reopen(lease.connection());
    return lease;
}

void Database::reopen(Connection& connection) {
    try {
        connection.statements.clear();
        connection.unsynced = false;
        connection.read_only = false;
        connection.session->reconnect();
        dialect_->prepare_connection(*connection.session);
        connection.needs_reopen = false;
    } catch (const std::exception& e) {
        connection.needs_reopen = true;
        throw StorageError(StorageError::Code::unavailable,
                           "cannot reconnect to the " + dialect_->backend() + " database: " + e.what());
    }
}

void Database::begin(Connection& connection, TxKind kind) {
    auto no_explanation = [](DbFailure) { return std::optional<Explanation>(); };
    const bool synced = kind == TxKind::synced;
    // Whatever the last transaction on the connection asked for, this one
    // gets its own: a synced commit is never left unsynced by an earlier
    // caller, and a writer never finds the session refusing writes.
    auto start = [&] {
        read_only_.set(connection, kind == TxKind::read);
        if (kind == TxKind::read) {
            connection.statement(begin_read_).execute();
            return;
        }
        unsynced_.set(connection, !synced);
        connection.statement(begin_).execute();
        if (synced || unsync_after_begin_.sql.empty()) return;
        try {
            connection.statement(unsync_after_begin_).execute();
        } catch (...) {
            rollback(connection);  // no transaction object owns it yet
            throw;
        }
    };
    try {
        start();
        return;
    } catch (...) {
        try {
            raise_current(connection, "begin", no_explanation);
        } catch (const StorageError&) {
            if (!connection.needs_reopen) throw;
        }
    }
    // The server dropped the connection while it sat in the pool (a restart,
    // an idle timeout). Nothing has run in it yet, so one fresh try is safe.
    reopen(connection);
    try {
        start();
    } catch (...) {
        raise_current(connection, "begin", no_explanation);
    }
}

void Database::commit(Connection& connection) {
    try {
        connection.statements.finish_all();
        connection.statement(commit_).execute();
    } catch (...) {
        raise_current(connection, "commit", [](DbFailure) { return std::optional<Explanation>(); });
    }
    resync_after_end(connection);
}

void Database::rollback(Connection& connection) noexcept {
    try {
        connection.statements.finish_all();
        connection.statement(rollback_).execute();
    } catch (...) {
        // Whatever state the session is in, a fresh one is safe.
        connection.needs_reopen = true;
        return;
    }
    resync_after_end(connection);
}

void Database::resync_after_end(Connection& connection) noexcept {
    try {
        resync(connection);
    } catch (...) {
        // Still marked unsynced: the next synced begin() tries again, or fails.
    }
}

void Database::resync(Connection& connection) {
    unsynced_.set(connection, false);
}

void SessionSwitch::set(Connection& connection, bool wanted) const {
    if (connection.*active == wanted || (wanted && on.sql.empty())) return;
    connection.statement(wanted ? on : off).execute();
    connection.*active = wanted;
}

Database::CurrentError Database::inspect_current(Connection& connection) {
    try {
        throw;
    } catch (const StorageError&) {
        throw;
    } catch (const soci::soci_error& e) {
        DbFailure failure = dialect_->classify(e);
        if (failure == DbFailure::connection_lost || dialect_->connection_broken(*connection.session))
            connection.needs_reopen = true;
        return {failure, e.get_error_message()};
    } catch (const std::logic_error& e) {
        return {std::nullopt, std::string("internal error: ") + e.what()};
    } catch (const std::exception& e) {
        return {std::nullopt, e.what()};
    } catch (...) {
        return {std::nullopt, "unknown exception"};
    }
}

void Database::raise(std::string_view operation, const CurrentError& error,
                     std::optional<Explanation> explanation) {
    std::string prefix = std::string(operation) + ": ";
    if (explanation) throw StorageError(explanation->code, prefix + explanation->message);
    StorageError::Code code = StorageError::Code::internal;
    if (error.failure) {
        switch (*error.failure) {
            case DbFailure::unique_violation: code = StorageError::Code::conflict; break;
            case DbFailure::foreign_key_violation:
            case DbFailure::check_violation:
            case DbFailure::not_null_violation: code = StorageError::Code::invalid; break;
            case DbFailure::unavailable:
            case DbFailure::connection_lost: code = StorageError::Code::unavailable; break;
            case DbFailure::other: code = StorageError::Code::internal; break;
        }
    }
    throw StorageError(code, prefix + error.message);
}

}  // namespace profo::storage_sql
