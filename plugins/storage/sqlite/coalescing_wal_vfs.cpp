#include "coalescing_wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

namespace profo::storage_sqlite {
namespace {

// From SQLite's documented WAL format (wal.c, "WAL FILE FORMAT"): a frame
// header is 24 bytes; its bytes 4-7 hold, for the last frame of a commit,
// the database size in pages, and zero otherwise. Lock 0 of the shared index
// is the writer's lock.
constexpr int kFrameHeaderSize = 24;
constexpr int kWriterLock = 0;
// A group commit of large events stays far below this; past it the run is
// written anyway, so memory stays bounded.
constexpr std::size_t kMaxPending = std::size_t{4} << 20;
// The unix VFS writes at most 128 KiB - 1 bytes a call (it masks the length
// with 0x1ffff, and reports a full disk when that leaves nothing).
constexpr std::size_t kMaxWrite = std::size_t{64} << 10;
// What a log keeps allocated between transactions: a group commit's worth.
// A rare large transaction (an import) does not leave megabytes behind on
// every pooled connection.
constexpr std::size_t kKeptCapacity = std::size_t{1} << 20;

sqlite3_vfs* base_vfs = nullptr;
sqlite3_vfs coalescing_vfs{};

enum class Kind { database, log, other };

// Our part of a file; SQLite allocates it, and the base VFS's file after it.
struct CoalescingFile {
    sqlite3_file base;  // first: SQLite sees this
    sqlite3_file* real = nullptr;
    Kind kind = Kind::other;
    const char* name = nullptr;  // SQLite keeps it valid until xClose

    // database: its log, once linked, and whether it holds the writer lock
    // (read by other connections' logs looking for their database).
    CoalescingFile* log = nullptr;
    std::atomic<bool> holds_writer_lock{false};

    // log: the database it belongs to, and the appends not written yet.
    CoalescingFile* database = nullptr;
    std::vector<char> pending;
    sqlite3_int64 pending_offset = 0;
    bool commit_header_pending = false;  // the last append was a commit frame's header

