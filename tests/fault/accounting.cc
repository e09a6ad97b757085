#include "tests/fault/accounting.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/fault/harness_log.h"
#include "tests/support/process.h"
#include "tests/support/report_csv.h"

namespace sanji::fault {

using test_support::LocalCounty;
using test_support::OracleValues;
using test_support::OrgLevel;
using test_support::ReportCsv;
using test_support::VillageRecords;

Truth CollectTruth(const std::vector<VillagePlan>& plans, Accounting* acc,
                   std::vector<std::string>* failures) {
  Truth truth;
  for (const VillagePlan& plan : plans) {
    std::vector<Record>& accepted = truth.records[plan.id];
    for (const Chunk& chunk : plan.chunks) {
      if (chunk.type != Chunk::kNew) continue;
      if (!chunk.done) {
        failures->push_back(absl::StrCat("village ", plan.id, " chunk ",
                                         chunk.number,
                                         " was never acknowledged"));
        continue;
      }
      for (const Record& r : plan.chunk_records.at(chunk.number)) {
        accepted.push_back(r);
        ++truth.acknowledged;
        if (r.kind() != "infectious_disease_report") continue;
        AlertTruth& alert = truth.alerts[{plan.id, r.record_id()}];
        if (r.is_void()) {
          alert.withdrawn = true;
        } else {
          alert.disease = r.disease();
        }
      }
    }
    acc->lost += static_cast<int64_t>(plan.agent_lost);
    acc->duplicated += static_cast<int64_t>(plan.agent_duplicated);
    acc->unexpected += static_cast<int64_t>(plan.poison_accepted);
    for (const std::string& p : plan.problems) failures->push_back(p);
  }
  return truth;
}

namespace {

// The 18 per-record counts: each `new` record adds 1 to exactly one of them.
// They are the oracle's count codes less the sums (money, participants).
const std::vector<std::string>& PerRecordCounts() {
  static const auto* c = [] {
    auto* codes = new std::vector<std::string>;
    for (const std::string& code : test_support::CountIndicatorCodes()) {
      if (absl::EndsWith(code, "_yuan") ||
          code == "health_education_participants") {
        continue;
      }
      codes->push_back(code);
    }
    return codes;
  }();
  return *c;
}

bool IsPerRecordCount(const std::string& code) {
  const auto& c = PerRecordCounts();
  return std::find(c.begin(), c.end(), code) != c.end();
}

// Periods compared: the year, halves, quarters, every month, the day of the
// refused rows and one range of days.
std::vector<std::string> Periods() {
  std::vector<std::string> p = {"2025",    "2025-H1", "2025-H2", "2025-Q1",
                                "2025-Q2", "2025-Q3", "2025-Q4"};
  for (int m = 1; m <= 12; ++m) p.push_back(absl::StrFormat("2025-%02d", m));
  p.push_back("2025-12-31");
  p.push_back("2025-06-03..2025-08-17");  // a range: counts and sums only
  return p;
}

// The periods of the record accounting: every month, and the refused rows'
// day. Each record falls in exactly one of them.
bool IsAccountingPeriod(const std::string& period) {
  return period == "2025-12-31" ||
         (period.size() == 7 && absl::ascii_isdigit(period[5]));
}

// Rates whose numerator and denominator both come from the records
// (spec/indicators.md "Rates"): percentages rounded half up to 2 places,
// empty when the denominator is zero. The other rates need the population
// file, which this county does not load, so they must be empty.
std::vector<std::pair<std::string, std::string>> RecordRates(
    const OracleValues& values, const std::string& org) {
  auto rate = [&](const char* num, const char* den) -> std::string {
    int64_t n = test_support::ValueOf(values, org, num);
    int64_t d = test_support::ValueOf(values, org, den);
    if (d == 0) return "";
    int64_t hundredths = (n * 10000 * 2 + d) / (2 * d);
    return absl::StrFormat("%d.%02d", hundredths / 100, hundredths % 100);
  };
  return {
      {"hypertension_standardized_rate",
       rate("hypertension_standardized", "hypertension_managed")},
      {"hypertension_control_rate",
       rate("hypertension_controlled", "hypertension_managed")},
      {"diabetes_standardized_rate",
       rate("diabetes_standardized", "diabetes_managed")},
      {"diabetes_control_rate",
       rate("diabetes_controlled", "diabetes_managed")},
  };
}

// One report (a period at a level) against the oracle's values for it.
class ReportCheck {
 public:
  ReportCheck(const std::string& period, OrgLevel level,
              const OracleValues& expected, const ReportCsv& report,
              Accounting* acc)
      : period_(period),
        level_name_(test_support::LevelName(level)),
        expected_(expected),
        report_(report),
        acc_(acc),
        accounting_(level == OrgLevel::kVillage && IsAccountingPeriod(period)) {
  }

