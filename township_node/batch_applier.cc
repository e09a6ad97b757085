#include "township_node/batch_applier.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "common/alert_rules.h"
#include "common/catalogue.h"
#include "common/record_parse.h"
#include "common/rollup_layout.h"
#include "common/status_macros.h"
#include "common/stored_record.h"
#include "township_node/township_layout.h"

namespace sanji {
namespace {

// What one patient contributes to one calendar period.
struct Contribution {
  bool managed = false;
  bool standardized = false;
  bool controlled = false;
};

template <typename Followups>
Contribution Evaluate(const Followups& followups, const Period& period) {
  int64_t first = int64_t{DaysSinceEpoch(period.first)} * 86400;
  int64_t end = (int64_t{DaysSinceEpoch(period.last)} + 1) * 86400;
  int n = 0;
  int64_t latest = 0;
  bool latest_on_target = true;
  for (const auto& f : followups) {  // ascending by time
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

}  // namespace

BatchApplier::BatchApplier(Store* store, std::string village_id)
    : store_(store),
      village_(std::move(village_id)),
      records_(store->Family(township_layout::kRecords)),
      patients_(store->Family(township_layout::kPatients)),
      occurred_(store->Family(township_layout::kOccurred)) {}

absl::Status BatchApplier::Prefetch(const RecordBatch& batch,
                                    uint64_t after_seq) {
  std::vector<std::string> keys;
  keys.reserve(batch.records_size());
  for (const SeqRecord& r : batch.records()) {
    if (r.seq() > after_seq) {
      keys.push_back(EncodeRecordKey(village_, r.record().record_id()));
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> values,
                   store_->MultiGet(records_, keys));
  for (size_t i = 0; i < keys.size(); ++i) {
    records_seen_.try_emplace(std::move(keys[i]), std::move(values[i]));
  }
  return absl::OkStatus();
}

absl::Status BatchApplier::Apply(const Record& record,
                                 absl::CivilSecond latest_valid) {
  std::string ignored_column;
  if (!ValidateRecord(record, latest_valid, &ignored_column).ok()) {
    ++counts_.refused;
    return absl::OkStatus();
  }
  std::string key = EncodeRecordKey(village_, record.record_id());
  ASSIGN_OR_RETURN(std::optional<std::string> * stored, StoredRecord(key));
  if (record.is_void()) return ApplyVoid(key, stored);
  std::string content = record.SerializeAsString();
  if (stored->has_value()) {
    // Seen before, under another epoch or seq: count it once only.
    StoredRecordView view;
    bool same =
        DecodeStoredRecord(**stored, &view) && view.record_bytes == content;
    ++(same ? counts_.duplicates : counts_.conflicts);
    return absl::OkStatus();
  }
  *stored = EncodeStoredRecord(/*voided=*/false, content);
  batch_.Put(records_, key, **stored);
  StageOccurred(record, /*present=*/true);
  ++counts_.applied;
  if (ReportedDisease(record) != nullptr) {
    StageAlert(key, record, /*withdrawn=*/false);
  }
  return AddEffects(record, +1);
}

absl::Status BatchApplier::ApplyVoid(const std::string& key,
                                     std::optional<std::string>* stored) {
  Record original;
  StoredRecordView view;
  if (!stored->has_value() || !ParseStoredRecord(**stored, &view, &original)) {
    ++counts_.refused;  // nothing to void here
    return absl::OkStatus();
  }
  if (view.voided) {
    ++counts_.duplicates;
    return absl::OkStatus();
  }
  std::string voided = EncodeStoredRecord(/*voided=*/true, view.record_bytes);
  batch_.Put(records_, key, voided);
  *stored = std::move(voided);  // `view` pointed into the old value
  StageOccurred(original, /*present=*/false);
  ++counts_.applied;
  if (ReportedDisease(original) != nullptr) {
    StageAlert(key, original, /*withdrawn=*/true);
  }
  return AddEffects(original, -1);
}

absl::StatusOr<std::optional<std::string>*> BatchApplier::StoredRecord(
    const std::string& key) {
  auto it = records_seen_.find(key);
  if (it == records_seen_.end()) {
    ASSIGN_OR_RETURN(std::optional<std::string> value,
                     store_->Get(records_, key));
    it = records_seen_.emplace(key, std::move(value)).first;
  }
  return &it->second;
}

void BatchApplier::StageOccurred(const Record& record, bool present) {
  std::string key = township_layout::OccurredKey(village_, record.occurred_at(),
                                                 record.record_id());
  if (present) {
    batch_.Put(occurred_, key, "");
  } else {
    batch_.Delete(occurred_, key);
  }
  occurred_staged_[std::move(key)] = present;
  touched_days_.insert(DayOfLocalSeconds(record.occurred_at()));
}

void BatchApplier::StageAlert(const std::string& key, const Record& record,
                              bool withdrawn) {
  auto [it, added] = alert_index_.try_emplace(key, alerts_.size());
  if (added) {
    alerts_.emplace_back(record, withdrawn);
  } else {
    alerts_[it->second] = {record, withdrawn};
  }
}

absl::Status BatchApplier::AddEffects(const Record& record, int sign) {
  absl::CivilDay day = DayOfLocalSeconds(record.occurred_at());
  std::string day_key = FormatDay(day);
  for (const DayContribution& c : DayContributions(record)) {
    if (c.second != 0) {
      deltas_[EncodeCellKey(village_, c.first, day_key)] += sign * c.second;
    }
  }
  const DistinctFamily* family = FindDistinctFamily(record.kind());
  if (family == nullptr) return absl::OkStatus();

  std::array<Period, 5> periods = CalendarPeriodsOf(day);
  std::string prefix = township_layout::FollowupPrefix(village_, record.kind(),
                                                       record.patient_id());
  ASSIGN_OR_RETURN(std::vector<Followup> * followups,
                   Followups(prefix, periods[4]));
  std::array<Contribution, 5> before;
  for (int i = 0; i < 5; ++i) before[i] = Evaluate(*followups, periods[i]);

  std::string entry_key = township_layout::FollowupKey(
      prefix, record.occurred_at(), record.record_id());
  if (sign > 0) {
    bool on_target = IsOnTarget(record);
    batch_.Put(patients_, entry_key,
               township_layout::EncodeOnTarget(on_target));
    Followup f{record.occurred_at(), record.record_id(), on_target};
    auto pos = std::upper_bound(
        followups->begin(), followups->end(), f,
        [](const Followup& a, const Followup& b) { return a.at < b.at; });
    followups->insert(pos, std::move(f));
  } else {
    batch_.Delete(patients_, entry_key);
    followups->erase(std::remove_if(followups->begin(), followups->end(),
                                    [&](const Followup& f) {
                                      return f.at == record.occurred_at() &&
                                             f.record_id == record.record_id();
                                    }),
                     followups->end());
  }
  for (int i = 0; i < 5; ++i) {
    Contribution after = Evaluate(*followups, periods[i]);
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

absl::StatusOr<std::vector<BatchApplier::Followup>*> BatchApplier::Followups(
    const std::string& prefix, const Period& year) {
  auto [cached, added] =
      followups_.try_emplace(absl::StrCat(prefix, "|", year.Key()));
  std::vector<Followup>* out = &cached->second;
  if (!added) return out;
  const int64_t end = (int64_t{DaysSinceEpoch(year.last)} + 1) * 86400;
  rocksdb::Iterator* it = StoreIterator(patients_, &patients_it_);
  for (it->Seek(township_layout::FollowupSeekKey(
           prefix, int64_t{DaysSinceEpoch(year.first)} * 86400));
       it->Valid() && it->key().starts_with(prefix); it->Next()) {
    int64_t at;
    absl::string_view record_id;
    if (!township_layout::DecodeFollowupKey(
            absl::string_view(it->key().data(), it->key().size()), prefix, &at,
            &record_id)) {
      return absl::DataLossError("bad patient state key");
    }
    if (at >= end) break;
    out->push_back(Followup{at, std::string(record_id),
                            township_layout::DecodeOnTarget(absl::string_view(
                                it->value().data(), it->value().size()))});
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading patient state"));
  return out;
}

absl::StatusOr<std::map<absl::CivilDay, int64_t>>
BatchApplier::LatestOfTouchedDays() {
  std::map<absl::CivilDay, int64_t> latest;
  for (absl::CivilDay day : touched_days_) {
    ASSIGN_OR_RETURN(latest[day], LatestCountedAt(day));
  }
  return latest;
}

// The later of the latest key the batch added within the day and the latest
// the store has that the batch did not remove.
absl::StatusOr<int64_t> BatchApplier::LatestCountedAt(absl::CivilDay day) {
  const int64_t first = int64_t{DaysSinceEpoch(day)} * 86400;
  // No key equals these: every key has a record id after the time.
  const std::string lo = township_layout::OccurredSeekKey(village_, first);
  const std::string hi =
      township_layout::OccurredSeekKey(village_, first + 86400);
  auto decode = [&](absl::string_view key, int64_t* at) {
    return township_layout::DecodeOccurredKey(key, village_, at) &&
           *at >= first;
  };
  int64_t staged = 0;
  for (auto it = occurred_staged_.lower_bound(hi);
       it != occurred_staged_.begin();) {
    --it;
    if (it->first < lo) break;
    int64_t at = 0;
    if (it->second && decode(it->first, &at)) {
      staged = at;
      break;
    }
  }
  int64_t stored = 0;
  rocksdb::Iterator* it = StoreIterator(occurred_, &occurred_it_);
  for (it->SeekForPrev(hi); it->Valid(); it->Prev()) {
    absl::string_view key(it->key().data(), it->key().size());
    int64_t at = 0;
    if (!decode(key, &at)) break;
    auto removed = occurred_staged_.find(std::string(key));
    if (removed != occurred_staged_.end() && !removed->second) continue;
    stored = at;
    break;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the occurred index"));
  return std::max(staged, stored);
}

rocksdb::Iterator* BatchApplier::StoreIterator(
    rocksdb::ColumnFamilyHandle* family,
    std::unique_ptr<rocksdb::Iterator>* it) {
  if (*it == nullptr) *it = store_->NewIterator(family);
  return it->get();
}

}  // namespace sanji
