#include "county_hub/report_engine.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/catalogue.h"
#include "common/cell_key.h"
#include "common/period.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

// The two rates the catalogue's numerator/denominator fields cannot fully
// describe: health_record_rate adds the population file's records on file to
// its numerator, and death_rate_permille is per thousand, not per hundred.
constexpr absl::string_view kHealthRecordRate = "health_record_rate";
constexpr absl::string_view kDeathRatePermille = "death_rate_permille";
constexpr absl::string_view kHealthRecordsCreated = "health_records_created";

enum class Level { kCounty = 0, kTownship = 1, kVillage = 2 };

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kCounty:
      return "county";
    case Level::kTownship:
      return "township";
    case Level::kVillage:
      return "village";
  }
  return "";
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

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
      __int128 scale = def.code == kDeathRatePermille ? 100000 : 10000;
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

}  // namespace

ReportEngine::ReportEngine(std::string county_id, const Store* store,
                           rocksdb::ColumnFamilyHandle* cells,
                           const OrgDirectory* orgs)
    : county_id_(std::move(county_id)),
      store_(store),
      cells_(cells),
      orgs_(orgs) {}

absl::StatusOr<std::vector<ReportRow>> ReportEngine::Rows(
    const ReportQuery& query) const {
  const std::vector<IndicatorDef>& defs = Indicators();
  const size_t n = defs.size();

  absl::StatusOr<Period> parsed = ParsePeriod(query.period);
  if (!parsed.ok()) return parsed.status();
  const Period period = *parsed;

  Level level;
  if (query.level.empty() || query.level == "county") {
    level = Level::kCounty;
  } else if (query.level == "township") {
    level = Level::kTownship;
  } else if (query.level == "village") {
    level = Level::kVillage;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "level '", query.level, "' is not one of county, township, village"));
  }

  // The organisation the report is limited to, as a key prefix.
  std::string prefix = county_id_;
  Level org_level = Level::kCounty;
  const std::string& org = query.org;
  if (!org.empty() && org != county_id_) {
    if (!AllDigits(org) ||
        (org.size() != 6 && org.size() != 9 && org.size() != 12) ||
        !absl::StartsWith(org, county_id_)) {
      return absl::InvalidArgumentError(
          absl::StrCat("org '", org, "' is not an organisation of county ",
                       county_id_, ": use the county (", county_id_,
                       "), one of its townships (9 digits starting with ",
                       county_id_, ") or villages (12 digits)"));
    }
    org_level = org.size() == 9 ? Level::kTownship : Level::kVillage;
    prefix = org;
  }
  if (org_level > level) {
    return absl::InvalidArgumentError(absl::StrCat(
        "org ", org, " is a ", LevelName(org_level), ", below the ",
        LevelName(level), " level asked for: use --level=",
        LevelName(org_level), " (or lower) for it, or an org at the ",
        LevelName(level), " level or above"));
  }

  absl::StatusOr<Selection> selected = Select(query.indicators, period);
  if (!selected.ok()) return selected.status();
  const Selection& sel = *selected;

  // One pass over the cells under `prefix`: for each (village, indicator)
  // group, seek straight to the days (or the calendar cell) of the period and
  // skip the rest of the group.
  VillageMap villages;
  {
    const std::string first = FormatDay(period.first);
    const std::string last = FormatDay(period.last);
    const std::string year_first =
        FormatDay(absl::CivilDay(period.first.year(), 1, 1));
    const std::string calendar_key = period.Key();
    const int created = IndexOf(kHealthRecordsCreated);

    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(cells_);
    std::string target;  // reused seek target: no allocation per cell
    std::string current_village;
    Totals* current = nullptr;
    it->Seek(prefix);
    while (it->Valid()) {
      absl::string_view key = View(it->key());
      if (!absl::StartsWith(key, prefix)) break;
      size_t bar = key.find('|');
      size_t bar2 = bar == 12 ? key.find('|', bar + 1) : key.npos;
      if (bar2 == key.npos || !AllDigits(key.substr(0, 12))) {
        it->Next();  // not a cell key of ours
        continue;
      }
      if (current == nullptr || key.substr(0, 12) != current_village) {
        current_village.assign(key.data(), 12);
        current = &villages.try_emplace(current_village, n).first->second;
      }
      absl::string_view indicator = key.substr(13, bar2 - 13);

      // Which cells of this group to read.
      int slot = -1;               // catalogue index read into
      bool breakdown = false;      // a breakdown code to read
      bool calendar_cell = false;  // one cell of period.Key()
      int index = IndexOf(indicator);
      if (index >= 0) {
        if (sel.read[index]) {
          slot = index;
          calendar_cell = defs[index].type == IndicatorType::kDistinct;
        }
      } else {
        size_t dot = indicator.find('.');
        int parent =
            dot == indicator.npos ? -1 : IndexOf(indicator.substr(0, dot));
        breakdown =
            parent >= 0 && defs[parent].has_breakdown &&
            (sel.all_breakdowns[parent] || sel.breakdowns.count(indicator) > 0);
      }

      target.assign(key.data(), bar2 + 1);  // "village|indicator|"
      const size_t group_len = target.size();
      std::string code;
      if (breakdown) code = std::string(indicator);
      bool in_group = true;  // iterator still inside the group afterwards
      if (calendar_cell && !period.IsCalendar()) {
        // Unreachable: Select refuses distinct indicators over a range.
      } else if (calendar_cell) {
        target.append(calendar_key);
        it->Seek(target);
        if (it->Valid() && View(it->key()) == target) {
          CellValue cv;
          if (!DecodeCellValue(View(it->value()), &cv)) {
            return absl::DataLossError(
                absl::StrCat("cell ", target, " has a corrupt value"));
          }
          current->value[slot] = cv.value;
        }
        target.resize(group_len);
      } else if (slot >= 0 || breakdown) {
        const bool ytd = sel.ytd_records && slot == created;
        target.append(ytd ? year_first : first);
        it->Seek(target);
        target.resize(group_len);
        __int128 sum = 0, sum_ytd = 0;
        in_group = false;
        for (; it->Valid(); it->Next()) {
          absl::string_view k = View(it->key());
          if (!absl::StartsWith(k, target)) break;
          absl::string_view day = k.substr(group_len);
          // Only day cells ("YYYY-MM-DD") hold counts and sums.
          if (day.size() != 10) continue;
          if (day > last) {
            in_group = true;
            break;
          }
          CellValue cv;
          if (!DecodeCellValue(View(it->value()), &cv)) {
            return absl::DataLossError(
                absl::StrCat("cell ", k, " has a corrupt value"));
          }
          if (day >= first) sum += cv.value;
          sum_ytd += cv.value;
        }
        if (breakdown) {
          if (sum != 0) current->breakdown[code] += sum;
        } else {
          current->value[slot] += sum;
          if (ytd) current->records_ytd += sum_ytd;
        }
      }
      if (in_group) {
        // "village|indicator}" sorts after every "village|indicator|...".
        target.back() = '}';
        it->Seek(target);
      }
    }
    if (!it->status().ok()) {
      return FromRocks(it->status(), "reading the cells");
    }
  }

  // Villages known from the files but silent in the cells report zeros.
  if (orgs_ != nullptr) {
    for (const auto& [id, name] : orgs_->names()) {
      if (id.size() == 12 && absl::StartsWith(id, prefix)) {
        villages.try_emplace(id, n);
      }
    }
    for (const std::string& id : orgs_->PopulationVillages()) {
      if (absl::StartsWith(id, prefix)) villages.try_emplace(id, n);
    }
  }
  if (org_level == Level::kVillage) villages.try_emplace(org, n);

  for (auto& [id, totals] : villages) {
    Derive(sel, id, period, orgs_, &totals);
  }

  // The organisations at the level asked for, with their totals.
  std::map<std::string, Totals> groups;
  if (level == Level::kVillage) {
    for (auto& [id, totals] : villages) groups.emplace(id, std::move(totals));
  } else {
    const size_t id_len = level == Level::kCounty ? 6 : 9;
    if (level == Level::kCounty) {
      groups.try_emplace(county_id_, n);
    } else {
      if (org_level == Level::kTownship) groups.try_emplace(org, n);
      if (orgs_ != nullptr) {
        for (const auto& [id, name] : orgs_->names()) {
          if (id.size() == 9 && absl::StartsWith(id, prefix)) {
            groups.try_emplace(id, n);
          }
        }
      }
    }
    for (const auto& [id, totals] : villages) {
      groups.try_emplace(id.substr(0, id_len), n).first->second.Add(totals);
    }
  }

  std::vector<ReportRow> rows;
  const std::string period_key = period.Key();
  const std::string level_name(LevelName(level));
  for (const auto& [id, totals] : groups) {
    const std::string org_name = orgs_ != nullptr ? orgs_->Name(id) : "";
    for (size_t i = 0; i < n; ++i) {
      const IndicatorDef& d = defs[i];
      if (sel.show[i]) {
        rows.push_back(ReportRow{period_key, level_name, id, org_name,
                                 std::string(d.code), std::string(d.name_zh),
                                 FormatValue(d, totals, i)});
      }
      if (!d.has_breakdown) continue;
      // Breakdown codes right after their parent, in code order, non-zero
      // only.
      const std::string parent_dot = absl::StrCat(d.code, ".");
      for (auto b = totals.breakdown.lower_bound(parent_dot);
           b != totals.breakdown.end() &&
           absl::StartsWith(b->first, parent_dot);
           ++b) {
        if (b->second == 0) continue;
        if (!sel.all_breakdowns[i] && sel.breakdowns.count(b->first) == 0) {
          continue;
        }
        IndicatorDef bdef;
        std::string name_zh;
        if (!LookupIndicator(b->first, &bdef, &name_zh)) {
          // A code newer than this build's vocabulary: still counted.
          name_zh = absl::StrCat(d.name_zh, "(",
                                 b->first.substr(parent_dot.size()), ")");
        }
        rows.push_back(ReportRow{period_key, level_name, id, org_name, b->first,
                                 name_zh, Int128ToString(b->second)});
      }
    }
  }
  return rows;
}

