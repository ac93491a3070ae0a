// A VFS that writes a commit's log frames to the -wal file in one system
// call instead of two per page.
//
// SQLite appends each changed page to the log as two writes, a 24-byte frame
// header and the page. An engine event changes a dozen 1 KiB pages, so a
// group of events costs hundreds of pwrite calls, each of them expensive on a
// virtual machine. This VFS wraps SQLite's default one and, for log files
// only, keeps the appends of a write transaction in memory and writes them as
// one block when they must be in the file:
// - before the commit becomes visible: SQLite publishes a commit by writing
//   the log's shared index header around a memory barrier (xShmBarrier on
//   the database file), and no reader or checkpointer trusts a frame before
//   that header names it;
// - before the write lock is given up (a rollback, or the end of any write
//   transaction), so no appends of one holder are ever written under the
//   next one's lock;
// - before any other operation on the log file (a read, a sync, a truncate,
//   its size, close).
// A crash with appends still in memory loses only a transaction that was not
// committed yet, exactly as a crash between SQLite's own writes would.
#pragma once

namespace profo::storage_sqlite {

// Registers the VFS as SQLite's default, wrapping the default found at the
// first call (later calls do nothing). Connections opened earlier keep the
// VFS they were opened with.
void install_coalescing_wal_vfs();

}  // namespace profo::storage_sqlite
