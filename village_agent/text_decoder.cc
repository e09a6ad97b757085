#include "village_agent/text_decoder.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sanji {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";
// What one read of a source asks for: large enough that a read costs little,
// small enough that the import client's memory stays flat.
constexpr size_t kPieceBytes = size_t{256} << 10;
constexpr size_t kNoOffset = absl::string_view::npos;

// iconv's documented error value.
const iconv_t kNoIconv =
    reinterpret_cast<iconv_t>(-1);  // NOLINT(performance-no-int-to-ptr)

// Length of the valid UTF-8 sequence at bytes[i], or 0 if it is not valid or
// is cut short by the end of `bytes` (overlong forms, surrogates and code
// points above U+10FFFF are invalid).
size_t Utf8SequenceLength(absl::string_view bytes, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > bytes.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

// What a UTF-8 scan has seen: sequences of two bytes (U+0080..U+07FF: Latin,
// Greek, Cyrillic...) and of three or four (every Chinese character, the
// BOM).
struct Utf8Shape {
  bool two_byte = false;
  bool longer = false;
};

// Length of the longest prefix of `bytes` that is whole valid UTF-8: short of
// the end it stopped at an invalid byte or at a character cut by the end.
size_t ValidUtf8Prefix(absl::string_view bytes, Utf8Shape* shape) {
  size_t i = 0;
  while (i < bytes.size()) {
    // ASCII eight bytes at a time: most of a clinic file.
    uint64_t word;
    if (i + 8 <= bytes.size() && (std::memcpy(&word, bytes.data() + i, 8),
                                  (word & 0x8080808080808080ULL) == 0)) {
      i += 8;
      continue;
    }
    const size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0) return i;
    if (n == 2) shape->two_byte = true;
    if (n > 2) shape->longer = true;
    i += n;
  }
  return i;
}

// A valid prefix that stopped short of the end only because a character is
// cut by it, to be completed by the next piece.
bool CutByEnd(absl::string_view bytes, size_t valid, bool last) {
  return !last && bytes.size() - valid < 4;
}

int64_t NewlinesIn(absl::string_view bytes) {
  return std::count(bytes.begin(), bytes.end(), '\n');
}

std::string HexByte(unsigned char c) {
  static const char kHex[] = "0123456789ABCDEF";
  return std::string{'0', 'x', kHex[c >> 4], kHex[c & 15]};
}

// Where a whole-file scan found the first byte it could not read.
struct BadByte {
  size_t offset = kNoOffset;  // kNoOffset: the file is valid
  int64_t line = 0;
  unsigned char byte = 0;
};

// Reads `source` from the start, feeding `work` (the carried bytes of the
// last piece, then the new piece) to `scan`, which returns how many bytes of
// it it has judged, or sets `*bad` to the offset within `work` of an invalid
// byte. Fills `*found` when a bad byte was met. Rewinds `source`.
template <typename Scan>
absl::Status ScanSource(ByteSource* source, BadByte* found, Scan scan) {
  std::string work;
  size_t base = 0;  // file offset of work[0]
  int64_t lines = 1;
  while (true) {
    absl::StatusOr<absl::string_view> piece = source->Read(kPieceBytes);
    if (!piece.ok()) return piece.status();
    const bool last = piece->empty();
    work.append(piece->data(), piece->size());
    size_t bad = kNoOffset;
    const size_t judged = scan(absl::string_view(work), last, &bad);
    if (bad != kNoOffset) {
      found->offset = base + bad;
      found->line = lines + NewlinesIn(absl::string_view(work).substr(0, bad));
      found->byte = static_cast<unsigned char>(work[bad]);
      break;
    }
    lines += NewlinesIn(absl::string_view(work).substr(0, judged));
    base += judged;
    work.erase(0, judged);
    if (last) break;
  }
  return source->Rewind();
}

absl::Status ScanUtf8(ByteSource* source, BadByte* found, Utf8Shape* shape) {
  return ScanSource(source, found,
                    [shape](absl::string_view work, bool last, size_t* bad) {
                      const size_t valid = ValidUtf8Prefix(work, shape);
                      if (valid < work.size() && !CutByEnd(work, valid, last)) {
                        *bad = valid;
                      }
                      return valid;
                    });
}

// Runs `in` through `cd` into `*out` (nullptr: the text is only checked).
// Returns how many bytes were converted; short of the end it stopped at an
// invalid byte (`*invalid`) or, unless `last`, at a character cut by the end.
size_t Iconv(iconv_t cd, absl::string_view in, bool last, std::string* out,
             bool* invalid) {
  char* inbuf = const_cast<char*>(in.data());
  size_t inleft = in.size();
  char chunk[16384];
  *invalid = false;
  while (inleft > 0) {
    char* outbuf = chunk;
    size_t outleft = sizeof(chunk);
    const size_t r = iconv(cd, &inbuf, &inleft, &outbuf, &outleft);
    if (out != nullptr) out->append(chunk, sizeof(chunk) - outleft);
    if (r != static_cast<size_t>(-1) || errno == E2BIG) continue;
    // EILSEQ (an invalid sequence) or EINVAL (a sequence cut by the end).
    *invalid = errno == EILSEQ || last;
    break;
  }
  return in.size() - inleft;
}

