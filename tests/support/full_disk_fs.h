// FullDiskFileSystem: a RocksDB FileSystem for tests whose disk can be made
// full at will, so that a store meets ENOSPC exactly where a test wants it.
//
// It forwards everything to the real file system. While full, every write of
// data (Append, PositionedAppend) to a file opened through it stores the first
// half of the bytes and then fails with IOStatus::NoSpace, as a write(2) that
// runs out of blocks part-way does; files can still be created, renamed,
// synced and deleted, as on a full tmpfs; GetFreeSpace says 0 while full.
//
// Thread-safety: thread-safe (RocksDB's background threads write through it).
#ifndef SANJI_TESTS_SUPPORT_FULL_DISK_FS_H_
#define SANJI_TESTS_SUPPORT_FULL_DISK_FS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace sanji::test_support {

class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FullDiskFileSystem();

  // An Env for rocksdb::Options::env that writes through `fs` (keeps fs alive).
  static std::unique_ptr<rocksdb::Env> NewEnv(
      const std::shared_ptr<FullDiskFileSystem>& fs);

  const char* Name() const override { return "FullDiskFileSystem"; }

  void set_full(bool full) { full_.store(full); }
  bool full() const { return full_.load(); }
  // Writes refused with NoSpace so far (to check a test reached the disk).
  uint64_t refused_writes() const { return refused_.load(); }
  // Called by the file wrappers: whether to refuse this write, counting it.
  bool RefuseWrite();

  rocksdb::IOStatus GetFreeSpace(const std::string& path,
                                 const rocksdb::IOOptions& options,
                                 uint64_t* diskfree,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& fname, const std::string& old_fname,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;

 private:
  std::atomic<bool> full_{false};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_FULL_DISK_FS_H_
