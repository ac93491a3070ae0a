#include "coalescing_wal_vfs.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace profo::storage_sqlite {
namespace {

namespace fs = std::filesystem;

// Below the coalescing VFS: counts the writes that reach log files.
std::atomic<int> log_writes{0};
sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs counting_vfs{};
sqlite3_io_methods counting_methods{};

struct CountingFile {
    sqlite3_file base;
    sqlite3_file* real;
    bool log;
};

int count_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    auto* file = reinterpret_cast<CountingFile*>(f);
    if (file->log) ++log_writes;
    return file->real->pMethods->xWrite(file->real, b, n, o);
}

constexpr std::size_t kRealOffset = (sizeof(CountingFile) + 15) / 16 * 16;

// Every method but xWrite is the real file's, called on the real file: the
// table is the real one's with xWrite replaced, and the other entries get our
// file, so each forwards through a small trampoline.
template <auto Method, typename... Args>
auto forward(sqlite3_file* f, Args... args) {
    auto* real = reinterpret_cast<CountingFile*>(f)->real;
    return (real->pMethods->*Method)(real, args...);
}

int open_counting(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    auto* file = reinterpret_cast<CountingFile*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
    file->real->pMethods = nullptr;
    file->log = (flags & SQLITE_OPEN_WAL) != 0;
    const int rc = real_vfs->xOpen(real_vfs, name, file->real, flags, out_flags);
    f->pMethods = file->real->pMethods != nullptr ? &counting_methods : nullptr;
    return rc;
}

void install_vfs_stack() {
    static std::once_flag once;
    std::call_once(once, [] {
        real_vfs = sqlite3_vfs_find(nullptr);
        counting_methods = sqlite3_io_methods{
            3,
            [](sqlite3_file* f) {
                auto* real = reinterpret_cast<CountingFile*>(f)->real;
                const int rc = real->pMethods->xClose(real);
                f->pMethods = nullptr;
                return rc;
            },
            forward<&sqlite3_io_methods::xRead, void*, int, sqlite3_int64>,
            count_write,
            forward<&sqlite3_io_methods::xTruncate, sqlite3_int64>,
            forward<&sqlite3_io_methods::xSync, int>,
            forward<&sqlite3_io_methods::xFileSize, sqlite3_int64*>,
            forward<&sqlite3_io_methods::xLock, int>,
            forward<&sqlite3_io_methods::xUnlock, int>,
            forward<&sqlite3_io_methods::xCheckReservedLock, int*>,
            forward<&sqlite3_io_methods::xFileControl, int, void*>,
            forward<&sqlite3_io_methods::xSectorSize>,
            forward<&sqlite3_io_methods::xDeviceCharacteristics>,
            forward<&sqlite3_io_methods::xShmMap, int, int, int, void volatile**>,
            forward<&sqlite3_io_methods::xShmLock, int, int, int>,
            forward<&sqlite3_io_methods::xShmBarrier>,
            forward<&sqlite3_io_methods::xShmUnmap, int>,
            forward<&sqlite3_io_methods::xFetch, sqlite3_int64, int, void**>,
            forward<&sqlite3_io_methods::xUnfetch, sqlite3_int64, void*>,
        };
        counting_vfs = *real_vfs;
        counting_vfs.szOsFile = static_cast<int>(kRealOffset) + real_vfs->szOsFile;
        counting_vfs.zName = "profo-test-log-write-counting";
        counting_vfs.pNext = nullptr;
        counting_vfs.xOpen = open_counting;
        if (sqlite3_vfs_register(&counting_vfs, 1) != SQLITE_OK)
            throw std::runtime_error("cannot register the counting VFS");
        install_coalescing_wal_vfs();  // wraps the counting one
    });
}

class Db {
public:
    // vfs: nullptr is the default (the coalescing VFS); the counting one's
    // name opens a connection that bypasses coalescing.
    explicit Db(const fs::path& path, const char* vfs = nullptr) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path.string());
        sqlite3_busy_timeout(db_, 10000);
    }
    ~Db() { sqlite3_close(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            const std::string message = error != nullptr ? error : "?";
            sqlite3_free(error);
            throw std::runtime_error(sql + ": " + message);
        }
    }
    std::string text(const std::string& sql) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
        std::string out;
        const int rc = sqlite3_step(statement);
        if (rc == SQLITE_ROW && sqlite3_column_text(statement, 0) != nullptr)
            out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        sqlite3_finalize(statement);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw std::runtime_error(sql + ": step failed");
        return out;
    }

private:
    sqlite3* db_ = nullptr;
};

