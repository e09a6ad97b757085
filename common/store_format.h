// Whether a data directory may be opened as a store of a given format: the
// rule, apart from the RocksDB plumbing that gathers the facts (storage.cc).
// The store family's grammar (its format mark and owner) is written at the top
// of storage.cc.
//
// A directory is refused, with what to do, when its mark names another program
// or another version of the layout, when it is bound to another organisation,
// and when it has no mark and is not a store this program wrote before marks
// existed (its legacy owner key) nor an empty one (a first start that ended
// before the mark was written). A refused directory is left as it was.
//
// Pure functions; thread-safe.
#ifndef SANJI_COMMON_STORE_FORMAT_H_
#define SANJI_COMMON_STORE_FORMAT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/storage.h"

namespace sanji {

// What a data directory holds, as far as the rule needs to know.
struct StoreFacts {
  bool existed = false;                     // a database was there
  std::optional<std::string> mark;          // the store family's "format"
  std::optional<std::string> owner;         // the store family's "owner"
  std::optional<std::string> legacy_owner;  // format.legacy_owner_key's value
  bool empty = true;                        // no key in any family
};

// "name version", as the mark holds it.
std::string FormatMark(const StoreFormat& format);

// OK when `dir`, holding `facts`, may be opened with `options`.
absl::Status JudgeStore(absl::string_view dir, const StoreFacts& facts,
                        const StoreOptions& options);

}  // namespace sanji

#endif  // SANJI_COMMON_STORE_FORMAT_H_
