// Store: the one storage layer of all three programs, a thin wrapper over
// RocksDB.
//
// A Store owns one RocksDB database with named column families. Every state
// change goes through Write() as one WriteBatch, synced to the write-ahead log
// by default, so a change acknowledged to a peer survives kill -9 and power
// loss. RocksDB errors become absl::Status; "no space" becomes
// RESOURCE_EXHAUSTED so callers can refuse new work (backpressure).
//
// Thread-safety: a Store may be used from many threads; RocksDB serializes
// writes. Callers that read-modify-write must serialize themselves.
#ifndef SANJI_COMMON_STORAGE_H_
#define SANJI_COMMON_STORAGE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/write_batch.h"

namespace sanji {

struct StoreOptions {
  // Column families besides "default".
  std::vector<std::string> column_families;
  // For tests that simulate power loss; nullptr means the real file system.
  rocksdb::Env* env = nullptr;
};

class Store {
 public:
  // Opens or creates the database in `dir` (created if missing).
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const std::string& dir, const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The handle of a column family named at Open; "default" is always there.
  rocksdb::ColumnFamilyHandle* Family(absl::string_view name) const;
  rocksdb::DB* db() const { return db_.get(); }
  const std::string& dir() const { return dir_; }

  // Applies `batch` atomically; with `sync` it is on disk (WAL fsynced) when
  // this returns.
  absl::Status Write(rocksdb::WriteBatch* batch, bool sync = true);
  // Absent keys are std::nullopt, not an error.
  absl::StatusOr<std::optional<std::string>> Get(
      rocksdb::ColumnFamilyHandle* family, absl::string_view key) const;
  std::unique_ptr<rocksdb::Iterator> NewIterator(
      rocksdb::ColumnFamilyHandle* family) const;

  // Live data size estimate (SST files plus memtables), for buffer budgets.
  uint64_t ApproximateBytes() const;
  // Free bytes on the file system holding the data directory.
  absl::StatusOr<uint64_t> FreeDiskBytes() const;

 private:
  Store() = default;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> families_;
};

// Converts a RocksDB status to absl, prefixing `context` ("writing batch in
// DIR").
absl::Status FromRocks(const rocksdb::Status& status,
                       absl::string_view context);

}  // namespace sanji

#endif  // SANJI_COMMON_STORAGE_H_
