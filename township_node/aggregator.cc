#include "township_node/aggregator.h"

#include <algorithm>
#include <array>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/alert_rules.h"
#include "common/catalogue.h"
#include "common/key_codec.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "common/rollup_layout.h"
#include "common/status_macros.h"
#include "common/stored_record.h"
#include "rocksdb/utilities/write_batch_with_index.h"
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

struct Followup {
  int64_t at;
  std::string record_id;
  bool on_target;
};

// What one patient contributes to one calendar period.
struct Contribution {
  bool managed = false;
  bool standardized = false;
  bool controlled = false;
};

Contribution Evaluate(const std::vector<Followup>& followups,
                      const Period& period) {
  int64_t first = int64_t{DaysSinceEpoch(period.first)} * 86400;
  int64_t end = (int64_t{DaysSinceEpoch(period.last)} + 1) * 86400;
  int n = 0;
  int64_t latest = 0;
  bool latest_on_target = true;
  for (const Followup& f : followups) {  // ascending by time
    if (f.at < first || f.at >= end) continue;
    if (n == 0 || f.at > latest) {
      latest = f.at;
      latest_on_target = f.on_target;
    } else if (f.at == latest) {
      latest_on_target =
          latest_on_target && f.on_target;  // ties: all must be on target
    }
    ++n;
  }
  Contribution c;
  c.managed = n > 0;
  c.standardized = n >= RequiredFollowups(period);
  c.controlled = n > 0 && latest_on_target;
  return c;
}

// The latest occurred_at of `village`'s counted records on `day`, as `wb` over
// the store has them; 0 when there is none. One seek: the last key before the
// next day's first.
absl::StatusOr<int64_t> LatestCountedAt(Store* store,
                                        rocksdb::WriteBatchWithIndex* wb,
                                        absl::string_view village,
                                        absl::CivilDay day) {
  rocksdb::ColumnFamilyHandle* occurred =
      store->Family(township_layout::kOccurred);
  const int64_t first = int64_t{DaysSinceEpoch(day)} * 86400;
  const int64_t end = first + 86400;
  std::unique_ptr<rocksdb::Iterator> it(wb->NewIteratorWithBase(
      occurred, store->db()->NewIterator(rocksdb::ReadOptions(), occurred)));
  // No key equals the target: every key has a record id after the time.
  it->SeekForPrev(township_layout::OccurredSeekKey(village, end));
  int64_t at = 0;
  if (it->Valid() &&
      township_layout::DecodeOccurredKey(
          absl::string_view(it->key().data(), it->key().size()), village,
          &at) &&
      at >= first) {
    return at;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the occurred index"));
  return 0;
}

}  // namespace