namespace {

void AppendCsvField(absl::string_view field, std::string* out) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

absl::StatusOr<std::string> ReportEngine::Render(
    const ReportQuery& query) const {
  const std::string& format = query.format;
  if (format == "md" || format == "xlsx") {
    return absl::UnimplementedError(absl::StrCat(
        "format ", format, " is not supported yet; use csv or json"));
  }
  if (!format.empty() && format != "csv" && format != "json") {
    return absl::InvalidArgumentError(absl::StrCat(
        "format '", format, "' is not one of csv, json, md, xlsx"));
  }
  absl::StatusOr<std::vector<ReportRow>> rows = Rows(query);
  if (!rows.ok()) return rows.status();

  std::string out;
  if (format == "json") {
    if (rows->empty()) return std::string("[]\n");
    out = "[\n";
    bool first = true;
    for (const ReportRow& r : *rows) {
      nlohmann::ordered_json obj;
      obj["period"] = r.period;
      obj["level"] = r.level;
      obj["org_id"] = r.org_id;
      obj["org_name"] = r.org_name;
      obj["indicator"] = r.indicator;
      obj["name_zh"] = r.name_zh;
      if (r.value.empty()) {
        obj["value"] = nullptr;
      } else {
        obj["value"] = r.value;
      }
      if (!first) out.append(",\n");
      first = false;
      out.append("  ");
      // Replace, not throw, should a name from the orgs file be bad UTF-8.
      out.append(
          obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    out.append("\n]\n");
    return out;
  }

  out = "period,level,org_id,org_name,indicator,name_zh,value\n";
  out.reserve(rows->size() * 80 + out.size());
  for (const ReportRow& r : *rows) {
    const std::string* fields[] = {&r.period,   &r.level,     &r.org_id,
                                   &r.org_name, &r.indicator, &r.name_zh,
                                   &r.value};
    for (size_t f = 0; f < 7; ++f) {
      if (f > 0) out.push_back(',');
      AppendCsvField(*fields[f], &out);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace sanji