    int flush() {
        commit_header_pending = false;
        int rc = SQLITE_OK;
        for (std::size_t done = 0; done < pending.size() && rc == SQLITE_OK; done += kMaxWrite) {
            const std::size_t size = std::min(kMaxWrite, pending.size() - done);
            rc = real->pMethods->xWrite(real, pending.data() + done, static_cast<int>(size),
                                        pending_offset + static_cast<sqlite3_int64>(done));
        }
        pending.clear();
        if (pending.capacity() > kKeptCapacity) pending.shrink_to_fit();
        return rc;
    }
};

CoalescingFile* file_of(sqlite3_file* f) {
    return reinterpret_cast<CoalescingFile*>(f);
}
sqlite3_file* real_of(sqlite3_file* f) {
    return file_of(f)->real;
}

// Flushes the appends of a log before any other operation on it.
int flushed(sqlite3_file* f) {
    auto* file = file_of(f);
    return file->kind == Kind::log ? file->flush() : SQLITE_OK;
}

// The open database files, and the links between them and their logs.
std::mutex links_mutex;
std::vector<CoalescingFile*> databases;

void forget(CoalescingFile& file) {
    std::lock_guard lock(links_mutex);
    if (file.kind == Kind::log && file.database != nullptr) file.database->log = nullptr;
    if (file.kind == Kind::database) {
        if (file.log != nullptr) file.log->database = nullptr;
        databases.erase(std::remove(databases.begin(), databases.end(), &file), databases.end());
    }
}

bool is_log_of(const CoalescingFile& log, const CoalescingFile& database) {
    if (log.name == nullptr || database.name == nullptr) return false;
    const std::size_t length = std::strlen(database.name);
    return std::strncmp(log.name, database.name, length) == 0 && std::strcmp(log.name + length, "-wal") == 0;
}

// A log write is held back only inside a write transaction of its own
// database; anything else is written through. A log is written only by a
// connection holding the writer lock, and one connection at a time holds
// it: the open database file of the log's name that holds it is the log's.
bool can_hold(CoalescingFile& log) {
    if (log.database == nullptr) {
        std::lock_guard lock(links_mutex);
        const auto writer = std::find_if(databases.begin(), databases.end(), [&](CoalescingFile* d) {
            return d->holds_writer_lock && d->log == nullptr && is_log_of(log, *d);
        });
        if (writer == databases.end()) return false;
        log.database = *writer;
        (*writer)->log = &log;
    }
    return log.database->holds_writer_lock;
}

int write_log(CoalescingFile& log, const void* data, int size, sqlite3_int64 offset) {
    if (!can_hold(log)) {
        if (const int rc = log.flush(); rc != SQLITE_OK) return rc;
        return log.real->pMethods->xWrite(log.real, data, size, offset);
    }
    const auto bytes = static_cast<std::size_t>(size);
    const bool contiguous =
        !log.pending.empty() && offset == log.pending_offset + static_cast<sqlite3_int64>(log.pending.size());
    // The page after a commit frame's header: with it every frame of the
    // commit is in, and SQLite may publish them next.
    const bool completes_commit = log.commit_header_pending && contiguous;
    if (!contiguous || log.pending.size() + bytes > kMaxPending) {
        if (const int rc = log.flush(); rc != SQLITE_OK) return rc;
        log.pending_offset = offset;
    }
    const auto* first = static_cast<const char*>(data);
    log.pending.insert(log.pending.end(), first, first + bytes);
    if (completes_commit) return log.flush();
    if (size == kFrameHeaderSize) {
        const auto* header = static_cast<const unsigned char*>(data);
        log.commit_header_pending = (header[4] | header[5] | header[6] | header[7]) != 0;
    }
    return SQLITE_OK;
}

int close_file(sqlite3_file* f) {
    auto* file = file_of(f);
    const int flush_rc = flushed(f);
    const int rc = file->real->pMethods->xClose(file->real);
    forget(*file);
    file->~CoalescingFile();
    f->pMethods = nullptr;
    return rc != SQLITE_OK ? rc : flush_rc;
}

int lock_shared_memory(sqlite3_file* f, int offset, int n, int flags) {
    auto* file = file_of(f);
    const bool writer_lock = offset <= kWriterLock && kWriterLock < offset + n;
    if (writer_lock && (flags & SQLITE_SHM_UNLOCK) != 0) {
        // A committed transaction left nothing behind; a rolled-back one's
        // appends are written now, before another writer can take the lock.
        if (file->log != nullptr) file->log->flush();
        file->holds_writer_lock = false;
    }
    const int rc = file->real->pMethods->xShmLock(file->real, offset, n, flags);
    if (writer_lock && rc == SQLITE_OK && (flags & SQLITE_SHM_LOCK) != 0 &&
        (flags & SQLITE_SHM_EXCLUSIVE) != 0)
        file->holds_writer_lock = true;
    return rc;
}

void shared_memory_barrier(sqlite3_file* f) {
    // The commit frame flushed its transaction already; this only matters
    // should SQLite ever publish frames without one.
    if (auto* log = file_of(f)->log; log != nullptr) log->flush();
    real_of(f)->pMethods->xShmBarrier(real_of(f));
}

// Every method but xWrite, xClose, xShmLock and xShmBarrier forwards, after
// writing what a log holds back where the operation could see it.
constexpr sqlite3_io_methods kCoalescingMethods = {
    3,
    close_file,
    [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
        if (const int rc = flushed(f); rc != SQLITE_OK) return rc;
        return real_of(f)->pMethods->xRead(real_of(f), b, n, o);
    },
    [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
        if (file_of(f)->kind == Kind::log) return write_log(*file_of(f), b, n, o);
        return real_of(f)->pMethods->xWrite(real_of(f), b, n, o);
    },
    [](sqlite3_file* f, sqlite3_int64 size) {
        if (const int rc = flushed(f); rc != SQLITE_OK) return rc;
        return real_of(f)->pMethods->xTruncate(real_of(f), size);
    },
    [](sqlite3_file* f, int flags) {
        if (const int rc = flushed(f); rc != SQLITE_OK) return rc;
        return real_of(f)->pMethods->xSync(real_of(f), flags);
    },
    [](sqlite3_file* f, sqlite3_int64* size) {
        if (const int rc = flushed(f); rc != SQLITE_OK) return rc;
        return real_of(f)->pMethods->xFileSize(real_of(f), size);
    },
    [](sqlite3_file* f, int lock) { return real_of(f)->pMethods->xLock(real_of(f), lock); },
    [](sqlite3_file* f, int lock) { return real_of(f)->pMethods->xUnlock(real_of(f), lock); },
    [](sqlite3_file* f, int* out) { return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out); },
    [](sqlite3_file* f, int op, void* arg) {
        if (const int rc = flushed(f); rc != SQLITE_OK) return rc;
        return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
    },
    [](sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); },
    [](sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); },
    [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
        return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
    },
    lock_shared_memory,
    shared_memory_barrier,
    [](sqlite3_file* f, int remove) { return real_of(f)->pMethods->xShmUnmap(real_of(f), remove); },
    [](sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
        if (const int rc = flushed(f); rc != SQLITE_OK) return rc;
        return real_of(f)->pMethods->xFetch(real_of(f), o, n, out);
    },
    [](sqlite3_file* f, sqlite3_int64 o, void* p) {
        return real_of(f)->pMethods->xUnfetch(real_of(f), o, p);
    },
};