  // Every cell the oracle lists for `org`.
  void CompareOrg(const std::string& org) {
    // The four rates that need no population file (not for a range).
    if (!absl::StrContains(period_, "..")) {
      for (const auto& [code, want] : RecordRates(expected_, org)) {
        CompareCell(org, code, want);
      }
    }
    for (const std::string& code : test_support::IndicatorsOf(expected_, org)) {
      std::optional<std::string> got = CompareCell(
          org, code, test_support::FormatValue(expected_, org, code));
      if (accounting_ && IsPerRecordCount(code)) AccountCount(org, code, got);
    }
  }

  // Rows the oracle does not list: rates (empty without a population file)
  // are fine; anything else with a value is unexpected.
  void CheckUnlisted(const std::set<std::string>& our_orgs) {
    for (const test_support::ReportCsvRow& row : report_.rows()) {
      // A report lists the levels above this one too (`--level` is the
      // deepest); each of those has a report of its own to be checked in.
      if (row.level != level_name_) continue;
      int64_t n = 0;
      const bool count = accounting_ && absl::SimpleAtoi(row.value, &n);
      if (!our_orgs.count(row.org_id)) {
        ++acc_->cells;
        acc_->diffs.push_back(absl::StrFormat(
            "%s %s %s %s: reported=%s for an organisation not in the county",
            period_, level_name_, row.org_id, row.indicator, row.value));
        if (count && IsPerRecordCount(row.indicator)) acc_->unexpected += n;
        continue;
      }
      if (compared_.count({row.org_id, row.indicator}) || row.value.empty()) {
        continue;
      }
      ++acc_->cells;
      acc_->diffs.push_back(
          absl::StrFormat("%s %s %s %s: reported=%s expected=<absent>", period_,
                          level_name_, row.org_id, row.indicator, row.value));
      if (count && absl::StrContains(row.indicator, ".")) {
        acc_->unexpected += n;
        acc_->notes.push_back(absl::StrFormat(
            "unexpected %d: %s %s %s", n, period_, row.org_id, row.indicator));
      }
    }
  }

 private:
  // Counts the cell and notes it if it differs; returns what was reported.
  std::optional<std::string> CompareCell(const std::string& org,
                                         const std::string& code,
                                         const std::string& want) {
    compared_.insert({org, code});
    std::optional<std::string> got = report_.Value(level_name_, org, code);
    ++acc_->cells;
    if (got.has_value() && *got == want) {
      ++acc_->cells_matched;
    } else {
      acc_->diffs.push_back(absl::StrFormat(
          "%s %s %s %s: reported=%s expected=%s", period_, level_name_, org,
          code, got.value_or("<missing>"), want));
    }
    return got;
  }

  // Record accounting on a per-village, per-month kind count.
  void AccountCount(const std::string& org, const std::string& code,
                    const std::optional<std::string>& got) {
    int64_t e = test_support::ValueOf(expected_, org, code);
    int64_t r = 0;
    if (!got.has_value() || !absl::SimpleAtoi(*got, &r)) r = 0;
    if (r < e) {
      acc_->lost += e - r;
      acc_->notes.push_back(
          absl::StrFormat("lost %d: %s %s %s", e - r, period_, org, code));
    } else if (r > e && e > 0) {
      acc_->duplicated += r - e;
      acc_->notes.push_back(absl::StrFormat("duplicated %d: %s %s %s", r - e,
                                            period_, org, code));
    } else if (r > e) {
      acc_->unexpected += r;
      acc_->notes.push_back(
          absl::StrFormat("unexpected %d: %s %s %s", r, period_, org, code));
    }
  }

