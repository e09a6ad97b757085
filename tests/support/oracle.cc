#include "tests/support/oracle.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace sanji::test_support {
namespace {

// Count indicators: kind -> code (spec/indicators.md "Counts and sums").
const std::map<std::string, std::string>& CountCodeOfKind() {
  static const auto* m = new std::map<std::string, std::string>{
      {"outpatient_visit", "outpatient_visits"},
      {"inpatient_admission", "inpatient_admissions"},
      {"health_record_created", "health_records_created"},
      {"vaccination", "vaccination_doses"},
      {"child_health_check", "child_health_checks"},
      {"prenatal_visit", "prenatal_visits"},
      {"postpartum_visit", "postpartum_visits"},
      {"elderly_health_check", "elderly_health_checks"},
      {"hypertension_followup", "hypertension_followups"},
      {"diabetes_followup", "diabetes_followups"},
      {"smi_followup", "smi_followups"},
      {"tb_followup", "tb_followups"},
      {"family_doctor_signing", "family_doctor_signings"},
      {"infectious_disease_report", "infectious_disease_reports"},
      {"death_report", "death_reports"},
      {"referral", "referrals"},
      {"health_education", "health_education_sessions"},
      {"supervision_patrol", "supervision_patrols"},
  };
  return *m;
}

// Distinct indicators with a plain "at least one record of kind" rule.
const std::map<std::string, std::string>& ManagedCodeOfKind() {
  static const auto* m = new std::map<std::string, std::string>{
      {"child_health_check", "children_managed"},
      {"prenatal_visit", "pregnant_women_managed"},
      {"elderly_health_check", "elderly_managed"},
      {"family_doctor_signing", "family_doctor_signed"},
      {"hypertension_followup", "hypertension_managed"},
      {"diabetes_followup", "diabetes_managed"},
      {"smi_followup", "smi_managed"},
      {"tb_followup", "tb_managed"},
  };
  return *m;
}

constexpr int64_t kSecondsPerDay = 86400;

// Local civil day of local seconds since 1970-01-01T00:00 (floor division).
absl::CivilDay DayOf(int64_t local_seconds) {
  int64_t days = local_seconds / kSecondsPerDay;
  if (local_seconds % kSecondsPerDay < 0) --days;
  return absl::CivilDay(1970, 1, 1) + days;
}

// Full years from `birth` to `on`: one less than the year difference until the
// anniversary (month, day) has been reached.
int FullYears(absl::CivilDay birth, absl::CivilDay on) {
  int years = static_cast<int>(on.year() - birth.year());
  bool reached = on.month() > birth.month() ||
                 (on.month() == birth.month() && on.day() >= birth.day());
  return reached ? years : years - 1;
}

// R = ceil(4 * months / 12), written out per period kind.
int RequiredCount(const sanji::Period& period) {
  switch (period.kind) {
    case sanji::PeriodKind::kYear:
      return 4;
    case sanji::PeriodKind::kHalf:
      return 2;
    default:
      return 1;
  }
}

bool BloodPressureOnTarget(const sanji::Record& r) {
  if (!r.has_systolic() || !r.has_diastolic()) return false;
  int age = r.has_birth_date()
                ? FullYears(absl::CivilDay(1970, 1, 1) + r.birth_date(),
                            DayOf(r.occurred_at()))
                : 0;
  int systolic_limit = age >= 65 ? 150 : 140;
  return r.systolic() < systolic_limit && r.diastolic() < 90;
}

bool GlucoseOnTarget(const sanji::Record& r) {
  return r.has_fasting_glucose_centi() && r.fasting_glucose_centi() < 700;
}

// Follow-ups of one patient within the period.
struct FollowupState {
  int count = 0;
  int64_t latest_at = 0;
  bool latest_all_on_target = true;
};

void AddFollowup(FollowupState* s, int64_t at, bool on_target) {
  if (s->count == 0 || at > s->latest_at) {
    s->latest_at = at;
    s->latest_all_on_target = on_target;
  } else if (at == s->latest_at) {
    s->latest_all_on_target = s->latest_all_on_target && on_target;
  }
  ++s->count;
}

void ComputeVillage(const std::string& village,
                    const std::vector<sanji::Record>& accepted,
                    const sanji::Period& period, OracleValues* out) {
  std::map<std::string, int64_t> v;
  for (const std::string& code : CountIndicatorCodes()) v[code] = 0;
  std::map<std::string, std::set<std::string>> managed;
  std::map<std::string, FollowupState> hypertension, diabetes;

  for (const sanji::Record& r : EffectiveRecords(accepted)) {
    if (!period.Contains(DayOf(r.occurred_at()))) continue;
    const std::string& kind = r.kind();
    auto count = CountCodeOfKind().find(kind);
    if (count != CountCodeOfKind().end()) ++v[count->second];
    if (kind == "outpatient_visit") v["outpatient_cost_yuan"] += r.cost_fen();
    if (kind == "inpatient_admission") v["inpatient_cost_yuan"] += r.cost_fen();
    if (kind == "health_education")
      v["health_education_participants"] += r.participants();
    if (kind == "infectious_disease_report" && !r.disease().empty()) {
      ++v["infectious_disease_reports." + r.disease()];
    }
    if (kind == "referral" && !r.referred_to().empty()) {
      ++v["referrals." + r.referred_to()];
    }
    auto m = ManagedCodeOfKind().find(kind);
    if (m != ManagedCodeOfKind().end())
      managed[m->second].insert(r.patient_id());
    if (kind == "hypertension_followup") {
      AddFollowup(&hypertension[r.patient_id()], r.occurred_at(),
                  BloodPressureOnTarget(r));
    }
    if (kind == "diabetes_followup") {
      AddFollowup(&diabetes[r.patient_id()], r.occurred_at(),
                  GlucoseOnTarget(r));
    }
  }

  if (period.IsCalendar()) {
    for (const std::string& code : DistinctIndicatorCodes()) v[code] = 0;
    for (const auto& [code, patients] : managed)
      v[code] = static_cast<int64_t>(patients.size());
    const int required = RequiredCount(period);
    for (const auto& [patient, s] : hypertension) {
      if (s.count >= required) ++v["hypertension_standardized"];
      if (s.latest_all_on_target) ++v["hypertension_controlled"];
    }
    for (const auto& [patient, s] : diabetes) {
      if (s.count >= required) ++v["diabetes_standardized"];
      if (s.latest_all_on_target) ++v["diabetes_controlled"];
    }
  }
  for (const auto& [code, value] : v) (*out)[{village, code}] = value;
}

}  // namespace

