#include "village_agent/byte_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sanji {

absl::StatusOr<absl::string_view> BufferSource::Read(size_t max) {
  absl::string_view piece = bytes_.substr(pos_, max);
  pos_ += piece.size();
  return piece;
}

absl::Status BufferSource::Rewind() {
  pos_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileSource>> FileSource::Open(
    const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string message = absl::StrCat(path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    return absl::FailedPreconditionError(message);
  }
  return std::unique_ptr<FileSource>(new FileSource(path, fd));
}

FileSource::~FileSource() { close(fd_); }

absl::StatusOr<absl::string_view> FileSource::Read(size_t max) {
  buffer_.resize(max);
  size_t got = 0;
  // A short read is not the end of a regular file only when interrupted; read
  // on until `max` bytes or the end, so that pieces stay large.
  while (got < max) {
    const ssize_t n = read(fd_, buffer_.data() + got, max - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::DataLossError(
          absl::StrCat(path_, ": read error: ", std::strerror(errno)));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return absl::string_view(buffer_.data(), got);
}

absl::Status FileSource::Rewind() {
  if (lseek(fd_, 0, SEEK_SET) != 0) {
    return absl::DataLossError(
        absl::StrCat(path_, ": cannot read it again: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace sanji
