#include "common/storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/options.h"

namespace sanji {
namespace {

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
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
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

}  // namespace

absl::Status FromRocks(const rocksdb::Status& status,
                       absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(context, ": ", status.ToString());
  if (status.IsNoSpace() || status.subcode() == rocksdb::Status::kNoSpace) {
    return absl::ResourceExhaustedError(
        absl::StrCat(message, " (the disk is full: free space, then retry)"));
  }
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const std::string& dir, const StoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", dir, ": ", ec.message()));
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  // Small, old clinic PCs: keep background work and memory modest.
  db_options.max_background_jobs = 2;
  if (options.env != nullptr) db_options.env = options.env;
  db_options.info_log = std::make_shared<InfoLog>(dir);

  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = 16 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (const std::string& name : options.column_families) {
    descriptors.emplace_back(name, cf_options);
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
  std::unique_ptr<Store> store(new Store());
  store->dir_ = dir;
  store->db_.reset(raw);
  for (size_t i = 0; i < handles.size(); ++i) {
    store->families_[descriptors[i].name] = handles[i];
  }
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  for (auto& [name, handle] : families_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

rocksdb::ColumnFamilyHandle* Store::Family(absl::string_view name) const {
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second;
}

absl::Status Store::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status s = db_->Write(options, batch);
  if (!s.ok() && (s.IsNoSpace() || s.subcode() == rocksdb::Status::kNoSpace)) {
    // RocksDB stops writes after a no-space error; try to resume so that the
    // next write can succeed once space is freed.
    db_->Resume();
  }
  return FromRocks(s, absl::StrCat("writing to ", dir_));
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
  struct statvfs st;
  if (statvfs(dir_.c_str(), &st) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot stat file system of ", dir_));
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace sanji
