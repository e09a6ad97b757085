#include "county_hub/alert_book.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/alert_rules.h"
#include "common/org_code.h"
#include "common/rollup_layout.h"
#include "common/status_macros.h"
#include "common/vocabulary.h"
#include "county_hub/hub_layout.h"

namespace sanji {
namespace {

constexpr const char* kFamily = hub_layout::kAlerts;

std::string KeyOf(const Alert& alert) {
  return EncodeRecordKey(alert.village_id(), alert.record_id());
}

absl::Status ValidateAlert(const Alert& alert, const std::string& township_id) {
  const std::string& v = alert.village_id();
  if (!IsCodeWithin(v, OrgLevel::kVillage, township_id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("alert for village '", v, "' does not belong to township ",
                     township_id));
  }
  const std::string& id = alert.record_id();
  if (id.empty() || id.size() > 64 ||
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
                           "xyz0123456789._:-") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("alert record_id '", id, "' is not a valid record id"));
  }
  const DiseaseInfo* disease = FindDisease(alert.disease());
  if (disease == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("alert disease '", alert.disease(),
                     "' is not a notifiable disease of spec/records.md"));
  }
  if (alert.urgent() != disease->urgent ||
      alert.disease_class() != DiseaseClassName(*disease)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert for ", alert.disease(), " has class '", alert.disease_class(),
        "' urgent=", alert.urgent(), "; the disease list says class ",
        DiseaseClassName(*disease), " urgent=", disease->urgent));
  }
  if ((alert.sex() != "M" && alert.sex() != "F") || alert.age_years() < -1 ||
      alert.age_years() > 150) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert ", KeyOf(alert), " has sex '", alert.sex(), "' and age ",
        alert.age_years(), "; expected M or F and an age of -1..150"));
  }
  if (alert.version() == 0)
    return absl::InvalidArgumentError("alert version 0 is not valid");
  return absl::OkStatus();
}

}  // namespace

CountyAlertBook::CountyAlertBook(Store* store)
    : store_(store), family_(store->Family(kFamily)) {}

absl::StatusOr<std::unique_ptr<CountyAlertBook>> CountyAlertBook::Open(
    Store* store) {
  if (store->Family(kFamily) == nullptr) {
    return absl::InternalError("the hub store has no alerts family");
  }
  std::unique_ptr<CountyAlertBook> book(new CountyAlertBook(store));
  RETURN_IF_ERROR(book->Load());
  return book;
}

absl::Status CountyAlertBook::Load() {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(family_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    AlertEntry entry;
    if (!entry.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("unreadable alert ", it->key().ToString()));
    }
    std::string key = it->key().ToString();
    by_change_[entry.change()] = key;
    by_id_[entry.id()] = key;
    last_change_ = std::max(last_change_, entry.change());
    last_id_ = std::max(last_id_, entry.id());
    entries_[key] = std::move(entry);
  }
  return FromRocks(it->status(), "loading alerts");
}

absl::Status CountyAlertBook::Commit(
    std::vector<std::pair<std::string, AlertEntry>> changes) {
  if (changes.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  uint64_t change = last_change_;
  std::vector<uint64_t> old_changes;
  for (auto& [key, entry] : changes) {
    auto it = entries_.find(key);
    old_changes.push_back(it == entries_.end() ? 0 : it->second.change());
    entry.set_change(++change);
    batch.Put(family_, key, entry.SerializeAsString());
  }
  // One synced write for the whole set: durable before anyone can see it.
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  for (size_t i = 0; i < changes.size(); ++i) {
    auto& [key, entry] = changes[i];
    if (old_changes[i] != 0) by_change_.erase(old_changes[i]);
    by_change_[entry.change()] = key;
    by_id_[entry.id()] = key;
    last_id_ = std::max(last_id_, entry.id());
    entries_[key] = std::move(entry);
  }
  last_change_ = change;
  return absl::OkStatus();
}

absl::Status CountyAlertBook::Apply(
    const std::string& township_id,
    const google::protobuf::RepeatedPtrField<Alert>& alerts) {
  for (const Alert& alert : alerts)
    RETURN_IF_ERROR(ValidateAlert(alert, township_id));
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, AlertEntry>> changes;
  std::map<std::string, size_t> staged;  // key -> index in changes
  uint64_t next_id = last_id_;
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  for (const Alert& alert : alerts) {
    std::string key = KeyOf(alert);
    const AlertEntry* current = nullptr;
    if (auto s = staged.find(key); s != staged.end()) {
      current = &changes[s->second].second;
    } else if (auto it = entries_.find(key); it != entries_.end()) {
      current = &it->second;
    }
    if (current != nullptr && current->alert().version() >= alert.version())
      continue;
    AlertEntry entry;
    if (current != nullptr) {
      entry = *current;
    } else {
      entry.set_id(++next_id);
      entry.set_received_at_unix_ms(now_ms);
    }
    *entry.mutable_alert() = alert;
    if (auto s = staged.find(key); s != staged.end()) {
      changes[s->second].second = std::move(entry);
    } else {
      staged[key] = changes.size();
      changes.emplace_back(std::move(key), std::move(entry));
    }
  }
  return Commit(std::move(changes));
}

absl::StatusOr<AlertEntry> CountyAlertBook::Review(uint64_t id,
                                                   const std::string& by) {
  if (by.empty()) {
    return absl::InvalidArgumentError("say who reviewed the alert (--by=NAME)");
  }
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "no alert with id ", id, "; `county_hub alerts` lists the ids"));
  }
  const std::string key = it->second;
  AlertEntry entry = entries_[key];
  entry.set_reviewed_by(by);
  entry.set_reviewed_at_unix_ms(absl::ToUnixMillis(absl::Now()));
  RETURN_IF_ERROR(Commit({{key, std::move(entry)}}));
  return entries_[key];
}

std::vector<AlertEntry> CountyAlertBook::ChangedAfter(uint64_t after_change,
                                                      int64_t since,
                                                      uint64_t* covered) const {
  absl::MutexLock lock(&mu_);
  if (covered != nullptr) *covered = std::max(after_change, last_change_);
  std::vector<AlertEntry> out;
  for (auto it = by_change_.upper_bound(after_change); it != by_change_.end();
       ++it) {
    const AlertEntry& entry = entries_.at(it->second);
    if (entry.alert().occurred_at() >= since) out.push_back(entry);
  }
  return out;
}

uint64_t CountyAlertBook::last_change() const {
  absl::MutexLock lock(&mu_);
  return last_change_;
}

void CountyAlertBook::WaitForChange(uint64_t after_change,
                                    absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto changed = [this, after_change]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return closed_ || last_change_ > after_change;
  };
  mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
}

void CountyAlertBook::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

size_t CountyAlertBook::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace sanji