const char* LevelName(OrgLevel level) {
  switch (level) {
    case OrgLevel::kVillage:
      return "village";
    case OrgLevel::kTownship:
      return "township";
    case OrgLevel::kCounty:
      return "county";
  }
  return "";
}

const std::vector<std::string>& CountIndicatorCodes() {
  static const auto* codes = new std::vector<std::string>{
      "outpatient_visits",
      "outpatient_cost_yuan",
      "inpatient_admissions",
      "inpatient_cost_yuan",
      "health_records_created",
      "vaccination_doses",
      "child_health_checks",
      "prenatal_visits",
      "postpartum_visits",
      "elderly_health_checks",
      "hypertension_followups",
      "diabetes_followups",
      "smi_followups",
      "tb_followups",
      "family_doctor_signings",
      "infectious_disease_reports",
      "death_reports",
      "referrals",
      "health_education_sessions",
      "health_education_participants",
      "supervision_patrols",
  };
  return *codes;
}

const std::vector<std::string>& DistinctIndicatorCodes() {
  static const auto* codes = new std::vector<std::string>{
      "children_managed",
      "pregnant_women_managed",
      "elderly_managed",
      "family_doctor_signed",
      "hypertension_managed",
      "hypertension_standardized",
      "hypertension_controlled",
      "diabetes_managed",
      "diabetes_standardized",
      "diabetes_controlled",
      "smi_managed",
      "tb_managed",
  };
  return *codes;
}

