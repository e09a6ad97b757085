#include "county_hub/cell_store.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/catalogue.h"
#include "common/key_codec.h"
#include "common/org_code.h"
#include "common/period.h"
#include "common/rollup_layout.h"
#include "common/status_macros.h"
#include "county_hub/hub_layout.h"
#include "county_hub/period_totals.h"

namespace sanji {
namespace {

absl::Status ValidateCell(const Cell& cell, const std::string& township_id) {
  const std::string& v = cell.village_id();
  if (!IsCodeWithin(v, OrgLevel::kVillage, township_id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("cell for village '", v, "' does not belong to township ",
                     township_id));
  }
  IndicatorDef def;
  std::string name;
  if (!LookupIndicator(cell.indicator(), &def, &name) ||
      !IsCellIndicator(def.type)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cell indicator '", cell.indicator(), "' is not a stored indicator"));
  }
  absl::StatusOr<Period> period = ParsePeriod(cell.period());
  if (!period.ok() || !period->IsCalendar() || period->Key() != cell.period()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cell period '", cell.period(), "' is not a calendar period key"));
  }
  if (def.type != IndicatorType::kDistinct &&
      period->kind != PeriodKind::kDay) {
    return absl::InvalidArgumentError(
        absl::StrCat("count and sum cells are per day; got ", cell.indicator(),
                     " for ", cell.period()));
  }
  if (cell.version() == 0)
    return absl::InvalidArgumentError("cell version 0 is not valid");
  return absl::OkStatus();
}

absl::Status ValidateActivity(const Cell& cell,
                              const std::string& township_id) {
  const std::string& v = cell.village_id();
  if (!IsCodeWithin(v, OrgLevel::kVillage, township_id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("activity for village '", v,
                     "' does not belong to township ", township_id));
  }
  if (cell.indicator() == kLastRecordAt) {
    absl::StatusOr<Period> period = ParsePeriod(cell.period());
    if (!period.ok() || period->kind != PeriodKind::kDay ||
        period->Key() != cell.period()) {
      return absl::InvalidArgumentError(
          absl::StrCat("last_record_at period '", cell.period(),
                       "' is not a day key YYYY-MM-DD"));
    }
  } else if (cell.indicator() == kLastSyncAt) {
    if (!cell.period().empty()) {
      return absl::InvalidArgumentError(
          "last_sync_at takes no period; it is the village's, not a day's");
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("activity '", cell.indicator(),
                     "' is not one of last_record_at, last_sync_at"));
  }
  if (cell.version() == 0)
    return absl::InvalidArgumentError("activity version 0 is not valid");
  return absl::OkStatus();
}

int64_t NowLocalSeconds() { return LocalSeconds(NowLocal()); }

}  // namespace

absl::StatusOr<std::unique_ptr<CountyCellStore>> CountyCellStore::Open(
    const std::string& dir, const std::string& county_id, rocksdb::Env* env) {
  // The alerts family belongs to CountyAlertBook, which shares this store.
  StoreOptions options = hub_layout::Options(county_id);
  options.env = env;
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(dir, options));
  rocksdb::ColumnFamilyHandle* cells = store->Family(hub_layout::kCells);
  ASSIGN_OR_RETURN(std::optional<uint64_t> built,
                   period_totals::BuildIfMissing(
                       store.get(), cells, store->Family(hub_layout::kTotals)));
  // Counted once here (or by the build, which read every cell), then kept up
  // to date by ApplyBatch, so that `status` does not scan every cell.
  uint64_t count = built.value_or(0);
  if (!built.has_value()) {
    std::unique_ptr<rocksdb::Iterator> it = store->NewIterator(cells);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
    RETURN_IF_ERROR(FromRocks(it->status(), "counting cells"));
  }
  std::unique_ptr<CountyCellStore> hub(
      new CountyCellStore(std::move(store), county_id));
  hub->clock_ = NowLocalSeconds;
  {
    absl::MutexLock lock(&hub->mu_);
    hub->cell_count_ = count;
  }
  return hub;
}

