#include "tests/support/power_loss_fs.h"

#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sanji::test_support {
namespace {

namespace fs = std::filesystem;

// Reports every size change and sync of one file to the file system.
class TrackedFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string name,
              uint64_t size, PowerLossFileSystem* fs)
      : FSWritableFileOwnerWrapper(std::move(file)),
        name_(std::move(name)),
        size_(size),
        fs_(fs) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) Grow(size_ + data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->Append(data, options, info, dbg);
    if (s.ok()) Grow(size_ + data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s =
        target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) Grow(std::max(size_, offset + data.size()));
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s =
        target()->PositionedAppend(data, offset, options, info, dbg);
    if (s.ok()) Grow(std::max(size_, offset + data.size()));
    return s;
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->Truncate(size, options, dbg);
    if (s.ok()) Grow(size);
    return s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->Sync(options, dbg);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->Fsync(options, dbg);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  // RangeSync (sync_file_range) is a hint that starts writeback; it makes
  // nothing durable, so it is not counted.

 private:
  void Grow(uint64_t size) {
    size_ = size;
    fs_->Wrote(name_, size);
  }

  std::string name_;
  uint64_t size_;
  PowerLossFileSystem* fs_;
};

}  // namespace

PowerLossFileSystem::PowerLossFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

std::unique_ptr<rocksdb::Env> PowerLossFileSystem::NewEnv(
    const std::shared_ptr<PowerLossFileSystem>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

rocksdb::IOStatus PowerLossFileSystem::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->NewWritableFile(fname, options, &file, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    files_[fname] = Lengths();
  }
  *result = std::make_unique<TrackedFile>(std::move(file), fname, 0, this);
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s =
      target()->ReopenWritableFile(fname, options, &file, dbg);
  if (!s.ok()) return s;
  uint64_t size = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = files_.find(fname);
    if (it != files_.end()) {
      size = it->second.size;
    } else {
      // Existing before we saw it: treat its contents as durable.
      std::error_code ec;
      size = fs::file_size(fname, ec);
      files_[fname] = Lengths{size, size, true};
    }
  }
  *result = std::make_unique<TrackedFile>(std::move(file), fname, size, this);
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::ReuseWritableFile(
    const std::string& fname, const std::string& old_fname,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s =
      target()->ReuseWritableFile(fname, old_fname, options, &file, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    files_.erase(old_fname);
    files_[fname] = Lengths();
  }
  *result = std::make_unique<TrackedFile>(std::move(file), fname, 0, this);
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::RenameFile(
    const std::string& src, const std::string& target_name,
    const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->RenameFile(src, target_name, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = files_.find(src);
  if (it != files_.end()) {
    files_[target_name] = it->second;
    files_.erase(src);
  } else {
    files_.erase(target_name);  // now an untracked, durable file
  }
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::DeleteFile(
    const std::string& fname, const rocksdb::IOOptions& options,
    rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->DeleteFile(fname, options, dbg);
  if (s.ok()) {
    absl::MutexLock lock(&mu_);
    files_.erase(fname);
  }
  return s;
}

void PowerLossFileSystem::Wrote(const std::string& fname, uint64_t new_size) {
  absl::MutexLock lock(&mu_);
  Lengths& l = files_[fname];
  l.size = new_size;
  l.synced = std::min(l.synced, new_size);
}

size_t PowerLossFileSystem::tracked_files() {
  absl::MutexLock lock(&mu_);
  return files_.size();
}

void PowerLossFileSystem::Synced(const std::string& fname) {
  absl::MutexLock lock(&mu_);
  Lengths& l = files_[fname];
  l.synced = l.size;
  l.ever_synced = true;
}

absl::Status PowerLossFileSystem::CopyDurableState(const std::string& dir,
                                                   const std::string& dest) {
  // Holding the lock freezes the picture: writes that race with the copy
  // block until it is done, as if they came after the power cut.
  absl::MutexLock lock(&mu_);
  std::error_code ec;
  fs::create_directories(dest, ec);
  // A data directory must be the node's alone (Store refuses it otherwise).
  if (!ec) fs::permissions(dest, fs::perms::owner_all, ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("mkdir ", dest, ": ", ec.message()));
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string from = entry.path().string();
    std::string to = (fs::path(dest) / entry.path().filename()).string();
    uint64_t keep = entry.file_size();
    if (auto it = files_.find(from); it != files_.end()) {
      if (!it->second.ever_synced) continue;
      keep = std::min(keep, it->second.synced);
    }
    std::ifstream in(from, std::ios::binary);
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    std::string buffer(1 << 16, '\0');
    while (keep > 0 && in) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(keep, buffer.size()));
      in.read(buffer.data(), static_cast<std::streamsize>(n));
      std::streamsize got = in.gcount();
      if (got <= 0) break;
      out.write(buffer.data(), got);
      keep -= static_cast<uint64_t>(got);
    }
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", to));
  }
  if (ec)
    return absl::InternalError(
        absl::StrCat("listing ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace sanji::test_support
