#include "county_hub/period_totals.h"

#include <array>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/catalogue.h"
#include "common/key_codec.h"
#include "common/org_code.h"
#include "common/period.h"
#include "common/rollup_layout.h"
#include "common/status_macros.h"

namespace sanji::period_totals {
namespace {

// Cells of a distinct indicator are mirrored per period; every other cell is
// a day cell whose value adds to the totals of its day's periods.
bool LooksUpDistinct(absl::string_view indicator) {
  IndicatorDef def;
  std::string name_zh;
  return LookupIndicator(indicator, &def, &name_zh) &&
         def.type == IndicatorType::kDistinct;
}

absl::string_view View(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

std::string Key(absl::string_view period, absl::string_view village_id,
                absl::string_view indicator) {
  return absl::StrCat(period, "|", village_id, "|", indicator);
}

std::string EncodeTotal(__int128 total) {
  const auto bits = static_cast<unsigned __int128>(total);
  std::string out;
  PutFixed64BE(&out, static_cast<uint64_t>(bits >> 64));
  PutFixed64BE(&out, static_cast<uint64_t>(bits));
  return out;
}

bool DecodeTotal(absl::string_view bytes, __int128* out) {
  uint64_t high, low;
  if (bytes.size() != 16 || !GetFixed64BE(&bytes, &high) ||
      !GetFixed64BE(&bytes, &low)) {
    return false;
  }
  *out =
      static_cast<__int128>((static_cast<unsigned __int128>(high) << 64) | low);
  return true;
}

void Changes::Add(absl::string_view village_id, absl::string_view indicator,
                  absl::string_view period, int64_t old_value,
                  int64_t new_value) {
  villages_.insert(absl::StrCat(kVillagePrefix, village_id));
  auto known = distinct_.find(indicator);
  if (known == distinct_.end()) {
    known = distinct_.emplace(indicator, LooksUpDistinct(indicator)).first;
  }
  if (known->second) {
    mirrors_[Key(period, village_id, indicator)] = new_value;
    return;
  }
  absl::StatusOr<Period> day = ParsePeriod(period);
  if (!day.ok() || day->kind != PeriodKind::kDay || day->Key() != period) {
    return;  // not a day cell: no report sums it
  }
  const __int128 delta =
      static_cast<__int128>(new_value) - static_cast<__int128>(old_value);
  // [0] is the day itself, which the cells family holds.
  const std::array<Period, 5> periods = CalendarPeriodsOf(day->first);
  for (size_t i = 1; i < periods.size(); ++i) {
    deltas_[Key(periods[i].Key(), village_id, indicator)] += delta;
  }
}

absl::Status Changes::Stage(const Store& store,
                            rocksdb::ColumnFamilyHandle* family, Base base,
                            rocksdb::WriteBatch* write) const {
  for (const auto& [key, delta] : deltas_) {
    if (base == Base::kZero) {
      write->Put(family, key, EncodeTotal(delta));
      continue;
    }
    if (delta == 0) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> stored, store.Get(family, key));
    __int128 total = 0;
    if (stored.has_value() && !DecodeTotal(*stored, &total)) {
      return absl::DataLossError(
          absl::StrCat("period total ", key, " has a corrupt value"));
    }
    write->Put(family, key, EncodeTotal(total + delta));
  }
  for (const auto& [key, value] : mirrors_) {
    write->Put(family, key, EncodeTotal(value));
  }
  for (const std::string& key : villages_) write->Put(family, key, "");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> BuildIfMissing(
    Store* store, rocksdb::ColumnFamilyHandle* cells,
    rocksdb::ColumnFamilyHandle* totals) {
  ASSIGN_OR_RETURN(std::optional<std::string> built,
                   store->Get(totals, kBuiltKey));
  if (built.has_value()) return std::nullopt;
  // One village's entries at a time, put as absolute values (over an empty
  // index, or over what a build cut short wrote: the same values again).
  uint64_t count = 0;
  std::string village;
  Changes changes;
  auto flush = [&]() -> absl::Status {
    rocksdb::WriteBatch write;
    RETURN_IF_ERROR(
        changes.Stage(*store, totals, Changes::Base::kZero, &write));
    changes = Changes();
    return store->Write(&write, /*sync=*/false);
  };
  std::unique_ptr<rocksdb::Iterator> it = store->NewIterator(cells);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++count;
    CellKeyParts parts;
    CellValue value;
    if (!DecodeCellKey(View(it->key()), &parts) ||
        !IsCodeAt(parts.village_id, OrgLevel::kVillage) ||
        !DecodeCellValue(View(it->value()), &value)) {
      continue;  // not a cell the reports read
    }
    if (parts.village_id != village) {
      RETURN_IF_ERROR(flush());
      village.assign(parts.village_id.data(), parts.village_id.size());
    }
    changes.Add(parts.village_id, parts.indicator, parts.period, 0,
                value.value);
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the cells"));
  RETURN_IF_ERROR(flush());
  rocksdb::WriteBatch done;
  done.Put(totals, kBuiltKey, "");
  RETURN_IF_ERROR(store->Write(&done, /*sync=*/true));
  return count;
}

}  // namespace sanji::period_totals