// `*found` is the first byte that is not GB18030; INTERNAL when this system's
// iconv has no GB18030.
absl::Status ScanGb18030(ByteSource* source, BadByte* found) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == kNoIconv) {
    return absl::InternalError(
        "iconv cannot convert GB18030 to UTF-8 on this system");
  }
  absl::Status status = ScanSource(
      source, found, [cd](absl::string_view work, bool last, size_t* bad) {
        bool invalid = false;
        const size_t done = Iconv(cd, work, last, nullptr, &invalid);
        if (invalid) *bad = done;
        return done;
      });
  iconv_close(cd);
  return status;
}

absl::Status NotUtf8(absl::string_view path, const BadByte& bad) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": not valid UTF-8 at byte offset ", bad.offset, " (line ",
      bad.line, ", byte ", HexByte(bad.byte),
      "); if the file was saved by Excel on a Chinese Windows PC, use "
      "--encoding=gb18030"));
}

absl::Status NotGb18030(absl::string_view path, const BadByte& bad) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": not valid GB18030 at byte offset ", bad.offset,
                   " (line ", bad.line, ")"));
}

absl::Status NeitherEncoding(absl::string_view path, const BadByte& utf8,
                             const BadByte& gb) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": the file is neither valid UTF-8 (byte ", utf8.offset,
      " on line ", utf8.line, ") nor valid GB18030 (byte ", gb.offset,
      " on line ", gb.line, "); save it as UTF-8 or GB18030"));
}

}  // namespace

absl::StatusOr<FileEncoding> DetectEncoding(absl::string_view path,
                                            FileEncoding requested,
                                            ByteSource* source) {
  BadByte utf8, gb;
  Utf8Shape shape;
  if (requested == FileEncoding::kGb18030) {
    if (absl::Status s = ScanGb18030(source, &gb); !s.ok()) return s;
    if (gb.offset != kNoOffset) return NotGb18030(path, gb);
    return FileEncoding::kGb18030;
  }
  if (absl::Status s = ScanUtf8(source, &utf8, &shape); !s.ok()) return s;
  if (requested == FileEncoding::kUtf8) {
    if (utf8.offset != kNoOffset) return NotUtf8(path, utf8);
    return FileEncoding::kUtf8;
  }
  if (utf8.offset == kNoOffset) {
    // Valid UTF-8 with two-byte characters but not one Chinese character is
    // more likely GB18030 that happens to be valid UTF-8 (女 is C5 AE, which
    // UTF-8 reads as U+016E) than a UTF-8 clinic file without Chinese; it is
    // read as GB18030 when it is valid GB18030 too.
    if (!shape.two_byte || shape.longer) return FileEncoding::kUtf8;
    absl::Status s = ScanGb18030(source, &gb);
    if (absl::IsInternal(s)) return FileEncoding::kUtf8;
    if (!s.ok()) return s;
    return gb.offset == kNoOffset ? FileEncoding::kGb18030
                                  : FileEncoding::kUtf8;
  }
  if (absl::Status s = ScanGb18030(source, &gb); !s.ok()) return s;
  if (gb.offset != kNoOffset) return NeitherEncoding(path, utf8, gb);
  return FileEncoding::kGb18030;
}

TextDecoder::TextDecoder(FileEncoding encoding)
    : encoding_(encoding),
      iconv_(encoding == FileEncoding::kGb18030 ? iconv_open("UTF-8", "GB18030")
                                                : kNoIconv) {}

TextDecoder::~TextDecoder() {
  if (iconv_ != kNoIconv) iconv_close(iconv_);
}

absl::Status TextDecoder::Convert(absl::string_view bytes, bool last,
                                  std::string* out) {
  std::string joined;
  if (!carry_.empty()) {
    joined = carry_ + std::string(bytes);
    bytes = joined;
  }
  size_t done;
  bool invalid = false;
  if (encoding_ == FileEncoding::kGb18030) {
    if (iconv_ == kNoIconv) {
      return absl::InternalError(
          "iconv cannot convert GB18030 to UTF-8 on this system");
    }
    done = Iconv(iconv_, bytes, last, out, &invalid);
  } else {
    Utf8Shape shape;
    done = ValidUtf8Prefix(bytes, &shape);
    invalid = done < bytes.size() && !CutByEnd(bytes, done, last);
    out->append(bytes.data(), done);
  }
  if (invalid) {
    return absl::DataLossError(
        "the file changed while it was read; import it again");
  }
  carry_.assign(bytes.data() + done, bytes.size() - done);
  return absl::OkStatus();
}

absl::Status TextDecoder::Decode(absl::string_view bytes, bool last,
                                 std::string* text) {
  if (!at_start_) return Convert(bytes, last, text);
  if (absl::Status s = Convert(bytes, last, &head_); !s.ok()) return s;
  // A byte-order mark (UTF-8's EF BB BF, or GB18030's 84 31 95 33, which
  // converts to it) is dropped once the text is long enough to tell.
  if (head_.size() < kBom.size() && !last) return absl::OkStatus();
  at_start_ = false;
  absl::string_view head = head_;
  absl::ConsumePrefix(&head, kBom);
  text->append(head.data(), head.size());
  head_.clear();
  head_.shrink_to_fit();
  return absl::OkStatus();
}

}  // namespace sanji
