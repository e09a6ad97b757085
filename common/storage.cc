#include "common/storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/store_format.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"

// Full disks on RocksDB 7.8 (Debian 12's)
//
// When a write to the write-ahead log fails (ENOSPC), RocksDB stops writes
// with a background error and marks that log's writer as failed; a later
// write to that writer fails an assertion, and Debian builds RocksDB with
// assertions on, so the process aborts. Recovery (DB::Resume, or RocksDB's
// own, driven by its SstFileManager) leaves the failed log behind only when
// it switches memtables, and it switches only column families whose memtable
// holds something: when the failed write was the first since every memtable
// had been flushed (after opening, after a recovery), recovery succeeded on
// the old log and the next write aborted the node (issue 14). So:
//  1. The guard family's memtable is never empty while a write can reach the
//     log. The guard entry is written without the log (it needs no disk) at
//     open, after every recovery and after every flush of that family, each
//     time before any other write can start (writes_mu_, recovering_). Every
//     successful recovery therefore leaves on a fresh log.
//  2. Recovery from a full disk is RocksDB's own: its SstFileManager tries at
//     once and then every 5 s, and resumes once the disk has room to flush
//     every memtable (their write buffers' size). It must be RocksDB's, and
//     start the moment the error is raised: a flush job that runs while
//     writes are stopped and no recovery is under way returns without taking
//     its request off RocksDB's flush queue, and the next Resume then waits
//     for that flush forever (seen in StoreTest.FullDiskRefuses..., about one
//     run in ten, when Write() called Resume itself). RecoveryListener marks
//     the store recovering from the error until RocksDB says it is done;
//     meanwhile Write() refuses without touching RocksDB. Only other errors
//     (a failing disk, or no free-space figure) are resumed by Write(), and
//     a Resume that hangs all the same ends the process after
//     kStuckResumeTimeout, for its service manager to restart it: nothing
//     else can open the database again.
//  3. Files are written unbuffered (writable_file_max_buffer_size = 0), so a
//     failed write leaves no bytes in RocksDB's buffer that a recovery would
//     append to the old log later: a write we refused never becomes durable.
// The guard family is flushed, and the guard put back, every kGuardFlushBytes
// of writes, so that its memtable never pins old logs on disk.

// The store family
//
// Every store has, besides the program's own families, one family of its own,
// "store", the guard family above:
//    "memtable_guard" -> ""         put without the log; never durable
//    "format"         -> name ' ' version
//    name             := the program whose layout the other families follow,
//                        e.g. "township_node"
//    version          := decimal; changes when the keys or values of any of
//                        the layout's families change
//    "owner"          -> org code   (common/org_code.h) the village, township
//                                   or county the data is of
// The mark and the owner are written together, synced, when the store is
// created (or adopted: a store of this program from before marks existed, as
// its StoreFormat::legacy_owner_key shows). Whether a directory may be opened
// at all is store_format.h's rule; a refused directory is left as it was (one
// without a store family is read read-only to judge it). A store of the same
// format gets the families its layout has gained since; a change of any
// family's keys or values is a new version.

