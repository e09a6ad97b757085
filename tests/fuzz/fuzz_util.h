// Helpers shared by the fuzz targets of tests/fuzz (see README there).
#ifndef SANJI_TESTS_FUZZ_FUZZ_UTIL_H_
#define SANJI_TESTS_FUZZ_FUZZ_UTIL_H_

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sanji::fuzz {

// Aborts (a crash the fuzzer reports) when an invariant of the code under test
// does not hold. Not assert(): the targets are built with -DNDEBUG too.
#define SANJI_FUZZ_CHECK(cond, what)                                       \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__, \
                   __LINE__, #cond, std::string(what).c_str());            \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

// A fresh directory under $TMPDIR (or /tmp), made on first use and removed
// when the process exits normally. One per process: fuzz targets keep their
// RocksDB stores in it.
inline const std::string& ProcessTempDir() {
  static const std::string* const dir = [] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string tmpl = (base / "sanji_fuzz.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    auto* d = new std::string(tmpl);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(ProcessTempDir(), ignored);
    });
    return d;
  }();
  return *dir;
}

// One request message of a multi-call input: `call` says which RPC (or which
// stream) it belongs to, `bytes` are the message as gRPC would deliver them.
struct Frame {
  int call;
  absl::string_view bytes;
};

// Splits an input into the request messages of a sequence of gRPC calls. The
// input is read as the wire form of a message whose fields 1..15 are all
// `repeated bytes`, one field number per call kind, in the order the calls
// happen (each message: byte (call << 3) | 2, varint length, bytes); that is
// how the seed corpus is written. Reading stops at the first byte that does
// not fit, and after `max_frames`.
inline std::vector<Frame> SplitCalls(const uint8_t* data, size_t size,
                                     size_t max_frames) {
  std::vector<Frame> out;
  size_t pos = 0;
  while (pos < size && out.size() < max_frames) {
    const uint8_t tag = data[pos];
    if ((tag & 7) != 2 || tag < 8 || tag > 0x7F) break;
    ++pos;
    uint64_t len = 0;
    int shift = 0;
    bool ok = false;
    while (pos < size && shift < 35) {
      uint8_t b = data[pos++];
      len |= uint64_t{b & 0x7Fu} << shift;
      shift += 7;
      if ((b & 0x80) == 0) {
        ok = true;
        break;
      }
    }
    if (!ok || len > size - pos) break;
    out.push_back(Frame{
        tag >> 3, absl::string_view(reinterpret_cast<const char*>(data + pos),
                                    static_cast<size_t>(len))});
    pos += static_cast<size_t>(len);
  }
  return out;
}

}  // namespace sanji::fuzz

#endif  // SANJI_TESTS_FUZZ_FUZZ_UTIL_H_
