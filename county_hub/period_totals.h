// The hub's period index: what a report of a calendar period (other than a
// day) reads instead of every day cell of the period, so that a year of a
// county costs one range scan of its own numbers, not 365 cells per village
// and indicator. It is derived from the cells family and kept in step with it
// in the same WriteBatch (CountyCellStore::ApplyBatch), so it is exactly what
// summing the stored cells gives.
//
//    family "totals":
//      total_key   -> int128be      the sum of the stored day cells of
//                                   (village, indicator) in the period
//      mirror_key  -> int128be      a distinct indicator's cell of the period:
//                                   its stored value
//      village_key -> ""            a village with at least one stored cell
//      "built"     -> ""            the index is complete (see below)
//
//    total_key   := period_key '|' village_id '|' indicator
//                   period_key: "YYYY", "YYYY-Hn", "YYYY-Qn" or "YYYY-MM"
//                   of the cell's day; indicator: any code whose cells are
//                   day cells (not a distinct indicator of the catalogue)
//    mirror_key  := period_key '|' village_id '|' indicator
//                   period_key: the cell's own (any calendar period)
//    village_key := "village|" village_id
//    int128be    := fixed64be(high 64 bits) fixed64be(low 64 bits), two's
//                   complement
//
// Keys are period-first, so that one period of a whole county (or of one
// township, or village: a prefix of the village code) is one contiguous
// range. A day cell changed from a to b adds b - a to its four totals (a is 0
// for a cell the store lacked); only a cell ApplyBatch keeps (a newer version)
// changes the index, so duplicates and reordering change nothing here either.
//
// Stores from before this family (format "county_hub" 1 all the same) lack
// "built": CountyCellStore::Open builds the index from the cells once, village
// by village, and writes "built" last; a build cut short starts again at the
// next open and overwrites what it wrote. Not covered: a build of the hub from
// before the index, run again on a store that has it, stores cells without
// their totals (the format mark does not change, so it is not refused); after
// such a downgrade, delete the "built" key (or the family) and the next open
// rebuilds the index.
//
// Pure functions over the caller's store and WriteBatch; thread-compatible
// (the caller serializes writes, as ApplyBatch does).
#ifndef SANJI_COUNTY_HUB_PERIOD_TOTALS_H_
#define SANJI_COUNTY_HUB_PERIOD_TOTALS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/storage.h"
#include "rocksdb/write_batch.h"

namespace sanji::period_totals {

inline constexpr char kBuiltKey[] = "built";
inline constexpr char kVillagePrefix[] = "village|";

// period_key '|' village_id '|' indicator.
std::string Key(absl::string_view period, absl::string_view village_id,
                absl::string_view indicator);
std::string EncodeTotal(__int128 total);
bool DecodeTotal(absl::string_view bytes, __int128* out);

// The changes of one WriteBatch of cells, turned into the index's puts.
class Changes {
 public:
  // A cell stored with `new_value` where the store (or the same batch) held
  // `old_value` (0 when it had none). Cells of neither a day nor a distinct
  // indicator, as ApplyBatch never stores, change nothing.
  void Add(absl::string_view village_id, absl::string_view indicator,
           absl::string_view period, int64_t old_value, int64_t new_value);
  // What the totals' changes add to: the stored totals (a batch of cells), or
  // nothing (a build, which puts every total whole).
  enum class Base { kStored, kZero };
  // Puts the changed entries into `write`, reading the totals they add to
  // from `family` of `store` (which must not have changed since the cells'
  // old values were read).
  absl::Status Stage(const Store& store, rocksdb::ColumnFamilyHandle* family,
                     Base base, rocksdb::WriteBatch* write) const;

 private:
  // Indicator code -> whether it is a distinct indicator (a cache).
  std::map<std::string, bool, std::less<>> distinct_;
  std::map<std::string, __int128> deltas_;  // total_key -> change
  std::map<std::string, int64_t> mirrors_;  // mirror_key -> value
  std::set<std::string> villages_;
};

// Builds the index from the cells family when "built" is missing (see the
// top). Returns the number of cells in the cells family when it scanned them,
// nullopt when the index was already built.
absl::StatusOr<std::optional<uint64_t>> BuildIfMissing(
    Store* store, rocksdb::ColumnFamilyHandle* cells,
    rocksdb::ColumnFamilyHandle* totals);

}  // namespace sanji::period_totals

#endif  // SANJI_COUNTY_HUB_PERIOD_TOTALS_H_