namespace sanji {
namespace {

constexpr char kStoreFamily[] = "store";
constexpr char kGuardKey[] = "memtable_guard";
constexpr char kFormatKey[] = "format";
constexpr char kOwnerKey[] = "owner";
constexpr uint64_t kGuardFlushBytes = 32 << 20;
constexpr uint64_t kGuardWriteBufferBytes = 1 << 20;
// Free space beyond the memtables' size that Write() waits for to resume.
constexpr uint64_t kResumeReserveBytes = 4 << 20;
constexpr absl::Duration kStuckResumeTimeout = absl::Seconds(60);
constexpr int kExitStorageStuck = 70;  // EX_SOFTWARE

bool IsNoSpace(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.subcode() == rocksdb::Status::kNoSpace;
}

// RocksDB's diagnostic log (DIR/LOG), written with plain write(2) calls that
// may fail. RocksDB 7.8 (Debian 12) writes its own LOG through a
// WritableFileWriter that asserts when it is written again after a failed
// write, so a full disk aborted the whole process from inside a logging call
// (found by the full-disk tests). Here a line that cannot be written is
// dropped.
// The file is moved to LOG.old when it passes kMaxBytes, so diagnostics never
// fill a clinic's disk.
class InfoLog final : public rocksdb::Logger {
 public:
  explicit InfoLog(const std::string& dir)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL),
        path_(dir + "/LOG") {
    Open();
  }
  ~InfoLog() override {
    if (fd_ >= 0) close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    // libc's clock and formatting: plain calls, safe from any RocksDB thread.
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    struct tm local;
    localtime_r(&tv.tv_sec, &local);
    char stamp[32];
    size_t stamp_len =
        strftime(stamp, sizeof(stamp), "%Y/%m/%d-%H:%M:%S", &local);
    char line[2048];
    int n = vsnprintf(line, sizeof(line) - 1, format, ap);
    if (n < 0) return;
    size_t len = std::min(static_cast<size_t>(n), sizeof(line) - 2);
    if (len == 0 || line[len - 1] != '\n') line[len++] = '\n';
    std::string text =
        absl::StrCat(absl::string_view(stamp, stamp_len),
                     absl::StrFormat(".%06d ", static_cast<int>(tv.tv_usec)),
                     absl::string_view(line, len));
    absl::MutexLock lock(&mu_);
    if (written_ > kMaxBytes) {
      if (fd_ >= 0) close(fd_);
      std::rename(path_.c_str(), (path_ + ".old").c_str());
      Open();
    }
    if (fd_ < 0) return;
    ssize_t w = write(fd_, text.data(), text.size());  // a failure: dropped
    if (w > 0) written_ += static_cast<uint64_t>(w);
  }

 private:
  static constexpr uint64_t kMaxBytes = 16 << 20;

  void Open() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    struct stat st;
    written_ = fd_ >= 0 && fstat(fd_, &st) == 0
                   ? static_cast<uint64_t>(st.st_size)
                   : 0;
  }

  const std::string path_;
  absl::Mutex mu_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

rocksdb::ColumnFamilyOptions FamilyOptions(
    absl::string_view name, const StoreOptions& store,
    const std::shared_ptr<rocksdb::Cache>& block_cache) {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size =
      name == kStoreFamily ? kGuardWriteBufferBytes : store.write_buffer_bytes;
  rocksdb::BlockBasedTableOptions table;
  if (block_cache != nullptr) table.block_cache = block_cache;
  // Families read mostly for keys they do not hold (a new record's duplicate
  // check, a cell not yet written): whole-key Bloom filters in the memtable
  // and the tables answer those without searching either.
  if (std::find(store.lookup_families.begin(), store.lookup_families.end(),
                name) != store.lookup_families.end()) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.memtable_whole_key_filtering = true;
    options.memtable_prefix_bloom_size_ratio = 0.05;
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// The facts of `families` of the open `db` that store_format.h's rule needs
// besides the store family's: the legacy owner key (in the default family)
// and whether any family holds a key.
absl::Status ReadDataFacts(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& families,
    const StoreOptions& options, const std::string& dir, StoreFacts* facts) {
  for (rocksdb::ColumnFamilyHandle* family : families) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), family));
    it->SeekToFirst();
    if (it->Valid()) facts->empty = false;
    RETURN_IF_ERROR(FromRocks(it->status(), "reading " + dir));
    std::string value;
    if (family->GetName() == rocksdb::kDefaultColumnFamilyName &&
        !options.format.legacy_owner_key.empty()) {
      rocksdb::Status s = db->Get(rocksdb::ReadOptions(), family,
                                  options.format.legacy_owner_key, &value);
      if (s.ok()) facts->legacy_owner = std::move(value);
      if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading " + dir);
    }
  }
  return absl::OkStatus();
}

// The facts of a database that has no store family (written before stores had
// one, or not by us), read without changing it.
absl::StatusOr<StoreFacts> ProbeReadOnly(
    const std::string& dir, const std::vector<std::string>& families,
    const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  if (options.env != nullptr) db_options.env = options.env;
  db_options.info_log = std::make_shared<InfoLog>(dir);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(families.size());
  for (const std::string& name : families) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::OpenForReadOnly(
                                db_options, dir, descriptors, &handles, &raw),
                            absl::StrCat("reading RocksDB in ", dir)));
  std::unique_ptr<rocksdb::DB> db(raw);
  StoreFacts facts;
  facts.existed = true;
  absl::Status status = ReadDataFacts(db.get(), handles, options, dir, &facts);
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    db->DestroyColumnFamilyHandle(handle);
  }
  RETURN_IF_ERROR(status);
  return facts;
}

}  // namespace

