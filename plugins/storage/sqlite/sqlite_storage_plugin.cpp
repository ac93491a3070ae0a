// Storage on an SQLite file (or in memory): the default for one process
// serving many bots.
#include "coalescing_wal_vfs.hpp"
#include "sql/dialect.hpp"
#include "sql/sql_storage.hpp"
#include "sqlite_direct_statement.hpp"

#include <profo/sdk/storage.hpp>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

namespace profo::storage_sqlite {
namespace {

using sdk::StorageError;
using storage_sql::DbFailure;

bool is_memory(const std::string& dsn) {
    return dsn == ":memory:";
}

// The database holds every student's answers and the sealed bot tokens.
// SQLite would create it 0644 (under the usual umask); an empty file is a
// valid empty database, so creating it 0600 first is enough, and SQLite gives
// its -wal and -shm files the mode of the database file.
void create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    if (errno == EEXIST) return;  // an existing database keeps the mode its owner gave it
    throw StorageError(StorageError::Code::unavailable,
                       "cannot create the SQLite database file " + path + ": " + std::strerror(errno));
}

constexpr const char* kSynchronousFull = "PRAGMA synchronous = FULL";
constexpr const char* kSynchronousNormal = "PRAGMA synchronous = NORMAL";

class SqliteDialect final : public storage_sql::SqlDialect {
public:
    explicit SqliteDialect(const sdk::StorageOptions& options) : options_(options) {
        if (options_.dsn.empty())
            throw StorageError(StorageError::Code::invalid,
                               "storage.dsn is empty: give an SQLite file path or :memory:");
        if (options_.busy_timeout_ms < 0)
            throw StorageError(StorageError::Code::invalid, "storage.busy_timeout_ms is negative");
        if (!is_memory(options_.dsn)) {
            std::filesystem::path parent = std::filesystem::path(options_.dsn).parent_path();
            std::error_code error;
            if (!parent.empty()) std::filesystem::create_directories(parent, error);
            if (error)
                throw StorageError(StorageError::Code::unavailable,
                                   "cannot create the folder " + parent.string() + ": " + error.message());
            create_private_file(options_.dsn);
        }
    }

    std::string backend() const override { return "sqlite"; }
    const soci::backend_factory& factory() const override { return *soci::factory_sqlite3(); }

    std::string connect_string() const override {
        // SOCI reads a string without '=' as the file name itself; one with '='
        // as key=value pairs, where only a quoted value may hold spaces.
        const std::string& path = options_.dsn;
        if (path.find('=') == std::string::npos) return path;
        if (path.find('"') != std::string::npos)
            throw StorageError(StorageError::Code::invalid,
                               "storage.dsn: an SQLite path with both '=' and '\"' is not supported");
        return "db=\"" + path + "\"";
    }

    // Every connection to ":memory:" would be a database of its own.
    std::size_t pool_size() const override {
        return is_memory(options_.dsn) ? 1 : static_cast<std::size_t>(std::max(1, options_.pool_size));
    }

    int acquire_timeout_ms() const override { return options_.busy_timeout_ms; }
    bool serializes_writers() const override { return true; }

    void prepare_connection(soci::session& session) override {
        // Tells a UNIQUE from a FOREIGN KEY violation by code, not by message text.
        sqlite_api::sqlite3_extended_result_codes(native_connection(session), 1);
        session << "PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout_ms);
        if (!is_memory(options_.dsn)) {
            // Each commit writes every page it changed, whole, to the log. An
            // engine event changes a few small rows on five or six pages, so
            // small pages halve what an event writes (bench/engine_bench:
            // ~17.5k events/s at 4096 bytes, ~21k at 1024). Takes effect only
            // on a new database, before it switches to WAL.
            session << "PRAGMA page_size = 1024";
            // Readers never block the writer. With synchronous=FULL every
            // commit waits for the log's fsync, so what was acknowledged
            // survives a power loss. NORMAL syncs only at checkpoints: a
            // process crash loses nothing, but a power loss or OS crash can
            // undo the last commits (never consistency), among them updates
            // whose offsets were already confirmed to Telegram, which then
            // never redelivers them. Configurable as storage.sqlite.synchronous.
            std::string mode;
            session << "PRAGMA journal_mode = WAL", soci::into(mode);
            session << (options_.sqlite_synchronous == sdk::SqliteSynchronous::normal ? kSynchronousNormal
                                                                                      : kSynchronousFull);
            // An automatic checkpoint runs in the committing transaction, copies
            // every page changed since the last one and ends in two fsyncs.
            // BackgroundCheckpoint does that off the commit path; at 65536 pages
            // (64 MiB of log, some 10000 events) instead of SQLite's 1000, the
            // automatic one only comes should it fall behind. The log is cut
            // back to 64 MiB after a checkpoint.
            session << "PRAGMA wal_autocheckpoint = 65536";
            session << "PRAGMA journal_size_limit = 67108864";
        }
        session << "PRAGMA foreign_keys = ON";
    }