absl::Status CountyCellStore::ValidateBatch(const std::string& township_id,
                                            const CellBatch& batch) {
  for (const Cell& cell : batch.cells())
    RETURN_IF_ERROR(ValidateCell(cell, township_id));
  for (const Cell& cell : batch.activity())
    RETURN_IF_ERROR(ValidateActivity(cell, township_id));
  return absl::OkStatus();
}

absl::Status CountyCellStore::ApplyBatch(const std::string& township_id,
                                         const CellBatch& batch) {
  RETURN_IF_ERROR(ValidateBatch(township_id, batch));
  absl::MutexLock lock(&mu_);
  rocksdb::WriteBatch write;
  uint64_t max_version = 0;
  uint64_t added = 0;  // cells the county did not have
  // Days whose cells this batch changes, stamped with one receipt time.
  std::set<std::string> arrived;
  period_totals::Changes totals;
  RETURN_IF_ERROR(StageNewer(batch.cells(), cells(), &write, &max_version,
                             &added, &arrived, &totals));
  RETURN_IF_ERROR(totals.Stage(*store_, store_->Family(hub_layout::kTotals),
                               period_totals::Changes::Base::kStored, &write));
  uint64_t ignored = 0;
  RETURN_IF_ERROR(StageNewer(batch.activity(), activity(), &write, &max_version,
                             &ignored, nullptr, nullptr));
  if (!arrived.empty()) {
    const std::string now = EncodeFixed64BE(static_cast<uint64_t>(clock_()));
    for (const std::string& key : arrived) {
      write.Put(store_->Family(hub_layout::kArrivals), key, now);
    }
  }
  RETURN_IF_ERROR(store_->Write(&write, /*sync=*/true));
  cell_count_ += added;
  TownshipProgress& p = progress_[township_id];
  p.set_township_id(township_id);
  p.set_cells(p.cells() + batch.cells_size());
  p.set_max_version(std::max(p.max_version(), max_version));
  p.set_last_batch_unix_ms(absl::ToUnixMillis(absl::Now()));
  return absl::OkStatus();
}

absl::Status CountyCellStore::StageNewer(
    const google::protobuf::RepeatedPtrField<Cell>& cells,
    rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* write,
    uint64_t* max_version, uint64_t* added, std::set<std::string>* arrived,
    period_totals::Changes* totals) {
  std::set<std::string> fresh;
  std::map<std::string, CellValue> written;  // key -> value put in `write`
  for (const Cell& cell : cells) {
    std::string key =
        EncodeCellKey(cell.village_id(), cell.indicator(), cell.period());
    // A batch may carry one cell twice: the store does not see this batch's
    // own writes yet, so compare with them too.
    auto w = written.find(key);
    if (w != written.end() && w->second.version >= cell.version()) continue;
    // The value replaced: this batch's own, or the store's.
    CellValue stored;
    if (w != written.end()) {
      stored = w->second;
    } else {
      ASSIGN_OR_RETURN(std::optional<std::string> current,
                       store_->Get(family, key));
      if (current.has_value() && DecodeCellValue(*current, &stored) &&
          stored.version >= cell.version()) {
        continue;  // already have this or a newer value
      }
      if (!current.has_value() && fresh.insert(key).second) ++*added;
    }
    // Only a changed value is data arriving: a day's cells are day keys.
    if (arrived != nullptr && stored.value != cell.value() &&
        cell.period().size() == 10) {
      arrived->insert(hub_layout::ArrivalKey(cell.village_id(), cell.period()));
    }
    if (totals != nullptr) {
      totals->Add(cell.village_id(), cell.indicator(), cell.period(),
                  stored.value, cell.value());
    }
    write->Put(family, key,
               EncodeCellValue(CellValue{cell.value(), cell.version()}));
    written[key] = CellValue{cell.value(), cell.version()};
    *max_version = std::max(*max_version, cell.version());
  }
  return absl::OkStatus();
}

void CountyCellStore::FillStatus(HubStatus* status) const {
  status->set_county_id(county_id_);
  absl::MutexLock lock(&mu_);
  status->set_cells(cell_count_);
  for (const auto& [id, p] : progress_) *status->add_townships() = p;
}

}  // namespace sanji