// Applies one batch: reads through the pending WriteBatch so later records see
// earlier ones, and sums cell changes in memory so each cell is written once
// per batch.
class TownshipAggregator::BatchApplier {
 public:
  BatchApplier(Store* store, const std::string& village)
      : store_(store),
        village_(village),
        records_(store->Family(kRecords)),
        patients_(store->Family(kPatients)),
        occurred_(store->Family(township_layout::kOccurred)),
        batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true) {}

  // Applies one record; counts its outcome in `counters`.
  absl::Status Apply(const Record& record, absl::CivilSecond now,
                     absl::flat_hash_map<std::string, uint64_t>* counters) {
    std::string ignored_column;
    // The township's clock may lag the village's: allow a few days before
    // calling a record from the future.
    if (!ValidateRecord(record, now + kClockSkewSeconds, &ignored_column)
             .ok()) {
      ++(*counters)[kRefused];
      return absl::OkStatus();
    }
    std::string key = EncodeRecordKey(village_, record.record_id());
    std::string stored;
    rocksdb::Status s = batch_.GetFromBatchAndDB(
        store_->db(), rocksdb::ReadOptions(), records_, key, &stored);
    if (!s.ok() && !s.IsNotFound())
      return FromRocks(s, "reading township records");
    bool found = s.ok();
    if (record.is_void()) {
      Record original;
      StoredRecordView view;
      if (!found || !ParseStoredRecord(stored, &view, &original)) {
        ++(*counters)[kRefused];  // nothing to void here
        return absl::OkStatus();
      }
      if (view.voided) {
        ++(*counters)[kDuplicates];
        return absl::OkStatus();
      }
      batch_.Put(records_, key,
                 EncodeStoredRecord(/*voided=*/true, view.record_bytes));
      batch_.Delete(occurred_, township_layout::OccurredKey(
                                   village_, original.occurred_at(),
                                   original.record_id()));
      touched_days_.insert(DayOfLocalSeconds(original.occurred_at()));
      ++(*counters)[kApplied];
      if (ReportedDisease(original) != nullptr) {
        alert_changes_.push_back({original, /*withdrawn=*/true});
      }
      return AddEffects(original, -1);
    }
    std::string content = record.SerializeAsString();
    if (found) {
      // Seen before, under another epoch or seq: count it once only.
      StoredRecordView view;
      bool same =
          DecodeStoredRecord(stored, &view) && view.record_bytes == content;
      ++(*counters)[same ? kDuplicates : kConflicts];
      return absl::OkStatus();
    }
    batch_.Put(records_, key, EncodeStoredRecord(/*voided=*/false, content));
    batch_.Put(occurred_,
               township_layout::OccurredKey(village_, record.occurred_at(),
                                            record.record_id()),
               "");
    touched_days_.insert(DayOfLocalSeconds(record.occurred_at()));
    ++(*counters)[kApplied];
    if (ReportedDisease(record) != nullptr) {
      alert_changes_.push_back({record, /*withdrawn=*/false});
    }
    return AddEffects(record, +1);
  }

  rocksdb::WriteBatchWithIndex* batch() { return &batch_; }
  const absl::flat_hash_map<std::string, int64_t>& cell_deltas() const {
    return deltas_;
  }
  // The days whose counted records changed (for their last_record_at).
  const std::set<absl::CivilDay>& touched_days() const { return touched_days_; }
  // Notifiable-disease records applied (withdrawn = voided), in order.
  const std::vector<std::pair<Record, bool>>& alert_changes() const {
    return alert_changes_;
  }

 private:
  absl::Status AddEffects(const Record& record, int sign) {
    absl::CivilDay day = DayOfLocalSeconds(record.occurred_at());
    std::string day_key = FormatDay(day);
    for (const DayContribution& c : DayContributions(record)) {
      if (c.second != 0)
        deltas_[EncodeCellKey(village_, c.first, day_key)] += sign * c.second;
    }
    const DistinctFamily* family = FindDistinctFamily(record.kind());
    if (family == nullptr) return absl::OkStatus();

    std::array<Period, 5> periods = CalendarPeriodsOf(day);
    const Period& year = periods[4];
    std::string prefix = township_layout::FollowupPrefix(
        village_, record.kind(), record.patient_id());
    std::vector<Followup> followups;
    RETURN_IF_ERROR(LoadFollowups(prefix, year, &followups));
    std::array<Contribution, 5> before;
    for (int i = 0; i < 5; ++i) before[i] = Evaluate(followups, periods[i]);

    std::string entry_key = township_layout::FollowupKey(
        prefix, record.occurred_at(), record.record_id());
    if (sign > 0) {
      bool on_target = IsOnTarget(record);
      batch_.Put(patients_, entry_key,
                 township_layout::EncodeOnTarget(on_target));
      Followup f{record.occurred_at(), record.record_id(), on_target};
      auto pos = std::upper_bound(
          followups.begin(), followups.end(), f,
          [](const Followup& a, const Followup& b) { return a.at < b.at; });
      followups.insert(pos, f);
    } else {
      batch_.Delete(patients_, entry_key);
      followups.erase(std::remove_if(followups.begin(), followups.end(),
                                     [&](const Followup& f) {
                                       return f.at == record.occurred_at() &&
                                              f.record_id == record.record_id();
                                     }),
                      followups.end());
    }
    for (int i = 0; i < 5; ++i) {
      Contribution after = Evaluate(followups, periods[i]);
      std::string period_key = periods[i].Key();
      auto add = [&](absl::string_view code, bool was, bool is) {
        if (!code.empty() && was != is) {
          deltas_[EncodeCellKey(village_, code, period_key)] += is ? 1 : -1;
        }
      };
      add(family->managed, before[i].managed, after.managed);
      add(family->standardized, before[i].standardized, after.standardized);
      add(family->controlled, before[i].controlled, after.controlled);
    }
    return absl::OkStatus();
  }

  absl::Status LoadFollowups(const std::string& prefix, const Period& year,
                             std::vector<Followup>* out) {
    std::string start = township_layout::FollowupSeekKey(
        prefix, int64_t{DaysSinceEpoch(year.first)} * 86400);
    int64_t end = (int64_t{DaysSinceEpoch(year.last)} + 1) * 86400;
    std::unique_ptr<rocksdb::Iterator> it(batch_.NewIteratorWithBase(
        patients_,
        store_->db()->NewIterator(rocksdb::ReadOptions(), patients_)));
    for (it->Seek(start); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      int64_t at;
      absl::string_view record_id;
      if (!township_layout::DecodeFollowupKey(
              absl::string_view(it->key().data(), it->key().size()), prefix,
              &at, &record_id)) {
        return absl::DataLossError("bad patient state key");
      }
      if (at >= end) break;
      out->push_back(Followup{at, std::string(record_id),
                              township_layout::DecodeOnTarget(absl::string_view(
                                  it->value().data(), it->value().size()))});
    }
    return FromRocks(it->status(), "reading patient state");
  }

  Store* store_;
  const std::string& village_;
  rocksdb::ColumnFamilyHandle* records_;
  rocksdb::ColumnFamilyHandle* patients_;
  rocksdb::ColumnFamilyHandle* occurred_;
  rocksdb::WriteBatchWithIndex batch_;
  absl::flat_hash_map<std::string, int64_t> deltas_;
  std::set<absl::CivilDay> touched_days_;
  std::vector<std::pair<Record, bool>> alert_changes_;
};

