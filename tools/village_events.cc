// The panel and the events of a village's year (see village_generator.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "absl/strings/str_format.h"
#include "common/period.h"
#include "tools/village_generator.h"

namespace sanji {

using absl::CivilDay;
using absl::CivilSecond;

namespace {

int Round(double x) { return static_cast<int>(std::lround(x)); }

CivilDay AddMonths(CivilDay d, int months) {
  absl::CivilMonth m = absl::CivilMonth(d) + months;
  int days_in_month = static_cast<int>(CivilDay(m + 1) - CivilDay(m));
  return CivilDay(m.year(), m.month(), std::min(d.day(), days_in_month));
}

CivilDay AddYears(CivilDay d, int years) { return AddMonths(d, 12 * years); }

// The same moment moved out of the evening (community work happens in the day).
CivilSecond DaytimeOf(CivilSecond t) {
  return t.hour() < 18 ? t : t - 10 * 3600;
}

// Common notifiable diseases in a rural county, with relative weights; the rest
// of the table (vocabulary.h) turns up now and then.
const std::map<absl::string_view, double>& CommonDiseases() {
  static const auto* common =
      new std::map<absl::string_view, double>{{"influenza", 6},
                                              {"hand_foot_mouth", 5},
                                              {"infectious_diarrhea", 4},
                                              {"viral_hepatitis", 3},
                                              {"brucellosis", 2},
                                              {"syphilis", 2},
                                              {"mumps", 2},
                                              {"scarlet_fever", 1},
                                              {"tuberculosis", 0}};
  return *common;
}

const KindInfo* Kind(absl::string_view code) {
  const KindInfo* kind = FindKind(code);
  // A typo here would silently drop a kind: fail loudly instead.
  if (kind == nullptr) {
    std::fprintf(stderr,
                 "gen_workload: internal error: '%.*s' is not a record kind\n",
                 static_cast<int>(code.size()), code.data());
    std::abort();
  }
  return kind;
}

}  // namespace

// The codes this file names must exist in vocabulary.h (kinds are checked as
// they are used).
bool VillageGenerator::VocabularyOk() {
  for (const auto& [code, weight] : CommonDiseases()) {
    if (FindDisease(code) == nullptr) return false;
  }
  return FindReferralTarget("township") != nullptr &&
         FindReferralTarget("county") != nullptr;
}

VillageGenerator::VillageGenerator(const Config& config, std::string village_id,
                                   int village_index)
    : config_(config),
      village_id_(std::move(village_id)),
      index_(village_index),
      rng_(config.seed, std::stoull(village_id_)),
      year_first_(config.year, 1, 1),
      year_last_(config.year, 12, 31),
      style_(StyleFor(village_index, config.encoding_mix, rng_)) {}

bool VillageGenerator::ChildAge(int person, CivilDay d) const {
  return d >= persons_[person].birth &&
         AgeInFullYears(persons_[person].birth, d) <= 6;
}

bool VillageGenerator::ElderlyAge(int person, CivilDay d) const {
  return AgeInFullYears(persons_[person].birth, d) >= 65;
}

int VillageGenerator::AgeAt(int person, CivilDay d) const {
  return AgeInFullYears(persons_[person].birth, d);
}

void VillageGenerator::GenerateEvents() {
  BuildPanel();
  Deaths();
  Maternity();
  Migrants();
  ChildChecks();
  Vaccinations();
  ElderlyChecks();
  ChronicPrograms();
  FamilyDoctorSignings();
  InfectiousReports();
  Referrals();
  Inpatient();
  Community();
  FitToBudget();
  Outpatient(config_.records - static_cast<int>(events_.size()));
  if (config_.bad_rows) BadRows();
}

int VillageGenerator::NewPerson(bool male, CivilDay birth, CivilDay first) {
  int index = static_cast<int>(persons_.size());
  persons_.push_back(
      Person{absl::StrFormat("HR%s-%05d", village_id_, index + 1), male, birth,
             first, CivilDay(9999, 12, 31)});
  hypertensive_.push_back(0);
  diabetic_.push_back(0);
  key_population_.push_back(0);
  return index;
}

CivilDay VillageGenerator::BirthForAge(int min_age, int max_age) {
  CivilDay latest = AddYears(year_first_, -min_age);
  CivilDay earliest = AddYears(year_first_, -(max_age + 1)) + 1;
  return rng_.Day(earliest, latest);
}

void VillageGenerator::BuildPanel() {
  // About one resident per three records a year: outpatient visits are then the
  // majority, and the programme rates land where a county's usually do.
  residents_ =
      std::max(20, Round(config_.records / 3.0 * rng_.Uniform(0.85, 1.15)));
  on_file_ = Round(residents_ * rng_.Uniform(0.84, 0.93));
  int children = Round(residents_ * rng_.Uniform(0.05, 0.065));
  int elderly = Round(residents_ * rng_.Uniform(0.13, 0.18));
  int minors = Round(residents_ * 0.11);
  int adults = std::max(1, residents_ - children - elderly - minors);
  AddChildren(children);
  for (int i = 0; i < minors; ++i) {
    CivilDay birth = BirthForAge(7, 17);
    minors_.push_back(NewPerson(rng_.Chance(0.52), birth, birth));
  }
  for (int i = 0; i < adults; ++i) {
    // Working-age adults, weighted to middle age.
    CivilDay birth =
        rng_.Chance(0.35) ? BirthForAge(18, 34) : BirthForAge(35, 63);
    adults_.push_back(NewPerson(rng_.Chance(0.5), birth, birth));
  }
  AddElderly(elderly);
  for (int p : children_) key_population_[p] = 1;
  for (int p : elderly_) key_population_[p] = 1;
}

void VillageGenerator::AddChildren(int n) {
  for (int i = 0; i < n; ++i) {
    // Up to 7 years old during the year: the oldest turn 7 and leave the
    // programme.
    CivilDay birth = rng_.Day(CivilDay(config_.year - 7, 7, 1),
                              CivilDay(config_.year - 1, 12, 31));
    children_.push_back(NewPerson(rng_.Chance(0.52), birth, birth));
  }
}

void VillageGenerator::AddElderly(int n) {
  for (int i = 0; i < n; ++i) {
    // Born up to the end of year-65 (some turn 65 during the year), fewer at
    // great ages.
    CivilDay youngest(config_.year - 65, 12, 31);
    int span = static_cast<int>(youngest - CivilDay(config_.year - 95, 1, 1));
    CivilDay birth =
        youngest -
        static_cast<int>(span * std::min(rng_.Uniform(), rng_.Uniform()));
    elderly_.push_back(NewPerson(rng_.Chance(0.46), birth, birth));
  }
}

bool VillageGenerator::Window(int person, CivilDay lo, CivilDay hi, CivilDay* a,
                              CivilDay* b) const {
  *a = std::max({lo, year_first_});
  *b = std::min({hi, year_last_});
  if (person >= 0) {
    *a = std::max(*a, persons_[person].first);
    *b = std::min(*b, persons_[person].last);
  }
  return *a <= *b;
}

CivilSecond VillageGenerator::ClinicTime(CivilDay d) {
  int hour;
  double x = rng_.Uniform();
  if (x < 0.6) {
    hour = static_cast<int>(rng_.Int(8, 11));
  } else if (x < 0.95) {
    hour = static_cast<int>(rng_.Int(14, 17));
  } else {
    hour = static_cast<int>(rng_.Int(18, 22));
  }
  return CivilSecond(d.year(), d.month(), d.day(), hour, rng_.Int(0, 59),
                     rng_.Int(0, 59));
}

VillageGenerator::Event& VillageGenerator::Add(absl::string_view kind,
                                               int person, CivilDay day) {
  Event e;
  e.kind = Kind(kind);
  e.person = person;
  e.at = ClinicTime(day);
  e.time_style =
      rng_.Chance(style_.date_only_share) ? 0 : (rng_.Chance(0.15) ? 2 : 1);
  events_.push_back(std::move(e));
  return events_.back();
}

void VillageGenerator::Deaths() {
  int deaths = std::max(1, Round(residents_ * rng_.Uniform(0.006, 0.008)));
  static const std::vector<std::string> kCauses = {
      "I63.9", "I21.9", "I61.9", "C34.9", "C16.9", "C22.0",
      "J44.9", "J18.9", "I50.9", "E11.9", "V89.2", "K74.6"};
  for (int i = 0; i < deaths; ++i) {
    int person = rng_.Chance(0.8) ? rng_.Pick(elderly_) : rng_.Pick(adults_);
    if (persons_[person].last < year_last_) continue;  // already dead
    CivilDay day = rng_.Day(year_first_, year_last_);
    persons_[person].last = day;
    Event& e = Add("death_report", person, day);
    if (rng_.Chance(0.85)) e.icd10 = rng_.Pick(kCauses);
  }
}

void VillageGenerator::Maternity() {
  std::vector<int> women;
  for (int p : adults_) {
    int age = AgeAt(p, year_first_);
    if (!persons_[p].male && age >= 20 && age <= 40) women.push_back(p);
  }
  rng_.Shuffle(women);
  int births_per_year =
      std::max(1, Round(residents_ * rng_.Uniform(0.008, 0.012)));
  // Deliveries from early in the year (postpartum visits in January) to mid
  // next year (antenatal visits this year).
  CivilDay from = year_first_ - 42, to = year_last_ + 200;
  int mothers =
      std::min<int>(women.size(), Round(births_per_year * (to - from) / 365.0));
  for (int i = 0; i < mothers; ++i) {
    // The first delivery falls well inside the year so that every village has
    // both kinds.
    CivilDay delivery = i == 0 ? rng_.Day(CivilDay(config_.year, 5, 1),
                                          CivilDay(config_.year, 11, 15))
                               : rng_.Day(from, to);
    if (persons_[women[i]].last < delivery) continue;
    Pregnancy(women[i], delivery, /*first=*/i == 0);
  }
}

// The visits of one pregnancy, and the baby if born this year.
void VillageGenerator::Pregnancy(int mother, CivilDay delivery, bool first) {
  static constexpr int kAntenatalWeeks[] = {12, 16, 24, 30, 36};
  key_population_[mother] = 1;
  CivilDay a, b;
  for (int week : kAntenatalWeeks) {
    CivilDay day = delivery - (40 - week) * 7 + rng_.Int(-6, 6);
    if (Window(mother, day, std::min(day, delivery - 1), &a, &b) &&
        (first || rng_.Chance(0.92))) {
      Add("prenatal_visit", mother, a);
    }
  }
  for (CivilDay day :
       {delivery + rng_.Int(3, 7), delivery + rng_.Int(40, 45)}) {
    if (Window(mother, day, day, &a, &b)) Add("postpartum_visit", mother, a);
  }
  if (delivery >= year_first_ && delivery <= year_last_) {
    int baby = NewPerson(rng_.Chance(0.52), delivery, delivery);
    children_.push_back(baby);
    key_population_[baby] = 1;
    CivilDay created = delivery + rng_.Int(3, 28);
    if (created <= year_last_) Add("health_record_created", baby, created);
  }
}

void VillageGenerator::Migrants() {
  int migrants = std::max(1, Round(residents_ * rng_.Uniform(0.005, 0.012)));
  for (int i = 0; i < migrants; ++i) {
    CivilDay arrival = rng_.Day(year_first_, year_last_);
    int person = NewPerson(rng_.Chance(0.5), BirthForAge(18, 50), arrival);
    adults_.push_back(person);
    Add("health_record_created", person, arrival);
  }
}

void VillageGenerator::ChildChecks() {
  // The national schedule: 1, 3, 6, 8, 12, 18, 24, 30, 36 months, then yearly
  // to 6.
  static constexpr int kMonths[] = {1, 3, 6, 8, 12, 18, 24, 30, 36, 48, 60, 72};
  for (int child : children_) {
    if (!rng_.Chance(0.92)) continue;
    for (int months : kMonths) {
      CivilDay day = AddMonths(persons_[child].birth, months) + rng_.Int(0, 14);
      CivilDay a, b;
      if (Window(child, day, day, &a, &b) && ChildAge(child, a) &&
          rng_.Chance(0.95)) {
        Event& e = Add("child_health_check", child, a);
        if (rng_.Chance(0.1)) e.icd10 = "Z00.1";
      }
    }
  }
}

void VillageGenerator::Vaccinations() {
  struct Dose {
    const char* vaccine;
    int dose;
    int months;
  };
  // China's national immunisation programme schedule.
  static constexpr Dose kSchedule[] = {
      {"HepB", 1, 0},     {"BCG", 1, 0},    {"HepB", 2, 1},     {"IPV", 1, 2},
      {"IPV", 2, 3},      {"DTaP", 1, 3},   {"bOPV", 1, 4},     {"DTaP", 2, 4},
      {"DTaP", 3, 5},     {"HepB", 3, 6},   {"MPSV-A", 1, 6},   {"MMR", 1, 8},
      {"JE-L", 1, 8},     {"MPSV-A", 2, 9}, {"DTaP", 4, 18},    {"MMR", 2, 18},
      {"HepA-L", 1, 18},  {"JE-L", 2, 24},  {"MPSV-AC", 1, 36}, {"bOPV", 2, 48},
      {"MPSV-AC", 2, 72}, {"DT", 1, 72},
  };
  for (int child : children_) {
    for (const Dose& d : kSchedule) {
      CivilDay day = AddMonths(persons_[child].birth, d.months) +
                     (d.months == 0 ? rng_.Int(0, 1) : rng_.Int(0, 20));
      CivilDay a, b;
      if (Window(child, day, day, &a, &b) && rng_.Chance(0.96)) {
        Event& e = Add("vaccination", child, a);
        e.vaccine = d.vaccine;
        e.dose = d.dose;
      }
    }
  }
  ElderlyVaccinations();
}

// Seasonal flu and pneumococcal vaccine for the elderly.
void VillageGenerator::ElderlyVaccinations() {
  for (int person : elderly_) {
    CivilDay a, b;
    bool flu = rng_.Chance(0.12);
    if ((flu || rng_.Chance(0.03)) &&
        Window(person, CivilDay(config_.year, 9, 15), year_last_, &a, &b)) {
      Event& e = Add("vaccination", person, rng_.Day(a, b));
      e.vaccine = flu ? "Flu" : "PPV23";
      e.dose = 1;
    }
  }
}

void VillageGenerator::ElderlyChecks() {
  for (int person : elderly_) {
    if (!rng_.Chance(0.7)) continue;
    CivilDay a, b;
    if (!Window(person, AddYears(persons_[person].birth, 65), year_last_, &a,
                &b))
      continue;
    int checks = rng_.Chance(0.05) ? 2 : 1;
    for (int i = 0; i < checks; ++i) {
      CivilDay day = rng_.Day(a, b);
      // 29 February birthdays.
      while (!ElderlyAge(person, day) && day < b) ++day;
      if (!ElderlyAge(person, day)) continue;
      Event& e = Add("elderly_health_check", person, day);
      if (rng_.Chance(0.1)) e.icd10 = "Z00.0";
    }
  }
}

void VillageGenerator::SetBloodPressure(Event& e, bool on_target) {
  bool elderly = ElderlyAge(e.person, CivilDay(e.at));
  if (on_target) {
    // For patients of 65 or more, 140-149 is still on target.
    e.systolic =
        static_cast<int>(elderly ? rng_.Int(122, 149) : rng_.Int(110, 139));
    e.diastolic = static_cast<int>(rng_.Int(62, 89));
  } else if (rng_.Chance(0.15)) {  // diastolic alone too high
    e.systolic = static_cast<int>(rng_.Int(120, 139));
    e.diastolic = static_cast<int>(rng_.Int(90, 99));
  } else {
    e.systolic =
        static_cast<int>(elderly ? rng_.Int(150, 185) : rng_.Int(140, 178));
    e.diastolic = static_cast<int>(rng_.Int(78, 106));
  }
}

void VillageGenerator::SetGlucose(Event& e, bool on_target) {
  e.glucose_tenths =
      static_cast<int>(on_target ? rng_.Int(44, 69) : rng_.Int(70, 138));
}

void VillageGenerator::Followups(
    absl::string_view kind, int patients, int min_age,
    const std::vector<std::pair<int, double>>& visits_per_year) {
  std::vector<double> weights;
  for (const auto& v : visits_per_year) weights.push_back(v.second);
  bool tie_done = false;
  for (int person : FollowupPool(kind, patients, min_age)) {
    int visits = visits_per_year[rng_.Weighted(weights)].first;
    double on_target_chance = rng_.Uniform(0.3, 0.95);
    if (kind == "hypertension_followup") hypertensive_[person] = 1;
    if (kind == "diabetes_followup") diabetic_[person] = 1;
    key_population_[person] = 1;
    int last_event = FollowupVisits(kind, person, visits, on_target_chance);
    // Now and then a second reading at the same moment as the last one, on the
    // other side of the target: the "several share the latest occurred_at" rule
    // of indicators.md.
    if (!tie_done && last_event >= 0 && kind == "hypertension_followup" &&
        rng_.Chance(0.5)) {
      tie_done = true;
      SameMomentReading(person, last_event);
    }
  }
}

// The `patients` people of a programme: adults and elderly of `min_age` or
// more, the elderly first more often for hypertension and diabetes.
std::vector<int> VillageGenerator::FollowupPool(absl::string_view kind,
                                                int patients, int min_age) {
  std::vector<int> pool;
  for (const auto* group : {&adults_, &elderly_}) {
    for (int p : *group) {
      if (AgeAt(p, year_first_) >= min_age) pool.push_back(p);
    }
  }
  rng_.Shuffle(pool);
  if (kind == "hypertension_followup" || kind == "diabetes_followup") {
    // Chronic patients are mostly older: move the elderly forward half of the
    // time. (The draws are made in order, not by std::stable_partition, whose
    // order of calls is the library's.)
    std::vector<int> forward, rest;
    for (int p : pool) {
      (ElderlyAge(p, year_last_) && rng_.Chance(0.35) ? forward : rest)
          .push_back(p);
    }
    pool = std::move(forward);
    pool.insert(pool.end(), rest.begin(), rest.end());
  }
  pool.resize(std::min<size_t>(pool.size(), patients));
  return pool;
}

// One visit in each of `visits` equal parts of the year; returns the index of
// the last event added, or -1.
int VillageGenerator::FollowupVisits(absl::string_view kind, int person,
                                     int visits, double on_target_chance) {
  int last_event = -1;
  for (int s = 0; s < visits; ++s) {
    CivilDay lo = year_first_ + 365 * s / visits,
             hi = year_first_ + 365 * (s + 1) / visits - 1;
    CivilDay a, b;
    if (!Window(person, lo, hi, &a, &b)) continue;
    Event& e = Add(kind, person, rng_.Day(a, b));
    bool on_target = rng_.Chance(on_target_chance);
    if (kind == "hypertension_followup") {
      SetBloodPressure(e, on_target);
      if (rng_.Chance(0.5)) e.icd10 = "I10";
    } else if (kind == "diabetes_followup") {
      SetGlucose(e, on_target);
      if (rng_.Chance(0.5)) e.icd10 = "E11.9";
    } else if (kind == "smi_followup" && rng_.Chance(0.4)) {
      static const auto* kSmi =
          new std::vector<std::string>{"F20.9", "F31.9", "F25.9"};
      e.icd10 = rng_.Pick(*kSmi);
    }
    last_event = static_cast<int>(events_.size()) - 1;
  }
  return last_event;
}

// A second blood-pressure reading at the moment of `event`, on the other side
// of the target.
void VillageGenerator::SameMomentReading(int person, int event) {
  events_[event].time_style = 0;
  Event copy = events_[event];
  bool first_on_target =
      copy.systolic < (ElderlyAge(person, CivilDay(copy.at)) ? 150 : 140) &&
      copy.diastolic < 90;
  SetBloodPressure(copy, !first_on_target);
  copy.note = "同日复测";
  events_.push_back(copy);
}

void VillageGenerator::ChronicPrograms() {
  Followups(
      "hypertension_followup", Round(residents_ * rng_.Uniform(0.06, 0.08)),
      /*min_age=*/35, {{2, 0.1}, {3, 0.2}, {4, 0.45}, {5, 0.15}, {6, 0.1}});
  Followups("diabetes_followup",
            std::max(1, Round(residents_ * rng_.Uniform(0.02, 0.03))),
            /*min_age=*/35, {{2, 0.1}, {3, 0.2}, {4, 0.5}, {5, 0.1}, {6, 0.1}});
  Followups("smi_followup",
            std::max(1, Round(residents_ * rng_.Uniform(0.003, 0.005))),
            /*min_age=*/18, {{4, 0.5}, {6, 0.25}, {12, 0.25}});
  Tuberculosis();
}

// Tuberculosis: six months of monthly follow-ups from the start of treatment,
// which is also when the case is reported.
void VillageGenerator::Tuberculosis() {
  int tb = std::max(1, Round(residents_ * rng_.Uniform(0.0005, 0.001)));
  for (int i = 0; i < tb; ++i) {
    int person = rng_.Pick(adults_);
    // The first patient starts treatment inside the year so that every village
    // has the kind.
    CivilDay start = i == 0 ? rng_.Day(year_first_, year_last_ - 60)
                            : year_first_ + rng_.Int(-150, 330);
    CivilDay a, b;
    if (Window(person, start, start, &a, &b)) {
      Event& e = Add("infectious_disease_report", person, a);
      e.disease = "tuberculosis";
      e.icd10 = "A15.0";
    }
    for (int month = 0; month < 6; ++month) {
      CivilDay day = start + 7 + 30 * month + rng_.Int(-3, 3);
      if (Window(person, day, day, &a, &b)) Add("tb_followup", person, a);
    }
  }
}

void VillageGenerator::FamilyDoctorSignings() {
  int signings = Round(residents_ * rng_.Uniform(0.25, 0.35));
  // Weighted sampling without replacement: key populations (children, elderly,
  // chronic patients, pregnant women) sign first.
  std::vector<std::pair<double, int>> keyed;
  for (int p = 0; p < static_cast<int>(persons_.size()); ++p) {
    double weight = key_population_[p] ? 3.0 : 1.0;
    keyed.emplace_back(-std::log(1.0 - rng_.Uniform()) / weight, p);
  }
  std::sort(keyed.begin(), keyed.end());
  for (int i = 0; i < signings && i < static_cast<int>(keyed.size()); ++i) {
    int person = keyed[i].second;
    // Most signings happen in the first-quarter campaign.
    CivilDay lo = year_first_, hi = year_last_;
    if (rng_.Chance(0.6)) hi = CivilDay(config_.year, 3, 31);
    CivilDay a, b;
    if (Window(person, lo, hi, &a, &b))
      Add("family_doctor_signing", person, rng_.Day(a, b));
  }
}

void VillageGenerator::InfectiousReports() {
  std::vector<const DiseaseInfo*> ordinary, urgent;
  std::vector<double> weights;
  for (const DiseaseInfo& d : Diseases()) {
    if (d.urgent) {
      urgent.push_back(&d);
    } else {
      ordinary.push_back(&d);
      auto it = CommonDiseases().find(d.code);
      weights.push_back(it == CommonDiseases().end() ? 0.02 : it->second);
    }
  }
  int reports = std::max(1, Round(residents_ * rng_.Uniform(0.002, 0.005)));
  for (int i = 0; i < reports; ++i) {
    const DiseaseInfo* d = ordinary[rng_.Weighted(weights)];
    bool childhood = d->code == "hand_foot_mouth" || d->code == "mumps" ||
                     d->code == "scarlet_fever";
    int person = rng_.Pick(childhood ? children_ : adults_);
    CivilDay a, b;
    if (!Window(person, year_first_, year_last_, &a, &b)) continue;
    Event& e = Add("infectious_disease_report", person, rng_.Day(a, b));
    e.disease = std::string(d->code);
  }
  // An urgent case (class A or managed as A) is rare: one village in the county
  // always has one so that the urgent path is exercised, the others only
  // occasionally.
  if (!urgent.empty() && (index_ == 0 || rng_.Chance(0.15))) {
    int person = rng_.Pick(adults_);
    CivilDay a, b;
    if (Window(person, year_first_, year_last_, &a, &b)) {
      Event& e = Add("infectious_disease_report", person, rng_.Day(a, b));
      e.disease = std::string(rng_.Pick(urgent)->code);
      e.time_style = 1;
      e.note = "已电话报告乡镇卫生院";
    }
  }
}

void VillageGenerator::Referrals() {
  std::vector<double> weights;
  for (const ReferralTargetInfo& t : ReferralTargets()) {
    weights.push_back(t.code == "township" ? 65 : t.code == "county" ? 30 : 5);
  }
  static const std::vector<std::string> kReasons = {
      "I63.9", "I20.0", "K35.8", "S72.0", "J18.9", "O99.8", "N20.0", "R10.4"};
  int referrals = std::max(1, Round(residents_ * rng_.Uniform(0.03, 0.05)));
  for (int i = 0; i < referrals; ++i) {
    int person = rng_.Chance(0.5) ? rng_.Pick(elderly_) : rng_.Pick(adults_);
    CivilDay a, b;
    if (!Window(person, year_first_, year_last_, &a, &b)) continue;
    Event& e = Add("referral", person, rng_.Day(a, b));
    e.referred_to = std::string(ReferralTargets()[rng_.Weighted(weights)].code);
    if (rng_.Chance(0.6)) e.icd10 = rng_.Pick(kReasons);
  }
}

void VillageGenerator::Inpatient() {
  static const std::vector<std::string> kDiagnoses = {
      "J18.9", "I63.9", "J44.1", "K80.2", "I50.9", "N39.0", "A09.0"};
  int admissions = std::max(1, Round(residents_ * rng_.Uniform(0.01, 0.02)));
  for (int i = 0; i < admissions; ++i) {
    int person = rng_.Chance(0.55) ? rng_.Pick(elderly_) : rng_.Pick(adults_);
    CivilDay a, b;
    if (!Window(person, year_first_, year_last_, &a, &b)) continue;
    Event& e = Add("inpatient_admission", person, rng_.Day(a, b));
    double fen = std::exp(std::log(250000.0) + 0.6 * rng_.Normal());
    e.cost_fen = std::clamp<int64_t>(std::llround(fen), 50000, 3000000);
    if (rng_.Chance(0.7)) e.icd10 = rng_.Pick(kDiagnoses);
  }
}

void VillageGenerator::Community() {
  static const std::vector<std::string> kTopics = {
      "高血压防治知识讲座", "合理膳食与健康生活方式", "结核病防治宣传",
      "预防接种知识宣传",   "中医药健康知识讲座",     "糖尿病自我管理小组",
      "控烟限酒宣传"};
  static const std::vector<std::string> kPatrols = {
      "饮用水卫生巡查", "非法行医巡查", "学校卫生巡查", "食源性疾病线索巡查",
      "计划生育专项巡查"};
  // A session every month and a few more; patrols once or twice a month.
  int sessions = 12 + static_cast<int>(rng_.Int(0, 4));
  for (int i = 0; i < sessions; ++i) {
    absl::CivilMonth month(config_.year, i < 12 ? i + 1 : rng_.Int(1, 12));
    Event& e = Add("health_education", -1,
                   rng_.Day(CivilDay(month), CivilDay(month + 1) - 1));
    e.at = DaytimeOf(e.at);
    e.participants = static_cast<int>(rng_.Int(12, 80));
    if (rng_.Chance(0.9)) e.note = rng_.Pick(kTopics);
  }
  int patrols = static_cast<int>(rng_.Int(12, 24));
  for (int i = 0; i < patrols; ++i) {
    Event& e = Add("supervision_patrol", -1, rng_.Day(year_first_, year_last_));
    e.at = DaytimeOf(e.at);
    if (rng_.Chance(0.9)) e.note = rng_.Pick(kPatrols);
  }
}

std::string VillageGenerator::OutpatientIcd10(int person) {
  static const std::vector<std::string> kAdult = {
      "J06.9", "J20.9", "K29.7", "K52.9", "M54.5",
      "R51",   "L30.9", "H10.9", "N39.0", "T14.0"};
  static const std::vector<std::string> kChild = {"J06.9", "J02.9", "J20.9",
                                                  "A09.9", "L20.9", "H66.9"};
  if (hypertensive_[person] && rng_.Chance(0.4)) return "I10";
  if (diabetic_[person] && rng_.Chance(0.4)) return "E11.9";
  if (!rng_.Chance(0.4)) return "";
  return rng_.Pick(AgeAt(person, year_first_) < 14 ? kChild : kAdult);
}

void VillageGenerator::Outpatient(int count) {
  // Who comes to the clinic: children and the elderly most, chronic patients
  // more often.
  std::vector<double> weights;
  for (int p = 0; p < static_cast<int>(persons_.size()); ++p) {
    int age = AgeAt(p, year_first_);
    double w = age < 7    ? 2.0
               : age < 18 ? 0.6
               : age < 35 ? 0.7
               : age < 65 ? 1.0
                          : 2.2;
    if (hypertensive_[p] || diabetic_[p]) w += 1.0;
    weights.push_back(w);
  }
  std::vector<double> cumulative(weights.size());
  std::partial_sum(weights.begin(), weights.end(), cumulative.begin());
  for (int i = 0; i < count;) {
    double x = rng_.Uniform() * cumulative.back();
    int person = static_cast<int>(
        std::upper_bound(cumulative.begin(), cumulative.end(), x) -
        cumulative.begin());
    person = std::min<int>(person, static_cast<int>(persons_.size()) - 1);
    CivilDay a, b;
    if (!Window(person, year_first_, year_last_, &a, &b)) continue;
    CivilDay day = rng_.Day(a, b);
    Event& e = Add("outpatient_visit", person, day);
    // The year's edges: a New Year's night emergency and a New Year's Eve one.
    if (i < 2 && Window(person, i == 0 ? year_first_ : year_last_,
                        i == 0 ? year_first_ : year_last_, &a, &b)) {
      e.at = i == 0 ? CivilSecond(a) + rng_.Int(60, 1800)
                    : CivilSecond(a) + 86399 - rng_.Int(0, 1800);
      e.time_style = 2;
    }
    double fen = std::exp(std::log(3500.0) + 0.55 * rng_.Normal());
    e.cost_fen = rng_.Chance(0.01)
                     ? 0
                     : std::clamp<int64_t>(std::llround(fen), 300, 60000);
    e.icd10 = OutpatientIcd10(person);
    ++i;
  }
}

// Leaves room for outpatient visits to be at least 40% of the records when
// --records_per_village is small, keeping one event of each kind.
void VillageGenerator::FitToBudget() {
  int budget = config_.records - (config_.records * 2 + 4) / 5;
  if (static_cast<int>(events_.size()) <= budget) return;
  std::vector<int> order(events_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  rng_.Shuffle(order);
  std::map<const KindInfo*, int> kept;
  std::vector<char> keep(events_.size(), 0);
  int n = 0;
  for (int i : order) {  // one of each kind first
    if (kept[events_[i].kind]++ == 0) keep[i] = 1, ++n;
  }
  for (int i : order) {
    if (n >= budget) break;
    if (!keep[i]) keep[i] = 1, ++n;
  }
  std::vector<Event> kept_events;
  for (size_t i = 0; i < events_.size(); ++i) {
    if (keep[i]) kept_events.push_back(std::move(events_[i]));
  }
  events_ = std::move(kept_events);
}

void VillageGenerator::BadRows() {
  for (Bad bad :
       {Bad::kBadDate, Bad::kUnknownKind, Bad::kNoPatient, Bad::kResidentId,
        Bad::kChildTooOld, Bad::kSystolic, Bad::kCostPlaces}) {
    CivilDay day = rng_.Day(year_first_, year_last_);
    if (bad == Bad::kChildTooOld) {
      CivilDay birth = AddYears(day, -9) - rng_.Int(1, 300);
      int person = NewPerson(rng_.Chance(0.5), birth, birth);
      Add("child_health_check", person, day).bad = bad;
    } else if (bad == Bad::kSystolic) {
      int person = rng_.Pick(adults_);
      Event& e = Add("hypertension_followup", person, day);
      e.systolic = 400;
      e.diastolic = 95;
      e.bad = bad;
    } else {
      int person = rng_.Pick(adults_);
      Event& e = Add("outpatient_visit", person, day);
      e.cost_fen = rng_.Int(1000, 8000);
      e.bad = bad;
    }
  }
}

}  // namespace sanji
