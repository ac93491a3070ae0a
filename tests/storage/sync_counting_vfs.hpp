// Counts the syncs SQLite asks of its files, per thread: a VFS that forwards
// everything to the default one, registered as the default in its place. The
// storage plugin's connections open through it too (the same libsqlite3), so
// a test sees whether a commit on its thread waited for the disk.
#pragma once

namespace profo::storage_test {

// Registers the counting VFS as SQLite's default (once; later calls do
// nothing). Databases opened before keep the VFS they were opened with.
void install_sync_counting_vfs();

// xSync calls made on this thread since it started.
int syncs_on_this_thread();

}  // namespace profo::storage_test