TownshipAggregator::TownshipAggregator(std::unique_ptr<Store> store,
                                       const AggregatorOptions& options)
    : store_(std::move(store)), options_(options) {}

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
  std::unique_ptr<rocksdb::Iterator> changed =
      store_->NewIterator(store_->Family(kChanged));
  cells_pending_ = 0;
  for (changed->SeekToFirst(); changed->Valid(); changed->Next())
    ++cells_pending_;
  RETURN_IF_ERROR(FromRocks(changed->status(), "counting changed cells"));
  std::unique_ptr<rocksdb::Iterator> activity =
      store_->NewIterator(store_->Family(township_layout::kActivityChanged));
  activity_pending_ = 0;
  for (activity->SeekToFirst(); activity->Valid(); activity->Next())
    ++activity_pending_;
  RETURN_IF_ERROR(FromRocks(activity->status(), "counting changed activity"));
  std::unique_ptr<rocksdb::Iterator> alerts =
      store_->NewIterator(store_->Family(kAlertsChanged));
  alerts_pending_ = 0;
  for (alerts->SeekToFirst(); alerts->Valid(); alerts->Next())
    ++alerts_pending_;
  return FromRocks(alerts->status(), "counting changed alerts");
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
  absl::flat_hash_map<std::string, uint64_t> counted;
  absl::CivilSecond now = NowLocal();
  for (const SeqRecord& r : batch.records()) {
    if (r.seq() <= watermark) continue;
    RETURN_IF_ERROR(applier.Apply(r.record(), now, &counted));
  }

  rocksdb::WriteBatchWithIndex* wb = applier.batch();
  rocksdb::ColumnFamilyHandle* cells = store_->Family(kCells);
  rocksdb::ColumnFamilyHandle* changed = store_->Family(kChanged);
  rocksdb::ColumnFamilyHandle* meta = store_->Family("default");
  uint64_t version = version_ + 1;
  uint64_t newly_pending = 0;
  for (const auto& [key, delta] : applier.cell_deltas()) {
    if (delta == 0) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> current,
                     store_->Get(cells, key));
    CellValue value;
    if (current.has_value() && !DecodeCellValue(*current, &value)) {
      return absl::DataLossError(absl::StrCat("unreadable cell ", key));
    }
    value.value += delta;
    value.version = version;
    wb->Put(cells, key, EncodeCellValue(value));
    ASSIGN_OR_RETURN(std::optional<std::string> mark,
                     store_->Get(changed, key));
    if (!mark.has_value()) {
      wb->Put(changed, key, "");
      ++newly_pending;
    }
  }
  uint64_t new_activity = 0;
  RETURN_IF_ERROR(StageActivity(wb, village_id, applier.touched_days(),
                                LocalSeconds(options_.clock()), version,
                                &new_activity));
  uint64_t new_alerts = 0;
  for (const auto& [record, withdrawn] : applier.alert_changes()) {
    RETURN_IF_ERROR(StageAlert(wb, village_id, record, withdrawn,
                               /*only_if_new=*/false, version, &new_alerts));
  }
  std::map<std::string, uint64_t> counters = counters_;
  for (const auto& [name, n] : counted) {
    counters[name] += n;
    wb->Put(meta, township_layout::CounterKey(name),
            EncodeFixed64BE(counters[name]));
  }
  wb->Put(meta, kVersionKey, EncodeFixed64BE(version));
  wb->Put(meta, township_layout::WatermarkKey(village_id, epoch),
          EncodeFixed64BE(new_watermark));
  RETURN_IF_ERROR(store_->Write(wb->GetWriteBatch(), /*sync=*/true));

  version_ = version;
  watermarks_[{village_id, epoch}] = new_watermark;
  counters_ = std::move(counters);
  cells_pending_ += newly_pending;
  activity_pending_ += new_activity;
  alerts_pending_ += new_alerts;
  return new_watermark;
}