absl::Status PrepareDataDir(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot read data directory ", dir, ": ", std::strerror(errno)));
    }
    std::error_code ec;
    std::filesystem::path parent = std::filesystem::path(dir).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    // chmod as well: the process's umask may have taken bits off mkdir's.
    if ((mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) ||
        chmod(dir.c_str(), 0700) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create data directory ", dir, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--data_dir ", dir, " is not a directory"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "data directory %s can be read by others (mode %04o); it holds "
        "health records, so only this node's user may: run  chmod 700 %s",
        dir, st.st_mode & 07777, dir));
  }
  return absl::OkStatus();
}

absl::Status FromRocks(const rocksdb::Status& status,
                       absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(context, ": ", status.ToString());
  if (IsNoSpace(status)) {
    return absl::ResourceExhaustedError(
        absl::StrCat(message, " (the disk is full: free space, then retry)"));
  }
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

// RocksDB's own recovery from a full disk (rule 2): marks the store as
// recovering from the error until RocksDB is done.
class Store::RecoveryListener final : public rocksdb::EventListener {
 public:
  explicit RecoveryListener(Store* store) : store_(store) {}
  const char* Name() const override { return "SanjiStoreRecovery"; }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                            rocksdb::Status /*bg_error*/,
                            bool* auto_recovery) override {
    if (*auto_recovery) store_->recovering_.store(true);
  }
  void OnErrorRecoveryEnd(
      const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    store_->RecoveryEnded(info.new_bg_error.ok());
  }

 private:
  Store* const store_;
};

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const std::string& dir, const StoreOptions& options) {
  if (options.format.name.empty()) {
    return absl::InvalidArgumentError("a store needs a format name");
  }
  RETURN_IF_ERROR(PrepareDataDir(dir));
  // An existing database is opened with the families it has, so that it can
  // be judged (store_format.h) before anything is added to it.
  std::vector<std::string> families;
  rocksdb::DBOptions list_options;
  if (options.env != nullptr) list_options.env = options.env;
  const bool existed =
      rocksdb::DB::ListColumnFamilies(list_options, dir, &families).ok();
  if (existed && std::find(families.begin(), families.end(), kStoreFamily) ==
                     families.end()) {
    ASSIGN_OR_RETURN(StoreFacts facts, ProbeReadOnly(dir, families, options));
    RETURN_IF_ERROR(JudgeStore(dir, facts, options));
    families.push_back(kStoreFamily);  // the guard needs it
  } else if (!existed) {
    families = {rocksdb::kDefaultColumnFamilyName};
    families.insert(families.end(), options.column_families.begin(),
                    options.column_families.end());
    families.push_back(kStoreFamily);
  }
  std::unique_ptr<Store> store(new Store());
  // One cache for all the store's families (RocksDB's default is one each).
  if (options.block_cache_bytes > 0) {
    store->block_cache_ = rocksdb::NewLRUCache(options.block_cache_bytes);
  }
  RETURN_IF_ERROR(store->OpenDatabase(dir, families, options));
  {
    absl::MutexLock lock(&store->writes_mu_);
    RETURN_IF_ERROR(
        FromRocks(store->PutGuard(), absl::StrCat("opening RocksDB in ", dir)));
  }
  ASSIGN_OR_RETURN(StoreFacts facts, store->ReadFacts(options));
  facts.existed = existed;
  RETURN_IF_ERROR(JudgeStore(dir, facts, options));
  RETURN_IF_ERROR(store->Adopt(options, facts));
  return store;
}

