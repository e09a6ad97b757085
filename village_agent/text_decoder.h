// The encoding of a clinic record file (spec/records.md "Encoding and
// shape"): judging it over the whole file, then turning the file into UTF-8
// text piece by piece, in constant memory.
//
// DetectEncoding reads a ByteSource to its end (up to three times: UTF-8
// validity, then GB18030 validity when needed) and rewinds it; it is the only
// place that refuses a file for its encoding, so that no row of a file that
// cannot be read is ever sent. TextDecoder then converts the pieces of the
// second reading.
//
// Thread-safety: a TextDecoder is used by one thread. It owns its iconv
// descriptor.
#ifndef SANJI_VILLAGE_AGENT_TEXT_DECODER_H_
#define SANJI_VILLAGE_AGENT_TEXT_DECODER_H_

#include <iconv.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "village_agent/byte_source.h"

namespace sanji {

enum class FileEncoding { kAuto, kUtf8, kGb18030 };

// The encoding of the file `source` holds, judged as spec/records.md says:
// `requested` when forced (refused with the offset and line of the first bad
// byte when the file is not valid in it), else UTF-8 when valid, GB18030 when
// not or when valid UTF-8 looks like GB18030 that happens to be valid UTF-8.
// `path` names the file in messages. Leaves `source` rewound.
absl::StatusOr<FileEncoding> DetectEncoding(absl::string_view path,
                                            FileEncoding requested,
                                            ByteSource* source);

class TextDecoder {
 public:
  // `encoding` is kUtf8 or kGb18030 (as DetectEncoding judged it).
  explicit TextDecoder(FileEncoding encoding);
  ~TextDecoder();
  TextDecoder(const TextDecoder&) = delete;
  TextDecoder& operator=(const TextDecoder&) = delete;

  // Appends the UTF-8 text of the next piece `bytes` to `*text`, without the
  // file's byte-order mark; `last` on the final piece (which may be empty).
  // A multi-byte character split between pieces is completed by the next.
  // DATA_LOSS when the bytes are not valid: the file changed after
  // DetectEncoding read it.
  absl::Status Decode(absl::string_view bytes, bool last, std::string* text);

 private:
  absl::Status Convert(absl::string_view bytes, bool last, std::string* out);

  const FileEncoding encoding_;
  iconv_t iconv_;
  std::string carry_;     // bytes of a character the last piece split
  bool at_start_ = true;  // the byte-order mark is not yet behind us
  std::string head_;      // the first text, until it can hold a whole BOM
};

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_TEXT_DECODER_H_
