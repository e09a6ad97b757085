// Store: the one storage layer of all three programs, a thin wrapper over
// RocksDB.
//
// A Store owns one RocksDB database with named column families. Every state
// change goes through Write() as one WriteBatch, synced to the write-ahead log
// by default, so a change acknowledged to a peer survives kill -9 and power
// loss. RocksDB errors become absl::Status; "no space" becomes
// RESOURCE_EXHAUSTED so callers can refuse new work (backpressure).
//
// A full disk never ends the process, and the store takes writes again by
// itself once space is freed: RocksDB recovers within 5 s of there being room
// to flush its memtables, and until then every write is refused with "the
// disk is full". How that is made safe on RocksDB 7.8 is explained in
// storage.cc.
//
// Thread-safety: a Store may be used from many threads; RocksDB serializes
// writes. Callers that read-modify-write must serialize themselves.
#ifndef SANJI_COMMON_STORAGE_H_
#define SANJI_COMMON_STORAGE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/write_batch.h"

namespace sanji {

struct StoreFacts;  // common/store_format.h

// What a store holds, written into it when it is created and checked at every
// open, so that a data directory of another program or of another version of
// this layout is refused with a message instead of being misread. `name` is
// the program whose layout it is ("village_agent"); `version` changes with
// any change to that layout's grammar.
struct StoreFormat {
  std::string name;
  int version = 1;
  // The key of the "default" family under which stores of this program kept
  // their owner before stores had a format mark; such a store is recognised by
  // it, checked against the owner, and marked. Empty for none.
  std::string legacy_owner_key;
};

struct StoreOptions {
  StoreFormat format;  // required
  // The organisation code the store belongs to, bound at creation and checked
  // at every open; empty for none.
  std::string owner;
  // Column families besides "default".
  std::vector<std::string> column_families;
  // For tests that simulate power loss; nullptr means the real file system.
  rocksdb::Env* env = nullptr;
  // How large a family's memtable grows before it is flushed to a table: the
  // RAM a family takes while written (twice that while one flushes). The
  // clinic's agent sets it small (village_agent/intake_layout.cc).
  uint64_t write_buffer_bytes = uint64_t{16} << 20;
  // Families looked up mostly for keys they do not hold (a duplicate check):
  // Bloom filters on their memtables and tables answer "absent" without
  // searching them.
  std::vector<std::string> lookup_families;
  // Bytes of the block cache (table blocks read) the store's families share;
  // 0 keeps RocksDB's default (8 MB for each family).
  uint64_t block_cache_bytes = 0;
};

class Store {
 public:
  // Opens or creates the database in `dir` (created if missing).
  // FAILED_PRECONDITION, saying what to do, when `dir` holds a store of
  // another format (storage.cc has the rule) or is in use by another process.
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
  // this returns. A refused batch changed nothing.
  absl::Status Write(rocksdb::WriteBatch* batch, bool sync = true);
  // Absent keys are std::nullopt, not an error.
  absl::StatusOr<std::optional<std::string>> Get(
      rocksdb::ColumnFamilyHandle* family, absl::string_view key) const;
  // The values of `keys`, in their order, read together (one RocksDB
  // MultiGet, which batches the lookups: cheaper than a Get each).
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      rocksdb::ColumnFamilyHandle* family,
      absl::Span<const absl::string_view> keys) const;
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      rocksdb::ColumnFamilyHandle* family,
      const std::vector<std::string>& keys) const;
  std::unique_ptr<rocksdb::Iterator> NewIterator(
      rocksdb::ColumnFamilyHandle* family) const;

  // Live data size estimate (SST files plus memtables), for buffer budgets.
  uint64_t ApproximateBytes() const;
  // Free bytes on the file system holding the data directory.
  absl::StatusOr<uint64_t> FreeDiskBytes() const;

 private:
  class RecoveryListener;
  Store() = default;
  // Opens the RocksDB database in `dir` with `families`, creating those
  // missing.
  absl::Status OpenDatabase(const std::string& dir,
                            const std::vector<std::string>& families,
                            const StoreOptions& options);
  // The format mark, owner, legacy owner and emptiness of the open database.
  absl::StatusOr<StoreFacts> ReadFacts(const StoreOptions& options) const;
  // Makes an accepted store whole: the layout's families it lacks, and the
  // format mark and owner it lacks, written together.
  absl::Status Adopt(const StoreOptions& options, const StoreFacts& facts);
  // Brings RocksDB out of a background error that it does not recover from
  // by itself; true when it takes writes again. Waits for writes in flight.
  bool Recover() ABSL_LOCKS_EXCLUDED(writes_mu_);
  // RocksDB's own recovery ended (RecoveryListener).
  void RecoveryEnded(bool recovered) ABSL_LOCKS_EXCLUDED(writes_mu_);
  absl::Status DiskFullError() const;
  // Puts the guard entry (storage.cc) into the guard family's memtable.
  rocksdb::Status PutGuard() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writes_mu_);
  // Flushes the guard family, so that it pins no old write-ahead log, and puts
  // the guard back; every kGuardFlushBytes of writes.
  void RenewGuard() ABSL_LOCKS_EXCLUDED(writes_mu_);

  std::string dir_;
  std::shared_ptr<rocksdb::Cache> block_cache_;  // nullptr: RocksDB's own
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> families_;
  rocksdb::ColumnFamilyHandle* guard_ = nullptr;
  // Writes hold it shared; recovery and guard renewal hold it exclusively, so
  // that no write reaches RocksDB between a recovery and the guard's return.
  absl::Mutex writes_mu_;
  // From a full-disk error until RocksDB's own recovery has ended.
  std::atomic<bool> recovering_{false};
  std::atomic<bool> resuming_{false};  // Recover() is in DB::Resume
  std::atomic<uint64_t> bytes_since_guard_{0};
  // Free space RocksDB waits for before it resumes (its memtables' size).
  uint64_t recovery_free_bytes_ = 0;
};

// Makes `dir` a data directory that is this node's alone: creates it with mode
// 0700 (and its parents as usual) when missing; FAILED_PRECONDITION, with the
// chmod that fixes it, when it exists and its group or others have any
// access (spec/interfaces.md "Files at rest"). Store::Open calls it.
absl::Status PrepareDataDir(const std::string& dir);

// Converts a RocksDB status to absl, prefixing `context` ("writing batch in
// DIR").
absl::Status FromRocks(const rocksdb::Status& status,
                       absl::string_view context);

}  // namespace sanji

#endif  // SANJI_COMMON_STORAGE_H_