absl::Status Store::OpenDatabase(const std::string& dir,
                                 const std::vector<std::string>& families,
                                 const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  // Small, old clinic PCs: keep background work and memory modest.
  db_options.max_background_jobs = 2;
  if (options.env != nullptr) db_options.env = options.env;
  db_options.info_log = std::make_shared<InfoLog>(dir);
  // Full disks: see the top of this file.
  db_options.writable_file_max_buffer_size = 0;
  // Opening replays the write-ahead log into memtables without flushing
  // them, so that a node restarted on a full disk starts (and refuses work
  // with "the disk is full") instead of failing to open.
  db_options.avoid_flush_during_recovery = true;
  // Nor at close: the guard is not in the log, so RocksDB would otherwise
  // flush every memtable at every shutdown.
  db_options.avoid_flush_during_shutdown = true;
  db_options.listeners.push_back(std::make_shared<RecoveryListener>(this));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(families.size());
  for (const std::string& name : families) {
    descriptors.emplace_back(name, FamilyOptions(name, options, block_cache_));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", dir, " is in use by another process (",
          s.ToString(), "); stop it or choose another --data_dir"));
    }
    return FromRocks(s, absl::StrCat("opening RocksDB in ", dir));
  }
  dir_ = dir;
  db_.reset(raw);
  for (size_t i = 0; i < handles.size(); ++i) {
    if (descriptors[i].name == kStoreFamily) {
      guard_ = handles[i];
    } else {
      families_[descriptors[i].name] = handles[i];
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StoreFacts> Store::ReadFacts(const StoreOptions& options) const {
  StoreFacts facts;
  ASSIGN_OR_RETURN(facts.mark, Get(guard_, kFormatKey));
  ASSIGN_OR_RETURN(facts.owner, Get(guard_, kOwnerKey));
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  families.reserve(families_.size());
  for (const auto& [name, handle] : families_) families.push_back(handle);
  RETURN_IF_ERROR(ReadDataFacts(db_.get(), families, options, dir_, &facts));
  return facts;
}

absl::Status Store::Adopt(const StoreOptions& options,
                          const StoreFacts& facts) {
  for (const std::string& name : options.column_families) {
    if (Family(name) != nullptr) continue;
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    RETURN_IF_ERROR(FromRocks(
        db_->CreateColumnFamily(FamilyOptions(name, options, block_cache_),
                                name, &handle),
        absl::StrCat("adding family ", name, " in ", dir_)));
    families_[name] = handle;
  }
  recovery_free_bytes_ =
      options.write_buffer_bytes * families_.size() + kGuardWriteBufferBytes;
  rocksdb::WriteBatch batch;
  if (!facts.mark.has_value()) {
    batch.Put(guard_, kFormatKey, FormatMark(options.format));
  }
  if (!options.owner.empty() && !facts.owner.has_value()) {
    batch.Put(guard_, kOwnerKey, options.owner);
  }
  if (batch.Count() == 0) return absl::OkStatus();
  return Write(&batch);
}

Store::~Store() {
  if (db_ == nullptr) return;
  for (auto& [name, handle] : families_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->DestroyColumnFamilyHandle(guard_);
  db_->Close();
}

rocksdb::ColumnFamilyHandle* Store::Family(absl::string_view name) const {
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second;
}

absl::Status Store::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status s;
  // A second attempt only after Recover(): the first write after space came
  // back is refused by the error RocksDB still holds, not by the disk.
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
#if defined(__SANITIZE_THREAD__)
      // Only under ThreadSanitizer, one write at a time: RocksDB's write
      // group has one writer's thread copy the others' batches into its own
      // (group commit), ordered by atomics of the uninstrumented librocksdb,
      // which TSan reports as a race on the batch's bytes (seen in
      // full_disk_test: an agent's Submit and its uploader's Acknowledge).
      // The product keeps group commit.
      absl::MutexLock lock(&writes_mu_);
#else
      absl::ReaderMutexLock lock(&writes_mu_);
#endif
      if (recovering_.load()) return DiskFullError();
      s = db_->Write(options, batch);
    }
    if (s.ok() || !s.IsIOError() || recovering_.load() || !Recover()) break;
  }
  if (!s.ok()) {
    if (IsNoSpace(s)) return DiskFullError();
    return FromRocks(s, absl::StrCat("writing to ", dir_));
  }
  uint64_t size = batch->GetDataSize();
  if (bytes_since_guard_.fetch_add(size) + size >= kGuardFlushBytes) {
    RenewGuard();
  }
  return absl::OkStatus();
}

absl::Status Store::DiskFullError() const {
  return absl::ResourceExhaustedError(absl::StrCat(
      "writing to ", dir_,
      ": the disk is full: free space, then retry (writes resume by "
      "themselves within 5 s of ",
      recovery_free_bytes_ >> 20, " MB being free)"));
}

