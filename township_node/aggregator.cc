#include "township_node/aggregator.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/alert_rules.h"
#include "common/catalogue.h"
#include "common/key_codec.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "common/rollup_layout.h"
#include "common/status_macros.h"
#include "common/stored_record.h"
#include "township_node/batch_applier.h"
#include "township_node/township_layout.h"

namespace sanji {
namespace {

using township_layout::kAlerts;
using township_layout::kAlertsChanged;
using township_layout::kCells;
using township_layout::kChanged;
using township_layout::kPatients;
using township_layout::kRecords;
using township_layout::kVersionKey;

// The township's clock may lag a village's: records up to this far in the
// township's future are not yet "from the future".
constexpr int64_t kClockSkewSeconds = int64_t{6} * 86400;

// Counters persisted with each batch, shown by `township_node status`.
constexpr char kApplied[] = "applied";
constexpr char kDuplicates[] = "duplicates";
constexpr char kConflicts[] = "conflicts";
constexpr char kRefused[] = "refused";

uint64_t ReadU64(absl::string_view s) {
  uint64_t v = 0;
  DecodeFixed64BE(s, &v);
  return v;
}

}  // namespace

TownshipAggregator::TownshipAggregator(std::unique_ptr<Store> store,
                                       const AggregatorOptions& options)
    : store_(std::move(store)), options_(options) {
  absl::MutexLock lock(&mu_);
  cell_marks_.family = store_->Family(kChanged);
  activity_marks_.family = store_->Family(township_layout::kActivityChanged);
  alert_marks_.family = store_->Family(kAlertsChanged);
}

absl::StatusOr<std::unique_ptr<TownshipAggregator>> TownshipAggregator::Open(
    const std::string& dir, const AggregatorOptions& options) {
  StoreOptions store_options = township_layout::Options(options.township_id);
  store_options.env = options.env;
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                   Store::Open(dir, store_options));
  std::unique_ptr<TownshipAggregator> aggregator(
      new TownshipAggregator(std::move(store), options));
  RETURN_IF_ERROR(aggregator->Load());
  return aggregator;
}

absl::Status TownshipAggregator::Load() {
  rocksdb::ColumnFamilyHandle* meta = store_->Family("default");
  absl::MutexLock lock(&mu_);
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(meta);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    absl::string_view value(it->value().data(), it->value().size());
    std::string village;
    uint64_t epoch = 0;
    absl::string_view counter;
    if (key == kVersionKey) {
      version_ = ReadU64(value);
    } else if (township_layout::DecodeWatermarkKey(key, &village, &epoch)) {
      watermarks_[{std::move(village), epoch}] = ReadU64(value);
    } else if (township_layout::DecodeCounterKey(key, &counter)) {
      counters_[std::string(counter)] = ReadU64(value);
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "loading township state"));
  RETURN_IF_ERROR(IndexOldRecords());
  for (MarkedKeys* marks : {&cell_marks_, &activity_marks_, &alert_marks_}) {
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(marks->family);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      marks->keys.insert(marks->keys.end(), it->key().ToString());
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "loading the county's marks"));
  }
  return absl::OkStatus();
}

uint64_t TownshipAggregator::Watermark(const std::string& village_id,
                                       uint64_t epoch) const {
  absl::MutexLock lock(&mu_);
  auto it = watermarks_.find({village_id, epoch});
  return it == watermarks_.end() ? 0 : it->second;
}