class CoalescingWalVfs : public ::testing::Test {
protected:
    void SetUp() override {
        install_vfs_stack();
        dir_ = fs::temp_directory_path() / ("profo-wal-vfs-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        path_ = dir_ / "test.db";
        Db db(path_);
        db.exec("PRAGMA page_size = 1024");
        db.exec("PRAGMA journal_mode = WAL");
        db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, tx INTEGER NOT NULL, body TEXT NOT NULL)");
        db.exec("CREATE INDEX t_by_tx ON t (tx, id)");
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Opens a copy of the database file and its log as they are on disk now,
    // without the shared index: SQLite rebuilds the index from the log's
    // frames and keeps those whose checksums chain up to a commit.
    std::string recovered(const std::string& sql) {
        const fs::path copy = dir_ / "copy.db";
        fs::remove(copy);
        fs::remove(dir_ / "copy.db-wal");
        fs::remove(dir_ / "copy.db-shm");
        fs::copy_file(path_, copy);
        fs::copy_file(dir_ / "test.db-wal", dir_ / "copy.db-wal");
        Db db(copy, counting_vfs.zName);
        EXPECT_EQ(db.text("PRAGMA integrity_check"), "ok");
        return db.text(sql);
    }

    fs::path dir_;
    fs::path path_;
};

std::string insert_rows(int tx, int rows, int size) {
    return "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < " +
           std::to_string(rows) + ") INSERT INTO t (tx, body) SELECT " + std::to_string(tx) +
           ", printf('%.*c', " + std::to_string(size) + ", 'x') FROM s";
}

// The rules themselves, by calling the VFS as SQLite's pager and log do: a
// database file with its shared memory, and its log.
class VfsFiles {
public:
    explicit VfsFiles(const fs::path& path)
        : database_name_(path.string()), log_name_(database_name_ + "-wal") {
        vfs_ = sqlite3_vfs_find(nullptr);
        database_ = allocate();
        log_ = allocate();
        open(database_, database_name_, SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE);
        open(log_, log_name_, SQLITE_OPEN_WAL | SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE);
        void volatile* shared = nullptr;
        if (database()->pMethods->xShmMap(database(), 0, 32768, 1, &shared) != SQLITE_OK)
            throw std::runtime_error("xShmMap failed");
    }
    ~VfsFiles() {
        log()->pMethods->xClose(log());
        database()->pMethods->xShmUnmap(database(), 1);
        database()->pMethods->xClose(database());
    }
    VfsFiles(const VfsFiles&) = delete;
    VfsFiles& operator=(const VfsFiles&) = delete;

    sqlite3_file* database() { return reinterpret_cast<sqlite3_file*>(database_.data()); }
    sqlite3_file* log() { return reinterpret_cast<sqlite3_file*>(log_.data()); }

    int writer_lock(int flags) {
        return database()->pMethods->xShmLock(database(), 0, 1, flags | SQLITE_SHM_EXCLUSIVE);
    }
    // A frame: its 24-byte header (bytes 4-7 the database size for the last
    // frame of a commit), then the page.
    void frame(sqlite3_int64 offset, bool commit) {
        std::vector<unsigned char> header(24, 0);
        if (commit) header[7] = 9;
        std::vector<unsigned char> page(1024, 0xab);
        ASSERT_EQ(log()->pMethods->xWrite(log(), header.data(), 24, offset), SQLITE_OK);
        ASSERT_EQ(log()->pMethods->xWrite(log(), page.data(), 1024, offset + 24), SQLITE_OK);
    }
    sqlite3_int64 log_size() { return static_cast<sqlite3_int64>(fs::file_size(log_name_)); }

private:
    std::vector<std::max_align_t> allocate() const {
        return std::vector<std::max_align_t>(
            static_cast<std::size_t>(vfs_->szOsFile) / sizeof(std::max_align_t) + 1);
    }
    void open(std::vector<std::max_align_t>& file, const std::string& name, int flags) {
        int out = 0;
        if (vfs_->xOpen(vfs_, name.c_str(), reinterpret_cast<sqlite3_file*>(file.data()), flags, &out) !=
            SQLITE_OK)
            throw std::runtime_error("cannot open " + name);
    }