    std::string durability(soci::session& session) const override {
        int level = -1;
        session << "PRAGMA synchronous", soci::into(level);
        switch (level) {
            case 0: return "synchronous=off";
            case 1: return "synchronous=normal";
            case 2: return "synchronous=full";
            case 3: return "synchronous=extra";
            default: return "synchronous=" + std::to_string(level);
        }
    }

    // Takes the write lock up front: two transactions that both read and then
    // write would otherwise deadlock upgrading their locks (SQLITE_BUSY at once,
    // busy_timeout notwithstanding).
    std::string_view begin_sql() const override { return "BEGIN IMMEDIATE"; }
    // In WAL mode the log is written in order, so the next synced commit's
    // fsync (or a checkpoint's) makes these commits durable too.
    UnsyncedCommit unsynced_commit() const override {
        if (options_.sqlite_synchronous == sdk::SqliteSynchronous::normal || is_memory(options_.dsn))
            return {};
        return {kSynchronousNormal, kSynchronousFull, ""};
    }

    // Deferred: a reader of the log takes no lock a writer waits for, and
    // waits for none. query_only makes SQLite refuse any write in it.
    std::string_view begin_read_sql() const override { return "BEGIN"; }
    ReadOnlySession read_only_session() const override {
        return {"PRAGMA query_only = 1", "PRAGMA query_only = 0"};
    }

    // BEGIN IMMEDIATE already excludes every other writer of the file.
    void lock_for_migration(soci::session&) const override {}
    void lock_accounts(soci::session&) const override {}

    // Chained: here pages are the cost, and the index by run wrote a random
    // page of an ever larger index for every event (transaction.cpp). The
    // file has one writer at a time, and ids count up from the largest one,
    // as SQLite itself gives them.
    std::string_view chained_conversation_next_id_sql() const override {
        return "SELECT COALESCE(MAX(id), 0) + 1 FROM conversation";
    }

    std::string_view schema_table_exists_sql() const override {
        return "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
    }

    std::string_view id_column_ddl() const override { return "INTEGER PRIMARY KEY AUTOINCREMENT"; }
    // A plain rowid key: AUTOINCREMENT writes its counter to sqlite_sequence on
    // every insert, one more page per engine event.
    std::string_view log_id_column_ddl() const override { return "INTEGER PRIMARY KEY"; }
    std::string_view clustered_table_suffix() const override { return " WITHOUT ROWID"; }
    // The file's one writer at a time serializes every chat already.
    std::string_view chat_lock_sql() const override { return {}; }

    std::string json_integer_sql(std::string_view column, std::string_view key) const override {
        return "CAST(json_extract(" + std::string(column) + ", '$." + std::string(key) + "') AS INTEGER)";
    }

    std::vector<std::string> refuse_updates_ddl(std::string_view table,
                                                const std::string& message) const override {
        const std::string name(table);
        return {"CREATE TRIGGER " + name + "_refuse_update BEFORE UPDATE ON " + name +
                " BEGIN SELECT RAISE(ABORT, '" + message + "'); END"};
    }

    bool reports_last_insert_id() const override { return true; }

    // Every statement: SQLite runs one in a few microseconds, and SOCI's
    // exchange layer around it cost about as much again per bound value.
    std::unique_ptr<storage_sql::DirectStatement> direct_statement(soci::session& session,
                                                                   const std::string& sql) const override {
        return prepare_direct_statement(session, sql);
    }

    DbFailure classify(const soci::soci_error& error) const override {
        const auto* sqlite_error = dynamic_cast<const soci::sqlite3_soci_error*>(&error);
        if (sqlite_error == nullptr) return DbFailure::other;
        const int code = sqlite_error->result();
        switch (code) {
            case SQLITE_CONSTRAINT_UNIQUE:
            case SQLITE_CONSTRAINT_PRIMARYKEY: return DbFailure::unique_violation;
            case SQLITE_CONSTRAINT_FOREIGNKEY: return DbFailure::foreign_key_violation;
            case SQLITE_CONSTRAINT_CHECK: return DbFailure::check_violation;
            case SQLITE_CONSTRAINT_NOTNULL: return DbFailure::not_null_violation;
            default: break;
        }
        switch (code & 0xff) {
            case SQLITE_BUSY:
            case SQLITE_LOCKED:
            case SQLITE_IOERR:
            case SQLITE_FULL:
            case SQLITE_CANTOPEN:
            case SQLITE_READONLY: return DbFailure::unavailable;
            default: return DbFailure::other;
        }
    }