absl::Status TownshipAggregator::CheckBudget() const {
  uint64_t used = store_->ApproximateBytes();
  if (used >= options_.max_buffer_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "township store holds ", used >> 20,
        " MB, the limit is --max_buffer_mb=", options_.max_buffer_bytes >> 20,
        "; new records are refused (nothing accepted is lost): raise the limit "
        "or add disk"));
  }
  absl::StatusOr<uint64_t> free_bytes = store_->FreeDiskBytes();
  if (free_bytes.ok() && *free_bytes < options_.min_free_disk_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "disk nearly full under ", store_->dir(), ": ", *free_bytes >> 20,
        " MB free; new records are refused until space is freed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> TownshipAggregator::ApplyBatch(
    const std::string& village_id, uint64_t epoch, const RecordBatch& batch) {
  absl::MutexLock lock(&mu_);
  uint64_t watermark = 0;
  if (auto it = watermarks_.find({village_id, epoch});
      it != watermarks_.end()) {
    watermark = it->second;
  }
  uint64_t expect = watermark + 1;
  for (const SeqRecord& r : batch.records()) {
    if (r.seq() <= watermark) continue;
    if (r.seq() != expect) {
      return absl::AbortedError(absl::StrCat(
          "sequence gap from village ", village_id, ": expected seq ", expect,
          ", got ", r.seq(), "; resend from the watermark ", watermark));
    }
    ++expect;
  }
  uint64_t new_watermark = expect - 1;
  if (new_watermark == watermark) return watermark;  // all already applied
  RETURN_IF_ERROR(CheckBudget());

  BatchApplier applier(store_.get(), village_id);
  RETURN_IF_ERROR(applier.Prefetch(batch, watermark));
  // The township's clock may lag the village's: allow a few days before
  // calling a record from the future.
  const absl::CivilSecond latest_valid = NowLocal() + kClockSkewSeconds;
  for (const SeqRecord& r : batch.records()) {
    if (r.seq() <= watermark) continue;
    RETURN_IF_ERROR(applier.Apply(r.record(), latest_valid));
  }

  StagedWrites* wb = applier.batch();
  rocksdb::ColumnFamilyHandle* meta = store_->Family("default");
  uint64_t version = version_ + 1;
  Marking marking;
  RETURN_IF_ERROR(StageCells(wb, applier.cell_deltas(), version, &marking));
  ASSIGN_OR_RETURN(auto latest_of_days, applier.LatestOfTouchedDays());
  RETURN_IF_ERROR(StageActivity(wb, village_id, latest_of_days,
                                LocalSeconds(options_.clock()), version,
                                &marking));
  for (const auto& [record, withdrawn] : applier.alert_changes()) {
    RETURN_IF_ERROR(StageAlert(wb, village_id, record, withdrawn,
                               /*only_if_new=*/false, version, &marking));
  }
  const BatchCounts& counts = applier.counts();
  const std::pair<const char*, uint64_t> counted[] = {
      {kApplied, counts.applied},
      {kDuplicates, counts.duplicates},
      {kConflicts, counts.conflicts},
      {kRefused, counts.refused}};
  std::map<std::string, uint64_t> counters = counters_;
  for (const auto& [name, n] : counted) {
    if (n == 0) continue;
    counters[name] += n;
    wb->Put(meta, township_layout::CounterKey(name),
            EncodeFixed64BE(counters[name]));
  }
  wb->Put(meta, kVersionKey, EncodeFixed64BE(version));
  wb->Put(meta, township_layout::WatermarkKey(village_id, epoch),
          EncodeFixed64BE(new_watermark));
  rocksdb::WriteBatch write = wb->ToWriteBatch();
  RETURN_IF_ERROR(store_->Write(&write, /*sync=*/true));

  version_ = version;
  watermarks_[{village_id, epoch}] = new_watermark;
  counters_ = std::move(counters);
  marking.Commit();
  return new_watermark;
}

absl::Status TownshipAggregator::StageCells(
    StagedWrites* wb, const absl::flat_hash_map<std::string, int64_t>& deltas,
    uint64_t version, Marking* marking) {
  std::vector<std::string> keys;
  keys.reserve(deltas.size());
  for (const auto& [key, delta] : deltas) {
    if (delta != 0) keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  rocksdb::ColumnFamilyHandle* cells = store_->Family(kCells);
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> current,
                   store_->MultiGet(cells, keys));
  for (size_t i = 0; i < keys.size(); ++i) {
    CellValue value;
    if (current[i].has_value() && !DecodeCellValue(*current[i], &value)) {
      return absl::DataLossError(absl::StrCat("unreadable cell ", keys[i]));
    }
    value.value += deltas.at(keys[i]);
    value.version = version;
    wb->Put(cells, keys[i], EncodeCellValue(value));
    marking->Mark(wb, &cell_marks_, keys[i]);
  }
  return absl::OkStatus();
}