// The same methods as versions 1, 2 and 3 of the interface, so a base file
// of an older version is never called for what it lacks.
const std::array<sqlite3_io_methods, 3> methods_of_version = [] {
    std::array<sqlite3_io_methods, 3> tables{kCoalescingMethods, kCoalescingMethods, kCoalescingMethods};
    for (int v = 1; v <= 3; ++v) tables[static_cast<std::size_t>(v - 1)].iVersion = v;
    return tables;
}();

// Where the base VFS's file goes: after ours, aligned as SQLite aligns its own.
constexpr std::size_t kRealOffset = (sizeof(CoalescingFile) + 15) / 16 * 16;

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
    real->pMethods = nullptr;
    const int rc = base_vfs->xOpen(base_vfs, name, real, flags, out_flags);
    // SQLite calls xClose on a file whose pMethods is set, even when the open
    // failed.
    if (real->pMethods == nullptr) {
        f->pMethods = nullptr;
        return rc;
    }
    auto* file = new (f) CoalescingFile{};
    const int version = std::clamp(real->pMethods->iVersion, 1, 3);
    file->base.pMethods = &methods_of_version[static_cast<std::size_t>(version - 1)];
    file->real = real;
    file->name = name;
    // Without shared memory there is no writer lock to see: a log of such a
    // file is never linked, and written through.
    if ((flags & SQLITE_OPEN_MAIN_DB) != 0 && version >= 2) {
        file->kind = Kind::database;
        std::lock_guard lock(links_mutex);
        databases.push_back(file);
    } else if ((flags & SQLITE_OPEN_WAL) != 0) {
        file->kind = Kind::log;
    }
    return rc;
}

// SQLite keeps a pointer to the VFS in its process-wide list: once this
// module is unloaded (its storage closed), the next database the process
// opens would call into unmapped code. The wrapped VFS is the default again.
struct Registration {
    Registration() = default;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration() {
        if (base_vfs == nullptr) return;
        const bool was_default = sqlite3_vfs_find(nullptr) == &coalescing_vfs;
        sqlite3_vfs_unregister(&coalescing_vfs);
        if (was_default) sqlite3_vfs_register(base_vfs, 1);
    }
} registration;

}  // namespace

void install_coalescing_wal_vfs() {
    static std::once_flag once;
    std::call_once(once, [] {
        base_vfs = sqlite3_vfs_find(nullptr);
        if (base_vfs == nullptr) throw std::runtime_error("SQLite has no default VFS");
        // Its other methods are the base VFS's: they read only fields copied
        // here (pAppData, mxPathname).
        coalescing_vfs = *base_vfs;
        coalescing_vfs.szOsFile = static_cast<int>(kRealOffset) + base_vfs->szOsFile;
        coalescing_vfs.zName = "profo-coalescing-wal";
        coalescing_vfs.pNext = nullptr;
        coalescing_vfs.xOpen = open_file;
        if (sqlite3_vfs_register(&coalescing_vfs, 1) != SQLITE_OK)
            throw std::runtime_error("cannot register the coalescing-WAL SQLite VFS");
    });
}

}  // namespace profo::storage_sqlite
