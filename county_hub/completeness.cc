#include "county_hub/completeness.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/catalogue.h"
#include "common/csv.h"
#include "common/key_codec.h"
#include "common/org_code.h"
#include "common/rollup_layout.h"
#include "common/status_macros.h"
#include "county_hub/hub_layout.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

// Data that reached the county by the end of this many days after the period
// is on time (spec/interfaces.md "Completeness").
constexpr int kTimelyDays = 10;

constexpr char kHeader[] =
    "period,level,org_id,org_name,expected,reported,on_time,reporting_rate,"
    "timely_rate,last_record_at,last_sync_at\n";

absl::string_view View(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

// The organisation covered: the county, a township or a village.
struct Scope {
  OrgLevel level = OrgLevel::kCounty;
  std::string prefix;  // its code
};

absl::StatusOr<Scope> ParseScope(const std::string& org,
                                 const std::string& county_id) {
  Scope scope;
  scope.prefix = county_id;
  ASSIGN_OR_RETURN(scope.level, ScopeLevel(org, county_id));
  if (scope.level != OrgLevel::kCounty) scope.prefix = org;
  return scope;
}

// The stored value of a cell or activity entry; 0 when unreadable.
int64_t ValueOf(const rocksdb::Slice& bytes) {
  CellValue value;
  return DecodeCellValue(View(bytes), &value) ? value.value : 0;
}

// The latest value under `prefix` + [first, last] (day keys) of `family`,
// by `value_of`; nullopt when there is none.
template <typename ValueOf>
absl::StatusOr<std::optional<int64_t>> LatestInDays(
    const Store* store, rocksdb::ColumnFamilyHandle* family,
    const std::string& prefix, const std::string& first,
    const std::string& last, ValueOf value_of) {
  std::unique_ptr<rocksdb::Iterator> it = store->NewIterator(family);
  const std::string end = prefix + last;
  std::optional<int64_t> latest;
  for (it->Seek(prefix + first);
       it->Valid() && it->key().starts_with(prefix) && View(it->key()) <= end;
       it->Next()) {
    int64_t v = value_of(it->value());
    if (!latest.has_value() || v > *latest) latest = v;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading completeness facts"));
  return latest;
}

// Sums of a township or the county, and the latest times of its villages.
struct Totals {
  Judgement counts;
  int64_t last_record_at = 0;
  int64_t last_sync_at = 0;

  void Add(const Totals& other) {
    counts.expected += other.counts.expected;
    counts.reported += other.counts.reported;
    counts.on_time += other.counts.on_time;
    last_record_at = std::max(last_record_at, other.last_record_at);
    last_sync_at = std::max(last_sync_at, other.last_sync_at);
  }
};

CompletenessRow FormatRow(const std::string& period, OrgLevel level,
                          const std::string& id, const OrgDirectory* orgs,
                          const Totals& t) {
  CompletenessRow row;
  row.period = period;
  row.level = std::string(LevelName(level));
  row.org_id = id;
  row.org_name = orgs != nullptr ? orgs->Name(id) : "";
  row.counts = t.counts;
  row.reporting_rate = FormatRate(t.counts.reported, t.counts.expected);
  row.timely_rate = FormatRate(t.counts.on_time, t.counts.expected);
  if (t.last_record_at > 0)
    row.last_record_at = FormatLocalSeconds(t.last_record_at);
  if (t.last_sync_at > 0) row.last_sync_at = FormatLocalSeconds(t.last_sync_at);
  return row;
}

std::string RenderJson(const std::vector<CompletenessRow>& rows) {
  if (rows.empty()) return "[]\n";
  std::string out = "[\n";
  auto text = [](const std::string& s) {
    return s.empty() ? nlohmann::ordered_json(nullptr)
                     : nlohmann::ordered_json(s);
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const CompletenessRow& r = rows[i];
    nlohmann::ordered_json obj;
    obj["period"] = r.period;
    obj["level"] = r.level;
    obj["org_id"] = r.org_id;
    obj["org_name"] = r.org_name;
    obj["expected"] = r.counts.expected;
    obj["reported"] = r.counts.reported;
    obj["on_time"] = r.counts.on_time;
    obj["reporting_rate"] = text(r.reporting_rate);
    obj["timely_rate"] = text(r.timely_rate);
    obj["last_record_at"] = text(r.last_record_at);
    obj["last_sync_at"] = text(r.last_sync_at);
    if (i > 0) out.append(",\n");
    out.append("  ");
    // Replace, not throw, should a name from the orgs file be bad UTF-8.
    out.append(
        obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  out.append("\n]\n");
  return out;
}

std::string RenderCsv(const std::vector<CompletenessRow>& rows) {
  std::string out = kHeader;
  for (const CompletenessRow& r : rows) {
    const std::string expected = absl::StrCat(r.counts.expected);
    const std::string reported = absl::StrCat(r.counts.reported);
    const std::string on_time = absl::StrCat(r.counts.on_time);
    const std::string* fields[] = {
        &r.period,      &r.level,          &r.org_id,      &r.org_name,
        &expected,      &reported,         &on_time,       &r.reporting_rate,
        &r.timely_rate, &r.last_record_at, &r.last_sync_at};
    for (size_t f = 0; f < 11; ++f) {
      if (f > 0) out.push_back(',');
      AppendCsvField(*fields[f], &out);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace

Judgement JudgeVillage(const VillageFacts& facts, const Period& period) {
  Judgement j;
  const absl::CivilDay month_of_first =
      facts.first_record_day.has_value()
          ? absl::CivilDay(absl::CivilMonth(*facts.first_record_day))
          : absl::CivilDay();
  j.expected = facts.listed || (facts.first_record_day.has_value() &&
                                month_of_first <= period.last);
  if (j.expected == 0) return j;
  j.reported = facts.has_records ? 1 : 0;
  // On time: stored before the 11th day after the period's last began.
  const int64_t deadline =
      LocalSeconds(absl::CivilSecond(period.last + kTimelyDays + 1));
  j.on_time = j.reported == 1 && facts.latest_arrival.has_value() &&
              *facts.latest_arrival < deadline;
  return j;
}

std::string FormatRate(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return "";
  // Hundredths of a percent, rounded half up.
  const int64_t h = (numerator * 20000 + denominator) / (2 * denominator);
  return absl::StrFormat("%d.%02d", h / 100, h % 100);
}

Completeness::Completeness(std::string county_id, const Store* store,
                           rocksdb::ColumnFamilyHandle* cells,
                           rocksdb::ColumnFamilyHandle* activity,
                           rocksdb::ColumnFamilyHandle* arrivals,
                           const OrgDirectory* orgs)
    : county_id_(std::move(county_id)),
      store_(store),
      cells_(cells),
      activity_(activity),
      arrivals_(arrivals),
      orgs_(orgs) {}

absl::Status Completeness::ListVillages(const std::string& prefix,
                                        std::vector<std::string>* out) const {
  for (rocksdb::ColumnFamilyHandle* family : {cells_, activity_}) {
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(family);
    it->Seek(prefix);
    while (it->Valid() && it->key().starts_with(prefix)) {
      absl::string_view key = View(it->key());
      std::string village(key.substr(0, key.find('|')));
      if (IsCodeAt(village, OrgLevel::kVillage)) out->push_back(village);
      it->Seek(village + "}");  // '|' + 1: past the village's keys
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "listing villages"));
  }
  return absl::OkStatus();
}

absl::StatusOr<VillageFacts> Completeness::ReadFacts(
    const std::string& village, const Period& period) const {
  VillageFacts facts;
  const std::string first = FormatDay(period.first);
  const std::string last = FormatDay(period.last);
  // Every record adds 1 to a count cell of its day, so count cells say where
  // records are.
  for (const IndicatorDef& def : Indicators()) {
    if (def.type != IndicatorType::kCount) continue;
    const std::string prefix = EncodeCellKey(village, def.code, "");
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(cells_);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      if (ValueOf(it->value()) == 0) continue;
      absl::CivilDay day;
      if (ParseDay(View(it->key()).substr(prefix.size()), &day) &&
          (!facts.first_record_day || day < *facts.first_record_day)) {
        facts.first_record_day = day;
      }
      break;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading cells"));
    if (facts.has_records) continue;
    ASSIGN_OR_RETURN(std::optional<int64_t> most,
                     LatestInDays(store_, cells_, prefix, first, last,
                                  [](const rocksdb::Slice& v) {
                                    return ValueOf(v) != 0 ? 1 : 0;
                                  }));
    facts.has_records = most.value_or(0) == 1;
  }
  ASSIGN_OR_RETURN(
      facts.latest_arrival,
      LatestInDays(store_, arrivals_, hub_layout::ArrivalKey(village, ""),
                   first, last, [](const rocksdb::Slice& v) {
                     uint64_t t = 0;
                     DecodeFixed64BE(View(v), &t);
                     return static_cast<int64_t>(t);
                   }));
  ASSIGN_OR_RETURN(
      std::optional<int64_t> record_at,
      LatestInDays(store_, activity_, EncodeCellKey(village, kLastRecordAt, ""),
                   first, last, ValueOf));
  facts.last_record_at = record_at.value_or(0);
  ASSIGN_OR_RETURN(
      std::optional<std::string> sync,
      store_->Get(activity_, EncodeCellKey(village, kLastSyncAt, "")));
  if (sync.has_value()) facts.last_sync_at = ValueOf(*sync);
  return facts;
}

absl::StatusOr<std::vector<CompletenessRow>> Completeness::Rows(
    const std::string& period_text, const std::string& org) const {
  ASSIGN_OR_RETURN(const Period period, ParsePeriod(period_text));
  ASSIGN_OR_RETURN(const Scope scope, ParseScope(org, county_id_));
  std::set<std::string> listed;
  if (orgs_ != nullptr) {
    for (const auto& [id, name] : orgs_->names()) {
      if (absl::StartsWith(id, scope.prefix)) listed.insert(id);
    }
  }
  std::vector<std::string> found;
  RETURN_IF_ERROR(ListVillages(scope.prefix, &found));
  std::set<std::string> villages(found.begin(), found.end());
  std::map<std::string, Totals> townships;
  for (const std::string& id : listed) {
    if (IsCodeAt(id, OrgLevel::kVillage)) villages.insert(id);
    if (IsCodeAt(id, OrgLevel::kTownship)) townships[id];
  }
  if (scope.level != OrgLevel::kCounty) {
    // The organisation asked for is listed even when nothing is known of it.
    if (scope.level == OrgLevel::kVillage) villages.insert(scope.prefix);
    townships[std::string(AncestorAt(scope.prefix, OrgLevel::kTownship))];
  }
  Totals county;
  std::vector<std::pair<std::string, Totals>> village_rows;
  for (const std::string& id : villages) {
    ASSIGN_OR_RETURN(VillageFacts facts, ReadFacts(id, period));
    facts.listed = listed.count(id) > 0;
    Totals t{JudgeVillage(facts, period), facts.last_record_at,
             facts.last_sync_at};
    townships[std::string(AncestorAt(id, OrgLevel::kTownship))].Add(t);
    county.Add(t);
    village_rows.emplace_back(id, t);
  }
  const std::string key = period.Key();
  std::vector<CompletenessRow> rows;
  if (scope.level == OrgLevel::kCounty) {
    rows.push_back(
        FormatRow(key, OrgLevel::kCounty, county_id_, orgs_, county));
  }
  if (scope.level != OrgLevel::kVillage) {
    for (const auto& [id, t] : townships) {
      rows.push_back(FormatRow(key, OrgLevel::kTownship, id, orgs_, t));
    }
  }
  for (const auto& [id, t] : village_rows) {
    rows.push_back(FormatRow(key, OrgLevel::kVillage, id, orgs_, t));
  }
  return rows;
}

absl::StatusOr<std::string> Completeness::Render(
    const std::string& period, const std::string& org,
    const std::string& format) const {
  if (!format.empty() && format != "csv" && format != "json") {
    return absl::InvalidArgumentError(absl::StrCat(
        "format '", format, "' is not a completeness format: use csv or json"));
  }
  ASSIGN_OR_RETURN(std::vector<CompletenessRow> rows, Rows(period, org));
  return format == "json" ? RenderJson(rows) : RenderCsv(rows);
}

}  // namespace sanji