absl::Status TownshipAggregator::IndexOldRecords() {
  rocksdb::ColumnFamilyHandle* meta = store_->Family("default");
  ASSIGN_OR_RETURN(std::optional<std::string> indexed,
                   store_->Get(meta, township_layout::kOccurredIndexKey));
  if (indexed.has_value()) return absl::OkStatus();
  // One write for the whole store: a crash redoes it all at the next open.
  StagedWrites wb;
  rocksdb::ColumnFamilyHandle* occurred =
      store_->Family(township_layout::kOccurred);
  // Village -> day -> the latest occurred_at of its counted records.
  std::map<std::string, std::map<absl::CivilDay, int64_t>> latest;
  std::unique_ptr<rocksdb::Iterator> it =
      store_->NewIterator(store_->Family(kRecords));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    StoredRecordView view;
    Record record;
    size_t bar = key.find('|');
    if (bar == absl::string_view::npos ||
        !ParseStoredRecord(
            absl::string_view(it->value().data(), it->value().size()), &view,
            &record)) {
      return absl::DataLossError(absl::StrCat("unreadable record ", key));
    }
    if (view.voided) continue;
    std::string village(key.substr(0, bar));
    wb.Put(occurred,
           township_layout::OccurredKey(village, record.occurred_at(),
                                        record.record_id()),
           "");
    int64_t& day_latest =
        latest[village][DayOfLocalSeconds(record.occurred_at())];
    day_latest = std::max(day_latest, record.occurred_at());
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "indexing township records"));
  const uint64_t version = version_ + 1;
  Marking marking;  // Load reads the marks after this
  for (const auto& [village, days] : latest) {
    RETURN_IF_ERROR(
        StageActivity(&wb, village, days, /*synced_at=*/0, version, &marking));
  }
  if (!latest.empty()) wb.Put(meta, kVersionKey, EncodeFixed64BE(version));
  wb.Put(meta, township_layout::kOccurredIndexKey, "1");
  rocksdb::WriteBatch write = wb.ToWriteBatch();
  RETURN_IF_ERROR(store_->Write(&write, /*sync=*/true));
  if (!latest.empty()) version_ = version;
  return absl::OkStatus();
}

absl::Status TownshipAggregator::StageActivity(
    StagedWrites* wb, const std::string& village_id,
    const std::map<absl::CivilDay, int64_t>& latest_of_days, int64_t synced_at,
    uint64_t version, Marking* marking) {
  std::vector<std::string> keys;
  std::vector<int64_t> values;
  for (const auto& [day, latest] : latest_of_days) {
    keys.push_back(EncodeCellKey(village_id, kLastRecordAt, FormatDay(day)));
    values.push_back(latest);
  }
  if (synced_at > 0) {
    keys.push_back(EncodeCellKey(village_id, kLastSyncAt, ""));
    values.push_back(synced_at);
  }
  rocksdb::ColumnFamilyHandle* activity =
      store_->Family(township_layout::kActivity);
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> current,
                   store_->MultiGet(activity, keys));
  for (size_t i = 0; i < keys.size(); ++i) {
    CellValue stored;
    if (current[i].has_value() && !DecodeCellValue(*current[i], &stored)) {
      return absl::DataLossError(absl::StrCat("unreadable activity ", keys[i]));
    }
    // Unchanged (or never set and still nothing): nothing to tell the county.
    if (current[i].has_value() ? stored.value == values[i] : values[i] == 0) {
      continue;
    }
    wb->Put(activity, keys[i], EncodeCellValue(CellValue{values[i], version}));
    marking->Mark(wb, &activity_marks_, keys[i]);
  }
  return absl::OkStatus();
}

absl::Status TownshipAggregator::StageAlert(
    StagedWrites* wb, const std::string& village_id, const Record& record,
    bool withdrawn, bool only_if_new, uint64_t version, Marking* marking) {
  const DiseaseInfo* disease = ReportedDisease(record);
  if (disease == nullptr) return absl::OkStatus();
  rocksdb::ColumnFamilyHandle* alerts = store_->Family(kAlerts);
  std::string key = EncodeRecordKey(village_id, record.record_id());
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store_->Get(alerts, key));
  Alert alert = DeidentifiedAlert(village_id, record, *disease);
  alert.set_withdrawn(withdrawn);
  if (stored.has_value()) {
    Alert current;
    if (!current.ParseFromString(*stored)) {
      return absl::DataLossError(absl::StrCat("unreadable alert ", key));
    }
    alert.set_version(current.version());
    // Already known (e.g. from the fast lane) and unchanged: nothing to send.
    if (only_if_new || current.SerializeAsString() == alert.SerializeAsString())
      return absl::OkStatus();
  }
  alert.set_version(version);
  wb->Put(alerts, key, alert.SerializeAsString());
  marking->Mark(wb, &alert_marks_, key);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> TownshipAggregator::ApplyUrgent(
    const std::string& village_id, const RecordBatch& urgent) {
  absl::MutexLock lock(&mu_);
  // No budget check: an urgent case is a few hundred bytes and must not wait
  // for a backlog to drain. A full disk still fails the write.
  StagedWrites wb;
  uint64_t version = version_ + 1;
  Marking marking;
  absl::CivilSecond now = NowLocal();
  std::vector<uint64_t> handled;
  std::set<std::string> staged;  // StageAlert reads the store, not `wb`
  for (const SeqRecord& r : urgent.records()) {
    std::string ignored_column;
    handled.push_back(r.seq());
    // Anything else is refused here and judged again in its batch.
    if (!IsUrgentReport(r.record()) ||
        !ValidateRecord(r.record(), now + kClockSkewSeconds, &ignored_column)
             .ok() ||
        !staged.insert(r.record().record_id()).second) {
      continue;
    }
    RETURN_IF_ERROR(StageAlert(&wb, village_id, r.record(), /*withdrawn=*/false,
                               /*only_if_new=*/true, version, &marking));
  }
  if (wb.empty()) return handled;
  wb.Put(store_->Family("default"), kVersionKey, EncodeFixed64BE(version));
  rocksdb::WriteBatch write = wb.ToWriteBatch();
  RETURN_IF_ERROR(store_->Write(&write, /*sync=*/true));
  version_ = version;
  marking.Commit();
  return handled;
}

