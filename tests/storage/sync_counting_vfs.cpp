#include "sync_counting_vfs.hpp"

#include <sqlite3.h>

#include <cstddef>
#include <mutex>
#include <stdexcept>

namespace profo::storage_test {
namespace {

thread_local int syncs = 0;

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs counting_vfs{};

// The wrapped file, followed in the same allocation by the real VFS's file.
struct CountingFile {
    sqlite3_file base;
    sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* file) {
    return reinterpret_cast<CountingFile*>(file)->real;
}

// Every method forwards to the real file's; xSync counts first.
const sqlite3_io_methods counting_methods = {
    3,
    [](sqlite3_file* f) {
        const int rc = real_of(f)->pMethods->xClose(real_of(f));
        f->pMethods = nullptr;
        return rc;
    },
    [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
        return real_of(f)->pMethods->xRead(real_of(f), b, n, o);
    },
    [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
        return real_of(f)->pMethods->xWrite(real_of(f), b, n, o);
    },
    [](sqlite3_file* f, sqlite3_int64 size) { return real_of(f)->pMethods->xTruncate(real_of(f), size); },
    [](sqlite3_file* f, int flags) {
        ++syncs;
        return real_of(f)->pMethods->xSync(real_of(f), flags);
    },
    [](sqlite3_file* f, sqlite3_int64* size) { return real_of(f)->pMethods->xFileSize(real_of(f), size); },
    [](sqlite3_file* f, int lock) { return real_of(f)->pMethods->xLock(real_of(f), lock); },
    [](sqlite3_file* f, int lock) { return real_of(f)->pMethods->xUnlock(real_of(f), lock); },
    [](sqlite3_file* f, int* out) { return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out); },
    [](sqlite3_file* f, int op, void* arg) {
        return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
    },
    [](sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); },
    [](sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); },
    [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
        return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
    },
    [](sqlite3_file* f, int offset, int n, int flags) {
        return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
    },
    [](sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); },
    [](sqlite3_file* f, int remove) { return real_of(f)->pMethods->xShmUnmap(real_of(f), remove); },
    [](sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
        return real_of(f)->pMethods->xFetch(real_of(f), o, n, out);
    },
    [](sqlite3_file* f, sqlite3_int64 o, void* p) {
        return real_of(f)->pMethods->xUnfetch(real_of(f), o, p);
    },
};

// Where the real file goes: after ours, aligned as SQLite aligns its own.
constexpr std::size_t kRealOffset = (sizeof(CountingFile) + 15) / 16 * 16;

int open_counting(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    auto* counting = reinterpret_cast<CountingFile*>(file);
    counting->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
    counting->real->pMethods = nullptr;
    const int rc = real_vfs->xOpen(real_vfs, name, counting->real, flags, out_flags);
    // SQLite calls xClose on a file whose pMethods is set, even when the open failed.
    file->pMethods = counting->real->pMethods != nullptr ? &counting_methods : nullptr;
    return rc;
}

}  // namespace

void install_sync_counting_vfs() {
    static std::once_flag once;
    std::call_once(once, [] {
        real_vfs = sqlite3_vfs_find(nullptr);
        if (real_vfs == nullptr) throw std::runtime_error("SQLite has no default VFS");
        // Its other methods are the real ones, given our VFS: they read only
        // fields copied here (pAppData, mxPathname).
        counting_vfs = *real_vfs;
        counting_vfs.szOsFile = static_cast<int>(kRealOffset) + real_vfs->szOsFile;
        counting_vfs.zName = "profo-sync-counting";
        counting_vfs.pNext = nullptr;
        counting_vfs.xOpen = open_counting;
        if (sqlite3_vfs_register(&counting_vfs, 1) != SQLITE_OK)
            throw std::runtime_error("cannot register the sync-counting SQLite VFS");
    });
}

int syncs_on_this_thread() {
    return syncs;
}

}  // namespace profo::storage_test
