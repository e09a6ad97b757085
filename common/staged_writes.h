// StagedWrites: the Puts and Deletes of one atomic write, gathered in memory
// and handed to RocksDB sorted by column family and key, the last operation
// on each key only.
//
// Why sorted: a memtable is a skip list that inserts a key next to the one
// inserted before it almost for free (it keeps the last insert's position),
// and anywhere else at the cost of a full search through a list far larger
// than the CPU's caches. A township batch writes records, follow-ups, index
// entries, cells and marks interleaved; in family and key order the same
// writes cost a fraction. Why the last operation only: a key written twice
// in one batch (a record and its void) is then inserted once.
//
// Thread-safety: none. The families are not owned and must outlive it.
#ifndef SANJI_COMMON_STAGED_WRITES_H_
#define SANJI_COMMON_STAGED_WRITES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace sanji {

class StagedWrites {
 public:
  void Put(rocksdb::ColumnFamilyHandle* family, absl::string_view key,
           absl::string_view value);
  void Delete(rocksdb::ColumnFamilyHandle* family, absl::string_view key);

  // The operations staged, in family-id and key order.
  rocksdb::WriteBatch ToWriteBatch() const;
  bool empty() const { return ops_.empty(); }

 private:
  struct Op {
    rocksdb::ColumnFamilyHandle* family;
    std::optional<std::string> value;  // nullopt: a Delete
  };
  std::map<std::pair<uint32_t, std::string>, Op> ops_;
};

}  // namespace sanji

#endif  // SANJI_COMMON_STAGED_WRITES_H_