absl::Status TownshipAggregator::ReadChangedAlerts(size_t max_alerts,
                                                   std::vector<Alert>* out) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  for (auto it = alert_marks_.keys.begin();
       it != alert_marks_.keys.end() && keys.size() < max_alerts; ++it) {
    keys.push_back(*it);
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> stored,
                   store_->MultiGet(store_->Family(kAlerts), keys));
  for (size_t i = 0; i < keys.size(); ++i) {
    Alert alert;
    if (!stored[i].has_value() || !alert.ParseFromString(*stored[i])) {
      return absl::DataLossError(
          absl::StrCat("changed alert ", keys[i], " is unreadable"));
    }
    out->push_back(std::move(alert));
  }
  std::stable_partition(out->begin(), out->end(),
                        [](const Alert& a) { return a.urgent(); });
  return absl::OkStatus();
}

absl::Status TownshipAggregator::MarkAlertsForwarded(
    const std::vector<Alert>& forwarded) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> unchanged;
  for (const Alert& sent : forwarded) {
    std::string key = EncodeRecordKey(sent.village_id(), sent.record_id());
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     store_->Get(store_->Family(kAlerts), key));
    Alert current;
    if (stored.has_value() && current.ParseFromString(*stored) &&
        current.version() == sent.version()) {
      unchanged.push_back(std::move(key));
    }
  }
  return ClearMarks(&alert_marks_, std::move(unchanged));
}

absl::Status TownshipAggregator::ReadChangedCells(size_t max_cells,
                                                  std::vector<Cell>* out) {
  absl::MutexLock lock(&mu_);
  return ReadMarked(store_->Family(kCells), cell_marks_, max_cells,
                    &forward_cursor_, out);
}

absl::Status TownshipAggregator::ReadChangedActivity(size_t max_activity,
                                                     std::vector<Cell>* out) {
  absl::MutexLock lock(&mu_);
  return ReadMarked(store_->Family(township_layout::kActivity), activity_marks_,
                    max_activity, &activity_cursor_, out);
}

absl::Status TownshipAggregator::ReadMarked(rocksdb::ColumnFamilyHandle* values,
                                            const MarkedKeys& marks,
                                            size_t max_cells,
                                            std::string* cursor,
                                            std::vector<Cell>* out) {
  // Resume after the last cell handed out, then wrap around, so a cell that
  // keeps changing cannot starve the others.
  std::vector<std::string> keys;
  const auto start = marks.keys.lower_bound(*cursor);
  for (auto it = start; it != marks.keys.end() && keys.size() < max_cells;
       ++it) {
    keys.push_back(*it);
  }
  for (auto it = marks.keys.begin(); it != start && keys.size() < max_cells;
       ++it) {
    keys.push_back(*it);
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> current,
                   store_->MultiGet(values, keys));
  for (size_t i = 0; i < keys.size(); ++i) {
    CellKeyParts parts;
    CellValue value;
    if (!current[i].has_value() || !DecodeCellKey(keys[i], &parts) ||
        !DecodeCellValue(*current[i], &value)) {
      return absl::DataLossError(
          absl::StrCat("changed cell ", keys[i], " is unreadable"));
    }
    Cell cell;
    cell.set_village_id(std::string(parts.village_id));
    cell.set_indicator(std::string(parts.indicator));
    cell.set_period(std::string(parts.period));
    cell.set_value(value.value);
    cell.set_version(value.version);
    out->push_back(std::move(cell));
  }
  if (!keys.empty()) *cursor = keys.back() + '\0';
  return absl::OkStatus();
}