  const std::string& period_;
  const std::string level_name_;
  const OracleValues& expected_;
  const ReportCsv& report_;
  Accounting* const acc_;
  const bool accounting_;  // a village report of an accounting period
  std::set<std::pair<std::string, std::string>> compared_;  // (org, code)
};

std::vector<std::string> OrgsAt(const LocalCounty& county, OrgLevel level) {
  switch (level) {
    case OrgLevel::kVillage:
      return county.villages();
    case OrgLevel::kTownship:
      return county.townships();
    case OrgLevel::kCounty:
      break;
  }
  return {county.county_id()};
}

}  // namespace

absl::Status CompareReports(const LocalCounty& county,
                            const VillageRecords& truth, Accounting* acc) {
  std::set<std::string> our_orgs = {county.county_id()};
  for (const std::string& t : county.townships()) our_orgs.insert(t);
  for (const std::string& v : county.villages()) our_orgs.insert(v);
  for (const std::string& period : Periods()) {
    absl::StatusOr<OracleValues> village_values =
        test_support::ComputeVillageValues(truth, period);
    if (!village_values.ok()) return village_values.status();
    for (OrgLevel level :
         {OrgLevel::kVillage, OrgLevel::kTownship, OrgLevel::kCounty}) {
      OracleValues expected = test_support::RollUp(*village_values, level);
      absl::StatusOr<ReportCsv> report =
          county.Report(period, test_support::LevelName(level));
      if (!report.ok()) return report.status();
      ReportCheck check(period, level, expected, *report, acc);
      for (const std::string& org : OrgsAt(county, level)) {
        check.CompareOrg(org);
      }
      check.CheckUnlisted(our_orgs);
    }
  }
  return absl::OkStatus();
}

namespace {

using AlertKey = std::pair<std::string, std::string>;  // village, record_id

// The county's alerts line list, by (village, record_id).
absl::StatusOr<std::map<AlertKey, std::vector<nlohmann::json>>> ReadAlerts(
    const LocalCounty& county) {
  std::vector<std::string> args = {"alerts", "--hub=" + county.hub_addr(),
                                   "--format=json"};
  for (std::string& flag : county.ClientSecurity()) args.push_back(flag);
  test_support::CommandResult r = test_support::RunCommand(
      test_support::BinaryPath("county_hub"), args, absl::Minutes(2));
  if (r.exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("county_hub alerts failed: ", r.errors));
  }
  std::map<AlertKey, std::vector<nlohmann::json>> seen;
  for (absl::string_view line :
       absl::StrSplit(r.output, '\n', absl::SkipEmpty())) {
    nlohmann::json a = nlohmann::json::parse(line, nullptr, false);
    if (a.is_discarded() || !a.is_object()) {
      return absl::DataLossError(absl::StrCat("unparsable alert line: ", line));
    }
    seen[{a.value("village_id", ""), a.value("record_id", "")}].push_back(a);
  }
  return seen;
}

std::string AlertName(const AlertKey& key) {
  return absl::StrCat("alert ", key.first, "/", key.second);
}

// One acknowledged report against the alerts listed for it.
void CheckAlert(const AlertKey& key, const AlertTruth& want,
                const std::vector<nlohmann::json>& got, Accounting* acc) {
  const std::string name = AlertName(key);
  if (got.size() > 1) {
    acc->duplicated += static_cast<int64_t>(got.size()) - 1;
    acc->diffs.push_back(absl::StrCat(name, ": listed ", got.size(), " times"));
    acc->notes.push_back(
        absl::StrCat("duplicated ", got.size() - 1, ": ", name));
  }
  const nlohmann::json& a = got[0];
  const std::string status = a.value("status", "");
  const bool withdrawn = status == "withdrawn";
  if (withdrawn != want.withdrawn) {
    if (want.withdrawn) {
      ++acc->lost;  // the void's effect is missing
      acc->notes.push_back(absl::StrCat("lost 1 (void): ", name));
    } else {
      ++acc->unexpected;  // withdrawn without an acknowledged void
      acc->notes.push_back(absl::StrCat("unexpected 1 (void): ", name));
    }
  }
  if (got.size() == 1 && a.value("disease", "") == want.disease &&
      withdrawn == want.withdrawn) {
    ++acc->alerts_matched;
  } else if (got.size() == 1) {
    acc->diffs.push_back(
        absl::StrCat(name, ": disease=", a.value("disease", ""),
                     " status=", status, "; expected disease=", want.disease,
                     " status=", want.withdrawn ? "withdrawn" : "new"));
  }
}

}  // namespace

absl::Status CompareAlerts(const LocalCounty& county, const AlertTruths& truth,
                           Accounting* acc) {
  absl::StatusOr<std::map<AlertKey, std::vector<nlohmann::json>>> seen =
      ReadAlerts(county);
  if (!seen.ok()) return seen.status();
  acc->alerts_expected = static_cast<int64_t>(truth.size());
  for (const auto& [key, want] : truth) {
    auto it = seen->find(key);
    if (it != seen->end()) {
      CheckAlert(key, want, it->second, acc);
      continue;
    }
    ++acc->lost;
    acc->diffs.push_back(
        absl::StrCat(AlertName(key), " (", want.disease, "): missing"));
    acc->notes.push_back(absl::StrCat("lost 1: ", AlertName(key)));
  }
  for (const auto& [key, got] : *seen) {
    if (truth.count(key)) continue;
    acc->unexpected += static_cast<int64_t>(got.size());
    acc->diffs.push_back(absl::StrCat(AlertName(key), ": never acknowledged"));
    acc->notes.push_back(
        absl::StrCat("unexpected ", got.size(), ": ", AlertName(key)));
  }
  return absl::OkStatus();
}

void CorruptTruth(VillageRecords* truth) {
  std::vector<Record>& first = truth->begin()->second;
  std::set<std::string> voided;
  for (const Record& r : first) {
    if (r.is_void()) voided.insert(r.record_id());
  }
  for (auto it = first.begin(); it != first.end(); ++it) {
    if (it->kind() != "outpatient_visit" || it->is_void() ||
        voided.count(it->record_id())) {
      continue;
    }
    Record copy = *it;
    copy.set_record_id("SELFTEST-1");
    first.erase(it);
    truth->rbegin()->second.push_back(copy);
    Log("selftest: moved one outpatient visit in the truth");
    return;
  }
}

}  // namespace sanji::fault
