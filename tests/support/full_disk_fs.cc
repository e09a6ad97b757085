#include "tests/support/full_disk_fs.h"

#include <utility>

namespace sanji::test_support {
namespace {

// One file: its data writes fail half-way while the disk is full.
class FillableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FillableFile(std::unique_ptr<rocksdb::FSWritableFile> file,
               FullDiskFileSystem* fs)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (!fs_->RefuseWrite()) return target()->Append(data, options, dbg);
    return PartOfIt(target()->Append(Half(data), options, dbg));
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (!fs_->RefuseWrite()) return target()->Append(data, options, info, dbg);
    return PartOfIt(target()->Append(Half(data), options, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    if (!fs_->RefuseWrite()) {
      return target()->PositionedAppend(data, offset, options, dbg);
    }
    return PartOfIt(
        target()->PositionedAppend(Half(data), offset, options, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    if (!fs_->RefuseWrite()) {
      return target()->PositionedAppend(data, offset, options, info, dbg);
    }
    return PartOfIt(
        target()->PositionedAppend(Half(data), offset, options, dbg));
  }

 private:
  static rocksdb::Slice Half(const rocksdb::Slice& data) {
    return rocksdb::Slice(data.data(), data.size() / 2);
  }
  // The error of a write that stored only part of its bytes.
  static rocksdb::IOStatus PartOfIt(const rocksdb::IOStatus& partial) {
    if (!partial.ok()) return partial;
    return rocksdb::IOStatus::NoSpace("FullDiskFileSystem: no space left");
  }

  FullDiskFileSystem* fs_;
};

}  // namespace

FullDiskFileSystem::FullDiskFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

std::unique_ptr<rocksdb::Env> FullDiskFileSystem::NewEnv(
    const std::shared_ptr<FullDiskFileSystem>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

bool FullDiskFileSystem::RefuseWrite() {
  if (!full_.load()) return false;
  refused_.fetch_add(1);
  return true;
}

rocksdb::IOStatus FullDiskFileSystem::GetFreeSpace(
    const std::string& path, const rocksdb::IOOptions& options,
    uint64_t* diskfree, rocksdb::IODebugContext* dbg) {
  if (full_.load()) {
    *diskfree = 0;
    return rocksdb::IOStatus::OK();
  }
  return target()->GetFreeSpace(path, options, diskfree, dbg);
}

rocksdb::IOStatus FullDiskFileSystem::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->NewWritableFile(fname, options, &file, dbg);
  if (s.ok()) *result = std::make_unique<FillableFile>(std::move(file), this);
  return s;
}

rocksdb::IOStatus FullDiskFileSystem::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s =
      target()->ReopenWritableFile(fname, options, &file, dbg);
  if (s.ok()) *result = std::make_unique<FillableFile>(std::move(file), this);
  return s;
}

rocksdb::IOStatus FullDiskFileSystem::ReuseWritableFile(
    const std::string& fname, const std::string& old_fname,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s =
      target()->ReuseWritableFile(fname, old_fname, options, &file, dbg);
  if (s.ok()) *result = std::make_unique<FillableFile>(std::move(file), this);
  return s;
}

}  // namespace sanji::test_support