absl::Status TownshipAggregator::MarkForwarded(
    const std::vector<Cell>& forwarded) {
  absl::MutexLock lock(&mu_);
  return ClearForwarded(store_->Family(kCells), &cell_marks_, forwarded);
}

absl::Status TownshipAggregator::MarkActivityForwarded(
    const std::vector<Cell>& forwarded) {
  absl::MutexLock lock(&mu_);
  return ClearForwarded(store_->Family(township_layout::kActivity),
                        &activity_marks_, forwarded);
}

absl::Status TownshipAggregator::ClearForwarded(
    rocksdb::ColumnFamilyHandle* values, MarkedKeys* marks,
    const std::vector<Cell>& forwarded) {
  std::vector<std::string> keys;
  keys.reserve(forwarded.size());
  for (const Cell& cell : forwarded) {
    keys.push_back(
        EncodeCellKey(cell.village_id(), cell.indicator(), cell.period()));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> current,
                   store_->MultiGet(values, keys));
  std::vector<std::string> unchanged;
  for (size_t i = 0; i < keys.size(); ++i) {
    CellValue value;
    if (current[i].has_value() && DecodeCellValue(*current[i], &value) &&
        value.version == forwarded[i].version()) {
      unchanged.push_back(std::move(keys[i]));
    }
  }
  return ClearMarks(marks, std::move(unchanged));
}

absl::Status TownshipAggregator::ClearMarks(MarkedKeys* marks,
                                            std::vector<std::string> keys) {
  // Only marks that exist, once each: an acknowledgement repeated (or a key
  // listed twice) clears nothing more.
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  keys.erase(std::remove_if(keys.begin(), keys.end(),
                            [&](const std::string& key) {
                              return marks->keys.count(key) == 0;
                            }),
             keys.end());
  rocksdb::WriteBatch batch;
  for (const std::string& key : keys) batch.Delete(marks->family, key);
  // Not synced: a lost clear only means the item is sent again, which the
  // county ignores (it keeps the highest version).
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
  for (const std::string& key : keys) marks->keys.erase(key);
  return absl::OkStatus();
}

void TownshipAggregator::Marking::Mark(StagedWrites* wb, MarkedKeys* marks,
                                       const std::string& key) {
  if (marks->keys.count(key) != 0) return;
  wb->Put(marks->family, key, "");
  added_.emplace_back(marks, key);
}

void TownshipAggregator::Marking::Commit() {
  for (auto& [marks, key] : added_) marks->keys.insert(std::move(key));
  added_.clear();
}

void TownshipAggregator::WaitForChanges(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto pending = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !cell_marks_.keys.empty() || !activity_marks_.keys.empty() ||
           !alert_marks_.keys.empty();
  };
  mu_.AwaitWithTimeout(absl::Condition(&pending), timeout);
}

uint64_t TownshipAggregator::cells_pending() const {
  absl::MutexLock lock(&mu_);
  return cell_marks_.keys.size();
}

void TownshipAggregator::FillStatus(TownshipStatus* status) const {
  absl::MutexLock lock(&mu_);
  status->set_township_id(options_.township_id);
  for (const auto& [key, watermark] : watermarks_) {
    VillageProgress* v = status->add_villages();
    v->set_village_id(key.first);
    v->set_epoch(key.second);
    v->set_watermark(watermark);
  }
  auto counter = [this](const char* name)
                     ABSL_SHARED_LOCKS_REQUIRED(mu_) -> uint64_t {
    auto it = counters_.find(name);
    return it == counters_.end() ? 0 : it->second;
  };
  status->set_records_applied(counter(kApplied));
  status->set_records_duplicate(counter(kDuplicates));
  status->set_records_conflicting(counter(kConflicts));
  status->set_records_refused(counter(kRefused));
  status->set_cells_pending(cell_marks_.keys.size());
  status->set_activity_pending(activity_marks_.keys.size());
  status->set_alerts_pending(alert_marks_.keys.size());
  status->set_db_bytes(store_->ApproximateBytes());
}

}  // namespace sanji
