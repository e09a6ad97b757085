// SmallDisk: a small tmpfs mounted at a directory, for tests that run a data
// directory out of space on purpose (a full disk at a village or a township).
//
// Fill() takes all but a chosen number of bytes with a ballast file (fast:
// fallocate), Free() removes it again, as an operator freeing space would.
// Mounting needs root (CAP_SYS_ADMIN): Mount() says so when it cannot, and
// tests skip. The file system is unmounted (lazily, MNT_DETACH) when the
// SmallDisk goes, with everything on it.
//
// Thread-safety: Fill()/Free() from one thread at a time.
#ifndef SANJI_TESTS_SUPPORT_SMALL_DISK_H_
#define SANJI_TESTS_SUPPORT_SMALL_DISK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sanji::test_support {

class SmallDisk {
 public:
  // Mounts a tmpfs of `bytes` at `mount_point` (created if missing).
  static absl::StatusOr<std::unique_ptr<SmallDisk>> Mount(
      const std::string& mount_point, uint64_t bytes);
  ~SmallDisk();
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  const std::string& path() const { return path_; }
  // Free bytes on the file system now.
  absl::StatusOr<uint64_t> FreeBytes() const;
  // Leaves at most `leave_free` bytes free (no-op if fewer are free already).
  absl::Status Fill(uint64_t leave_free);
  // Removes what Fill() took.
  void Free();
  // Copies everything on it to `dest`, e.g. to keep it after a failed run.
  void CopyTo(const std::string& dest) const;

 private:
  explicit SmallDisk(std::string path) : path_(std::move(path)) {}
  std::string Ballast() const { return path_ + "/ballast"; }

  std::string path_;
};

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_SMALL_DISK_H_