absl::Status TownshipAggregator::IndexOldRecords() {
  rocksdb::ColumnFamilyHandle* meta = store_->Family("default");
  ASSIGN_OR_RETURN(std::optional<std::string> indexed,
                   store_->Get(meta, township_layout::kOccurredIndexKey));
  if (indexed.has_value()) return absl::OkStatus();
  // One write for the whole store: a crash redoes it all at the next open.
  rocksdb::WriteBatchWithIndex wb(rocksdb::BytewiseComparator(), 0,
                                  /*overwrite_key=*/true);
  rocksdb::ColumnFamilyHandle* occurred =
      store_->Family(township_layout::kOccurred);
  std::map<std::string, std::set<absl::CivilDay>> days;
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
    days[village].insert(DayOfLocalSeconds(record.occurred_at()));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "indexing township records"));
  const uint64_t version = version_ + 1;
  uint64_t pending = 0;  // counted by Load from the marks
  for (const auto& [village, village_days] : days) {
    RETURN_IF_ERROR(StageActivity(&wb, village, village_days,
                                  /*synced_at=*/0, version, &pending));
  }
  if (!days.empty()) wb.Put(meta, kVersionKey, EncodeFixed64BE(version));
  wb.Put(meta, township_layout::kOccurredIndexKey, "1");
  RETURN_IF_ERROR(store_->Write(wb.GetWriteBatch(), /*sync=*/true));
  if (!days.empty()) version_ = version;
  return absl::OkStatus();
}

absl::Status TownshipAggregator::StageActivity(
    rocksdb::WriteBatchWithIndex* wb, const std::string& village_id,
    const std::set<absl::CivilDay>& days, int64_t synced_at, uint64_t version,
    uint64_t* newly_pending) {
  for (absl::CivilDay day : days) {
    ASSIGN_OR_RETURN(int64_t latest,
                     LatestCountedAt(store_.get(), wb, village_id, day));
    RETURN_IF_ERROR(StageActivityCell(
        wb, EncodeCellKey(village_id, kLastRecordAt, FormatDay(day)), latest,
        version, newly_pending));
  }
  if (synced_at <= 0) return absl::OkStatus();
  return StageActivityCell(wb, EncodeCellKey(village_id, kLastSyncAt, ""),
                           synced_at, version, newly_pending);
}

absl::Status TownshipAggregator::StageActivityCell(
    rocksdb::WriteBatchWithIndex* wb, const std::string& key, int64_t value,
    uint64_t version, uint64_t* newly_pending) {
  rocksdb::ColumnFamilyHandle* activity =
      store_->Family(township_layout::kActivity);
  rocksdb::ColumnFamilyHandle* changed =
      store_->Family(township_layout::kActivityChanged);
  ASSIGN_OR_RETURN(std::optional<std::string> current,
                   store_->Get(activity, key));
  CellValue stored;
  if (current.has_value() && !DecodeCellValue(*current, &stored)) {
    return absl::DataLossError(absl::StrCat("unreadable activity ", key));
  }
  // Unchanged (or never set and still nothing): nothing to tell the county.
  if (current.has_value() ? stored.value == value : value == 0) {
    return absl::OkStatus();
  }
  wb->Put(activity, key, EncodeCellValue(CellValue{value, version}));
  ASSIGN_OR_RETURN(std::optional<std::string> mark, store_->Get(changed, key));
  if (!mark.has_value()) {
    wb->Put(changed, key, "");
    ++*newly_pending;
  }
  return absl::OkStatus();
}