    sqlite3_vfs* vfs_ = nullptr;
    std::string database_name_;
    std::string log_name_;  // outlives the file: SQLite's names do too
    std::vector<std::max_align_t> database_;
    std::vector<std::max_align_t> log_;
};

constexpr sqlite3_int64 kFrame = 24 + 1024;

TEST_F(CoalescingWalVfs, AppendsUnderTheWriterLockWaitForTheCommitFramesPage) {
    VfsFiles files(dir_ / "raw.db");
    ASSERT_EQ(files.writer_lock(SQLITE_SHM_LOCK), SQLITE_OK);
    log_writes = 0;
    std::vector<unsigned char> log_header(32, 1);
    ASSERT_EQ(files.log()->pMethods->xWrite(files.log(), log_header.data(), 32, 0), SQLITE_OK);
    files.frame(32, false);
    files.frame(32 + kFrame, false);
    EXPECT_EQ(log_writes, 0);
    EXPECT_EQ(files.log_size(), 0);

    files.frame(32 + 2 * kFrame, true);
    EXPECT_EQ(log_writes, 1);
    EXPECT_EQ(files.log_size(), 32 + 3 * kFrame);
    EXPECT_EQ(files.writer_lock(SQLITE_SHM_UNLOCK), SQLITE_OK);
    EXPECT_EQ(log_writes, 1);
}

TEST_F(CoalescingWalVfs, AppendsWithoutACommitAreWrittenBeforeTheWriterLockGoes) {
    VfsFiles files(dir_ / "raw.db");
    ASSERT_EQ(files.writer_lock(SQLITE_SHM_LOCK), SQLITE_OK);
    log_writes = 0;
    files.frame(32, false);
    files.frame(32 + kFrame, false);
    EXPECT_EQ(log_writes, 0);
    EXPECT_EQ(files.writer_lock(SQLITE_SHM_UNLOCK), SQLITE_OK);
    EXPECT_EQ(log_writes, 1);
    EXPECT_EQ(files.log_size(), 32 + 2 * kFrame);
}

TEST_F(CoalescingWalVfs, AppendsAreWrittenBeforeAReadABarrierOrAWriteElsewhere) {
    VfsFiles files(dir_ / "raw.db");
    ASSERT_EQ(files.writer_lock(SQLITE_SHM_LOCK), SQLITE_OK);
    log_writes = 0;
    files.frame(32, false);
    std::vector<unsigned char> page(1024);
    ASSERT_EQ(files.log()->pMethods->xRead(files.log(), page.data(), 1024, 56), SQLITE_OK);
    EXPECT_EQ(page[0], 0xab);
    EXPECT_EQ(log_writes, 1);

    files.frame(32 + kFrame, false);
    files.database()->pMethods->xShmBarrier(files.database());
    EXPECT_EQ(log_writes, 2);

    files.frame(32 + 2 * kFrame, false);
    files.frame(32, false);  // not where the held appends end
    EXPECT_EQ(log_writes, 3);
    EXPECT_EQ(files.log_size(), 32 + 3 * kFrame);
    EXPECT_EQ(files.writer_lock(SQLITE_SHM_UNLOCK), SQLITE_OK);
    EXPECT_EQ(log_writes, 4);
}

TEST_F(CoalescingWalVfs, WithoutTheWriterLockEveryWriteGoesThrough) {
    VfsFiles files(dir_ / "raw.db");
    log_writes = 0;
    files.frame(32, false);  // before the log knows its database
    EXPECT_EQ(log_writes, 2);
    EXPECT_EQ(files.log_size(), 32 + kFrame);

    ASSERT_EQ(files.writer_lock(SQLITE_SHM_LOCK), SQLITE_OK);
    files.frame(32 + kFrame, true);
    ASSERT_EQ(files.writer_lock(SQLITE_SHM_UNLOCK), SQLITE_OK);
    log_writes = 0;
    files.frame(32 + 2 * kFrame, false);  // after
    EXPECT_EQ(log_writes, 2);
    EXPECT_EQ(files.log_size(), 32 + 3 * kFrame);
}

TEST_F(CoalescingWalVfs, ACommitReachesTheLogInAFewWritesWhereSqliteMakesTwoAPage) {
    Db coalesced(path_);
    Db direct(path_, counting_vfs.zName);
    direct.exec("PRAGMA wal_autocheckpoint = 0");
    coalesced.exec("PRAGMA wal_autocheckpoint = 0");

    // Sixty rows of 900 bytes: sixty-odd changed pages of 1 KiB.
    log_writes = 0;
    direct.exec(insert_rows(1, 60, 900));
    const int direct_writes = log_writes.exchange(0);
    coalesced.exec(insert_rows(2, 60, 900));
    const int coalesced_writes = log_writes.exchange(0);

    EXPECT_GE(direct_writes, 120);
    EXPECT_GE(coalesced_writes, 1);
    EXPECT_LE(coalesced_writes, 2);  // 60-odd frames of 1048 bytes: one 64 KiB chunk and the rest
    EXPECT_EQ(direct.text("SELECT COUNT(*) FROM t WHERE tx = 2"), "60");
    EXPECT_EQ(coalesced.text("SELECT COUNT(*) FROM t WHERE tx = 1"), "60");
    EXPECT_EQ(recovered("SELECT COUNT(*) FROM t"), "120");
}

TEST_F(CoalescingWalVfs, ALargeTransactionSpilledRewrittenAndCommittedRecoversExactly) {
    Db db(path_);
    db.exec("PRAGMA wal_autocheckpoint = 0");
    // A page cache of a few pages makes SQLite write frames to the log before
    // the commit, and then write some of the same pages again in place.
    db.exec("PRAGMA cache_size = 8");
    db.exec("BEGIN");
    db.exec(insert_rows(1, 400, 500));
    db.exec("UPDATE t SET body = printf('%.*c', 480, 'y') WHERE id % 7 = 0");
    db.exec(insert_rows(2, 50, 500));
    db.exec("COMMIT");

    Db reader(path_);
    EXPECT_EQ(reader.text("SELECT COUNT(*) FROM t"), "450");
    EXPECT_EQ(reader.text("SELECT COUNT(*) FROM t WHERE body LIKE 'y%'"), "57");
    EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(recovered("SELECT COUNT(*) || ' ' || SUM(body LIKE 'y%') FROM t"), "450 57");
}

TEST_F(CoalescingWalVfs, ARolledBackSpillNeverReachesTheNextWritersCommits) {
    Db first(path_);
    Db second(path_);
    first.exec("PRAGMA wal_autocheckpoint = 0");
    second.exec("PRAGMA wal_autocheckpoint = 0");
    first.exec("PRAGMA cache_size = 8");
    first.exec(insert_rows(1, 10, 100));

    first.exec("BEGIN");
    first.exec(insert_rows(2, 300, 500));  // spills frames past the last commit
    first.exec("ROLLBACK");
    // The next writer appends over the same part of the log.
    second.exec(insert_rows(3, 40, 200));
    first.exec(insert_rows(4, 5, 100));

    EXPECT_EQ(
        first.text("SELECT group_concat(n, ' ') FROM (SELECT COUNT(*) AS n FROM t GROUP BY tx ORDER BY tx)"),
        "10 40 5");
    EXPECT_EQ(second.text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(recovered("SELECT COUNT(*) FROM t"), "55");
}

TEST_F(CoalescingWalVfs, ReadersOnOtherConnectionsSeeWholeCommitsOnly) {
    constexpr int kRowsPerCommit = 7;
    constexpr int kCommits = 300;
    std::atomic<bool> done{false};
    std::atomic<int> bad{0};
    constexpr int kReaders = 2;
    std::vector<std::thread> readers;
    readers.reserve(kReaders);
    for (int r = 0; r < kReaders; ++r)
        readers.emplace_back([&] {
            Db db(path_);
            while (!done) {
                // Every transaction adds kRowsPerCommit rows of one tx number;
                // a torn read would see a count that is not a multiple, or a
                // body that is not all the same character.
                const std::string seen =
                    db.text("SELECT COUNT(*) % " + std::to_string(kRowsPerCommit) +
                            " + SUM(body <> printf('%.*c', length(body), substr(body, 1, 1))) FROM t");
                if (!seen.empty() && seen != "0") ++bad;
            }
        });
    {
        Db writer(path_);
        writer.exec("PRAGMA cache_size = 16");
        for (int i = 0; i < kCommits; ++i) {
            writer.exec("BEGIN");
            writer.exec(insert_rows(i, kRowsPerCommit, 50 + (i * 37) % 900));
            if (i % 10 == 3) {
                writer.exec(insert_rows(i, 200, 400));  // spills, then goes
                writer.exec("ROLLBACK");
                continue;
            }
            writer.exec("COMMIT");
            if (i % 50 == 0) writer.exec("PRAGMA wal_checkpoint(PASSIVE)");
        }
        done = true;
        EXPECT_EQ(writer.text("SELECT COUNT(*) FROM t"), std::to_string(kRowsPerCommit * (kCommits - 30)));
        EXPECT_EQ(writer.text("PRAGMA integrity_check"), "ok");
        EXPECT_EQ(recovered("SELECT COUNT(*) FROM t"), std::to_string(kRowsPerCommit * (kCommits - 30)));
    }
    for (auto& t : readers) t.join();
    EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace profo::storage_sqlite
