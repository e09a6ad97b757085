// PowerLossFileSystem: a RocksDB FileSystem for tests that can say what a disk
// would hold after a power cut.
//
// It forwards everything to the real file system and remembers, for every
// file written through it, how many bytes exist and how many were made
// durable by Sync/Fsync. CopyDurableState() copies a directory as it would be
// after a power loss at that instant: each file written here cut to its synced
// length (a file never synced is left out, as its directory entry may not have
// survived either); files not written here are copied whole. A test runs a
// store on top of it, "crashes" by copying, and reopens the copy: everything
// the store acknowledged as durable must be there, with no holes.
//
// Thread-safety: thread-safe (RocksDB's background threads write through it).
#ifndef SANJI_TESTS_SUPPORT_POWER_LOSS_FS_H_
#define SANJI_TESTS_SUPPORT_POWER_LOSS_FS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace sanji::test_support {

class PowerLossFileSystem : public rocksdb::FileSystemWrapper {
 public:
  PowerLossFileSystem();

  // An Env for rocksdb::Options::env that writes through `fs` (keeps fs alive).
  static std::unique_ptr<rocksdb::Env> NewEnv(
      const std::shared_ptr<PowerLossFileSystem>& fs);

  const char* Name() const override { return "PowerLossFileSystem"; }

  // Copies `dir` into `dest` (created) as a power loss now would leave it.
  absl::Status CopyDurableState(const std::string& dir,
                                const std::string& dest);

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
  rocksdb::IOStatus RenameFile(const std::string& src,
                               const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

  // Files written through this file system so far (to check a test really
  // went through it).
  size_t tracked_files();

  // Called by the file wrappers.
  void Wrote(const std::string& fname, uint64_t new_size);
  void Synced(const std::string& fname);

 private:
  struct Lengths {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool ever_synced = false;
  };
  absl::Mutex mu_;
  std::map<std::string, Lengths> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_POWER_LOSS_FS_H_