absl::Status TownshipAggregator::StageAlert(rocksdb::WriteBatchWithIndex* wb,
                                            const std::string& village_id,
                                            const Record& record,
                                            bool withdrawn, bool only_if_new,
                                            uint64_t version,
                                            uint64_t* newly_pending) {
  const DiseaseInfo* disease = ReportedDisease(record);
  if (disease == nullptr) return absl::OkStatus();
  rocksdb::ColumnFamilyHandle* alerts = store_->Family(kAlerts);
  rocksdb::ColumnFamilyHandle* changed = store_->Family(kAlertsChanged);
  std::string key = EncodeRecordKey(village_id, record.record_id());
  std::string stored;
  rocksdb::Status s = wb->GetFromBatchAndDB(
      store_->db(), rocksdb::ReadOptions(), alerts, key, &stored);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading alerts");
  Alert alert = DeidentifiedAlert(village_id, record, *disease);
  alert.set_withdrawn(withdrawn);
  if (s.ok()) {
    Alert current;
    if (!current.ParseFromString(stored)) {
      return absl::DataLossError(absl::StrCat("unreadable alert ", key));
    }
    alert.set_version(current.version());
    // Already known (e.g. from the fast lane) and unchanged: nothing to send.
    if (only_if_new || current.SerializeAsString() == alert.SerializeAsString())
      return absl::OkStatus();
  }
  alert.set_version(version);
  wb->Put(alerts, key, alert.SerializeAsString());
  s = wb->GetFromBatchAndDB(store_->db(), rocksdb::ReadOptions(), changed, key,
                            &stored);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading alert marks");
  if (s.IsNotFound()) {
    wb->Put(changed, key, "");
    ++*newly_pending;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> TownshipAggregator::ApplyUrgent(
    const std::string& village_id, const RecordBatch& urgent) {
  absl::MutexLock lock(&mu_);
  // No budget check: an urgent case is a few hundred bytes and must not wait
  // for a backlog to drain. A full disk still fails the write.
  rocksdb::WriteBatchWithIndex wb(rocksdb::BytewiseComparator(), 0,
                                  /*overwrite_key=*/true);
  uint64_t version = version_ + 1;
  uint64_t new_alerts = 0;
  absl::CivilSecond now = NowLocal();
  std::vector<uint64_t> handled;
  for (const SeqRecord& r : urgent.records()) {
    std::string ignored_column;
    handled.push_back(r.seq());
    // Anything else is refused here and judged again in its batch.
    if (!IsUrgentReport(r.record()) ||
        !ValidateRecord(r.record(), now + kClockSkewSeconds, &ignored_column)
             .ok()) {
      continue;
    }
    RETURN_IF_ERROR(StageAlert(&wb, village_id, r.record(), /*withdrawn=*/false,
                               /*only_if_new=*/true, version, &new_alerts));
  }
  if (new_alerts == 0) return handled;
  wb.Put(store_->Family("default"), kVersionKey, EncodeFixed64BE(version));
  RETURN_IF_ERROR(store_->Write(wb.GetWriteBatch(), /*sync=*/true));
  version_ = version;
  alerts_pending_ += new_alerts;
  return handled;
}

absl::Status TownshipAggregator::ReadChangedAlerts(size_t max_alerts,
                                                   std::vector<Alert>* out) {
  absl::MutexLock lock(&mu_);
  if (alerts_pending_ == 0) return absl::OkStatus();
  rocksdb::ColumnFamilyHandle* alerts = store_->Family(kAlerts);
  std::unique_ptr<rocksdb::Iterator> it =
      store_->NewIterator(store_->Family(kAlertsChanged));
  for (it->SeekToFirst(); it->Valid() && out->size() < max_alerts; it->Next()) {
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     store_->Get(alerts, it->key().ToString()));
    Alert alert;
    if (!stored.has_value() || !alert.ParseFromString(*stored)) {
      return absl::DataLossError(absl::StrCat(
          "changed alert ", it->key().ToString(), " is unreadable"));
    }
    out->push_back(std::move(alert));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scanning changed alerts"));
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
  return ClearMarks(store_->Family(kAlertsChanged), unchanged,
                    &alerts_pending_);
}

absl::Status TownshipAggregator::ReadChangedCells(size_t max_cells,
                                                  std::vector<Cell>* out) {
  absl::MutexLock lock(&mu_);
  return ReadMarked(store_->Family(kCells), store_->Family(kChanged), max_cells,
                    &forward_cursor_, out);
}

absl::Status TownshipAggregator::ReadChangedActivity(size_t max_activity,
                                                     std::vector<Cell>* out) {
  absl::MutexLock lock(&mu_);
  if (activity_pending_ == 0) return absl::OkStatus();
  return ReadMarked(store_->Family(township_layout::kActivity),
                    store_->Family(township_layout::kActivityChanged),
                    max_activity, &activity_cursor_, out);
}

absl::Status TownshipAggregator::ReadMarked(rocksdb::ColumnFamilyHandle* values,
                                            rocksdb::ColumnFamilyHandle* marks,
                                            size_t max_cells,
                                            std::string* cursor,
                                            std::vector<Cell>* out) {
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(marks);
  // Resume after the last cell handed out, then wrap around, so a cell that
  // keeps changing cannot starve the others.
  const std::string start = *cursor;
  for (int pass = 0; pass < 2 && out->size() < max_cells; ++pass) {
    if (pass == 0) {
      it->Seek(start);
    } else {
      if (start.empty()) break;
      it->SeekToFirst();
    }
    for (; it->Valid() && out->size() < max_cells; it->Next()) {
      if (pass == 1 && it->key().compare(start) >= 0) break;
      std::string key = it->key().ToString();
      ASSIGN_OR_RETURN(std::optional<std::string> current,
                       store_->Get(values, key));
      CellKeyParts parts;
      CellValue value;
      if (!current.has_value() || !DecodeCellKey(key, &parts) ||
          !DecodeCellValue(*current, &value)) {
        return absl::DataLossError(
            absl::StrCat("changed cell ", key, " is unreadable"));
      }
      Cell cell;
      cell.set_village_id(std::string(parts.village_id));
      cell.set_indicator(std::string(parts.indicator));
      cell.set_period(std::string(parts.period));
      cell.set_value(value.value);
      cell.set_version(value.version);
      out->push_back(std::move(cell));
      *cursor = key + '\0';
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scanning changed cells"));
  }
  return absl::OkStatus();
}

absl::Status TownshipAggregator::MarkForwarded(
    const std::vector<Cell>& forwarded) {
  absl::MutexLock lock(&mu_);
  return ClearForwarded(store_->Family(kCells), store_->Family(kChanged),
                        forwarded, &cells_pending_);
}

absl::Status TownshipAggregator::MarkActivityForwarded(
    const std::vector<Cell>& forwarded) {
  absl::MutexLock lock(&mu_);
  return ClearForwarded(store_->Family(township_layout::kActivity),
                        store_->Family(township_layout::kActivityChanged),
                        forwarded, &activity_pending_);
}

absl::Status TownshipAggregator::ClearForwarded(
    rocksdb::ColumnFamilyHandle* values, rocksdb::ColumnFamilyHandle* marks,
    const std::vector<Cell>& forwarded, uint64_t* pending) {
  std::vector<std::string> unchanged;
  for (const Cell& cell : forwarded) {
    std::string key =
        EncodeCellKey(cell.village_id(), cell.indicator(), cell.period());
    ASSIGN_OR_RETURN(std::optional<std::string> current,
                     store_->Get(values, key));
    CellValue value;
    if (current.has_value() && DecodeCellValue(*current, &value) &&
        value.version == cell.version()) {
      unchanged.push_back(std::move(key));
    }
  }
  return ClearMarks(marks, unchanged, pending);
}

absl::Status TownshipAggregator::ClearMarks(
    rocksdb::ColumnFamilyHandle* marks, const std::vector<std::string>& keys,
    uint64_t* pending) {
  rocksdb::WriteBatch batch;
  uint64_t cleared = 0;
  std::set<std::string> seen;
  for (const std::string& key : keys) {
    // Count only marks that exist, once each: an acknowledgement repeated (or
    // a key listed twice) must not lower the pending count again.
    ASSIGN_OR_RETURN(std::optional<std::string> mark, store_->Get(marks, key));
    if (!mark.has_value() || !seen.insert(key).second) continue;
    batch.Delete(marks, key);
    ++cleared;
  }
  // Not synced: a lost clear only means the item is sent again, which the
  // county ignores (it keeps the highest version).
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
  *pending = *pending > cleared ? *pending - cleared : 0;
  return absl::OkStatus();
}

void TownshipAggregator::WaitForChanges(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto pending = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return cells_pending_ > 0 || activity_pending_ > 0 || alerts_pending_ > 0;
  };
  mu_.AwaitWithTimeout(absl::Condition(&pending), timeout);
}

uint64_t TownshipAggregator::cells_pending() const {
  absl::MutexLock lock(&mu_);
  return cells_pending_;
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
  status->set_cells_pending(cells_pending_);
  status->set_activity_pending(activity_pending_);
  status->set_alerts_pending(alerts_pending_);
  status->set_db_bytes(store_->ApproximateBytes());
}

}  // namespace sanji