std::vector<sanji::Record> EffectiveRecords(
    const std::vector<sanji::Record>& accepted) {
  // record_id -> position in `accepted` of the active record with that id.
  std::map<std::string, size_t> active;
  for (size_t i = 0; i < accepted.size(); ++i) {
    const sanji::Record& r = accepted[i];
    if (r.is_void()) {
      active.erase(r.record_id());
    } else {
      active.emplace(r.record_id(),
                     i);  // a duplicate of an active id is a no-op
    }
  }
  std::vector<size_t> positions;
  for (const auto& [id, pos] : active) positions.push_back(pos);
  std::sort(positions.begin(), positions.end());
  std::vector<sanji::Record> out;
  out.reserve(positions.size());
  for (size_t pos : positions) out.push_back(accepted[pos]);
  return out;
}

OracleValues ComputeVillageValues(const VillageRecords& records,
                                  const sanji::Period& period) {
  OracleValues out;
  for (const auto& [village, accepted] : records) {
    ComputeVillage(village, accepted, period, &out);
  }
  return out;
}

absl::StatusOr<OracleValues> ComputeVillageValues(const VillageRecords& records,
                                                  absl::string_view period) {
  absl::StatusOr<sanji::Period> p = sanji::ParsePeriod(period);
  if (!p.ok()) return p.status();
  return ComputeVillageValues(records, *p);
}

std::string OrgOf(absl::string_view village_id, OrgLevel level) {
  switch (level) {
    case OrgLevel::kVillage:
      return std::string(village_id);
    case OrgLevel::kTownship:
      return std::string(village_id.substr(0, 9));
    case OrgLevel::kCounty:
      return std::string(village_id.substr(0, 6));
  }
  return "";
}

OracleValues RollUp(const OracleValues& village_values, OrgLevel level) {
  OracleValues out;
  for (const auto& [key, value] : village_values) {
    out[{OrgOf(key.first, level), key.second}] += value;
  }
  return out;
}

int64_t ValueOf(const OracleValues& values, absl::string_view org_id,
                absl::string_view indicator) {
  auto it = values.find({std::string(org_id), std::string(indicator)});
  return it == values.end() ? 0 : it->second;
}

std::string FormatFen(int64_t fen) {
  uint64_t magnitude =
      fen < 0 ? 0 - static_cast<uint64_t>(fen) : static_cast<uint64_t>(fen);
  return absl::StrFormat("%s%d.%02d", fen < 0 ? "-" : "", magnitude / 100,
                         magnitude % 100);
}

std::string FormatValue(const OracleValues& values, absl::string_view org_id,
                        absl::string_view indicator) {
  if (indicator == "outpatient_cost_avg_yuan") {
    int64_t visits = ValueOf(values, org_id, "outpatient_visits");
    if (visits == 0) return "";
    int64_t cost = ValueOf(values, org_id, "outpatient_cost_yuan");
    // cost / visits fen, rounded half up: floor((2 * cost + visits) / (2 *
    // visits)).
    return FormatFen((2 * cost + visits) / (2 * visits));
  }
  int64_t value = ValueOf(values, org_id, indicator);
  if (absl::EndsWith(indicator, "_yuan")) return FormatFen(value);
  return absl::StrCat(value);
}

std::vector<std::string> IndicatorsOf(const OracleValues& values,
                                      absl::string_view org_id) {
  std::vector<std::string> out;
  bool any = false;
  for (auto it = values.lower_bound({std::string(org_id), std::string()});
       it != values.end() && it->first.first == org_id; ++it) {
    out.push_back(it->first.second);
    any = true;
  }
  if (any) {
    out.push_back("outpatient_cost_avg_yuan");
    std::sort(out.begin(), out.end());
  }
  return out;
}

}  // namespace sanji::test_support
