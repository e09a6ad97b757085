// ByteSource: the bytes of a record file, read piece by piece and from the
// start again, so that a file of any size is read in constant memory (the
// encoding is judged over the whole file before any row is sent, then the file
// is read again to split it into rows; village_agent/record_file.h).
//
// FileSource reads a file on disk with read(2); BufferSource hands out pieces
// of bytes already in memory (the clinic page's uploads) without copying.
//
// Thread-safety: a source is used by one thread at a time. Ownership: a
// FileSource owns its descriptor; a BufferSource does not own its bytes, which
// must outlive it.
#ifndef SANJI_VILLAGE_AGENT_BYTE_SOURCE_H_
#define SANJI_VILLAGE_AGENT_BYTE_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sanji {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The next at most `max` bytes (`max` > 0); empty only at the end. The
  // piece stays valid until the next call.
  virtual absl::StatusOr<absl::string_view> Read(size_t max) = 0;
  // Back to the first byte.
  virtual absl::Status Rewind() = 0;
};

class BufferSource final : public ByteSource {
 public:
  explicit BufferSource(absl::string_view bytes) : bytes_(bytes) {}
  absl::StatusOr<absl::string_view> Read(size_t max) override;
  absl::Status Rewind() override;

 private:
  absl::string_view bytes_;
  size_t pos_ = 0;
};

class FileSource final : public ByteSource {
 public:
  // NOT_FOUND when `path` does not exist, FAILED_PRECONDITION when it cannot
  // be opened for another reason; the message starts with the path.
  static absl::StatusOr<std::unique_ptr<FileSource>> Open(
      const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  absl::StatusOr<absl::string_view> Read(size_t max) override;
  absl::Status Rewind() override;

 private:
  FileSource(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  const std::string path_;
  const int fd_;
  std::string buffer_;
};

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_BYTE_SOURCE_H_