void Store::RecoveryEnded(bool recovered) {
  if (resuming_.load()) return;  // Recover() is the caller; it does this
  absl::MutexLock lock(&writes_mu_);
  if (recovered) PutGuard().PermitUncheckedError();
  recovering_.store(false);
}

bool Store::Recover() {
  absl::MutexLock lock(&writes_mu_);
  if (recovering_.load()) return false;  // RocksDB's own is under way
  uint64_t memtables = 0, free_bytes = 0;
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables,
                                &memtables);
  if (!db_->GetEnv()->GetFreeSpace(dir_, &free_bytes).ok() ||
      free_bytes < memtables + kResumeReserveBytes) {
    return false;
  }
  absl::Notification resumed;
  std::thread watchdog([&] {
    if (resumed.WaitForNotificationWithTimeout(kStuckResumeTimeout)) return;
    std::fprintf(stderr,
                 "sanji: storage recovery in %s has not finished in %d s "
                 "(a stranded RocksDB 7.8 flush); exiting so that the "
                 "service manager restarts the node\n",
                 dir_.c_str(),
                 static_cast<int>(absl::ToInt64Seconds(kStuckResumeTimeout)));
    std::fflush(stderr);
    std::_Exit(kExitStorageStuck);
  });
  resuming_.store(true);
  // OK at once when there is no error to recover from (another writer did).
  rocksdb::Status s = db_->Resume();
  resuming_.store(false);
  resumed.Notify();
  watchdog.join();
  if (s.ok()) s = PutGuard();
  return s.ok();
}

rocksdb::Status Store::PutGuard() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return db_->Put(options, guard_, kGuardKey, rocksdb::Slice());
}

void Store::RenewGuard() {
  absl::MutexLock lock(&writes_mu_);
  if (bytes_since_guard_.load() < kGuardFlushBytes) return;  // another did
  bytes_since_guard_.store(0);
  rocksdb::FlushOptions flush;
  flush.allow_write_stall = true;
  // On failure RocksDB holds a background error: writes are refused until a
  // recovery, which puts the guard back.
  if (db_->Flush(flush, guard_).ok()) PutGuard().PermitUncheckedError();
}

absl::StatusOr<std::optional<std::string>> Store::Get(
    rocksdb::ColumnFamilyHandle* family, absl::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), family,
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, absl::StrCat("reading from ", dir_));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGet(
    rocksdb::ColumnFamilyHandle* family,
    absl::Span<const absl::string_view> keys) const {
  const size_t n = keys.size();
  std::vector<rocksdb::Slice> slices;
  slices.reserve(n);
  for (absl::string_view k : keys) slices.emplace_back(k.data(), k.size());
  std::vector<rocksdb::PinnableSlice> found(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->MultiGet(rocksdb::ReadOptions(), family, n, slices.data(), found.data(),
                statuses.data());
  std::vector<std::optional<std::string>> values(n);
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) {
      return FromRocks(statuses[i], absl::StrCat("reading from ", dir_));
    }
    values[i].emplace(found[i].data(), found[i].size());
  }
  return values;
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGet(
    rocksdb::ColumnFamilyHandle* family,
    const std::vector<std::string>& keys) const {
  std::vector<absl::string_view> views(keys.begin(), keys.end());
  return MultiGet(family, views);
}

std::unique_ptr<rocksdb::Iterator> Store::NewIterator(
    rocksdb::ColumnFamilyHandle* family) const {
  return std::unique_ptr<rocksdb::Iterator>(
      db_->NewIterator(rocksdb::ReadOptions(), family));
}

uint64_t Store::ApproximateBytes() const {
  uint64_t total = 0;
  for (const auto& [name, handle] : families_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kTotalSstFilesSize,
                            &v))
      total += v;
    if (db_->GetIntProperty(
            handle, rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) {
      total += v;
    }
  }
  return total;
}

absl::StatusOr<uint64_t> Store::FreeDiskBytes() const {
  uint64_t free_bytes = 0;
  rocksdb::Status s = db_->GetEnv()->GetFreeSpace(dir_, &free_bytes);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot stat file system of ", dir_, ": ", s.ToString()));
  }
  return free_bytes;
}

}  // namespace sanji
