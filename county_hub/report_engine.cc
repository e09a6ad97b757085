#include "county_hub/report_engine.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/catalogue.h"
#include "common/csv.h"
#include "common/org_code.h"
#include "common/period.h"
#include "common/rollup_layout.h"
#include "common/status_macros.h"
#include "county_hub/export_adx.h"
#include "county_hub/export_dhis2.h"
#include "county_hub/export_fhir.h"
#include "county_hub/export_markdown.h"
#include "county_hub/export_table.h"
#include "county_hub/export_xlsx.h"
#include "county_hub/hub_layout.h"
#include "county_hub/period_totals.h"
#include "county_hub/report_json.h"

namespace sanji {
namespace {

// The rate the catalogue's numerator/denominator fields cannot fully
// describe: health_record_rate adds the population file's records on file to
// its numerator.
constexpr absl::string_view kHealthRecordRate = "health_record_rate";
constexpr absl::string_view kHealthRecordsCreated = "health_records_created";

absl::string_view View(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

// Catalogue index of a fixed code, -1 when it is not one.
int IndexOf(absl::string_view code) {
  const std::vector<IndicatorDef>& defs = Indicators();
  for (size_t i = 0; i < defs.size(); ++i) {
    if (defs[i].code == code) return static_cast<int>(i);
  }
  return -1;
}

// Count and sum indicators: kept as day cells, any period is a sum of days.
bool IsDaySummed(IndicatorType type) {
  return type == IndicatorType::kCount || type == IndicatorType::kSum ||
         type == IndicatorType::kSumYuan;
}

// What a report asks for, per catalogue index.
struct Selection {
  std::vector<char> show;            // one row per organisation
  std::vector<char> read;            // cell indicator whose cells are read
  std::vector<char> all_breakdowns;  // every non-zero breakdown code shown
  std::set<std::string, std::less<>> breakdowns;  // breakdown codes named
  bool ytd_records = false;  // health_records_created from Jan 1 is needed
};

absl::StatusOr<Selection> Select(const std::vector<std::string>& requested,
                                 const Period& period) {
  const std::vector<IndicatorDef>& defs = Indicators();
  const size_t n = defs.size();
  Selection sel;
  sel.show.assign(n, 0);
  sel.read.assign(n, 0);
  sel.all_breakdowns.assign(n, 0);

  std::vector<std::string> codes;
  for (const std::string& code : requested) {
    absl::string_view c = absl::StripAsciiWhitespace(code);
    if (!c.empty()) codes.emplace_back(c);
  }
  if (codes.empty()) {
    // Every indicator the period supports (a range of days: counts, sums and
    // averages), and the non-zero breakdown codes of every parent.
    for (size_t i = 0; i < n; ++i) {
      IndicatorType t = defs[i].type;
      sel.show[i] = period.IsCalendar() || IsDaySummed(t) ||
                    t == IndicatorType::kAverageYuan;
      sel.all_breakdowns[i] = sel.show[i] && defs[i].has_breakdown;
    }
  } else {
    std::vector<std::string> unknown, distinct_range, rate_range;
    for (const std::string& code : codes) {
      IndicatorDef def;
      std::string name_zh;
      if (!LookupIndicator(code, &def, &name_zh)) {
        unknown.push_back(code);
      } else if (!period.IsCalendar() && def.type == IndicatorType::kDistinct) {
        distinct_range.push_back(code);
      } else if (!period.IsCalendar() && def.type == IndicatorType::kRate) {
        rate_range.push_back(code);
      } else if (absl::StrContains(code, '.')) {
        sel.breakdowns.insert(code);
      } else {
        sel.show[IndexOf(code)] = 1;
      }
    }
    std::vector<std::string> problems;
    if (!unknown.empty()) {
      std::vector<absl::string_view> known;
      std::vector<std::string> forms;
      for (const IndicatorDef& d : defs) {
        known.push_back(d.code);
        if (d.has_breakdown) forms.push_back(absl::StrCat(d.code, ".CODE"));
      }
      problems.push_back(absl::StrCat(
          "unknown indicator", unknown.size() > 1 ? "s" : "", ": ",
          absl::StrJoin(unknown, ", "), " (the codes of spec/indicators.md: ",
          absl::StrJoin(known, ", "), "; and ", absl::StrJoin(forms, ", "),
          " with a disease or referral target code)"));
    }
    const std::string calendar = absl::StrCat(
        " (", period.Key(),
        " is a range of days; use YYYY, YYYY-H1, YYYY-Q1, YYYY-MM or "
        "YYYY-MM-DD)");
    if (!distinct_range.empty()) {
      problems.push_back(
          absl::StrCat("distinct indicators need a calendar period: ",
                       absl::StrJoin(distinct_range, ", "), calendar));
    }
    if (!rate_range.empty()) {
      problems.push_back(absl::StrCat(
          "rates need a calendar period: ", absl::StrJoin(rate_range, ", "),
          calendar));
    }
    if (!problems.empty()) {
      return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
    }
  }

  for (size_t i = 0; i < n; ++i) {
    if (!sel.show[i]) continue;
    const IndicatorDef& d = defs[i];
    if (IsCellIndicator(d.type)) sel.read[i] = 1;
    if (d.type == IndicatorType::kAverageYuan ||
        d.type == IndicatorType::kRate) {
      int num = IndexOf(d.numerator);
      int den = d.denominator.empty() ? -1 : IndexOf(d.denominator);
      if (num >= 0) sel.read[num] = 1;
      if (den >= 0) sel.read[den] = 1;
      if (d.code == kHealthRecordRate) sel.ytd_records = true;
    }
  }
  return sel;
}

// The numbers of one organisation (or one village) for one report. Sums of
// cells are 128-bit: cell values come from the townships as any int64, and
// adding many of them must not overflow.
struct Totals {
  explicit Totals(size_t n) : value(n, 0), den(n, 0), defined(n, 0) {}
  // Cell indicators: their value. Averages and rates: the numerator.
  std::vector<__int128> value;
  // Averages and rates: the denominator, and whether it is known at all.
  std::vector<__int128> den;
  std::vector<char> defined;
  // Breakdown code -> sum over the period.
  std::map<std::string, __int128, std::less<>> breakdown;
  // health_records_created from Jan 1 of the period's year to its last day.
  __int128 records_ytd = 0;

  void Add(const Totals& other) {
    for (size_t i = 0; i < value.size(); ++i) {
      value[i] += other.value[i];
      den[i] += other.den[i];
      defined[i] |= other.defined[i];
    }
    for (const auto& [code, v] : other.breakdown) breakdown[code] += v;
    records_ytd += other.records_ytd;
  }
};

using VillageMap = std::map<std::string, Totals, std::less<>>;

// round(num / den), half away from zero (half up for the non-negative numbers
// reports deal in), exactly.
__int128 RoundDiv(__int128 num, __int128 den) {
  bool negative = (num < 0) != (den < 0);
  if (num < 0) num = -num;
  if (den < 0) den = -den;
  __int128 q = (2 * num + den) / (2 * den);
  return negative ? -q : q;
}

std::string Int128ToString(__int128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(v)
                                 : static_cast<unsigned __int128>(v);
  std::string digits;
  while (u > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

// A number of hundredths as "I.FF" (fen as yuan; hundredths of a percent).
std::string Hundredths(__int128 h) {
  bool negative = h < 0;
  if (negative) h = -h;
  int frac = static_cast<int>(h % 100);
  return absl::StrCat(negative ? "-" : "", Int128ToString(h / 100), ".",
                      frac < 10 ? "0" : "", frac);
}

std::string FormatValue(const IndicatorDef& def, const Totals& t, size_t i) {
  switch (def.type) {
    case IndicatorType::kCount:
    case IndicatorType::kSum:
    case IndicatorType::kDistinct:
      return Int128ToString(t.value[i]);
    case IndicatorType::kSumYuan:
      return Hundredths(t.value[i]);
    case IndicatorType::kAverageYuan:
      if (!t.defined[i] || t.den[i] == 0) return "";
      return Hundredths(RoundDiv(t.value[i], t.den[i]));
    case IndicatorType::kRate: {
      if (!t.defined[i] || t.den[i] == 0) return "";
      // Percent (or permille) in hundredths: x 100 x 100 (or x 1000 x 100).
      __int128 scale = UnitOf(def) == ValueUnit::kPerMille ? 100000 : 10000;
      return Hundredths(RoundDiv(scale * t.value[i], t.den[i]));
    }
  }
  return "";
}

// Averages and rates of one village, from its cells and population.
void Derive(const Selection& sel, absl::string_view village,
            const Period& period, const OrgDirectory* orgs, Totals* t) {
  const std::vector<IndicatorDef>& defs = Indicators();
  std::optional<Population> pop;
  bool pop_looked_up = false;
  for (size_t i = 0; i < defs.size(); ++i) {
    const IndicatorDef& d = defs[i];
    if (!sel.show[i]) continue;
    if (d.type != IndicatorType::kAverageYuan &&
        d.type != IndicatorType::kRate) {
      continue;
    }
    int num = IndexOf(d.numerator);
    if (!d.denominator.empty()) {
      int den = IndexOf(d.denominator);
      t->value[i] = num >= 0 ? t->value[num] : 0;
      t->den[i] = den >= 0 ? t->value[den] : 0;
      t->defined[i] = 1;
      continue;
    }
    // A population denominator. A village without a population row for the
    // period's year has an unknown rate (empty), and at the township and county
    // it adds to neither the numerator nor the denominator: the rate there is
    // over the villages whose population is known.
    if (!pop_looked_up) {
      pop_looked_up = true;
      if (orgs != nullptr) {
        pop =
            orgs->PopulationOf(village, static_cast<int>(period.first.year()));
      }
    }
    if (!pop.has_value()) continue;
    int64_t denominator = 0;
    switch (d.population) {
      case PopulationField::kResidents:
        denominator = pop->residents;
        break;
      case PopulationField::kChildren06:
        denominator = pop->children_0_6;
        break;
      case PopulationField::kElderly65:
        denominator = pop->elderly_65plus;
        break;
      case PopulationField::kRecordsOnFile:
        denominator = pop->health_records_on_file;
        break;
      case PopulationField::kNone:
        continue;
    }
    t->value[i] = d.code == kHealthRecordRate
                      ? pop->health_records_on_file + t->records_ytd
                      : (num >= 0 ? t->value[num] : 0);
    t->den[i] = denominator;
    t->defined[i] = 1;
  }
}

// The organisation a report covers and the level of its rows.
struct Scope {
  OrgLevel level = OrgLevel::kCounty;      // of the rows
  OrgLevel org_level = OrgLevel::kCounty;  // of the organisation covered
  std::string org;                         // its code; empty: the county
  std::string prefix;  // of the cell keys of the organisation covered
};

absl::StatusOr<Scope> ParseScope(const ReportQuery& query,
                                 const std::string& county_id) {
  Scope scope;
  std::optional<OrgLevel> level =
      ParseLevelName(query.level.empty() ? "county" : query.level);
  if (!level.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "level '", query.level, "' is not one of county, township, village"));
  }
  scope.level = *level;
  scope.prefix = county_id;
  const std::string& org = query.org;
  ASSIGN_OR_RETURN(OrgLevel org_level, ScopeLevel(org, county_id));
  if (org_level != OrgLevel::kCounty) {
    scope.org_level = org_level;
    scope.org = org;
    scope.prefix = org;
  }
  if (scope.org_level > scope.level) {
    return absl::InvalidArgumentError(absl::StrCat(
        "org ", org, " is a ", LevelName(scope.org_level), ", below the ",
        LevelName(scope.level), " level asked for: use --level=",
        LevelName(scope.org_level), " (or lower) for it, or an org at the ",
        LevelName(scope.level), " level or above"));
  }
  return scope;
}

// One pass over the cells under a prefix: for each (village, indicator)
// group, seeks straight to the days (or the calendar cell) of the period and
// skips the rest of the group.
class CellScan {
 public:
  CellScan(const Selection& sel, const Period& period, rocksdb::Iterator* it)
      : sel_(sel),
        period_(period),
        it_(it),
        first_(FormatDay(period.first)),
        last_(FormatDay(period.last)),
        year_first_(FormatDay(absl::CivilDay(period.first.year(), 1, 1))),
        calendar_key_(period.Key()),
        created_(IndexOf(kHealthRecordsCreated)) {}

  absl::Status Run(absl::string_view prefix, VillageMap* villages) {
    const size_t n = Indicators().size();
    std::string current_village;
    Totals* current = nullptr;
    it_->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
    while (it_->Valid()) {
      absl::string_view key = View(it_->key());
      if (!absl::StartsWith(key, prefix)) break;
      CellKeyParts parts;
      if (!DecodeCellKey(key, &parts) ||
          !IsCodeAt(parts.village_id, OrgLevel::kVillage)) {
        it_->Next();  // not a cell key of ours
        continue;
      }
      if (current == nullptr || parts.village_id != current_village) {
        current_village.assign(parts.village_id.data(),
                               parts.village_id.size());
        current = &villages->try_emplace(current_village, n).first->second;
      }
      RETURN_IF_ERROR(ReadGroup(parts, current));
    }
    return FromRocks(it_->status(), "reading the cells");
  }

 private:
  // Reads what the report needs of the group of `parts` (views into the
  // iterator's key, so used before the first seek) and leaves the iterator
  // past the group.
  absl::Status ReadGroup(const CellKeyParts& parts, Totals* totals) {
    const std::vector<IndicatorDef>& defs = Indicators();
    int slot = -1;               // catalogue index read into
    bool breakdown = false;      // a breakdown code to read
    bool calendar_cell = false;  // one cell of period.Key()
    int index = IndexOf(parts.indicator);
    if (index >= 0) {
      if (sel_.read[index]) {
        slot = index;
        calendar_cell = defs[index].type == IndicatorType::kDistinct;
      }
    } else {
      size_t dot = parts.indicator.find('.');
      int parent = dot == absl::string_view::npos
                       ? -1
                       : IndexOf(parts.indicator.substr(0, dot));
      breakdown = parent >= 0 && defs[parent].has_breakdown &&
                  (sel_.all_breakdowns[parent] ||
                   sel_.breakdowns.count(parts.indicator) > 0);
    }
    const std::string code = breakdown ? std::string(parts.indicator) : "";
    AssignCellGroupPrefix(parts.village_id, parts.indicator, &group_);
    bool in_group = true;  // iterator still inside the group afterwards
    // A calendar cell over a range of days is unreachable: Select refuses
    // distinct indicators over a range.
    if (calendar_cell && period_.IsCalendar()) {
      RETURN_IF_ERROR(ReadCalendarCell(&totals->value[slot]));
    } else if (!calendar_cell && (slot >= 0 || breakdown)) {
      const bool ytd = sel_.ytd_records && slot == created_;
      __int128 sum = 0, sum_ytd = 0;
      RETURN_IF_ERROR(
          SumDays(ytd ? year_first_ : first_, &sum, &sum_ytd, &in_group));
      if (breakdown) {
        if (sum != 0) totals->breakdown[code] += sum;
      } else {
        totals->value[slot] += sum;
        if (ytd) totals->records_ytd += sum_ytd;
      }
    }
    if (in_group) {
      SkipPastGroup(&group_);
      it_->Seek(group_);
    }
    return absl::OkStatus();
  }

  absl::Status ReadCalendarCell(__int128* value) {
    target_.assign(group_).append(calendar_key_);
    it_->Seek(target_);
    if (!it_->Valid() || View(it_->key()) != target_) return absl::OkStatus();
    CellValue cv;
    if (!DecodeCellValue(View(it_->value()), &cv)) {
      return absl::DataLossError(
          absl::StrCat("cell ", target_, " has a corrupt value"));
    }
    *value = cv.value;
    return absl::OkStatus();
  }

  // Sums the group's day cells from `from` to the period's last day into
  // *sum_ytd, and those from its first day into *sum. *in_group: the
  // iterator stopped inside the group.
  absl::Status SumDays(absl::string_view from, __int128* sum, __int128* sum_ytd,
                       bool* in_group) {
    target_.assign(group_).append(from.data(), from.size());
    it_->Seek(target_);
    *in_group = false;
    for (; it_->Valid(); it_->Next()) {
      absl::string_view k = View(it_->key());
      if (!absl::StartsWith(k, group_)) break;
      absl::string_view day = k.substr(group_.size());
      // Only day cells ("YYYY-MM-DD") hold counts and sums.
      if (day.size() != 10) continue;
      if (day > last_) {
        *in_group = true;
        break;
      }
      CellValue cv;
      if (!DecodeCellValue(View(it_->value()), &cv)) {
        return absl::DataLossError(
            absl::StrCat("cell ", k, " has a corrupt value"));
      }
      if (day >= first_) *sum += cv.value;
      *sum_ytd += cv.value;
    }
    return absl::OkStatus();
  }

  const Selection& sel_;
  const Period& period_;
  rocksdb::Iterator* it_;
  const std::string first_, last_, year_first_, calendar_key_;
  const int created_;
  // "village|indicator|" of the group being read, and a seek target; both
  // reused, so that the scan allocates nothing per cell or group.
  std::string group_;
  std::string target_;
};

// Whether a report of `period` can read the period index
// (county_hub/period_totals.h) instead of the day cells: a calendar period
// with totals of its own. Days and ranges of days are summed from the cells.
bool HasTotals(const Period& period) {
  return period.IsCalendar() && period.kind != PeriodKind::kDay;
}

// The calendar periods that together cover January 1 of `period`'s year to
// its last day, fewest first (health_record_rate's year to date): the year,
// or the first half or quarter, then a third quarter, then single months.
std::vector<std::string> YearToDatePieces(const Period& period) {
  const int64_t year = period.first.year();
  const int last = period.last.month();
  if (last == 12) return {absl::StrCat(year)};
  std::vector<std::string> pieces;
  int next = 1;  // the first month not yet covered
  if (last >= 6) {
    pieces.push_back(absl::StrCat(year, "-H1"));
    next = 7;
  } else if (last >= 3) {
    pieces.push_back(absl::StrCat(year, "-Q1"));
    next = 4;
  }
  if (next == 7 && last >= 9) {
    pieces.push_back(absl::StrCat(year, "-Q3"));
    next = 10;
  }
  for (; next <= last; ++next) {
    pieces.push_back(absl::StrFormat("%d-%02d", year, next));
  }
  return pieces;
}

// The report's numbers read from the period index: one range scan of the
// scope's entries for the period (its villages are the index's village keys),
// giving what CellScan gives from the cells for the same period.
class TotalsScan {
 public:
  TotalsScan(const Selection& sel, const Period& period, const Store* store,
             rocksdb::ColumnFamilyHandle* totals)
      : sel_(sel),
        period_key_(period.Key()),
        pieces_(YearToDatePieces(period)),
        store_(store),
        totals_(totals),
        created_(IndexOf(kHealthRecordsCreated)) {
    const std::vector<IndicatorDef>& defs = Indicators();
    for (size_t i = 0; i < defs.size(); ++i) {
      index_.emplace(defs[i].code, static_cast<int>(i));
    }
  }

  absl::Status Run(absl::string_view prefix, VillageMap* villages) {
    RETURN_IF_ERROR(ReadVillages(prefix, villages));
    const std::string start = absl::StrCat(period_key_, "|", prefix);
    const size_t skip = period_key_.size() + 1;  // "P|"
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(totals_);
    Totals* current = nullptr;
    for (it->Seek(start); it->Valid(); it->Next()) {
      absl::string_view key = View(it->key());
      if (!absl::StartsWith(key, start)) break;
      absl::string_view rest = key.substr(skip);
      const size_t bar = rest.find('|');
      if (bar == absl::string_view::npos) continue;
      absl::string_view village = rest.substr(0, bar);
      if (current == nullptr || village != current_village_) {
        auto found = villages->find(village);
        if (found == villages->end()) continue;  // not a village's entry
        current_village_.assign(village.data(), village.size());
        current = &found->second;
      }
      __int128 total = 0;
      if (!period_totals::DecodeTotal(View(it->value()), &total)) {
        return absl::DataLossError(
            absl::StrCat("period total ", key, " has a corrupt value"));
      }
      Apply(rest.substr(bar + 1), total, current);
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading the period totals"));
    return sel_.ytd_records ? ReadYearToDate(villages) : absl::OkStatus();
  }

 private:
  // The villages with cells under `prefix`, as CellScan meets them.
  absl::Status ReadVillages(absl::string_view prefix, VillageMap* villages) {
    const size_t n = Indicators().size();
    const std::string start =
        absl::StrCat(period_totals::kVillagePrefix, prefix);
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(totals_);
    for (it->Seek(start); it->Valid(); it->Next()) {
      absl::string_view key = View(it->key());
      if (!absl::StartsWith(key, start)) break;
      absl::string_view village =
          key.substr(sizeof(period_totals::kVillagePrefix) - 1);
      if (IsCodeAt(village, OrgLevel::kVillage)) {
        villages->try_emplace(std::string(village), n);
      }
    }
    return FromRocks(it->status(), "reading the villages");
  }

  // What CellScan::ReadGroup does with the group of `indicator`, for its
  // value over the period.
  void Apply(absl::string_view indicator, __int128 total, Totals* totals) {
    auto found = index_.find(indicator);
    if (found != index_.end()) {
      const int i = found->second;
      if (!sel_.read[i]) return;
      if (Indicators()[i].type == IndicatorType::kDistinct) {
        totals->value[i] = total;
      } else {
        totals->value[i] += total;
      }
      return;
    }
    const size_t dot = indicator.find('.');
    if (dot == absl::string_view::npos) return;
    auto parent = index_.find(indicator.substr(0, dot));
    if (parent == index_.end() || !Indicators()[parent->second].has_breakdown) {
      return;
    }
    if (!sel_.all_breakdowns[parent->second] &&
        sel_.breakdowns.count(indicator) == 0) {
      return;
    }
    if (total != 0) totals->breakdown[std::string(indicator)] += total;
  }

  // health_records_created from January 1 to the period's last day, per
  // village: a sum of the totals of YearToDatePieces.
  absl::Status ReadYearToDate(VillageMap* villages) {
    for (auto& [id, totals] : *villages) {
      for (const std::string& piece : pieces_) {
        if (piece == period_key_ && sel_.read[created_]) {
          totals.records_ytd += totals.value[created_];
          continue;
        }
        const std::string key =
            period_totals::Key(piece, id, kHealthRecordsCreated);
        ASSIGN_OR_RETURN(std::optional<std::string> stored,
                         store_->Get(totals_, key));
        __int128 total = 0;
        if (stored.has_value() &&
            !period_totals::DecodeTotal(*stored, &total)) {
          return absl::DataLossError(
              absl::StrCat("period total ", key, " has a corrupt value"));
        }
        totals.records_ytd += total;
      }
    }
    return absl::OkStatus();
  }

  const Selection& sel_;
  const std::string period_key_;
  const std::vector<std::string> pieces_;
  const Store* store_;
  rocksdb::ColumnFamilyHandle* totals_;
  const int created_;
  std::map<absl::string_view, int> index_;  // catalogue code -> index
  std::string current_village_;
};

struct BreakdownRow {
  std::string code;
  std::string name_zh;
  std::string value;
};

// The breakdown rows of catalogue entry `i`, right after their parent: in
// code order, non-zero only.
std::vector<BreakdownRow> BreakdownRows(const Selection& sel, size_t i,
                                        const Totals& totals) {
  const IndicatorDef& d = Indicators()[i];
  std::vector<BreakdownRow> rows;
  const std::string parent_dot = absl::StrCat(d.code, ".");
  for (auto b = totals.breakdown.lower_bound(parent_dot);
       b != totals.breakdown.end() && absl::StartsWith(b->first, parent_dot);
       ++b) {
    if (b->second == 0) continue;
    if (!sel.all_breakdowns[i] && sel.breakdowns.count(b->first) == 0) {
      continue;
    }
    IndicatorDef bdef;
    std::string name_zh;
    if (!LookupIndicator(b->first, &bdef, &name_zh)) {
      // A code newer than this build's vocabulary: still counted.
      name_zh =
          absl::StrCat(d.name_zh, "(", b->first.substr(parent_dot.size()), ")");
    }
    rows.push_back(
        BreakdownRow{b->first, std::move(name_zh), Int128ToString(b->second)});
  }
  return rows;
}

// Villages known from the files but silent in the cells report zeros.
void AddSilentVillages(const OrgDirectory* orgs, const Scope& scope,
                       VillageMap* villages) {
  const size_t n = Indicators().size();
  if (orgs != nullptr) {
    for (const auto& [id, name] : orgs->names()) {
      if (IsCodeAt(id, OrgLevel::kVillage) &&
          absl::StartsWith(id, scope.prefix)) {
        villages->try_emplace(id, n);
      }
    }
    for (const std::string& id : orgs->PopulationVillages()) {
      if (absl::StartsWith(id, scope.prefix)) villages->try_emplace(id, n);
    }
  }
  if (scope.org_level == OrgLevel::kVillage) {
    villages->try_emplace(scope.org, n);
  }
}

// The organisations of the scope at `level`, with their totals.
std::map<std::string, Totals> GroupAtLevel(const OrgDirectory* orgs,
                                           const std::string& county_id,
                                           const Scope& scope, OrgLevel level,
                                           const VillageMap& villages) {
  const size_t n = Indicators().size();
  std::map<std::string, Totals> groups;
  if (level == OrgLevel::kVillage) {
    for (const auto& [id, totals] : villages) groups.emplace(id, totals);
    return groups;
  }
  if (level == OrgLevel::kCounty) {
    groups.try_emplace(county_id, n);
  } else {
    if (scope.org_level == OrgLevel::kTownship)
      groups.try_emplace(scope.org, n);
    if (orgs != nullptr) {
      for (const auto& [id, name] : orgs->names()) {
        if (IsCodeAt(id, OrgLevel::kTownship) &&
            absl::StartsWith(id, scope.prefix)) {
          groups.try_emplace(id, n);
        }
      }
    }
  }
  for (const auto& [id, totals] : villages) {
    groups.try_emplace(std::string(AncestorAt(id, level)), n)
        .first->second.Add(totals);
  }
  return groups;
}

std::vector<ReportRow> FormatRows(const OrgDirectory* orgs,
                                  const Selection& sel, const Period& period,
                                  OrgLevel level,
                                  const std::map<std::string, Totals>& groups) {
  const std::vector<IndicatorDef>& defs = Indicators();
  std::vector<ReportRow> rows;
  const std::string period_key = period.Key();
  const std::string level_name(LevelName(level));
  for (const auto& [id, totals] : groups) {
    const std::string org_name = orgs != nullptr ? orgs->Name(id) : "";
    for (size_t i = 0; i < defs.size(); ++i) {
      const IndicatorDef& d = defs[i];
      if (sel.show[i]) {
        ReportRow& row = rows.emplace_back(
            ReportRow{period_key, level_name, id, org_name, std::string(d.code),
                      std::string(d.name_zh), FormatValue(d, totals, i),
                      UnitOf(d), "", ""});
        if (d.type == IndicatorType::kRate && totals.defined[i]) {
          row.numerator = Int128ToString(totals.value[i]);
          row.denominator = Int128ToString(totals.den[i]);
        }
      }
      if (!d.has_breakdown) continue;
      for (auto& [code, name_zh, value] : BreakdownRows(sel, i, totals)) {
        rows.push_back(ReportRow{period_key, level_name, id, org_name,
                                 std::move(code), std::move(name_zh),
                                 std::move(value), ValueUnit::kCount, "", ""});
      }
    }
  }
  return rows;
}

// CSV (spec/interfaces.md "Report CSV").
std::string RenderCsv(const std::vector<ReportRow>& rows) {
  std::string out = "period,level,org_id,org_name,indicator,name_zh,value\n";
  out.reserve(rows.size() * 80 + out.size());
  for (const ReportRow& r : rows) {
    bool first = true;
    for (const std::string* field : RowFields(r)) {
      if (!first) out.push_back(',');
      first = false;
      AppendCsvField(*field, &out);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace

ReportEngine::ReportEngine(std::string county_id, const Store* store,
                           rocksdb::ColumnFamilyHandle* cells,
                           const OrgDirectory* orgs)
    : county_id_(std::move(county_id)),
      store_(store),
      cells_(cells),
      totals_(store->Family(hub_layout::kTotals)),
      orgs_(orgs) {}

absl::StatusOr<bool> ReportEngine::Indexed() const {
  if (totals_ == nullptr) return false;
  ASSIGN_OR_RETURN(std::optional<std::string> built,
                   store_->Get(totals_, period_totals::kBuiltKey));
  return built.has_value();
}

absl::StatusOr<std::vector<ReportRow>> ReportEngine::Rows(
    const ReportQuery& query) const {
  ASSIGN_OR_RETURN(const Period period, ParsePeriod(query.period));
  ASSIGN_OR_RETURN(const Scope scope, ParseScope(query, county_id_));
  ASSIGN_OR_RETURN(const Selection sel, Select(query.indicators, period));
  VillageMap villages;
  ASSIGN_OR_RETURN(const bool indexed, Indexed());
  if (indexed && HasTotals(period)) {
    RETURN_IF_ERROR(
        TotalsScan(sel, period, store_, totals_).Run(scope.prefix, &villages));
  } else {
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(cells_);
    RETURN_IF_ERROR(
        CellScan(sel, period, it.get()).Run(scope.prefix, &villages));
  }
  AddSilentVillages(orgs_, scope, &villages);
  for (auto& [id, totals] : villages) {
    Derive(sel, id, period, orgs_, &totals);
  }
  // The scope's own rows, then each level below it down to the one asked for
  // (spec/interfaces.md `report --level`).
  std::vector<ReportRow> rows;
  for (int l = static_cast<int>(scope.org_level);
       l <= static_cast<int>(scope.level); ++l) {
    const OrgLevel level = static_cast<OrgLevel>(l);
    std::vector<ReportRow> level_rows =
        FormatRows(orgs_, sel, period, level,
                   GroupAtLevel(orgs_, county_id_, scope, level, villages));
    rows.insert(rows.end(), std::make_move_iterator(level_rows.begin()),
                std::make_move_iterator(level_rows.end()));
  }
  return rows;
}

absl::StatusOr<std::string> ReportEngine::Render(
    const ReportQuery& query) const {
  const std::string format = query.format.empty() ? "csv" : query.format;
  constexpr absl::string_view kFormats[] = {"csv",   "json", "md",  "xlsx",
                                            "dhis2", "adx",  "fhir"};
  if (std::find(std::begin(kFormats), std::end(kFormats), format) ==
      std::end(kFormats)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "format '", format, "' is not one of ", absl::StrJoin(kFormats, ", ")));
  }
  // The exchange formats name calendar periods only: refuse a range before
  // reading any cell.
  std::optional<ExchangePeriod> exchange;
  if (format == "dhis2" || format == "adx" || format == "fhir") {
    ASSIGN_OR_RETURN(const Period period, ParsePeriod(query.period));
    ASSIGN_OR_RETURN(exchange, ExchangePeriodOf(period));
  }
  ASSIGN_OR_RETURN(const std::vector<ReportRow> rows, Rows(query));
  if (format == "json") return RenderReportJson(rows);
  if (format == "md") return RenderMarkdown(rows);
  if (format == "xlsx") return RenderXlsx(rows, DefaultScratchDir());
  if (format == "dhis2") return RenderDhis2(*exchange, rows);
  if (format == "adx") return RenderAdx(*exchange, rows, absl::Now());
  if (format == "fhir") return RenderFhir(*exchange, rows);
  return RenderCsv(rows);
}

}  // namespace sanji