    bool connection_broken(soci::session&) const override { return false; }

private:
    sdk::StorageOptions options_;
};

// SQLite's defaults guard every connection with its own mutex and count
// every allocation under a global one. The pool hands a connection to one
// thread at a time, and nothing reads the memory statistics, so both are
// pure cost on every statement. They can only be changed before SQLite
// initialises; if something in the process already did, the defaults stay.
void configure_sqlite_library() {
    static const bool configured = [] {
        sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
        sqlite_api::sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        // After the two above: finding the default VFS initialises SQLite.
        install_coalescing_wal_vfs();
        return true;
    }();
    (void)configured;
}

// Copies the write-ahead log into the database file on a thread of its own.
// SQLite's automatic checkpoint runs inside whichever commit crosses its
// threshold, under this process's writer lock, and ends in fsyncs: serving
// ~1000 student updates a second, every transaction waited 100-200 ms for it
// every few seconds (bench/telegram_bench: p99 ~45 ms, ~5 ms without). A
// PASSIVE checkpoint on another connection waits for no writer and no writer
// waits for it; the automatic one stays as the backstop should this fall behind.
class BackgroundCheckpoint {
public:
    explicit BackgroundCheckpoint(const std::string& path) {
        if (sqlite_api::sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
            sqlite_api::sqlite3_close(db_);
            db_ = nullptr;
            return;  // the pool reports what is wrong with the file
        }
        thread_ = std::thread([this] { loop(); });
    }
    ~BackgroundCheckpoint() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        if (thread_.joinable()) thread_.join();
        if (db_ != nullptr) sqlite_api::sqlite3_close(db_);
    }
    BackgroundCheckpoint(const BackgroundCheckpoint&) = delete;
    BackgroundCheckpoint& operator=(const BackgroundCheckpoint&) = delete;

    static constexpr std::chrono::milliseconds kInterval{200};

private:
    void loop() {
        std::unique_lock lock(mutex_);
        while (!changed_.wait_for(lock, kInterval, [this] { return stopping_; })) {
            lock.unlock();
            // As a statement rather than sqlite3_wal_checkpoint_v2(): a
            // connection that has not read the database yet does not know it
            // is in WAL mode, and the call then does nothing. Busy, or a
            // database not in WAL mode yet: nothing this round.
            sqlite_api::sqlite3_exec(db_, "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr, nullptr);
            lock.lock();
        }
    }

    sqlite_api::sqlite3* db_ = nullptr;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    std::thread thread_;
};

class CheckpointedStorage final : public sdk::Storage {
public:
    CheckpointedStorage(std::unique_ptr<sdk::Storage> storage, const std::string& path)
        : storage_(std::move(storage)), checkpoint_(path) {}

    std::string backend() const override { return storage_->backend(); }
    std::unique_ptr<sdk::StorageTx> begin() override { return storage_->begin(); }
    std::unique_ptr<sdk::StorageTx> begin_unsynced() override { return storage_->begin_unsynced(); }
    std::unique_ptr<sdk::StorageTx> begin_read() override { return storage_->begin_read(); }
    sdk::MigrationReport migrate(std::optional<int> target) override { return storage_->migrate(target); }
    int schema_version() override { return storage_->schema_version(); }
    int latest_schema_version() const override { return storage_->latest_schema_version(); }
    std::string durability() override { return storage_->durability(); }

private:
    std::unique_ptr<sdk::Storage> storage_;
    BackgroundCheckpoint checkpoint_;  // after storage_: stops before the pool closes
};

class SqliteStoragePlugin final : public sdk::StoragePlugin {
public:
    std::unique_ptr<sdk::Storage> open(const sdk::StorageOptions& options) override {
        configure_sqlite_library();
        auto storage = storage_sql::open_storage(std::make_unique<SqliteDialect>(options));
        if (is_memory(options.dsn)) return storage;
        return std::make_unique<CheckpointedStorage>(std::move(storage), options.dsn);
    }
};

}  // namespace
}  // namespace profo::storage_sqlite

PROFO_PLUGIN(profo::storage_sqlite::SqliteStoragePlugin, storage)
