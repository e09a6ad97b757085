#include "tests/support/small_disk.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sanji::test_support {

absl::StatusOr<std::unique_ptr<SmallDisk>> SmallDisk::Mount(
    const std::string& mount_point, uint64_t bytes) {
  std::error_code ec;
  std::filesystem::create_directories(mount_point, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create ", mount_point, ": ", ec.message()));
  }
  std::string options = absl::StrCat("size=", bytes, ",mode=0700");
  if (mount("sanji-small-disk", mount_point.c_str(), "tmpfs",
            MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot mount a tmpfs at ", mount_point, ": ",
                     std::strerror(errno), " (it needs root)"));
  }
  return std::unique_ptr<SmallDisk>(new SmallDisk(mount_point));
}

SmallDisk::~SmallDisk() {
  umount2(path_.c_str(), MNT_DETACH);
  rmdir(path_.c_str());
}

absl::StatusOr<uint64_t> SmallDisk::FreeBytes() const {
  struct statvfs st;
  if (statvfs(path_.c_str(), &st) != 0) {
    return absl::InternalError(
        absl::StrCat("statvfs ", path_, ": ", std::strerror(errno)));
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

absl::Status SmallDisk::Fill(uint64_t leave_free) {
  absl::StatusOr<uint64_t> free_bytes = FreeBytes();
  if (!free_bytes.ok()) return free_bytes.status();
  if (*free_bytes <= leave_free) return absl::OkStatus();
  int fd = open(Ballast().c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create ", Ballast(), ": ", std::strerror(errno)));
  }
  struct stat st;
  off_t have = fstat(fd, &st) == 0 ? st.st_size : 0;
  int err =
      posix_fallocate(fd, have, static_cast<off_t>(*free_bytes - leave_free));
  close(fd);
  if (err != 0) {
    return absl::InternalError(
        absl::StrCat("cannot fill ", path_, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

void SmallDisk::Free() { unlink(Ballast().c_str()); }

void SmallDisk::CopyTo(const std::string& dest) const {
  std::error_code ec;
  std::filesystem::copy(path_, dest, std::filesystem::copy_options::recursive,
                        ec);
}

}  // namespace sanji::test_support
