// gen_workload: writes a demo county's year of village clinic records
// (spec/records.md), with the organisation and population files the county hub
// reads and a manifest for people.
//
// Every village gets a resident panel (children, adults, elderly; some
// hypertensive, diabetic, pregnant, ...) and a year of service events drawn
// from it: chronic-disease follow-ups spread over the year, age-scheduled child
// checks and vaccinations, antenatal and postpartum visits around each
// delivery, and outpatient visits filling the rest. Then the realistic mess:
// GB18030 and BOM files, one JSON Lines file, a free-text 备注 column, bad
// rows, exact duplicates, and a corrections file of voids and replacements.
//
// Output is a function of the flags alone: each village draws from its own
// std::mt19937_64 seeded through std::seed_seq with (--seed, village code),
// using integer arithmetic for the draws, so adding villages never changes the
// existing ones.

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "common/vocabulary.h"

ABSL_FLAG(std::string, out_dir, "",
          "Directory to write the workload into (required).");
ABSL_FLAG(std::string, county, "640522", "6-digit county code.");
ABSL_FLAG(int, townships, 3,
          "Townships in the county (1-900); codes 100, 101, ...");
ABSL_FLAG(int, villages_per_township, 3,
          "Villages per township (1-799); codes 201, 202, ...");
ABSL_FLAG(int, year, 2025, "Calendar year of the records (2000-9999).");
ABSL_FLAG(int, records_per_village, 3000,
          "Valid records in each village's main file (100-10000000), besides "
          "bad rows and "
          "duplicates.");
ABSL_FLAG(uint64_t, seed, 1,
          "Random seed; the same flags always give the same files.");
ABSL_FLAG(bool, bad_rows, true,
          "Add a handful of bad rows per file (refused at import) and bad "
          "corrections.");
ABSL_FLAG(bool, encoding_mix, true,
          "Write some villages in GB18030, one with a BOM and one as JSON "
          "Lines; otherwise "
          "every file is UTF-8 CSV.");

namespace sanji {
namespace {

using absl::CivilDay;
using absl::CivilSecond;

// -----------------------------------------------------------------------------
// Randomness: integer draws on mt19937_64 (whose output the standard fixes), so
// that the files do not depend on the standard library's distribution
// algorithms.
class Rng {
 public:
  explicit Rng(std::seed_seq& seq) : gen_(seq) {}

  int64_t Int(int64_t lo, int64_t hi) {  // inclusive
    return lo +
           static_cast<int64_t>(gen_() % static_cast<uint64_t>(hi - lo + 1));
  }
  double Uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  bool Chance(double p) { return Uniform() < p; }
  double Normal() {  // Box-Muller
    double u1 = 1.0 - Uniform();
    double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  CivilDay Day(CivilDay lo, CivilDay hi) { return lo + Int(0, hi - lo); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Int(0, static_cast<int64_t>(v.size()) - 1)];
  }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Int(0, i - 1)]);
  }
  // An index into `weights`, with probability proportional to its weight.
  size_t Weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 gen_;
};

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

std::string FormatFen(int64_t fen) {
  return absl::StrFormat("%d.%02d", fen / 100, fen % 100);
}

// A valid 18-character resident identity number (GB 11643): region, birth date,
// sequence (odd for men) and the ISO 7064 MOD 11-2 check character.
std::string ResidentIdNumber(absl::string_view region, CivilDay birth,
                             int sequence) {
  std::string id = absl::StrFormat("%s%04d%02d%02d%03d", region, birth.year(),
                                   birth.month(), birth.day(), sequence);
  static constexpr int kWeights[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                       3, 7, 9,  10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  id.push_back("10X98765432"[sum % 11]);
  return id;
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

// The codes this file names must exist in vocabulary.h (kinds are checked as
// they are used).
bool VocabularyOk() {
  for (const auto& [code, weight] : CommonDiseases()) {
    if (FindDisease(code) == nullptr) return false;
  }
  return FindReferralTarget("township") != nullptr &&
         FindReferralTarget("county") != nullptr;
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

// -----------------------------------------------------------------------------
// Rows and files.

enum Col {
  kRecordId,
  kAction,
  kKind,
  kOccurredAt,
  kPatientId,
  kSex,
  kBirthDate,
  kCost,
  kIcd10,
  kVaccine,
  kDose,
  kSystolic,
  kDiastolic,
  kGlucose,
  kDisease,
  kParticipants,
  kReferredTo,
  kNote,  // 备注: free text, not a spec column (the importer must ignore it
          // with a warning)
  kNumCols
};
constexpr std::array<const char*, kNumCols> kColumnNames = {
    "record_id",    "action",      "kind",      "occurred_at",     "patient_id",
    "sex",          "birth_date",  "cost_yuan", "icd10",           "vaccine",
    "dose",         "systolic",    "diastolic", "fasting_glucose", "disease",
    "participants", "referred_to", "备注"};
bool IsIntegerColumn(int c) {
  return c == kDose || c == kSystolic || c == kDiastolic || c == kParticipants;
}

using Row = std::array<std::string, kNumCols>;

enum class FileFormat { kUtf8, kUtf8Bom, kGb18030, kJsonl };
enum class SexStyle { kLatin, kChinese, kDigits };

const char* FormatName(FileFormat f) {
  switch (f) {
    case FileFormat::kUtf8:
      return "CSV, UTF-8";
    case FileFormat::kUtf8Bom:
      return "CSV, UTF-8 with BOM";
    case FileFormat::kGb18030:
      return "CSV, GB18030, CRLF";
    case FileFormat::kJsonl:
      return "JSON Lines, UTF-8";
  }
  return "";
}

// How one clinic's software writes its files.
struct FileStyle {
  FileFormat format = FileFormat::kUtf8;
  SexStyle sex = SexStyle::kLatin;
  bool action_column = false;  // the main file has an `action` column ("new")
  bool shuffle_columns = false;
  // A few cells with spaces around them (trimmed by the importer).
  bool pad_spaces = false;
  double date_only_share = 0.3;
  std::vector<int> columns;  // column order of the main file
};

FileStyle StyleFor(int village_index, bool encoding_mix, Rng& rng) {
  static constexpr FileFormat kPattern[] = {
      FileFormat::kUtf8,    FileFormat::kGb18030, FileFormat::kJsonl,
      FileFormat::kUtf8Bom, FileFormat::kGb18030, FileFormat::kUtf8,
      FileFormat::kUtf8Bom, FileFormat::kGb18030, FileFormat::kUtf8};
  static constexpr FileFormat kLater[] = {
      FileFormat::kUtf8, FileFormat::kGb18030, FileFormat::kUtf8Bom};
  FileStyle s;
  if (encoding_mix) {
    s.format =
        village_index < 9 ? kPattern[village_index] : kLater[village_index % 3];
  }
  s.sex = village_index % 3 == 1   ? SexStyle::kChinese
          : village_index % 6 == 5 ? SexStyle::kDigits
                                   : SexStyle::kLatin;
  s.action_column = village_index % 2 == 0;
  s.shuffle_columns = village_index % 3 == 1;
  s.pad_spaces = village_index % 4 == 3;
  s.date_only_share = rng.Uniform(0.15, 0.55);
  for (int c = 0; c < kNumCols; ++c) {
    if (c != kAction || s.action_column) s.columns.push_back(c);
  }
  if (s.shuffle_columns) rng.Shuffle(s.columns);
  return s;
}

std::string CsvField(absl::string_view v) {
  if (v.find_first_of(",\"\r\n") == absl::string_view::npos)
    return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string JsonString(absl::string_view v) {
  std::string out = "\"";
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

// Renders rows as CSV (header first) or JSON Lines; `first_line[i]` is the line
// row i starts on, counted as an editor counts them (the CSV header is line 1).
std::string Render(const std::vector<Row>& rows,
                   const std::vector<int>& columns, bool jsonl, bool crlf,
                   std::vector<int>* first_line) {
  const char* eol = crlf ? "\r\n" : "\n";
  std::string out;
  int line = 1;
  if (!jsonl) {
    std::vector<std::string> names;
    for (int c : columns) names.push_back(kColumnNames[c]);
    absl::StrAppend(&out, absl::StrJoin(names, ","), eol);
    ++line;
  }
  for (const Row& row : rows) {
    first_line->push_back(line);
    std::string text;
    if (jsonl) {
      std::vector<std::string> members;
      for (int c : columns) {
        const std::string& v = row[c];
        if (v.empty()) continue;
        bool number =
            IsIntegerColumn(c) && std::all_of(v.begin(), v.end(), [](char ch) {
              return ch >= '0' && ch <= '9';
            });
        members.push_back(absl::StrCat(JsonString(kColumnNames[c]), ":",
                                       number ? v : JsonString(v)));
      }
      text = absl::StrCat("{", absl::StrJoin(members, ","), "}");
    } else {
      std::vector<std::string> fields;
      for (int c : columns) fields.push_back(CsvField(row[c]));
      text = absl::StrJoin(fields, ",");
    }
    line += 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    absl::StrAppend(&out, text, eol);
  }
  return out;
}

bool Utf8ToGb18030(const std::string& in, std::string* out,
                   std::string* error) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    *error = absl::StrCat("iconv_open(GB18030): ", std::strerror(errno));
    return false;
  }
  // GB18030 never needs more bytes than UTF-8.
  out->assign(in.size() + 16, '\0');
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char* dst = out->data();
  size_t dst_left = out->size();
  size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
  int saved = errno;
  iconv_close(cd);
  if (r == static_cast<size_t>(-1)) {
    *error = absl::StrCat("converting to GB18030: ", std::strerror(saved));
    return false;
  }
  out->resize(out->size() - dst_left);
  return true;
}

// -----------------------------------------------------------------------------
// One village's year.

struct Person {
  std::string id;  // health-record number
  bool male;
  CivilDay birth;
  CivilDay first;  // first day they can be seen: birth or arrival
  CivilDay last;   // death, or far in the future
};

// The invalid variants a bad row takes (spec/records.md and the rules of
// indicators.md).
enum class Bad {
  kNone,
  kBadDate,
  kUnknownKind,
  kNoPatient,
  kResidentId,
  kChildTooOld,
  kSystolic,
  kCostPlaces
};

struct Event {
  CivilSecond at;
  int time_style = 1;  // 0 date only, 1 HH:MM, 2 HH:MM:SS
  const KindInfo* kind = nullptr;
  int person = -1;
  int64_t cost_fen = -1;
  std::string icd10, vaccine, disease, referred_to, note;
  int dose = 0, systolic = 0, diastolic = 0, participants = 0;
  int glucose_tenths = 0;  // fasting glucose x 10
  Bad bad = Bad::kNone;
};

struct Config {
  std::string county;
  int year;
  int records;
  uint64_t seed;
  bool bad_rows;
  bool encoding_mix;
};

struct BadRowNote {
  std::string file;
  int line;
  std::string reason;
};

// What one village wrote, for the manifest, population file and summary.
struct VillageResult {
  std::string main_file, corrections_file;
  FileFormat format;
  int main_rows = 0, records = 0, bad = 0, duplicates = 0;
  int correction_rows = 0, voids = 0, replacements = 0, correction_bad = 0;
  std::vector<BadRowNote> bad_notes;
  // kind -> records that count after the corrections
  std::map<std::string, int64_t> live_by_kind;
  int64_t outpatient_fen = 0, inpatient_fen = 0, participants = 0;
  int residents = 0, children_0_6 = 0, elderly_65plus = 0, records_on_file = 0;
};

class VillageGenerator {
 public:
  VillageGenerator(const Config& config, std::string village_id,
                   int village_index)
      : config_(config),
        village_id_(std::move(village_id)),
        index_(village_index),
        seq_(MakeSeedSeq(config.seed, village_id_)),
        rng_(seq_),
        year_first_(config.year, 1, 1),
        year_last_(config.year, 12, 31),
        style_(StyleFor(village_index, config.encoding_mix, rng_)) {}

  // Generates the year and writes the village's files into `dir`. False on an
  // I/O error.
  bool Run(const std::string& dir, VillageResult* result, std::string* error);

 private:
  static std::seed_seq MakeSeedSeq(uint64_t seed,
                                   const std::string& village_id) {
    uint64_t code = std::stoull(village_id);
    return std::seed_seq{
        static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
        static_cast<uint32_t>(code), static_cast<uint32_t>(code >> 32)};
  }

  // Panel.
  int NewPerson(bool male, CivilDay birth, CivilDay first);
  CivilDay BirthForAge(int min_age, int max_age);  // age in full years on Jan 1
  void BuildPanel();
  // Intersects [lo, hi] with the year and the person's presence; false when
  // empty.
  bool Window(int person, CivilDay lo, CivilDay hi, CivilDay* a,
              CivilDay* b) const;
  bool ChildAge(int person, CivilDay d) const {
    return d >= persons_[person].birth &&
           AgeInFullYears(persons_[person].birth, d) <= 6;
  }
  bool ElderlyAge(int person, CivilDay d) const {
    return AgeInFullYears(persons_[person].birth, d) >= 65;
  }
  int AgeAt(int person, CivilDay d) const {
    return AgeInFullYears(persons_[person].birth, d);
  }

  // Events.
  CivilSecond ClinicTime(CivilDay d);
  Event& Add(absl::string_view kind, int person, CivilDay day);
  void Deaths();
  void Maternity();
  void Migrants();
  void ChildChecks();
  void Vaccinations();
  void ElderlyChecks();
  void Followups(absl::string_view kind, int patients, int min_age,
                 const std::vector<std::pair<int, double>>& visits_per_year);
  void ChronicPrograms();
  void FamilyDoctorSignings();
  void InfectiousReports();
  void Referrals();
  void Inpatient();
  void Community();
  void Outpatient(int count);
  void FitToBudget();
  void BadRows();
  std::string OutpatientIcd10(int person);
  void SetBloodPressure(Event& e, bool on_target);
  void SetGlucose(Event& e, bool on_target);
  std::string Note(const Event& e);

  // Rows and files.
  std::string SexText(bool male) const;
  Row ToRow(const Event& e, const std::string& record_id);
  bool Correct(Event& e);
  bool WriteFile(const std::string& path, const std::string& utf8,
                 FileFormat format, std::string* error) const;

  const Config& config_;
  const std::string village_id_;
  const int index_;
  std::seed_seq seq_;
  Rng rng_;
  const CivilDay year_first_, year_last_;
  FileStyle style_;

  std::vector<Person> persons_;
  // By age group: 0-6, 7-17, 18-64, 65+.
  std::vector<int> children_, minors_, adults_, elderly_;
  std::vector<char> hypertensive_, diabetic_, key_population_;
  int residents_ = 0, on_file_ = 0;
  std::vector<Event> events_;
};

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
  for (int i = 0; i < children; ++i) {
    // Up to 7 years old during the year: the oldest turn 7 and leave the
    // programme.
    CivilDay birth = rng_.Day(CivilDay(config_.year - 7, 7, 1),
                              CivilDay(config_.year - 1, 12, 31));
    children_.push_back(NewPerson(rng_.Chance(0.52), birth, birth));
  }
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
  for (int i = 0; i < elderly; ++i) {
    // Born up to the end of year-65 (some turn 65 during the year), fewer at
    // great ages.
    CivilDay youngest(config_.year - 65, 12, 31);
    int span = static_cast<int>(youngest - CivilDay(config_.year - 95, 1, 1));
    CivilDay birth =
        youngest -
        static_cast<int>(span * std::min(rng_.Uniform(), rng_.Uniform()));
    elderly_.push_back(NewPerson(rng_.Chance(0.46), birth, birth));
  }
  for (int p : children_) key_population_[p] = 1;
  for (int p : elderly_) key_population_[p] = 1;
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

Event& VillageGenerator::Add(absl::string_view kind, int person, CivilDay day) {
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
  static constexpr int kAntenatalWeeks[] = {12, 16, 24, 30, 36};
  for (int i = 0; i < mothers; ++i) {
    int mother = women[i];
    // The first delivery falls well inside the year so that every village has
    // both kinds.
    CivilDay delivery = i == 0 ? rng_.Day(CivilDay(config_.year, 5, 1),
                                          CivilDay(config_.year, 11, 15))
                               : rng_.Day(from, to);
    if (persons_[mother].last < delivery) continue;
    key_population_[mother] = 1;
    CivilDay a, b;
    for (int week : kAntenatalWeeks) {
      CivilDay day = delivery - (40 - week) * 7 + rng_.Int(-6, 6);
      if (Window(mother, day, std::min(day, delivery - 1), &a, &b) &&
          (i == 0 || rng_.Chance(0.92))) {
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
  // Seasonal flu and pneumococcal vaccine for the elderly.
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
  std::vector<int> pool;
  for (const auto* group : {&adults_, &elderly_}) {
    for (int p : *group) {
      if (AgeAt(p, year_first_) >= min_age) pool.push_back(p);
    }
  }
  rng_.Shuffle(pool);
  if (kind == "hypertension_followup" || kind == "diabetes_followup") {
    // Chronic patients are mostly older: move the elderly forward half of the
    // time.
    std::stable_partition(pool.begin(), pool.end(), [&](int p) {
      return ElderlyAge(p, year_last_) && rng_.Chance(0.35);
    });
  }
  pool.resize(std::min<size_t>(pool.size(), patients));
  bool tie_done = false;
  for (int person : pool) {
    int visits = visits_per_year[rng_.Weighted(weights)].first;
    double on_target_chance = rng_.Uniform(0.3, 0.95);
    if (kind == "hypertension_followup") hypertensive_[person] = 1;
    if (kind == "diabetes_followup") diabetic_[person] = 1;
    key_population_[person] = 1;
    int last_event = -1;
    // One visit in each of `visits` equal parts of the year.
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
        static const std::vector<std::string> kSmi = {"F20.9", "F31.9",
                                                      "F25.9"};
        e.icd10 = rng_.Pick(kSmi);
      }
      last_event = static_cast<int>(events_.size()) - 1;
    }
    // Now and then a second reading at the same moment as the last one, on the
    // other side of the target: the "several share the latest occurred_at" rule
    // of indicators.md.
    if (!tie_done && last_event >= 0 && kind == "hypertension_followup" &&
        rng_.Chance(0.5)) {
      tie_done = true;
      events_[last_event].time_style = 0;
      Event copy = events_[last_event];
      bool first_on_target =
          copy.systolic < (ElderlyAge(person, CivilDay(copy.at)) ? 150 : 140) &&
          copy.diastolic < 90;
      SetBloodPressure(copy, !first_on_target);
      copy.note = "同日复测";
      events_.push_back(copy);
    }
  }
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
  // Tuberculosis: six months of monthly follow-ups from the start of treatment,
  // which is also when the case is reported.
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

std::string VillageGenerator::Note(const Event& e) {
  if (!e.note.empty() || e.bad != Bad::kNone || !rng_.Chance(0.04)) {
    return e.note;
  }
  static const std::vector<std::string> kGeneral = {
      "复诊", "家属代诉", "入户服务", "已告知注意事项", "电话随访"};
  static const std::vector<std::string> kChronic = {
      "按时服药", "已调整用药", "嘱控制饮食、适量运动", "血压偏高，建议复查"};
  bool chronic = e.kind->code == "hypertension_followup" ||
                 e.kind->code == "diabetes_followup";
  // The blood-pressure note only on hypertension follow-ups.
  size_t chronic_notes =
      kChronic.size() - (e.kind->code == "diabetes_followup");
  if (chronic && rng_.Chance(0.7)) {
    return kChronic[rng_.Int(0, static_cast<int64_t>(chronic_notes) - 1)];
  }
  return rng_.Pick(kGeneral);
}

std::string VillageGenerator::SexText(bool male) const {
  switch (style_.sex) {
    case SexStyle::kLatin:
      return male ? "M" : "F";
    case SexStyle::kChinese:
      return male ? "男" : "女";
    case SexStyle::kDigits:
      return male ? "1" : "2";
  }
  return "";
}

Row VillageGenerator::ToRow(const Event& e, const std::string& record_id) {
  Row r;
  r[kRecordId] = record_id;
  if (style_.action_column) r[kAction] = "new";
  r[kKind] = std::string(e.kind->code);
  CivilDay day(e.at);
  r[kOccurredAt] = FormatDay(day);
  if (e.time_style == 1)
    absl::StrAppendFormat(&r[kOccurredAt], "T%02d:%02d", e.at.hour(),
                          e.at.minute());
  if (e.time_style == 2)
    absl::StrAppendFormat(&r[kOccurredAt], "T%02d:%02d:%02d", e.at.hour(),
                          e.at.minute(), e.at.second());
  if (e.person >= 0) {
    const Person& p = persons_[e.person];
    r[kPatientId] = p.id;
    r[kSex] = SexText(p.male);
    r[kBirthDate] = FormatDay(p.birth);
  }
  if (e.cost_fen >= 0) r[kCost] = FormatFen(e.cost_fen);
  r[kIcd10] = e.icd10;
  r[kVaccine] = e.vaccine;
  if (e.dose > 0) r[kDose] = absl::StrCat(e.dose);
  if (e.systolic > 0) r[kSystolic] = absl::StrCat(e.systolic);
  if (e.diastolic > 0) r[kDiastolic] = absl::StrCat(e.diastolic);
  if (e.glucose_tenths > 0) {
    r[kGlucose] =
        absl::StrFormat("%d.%d", e.glucose_tenths / 10, e.glucose_tenths % 10);
  }
  r[kDisease] = e.disease;
  if (e.participants > 0) r[kParticipants] = absl::StrCat(e.participants);
  r[kReferredTo] = e.referred_to;
  r[kNote] = Note(e);
  switch (e.bad) {
    case Bad::kNone:
    case Bad::kChildTooOld:
    case Bad::kSystolic:
      break;
    case Bad::kBadDate:
      r[kOccurredAt] = absl::StrFormat("%04d-02-30", config_.year);
      break;
    case Bad::kUnknownKind:
      r[kKind] = "outpatient_vist";
      break;
    case Bad::kNoPatient:
      r[kPatientId].clear();
      break;
    case Bad::kResidentId: {
      const Person& p = persons_[e.person];
      int sequence = static_cast<int>(rng_.Int(0, 499)) * 2 + (p.male ? 1 : 0);
      r[kPatientId] = ResidentIdNumber(config_.county, p.birth, sequence);
      break;
    }
    case Bad::kCostPlaces:
      r[kCost] = "12.345";
      break;
  }
  if (style_.pad_spaces && style_.format != FileFormat::kJsonl &&
      rng_.Chance(0.03)) {
    for (int c : {kSex, kCost}) {
      if (!r[c].empty()) r[c] = absl::StrCat(" ", r[c], " ");
    }
  }
  return r;
}

// Turns `e` into the corrected version of itself; false when it has nothing to
// correct.
bool VillageGenerator::Correct(Event& e) {
  absl::string_view kind = e.kind->code;
  e.note = "更正";
  if (e.cost_fen >= 0) {
    e.cost_fen = std::max<int64_t>(0, e.cost_fen + rng_.Int(-1500, 1500));
    return true;
  }
  if (kind == "hypertension_followup") {
    SetBloodPressure(e, rng_.Chance(0.5));
    return true;
  }
  if (kind == "diabetes_followup") {
    SetGlucose(e, rng_.Chance(0.5));
    return true;
  }
  if (kind == "health_education") {
    e.participants =
        std::max(1, e.participants + static_cast<int>(rng_.Int(-10, 10)));
    return true;
  }
  // Otherwise the date was wrong: move it within what the record's rules allow
  // (which may move it into another month or quarter).
  for (int attempt = 0; attempt < 20; ++attempt) {
    CivilDay day = CivilDay(e.at) + rng_.Int(-20, 20);
    CivilDay a, b;
    if (!Window(e.person, day, day, &a, &b)) continue;
    if (kind == "child_health_check" && !ChildAge(e.person, day)) continue;
    if (kind == "elderly_health_check" && !ElderlyAge(e.person, day)) continue;
    if (e.person >= 0 && day < persons_[e.person].birth) continue;
    e.at = CivilSecond(day.year(), day.month(), day.day(), e.at.hour(),
                       e.at.minute(), e.at.second());
    return true;
  }
  return false;
}

bool VillageGenerator::WriteFile(const std::string& path,
                                 const std::string& utf8, FileFormat format,
                                 std::string* error) const {
  std::string bytes;
  if (format == FileFormat::kGb18030) {
    if (!Utf8ToGb18030(utf8, &bytes, error)) {
      *error = absl::StrCat(path, ": ", *error);
      return false;
    }
  } else if (format == FileFormat::kUtf8Bom) {
    bytes = absl::StrCat("\xEF\xBB\xBF", utf8);
  } else {
    bytes = utf8;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    *error = absl::StrCat("cannot write ", path, ": ", std::strerror(errno));
    return false;
  }
  return true;
}

const char* BadReason(Bad bad) {
  switch (bad) {
    case Bad::kNone:
      return "";
    case Bad::kBadDate:
      return "occurred_at: not a date (February 30)";
    case Bad::kUnknownKind:
      return "kind: unknown kind 'outpatient_vist'";
    case Bad::kNoPatient:
      return "patient_id: missing on a person kind";
    case Bad::kResidentId:
      return "patient_id: a resident identity number";
    case Bad::kChildTooOld:
      return "birth_date: child_health_check for a 9-year-old";
    case Bad::kSystolic:
      return "systolic: 400 is outside 40-300";
    case Bad::kCostPlaces:
      return "cost_yuan: 12.345 has more than 2 decimal places";
  }
  return "";
}

bool VillageGenerator::Run(const std::string& dir, VillageResult* result,
                           std::string* error) {
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

  // Time order, roughly: clinics enter some rows a little late.
  std::stable_sort(events_.begin(), events_.end(),
                   [](const Event& a, const Event& b) { return a.at < b.at; });
  for (size_t i = 0; i + 1 < events_.size(); ++i) {
    if (rng_.Chance(0.02)) std::swap(events_[i], events_[i + 1]);
  }
  // One note that needs every CSV quoting rule: a comma, a quote and a line
  // break.
  std::vector<size_t> valid, outpatient;
  for (size_t i = 0; i < events_.size(); ++i) {
    if (events_[i].bad != Bad::kNone) continue;
    valid.push_back(i);
    if (events_[i].kind->code == "outpatient_visit") outpatient.push_back(i);
  }
  if (!outpatient.empty()) {
    events_[rng_.Pick(outpatient)].note =
        "患者自述\"头晕, 乏力\"，\n已嘱三日后复查";
  }

  const int n = static_cast<int>(events_.size());
  std::vector<Row> rows;
  for (int i = 0; i < n; ++i) {
    rows.push_back(
        ToRow(events_[i], absl::StrFormat("R%04d-%06d", config_.year, i + 1)));
  }

  // Exact duplicates of earlier rows, a little after their originals (entered
  // twice).
  int duplicates = std::max(1, config_.records / 300);
  std::vector<size_t> pool = valid;
  rng_.Shuffle(pool);
  std::vector<std::vector<int>> after(n);
  for (int d = 0; d < duplicates && d < static_cast<int>(pool.size()); ++d) {
    int i = static_cast<int>(pool[d]);
    after[std::min<int>(n - 1, i + static_cast<int>(rng_.Int(1, 40)))]
        .push_back(i);
  }
  std::vector<Row> main_rows;
  std::vector<int> main_source;  // index into events_/rows of each main row
  for (int i = 0; i < n; ++i) {
    main_rows.push_back(rows[i]);
    main_source.push_back(i);
    for (int j : after[i]) {
      main_rows.push_back(rows[j]);
      main_source.push_back(j);
    }
  }

  // Corrections: voids of some earlier records, most with a corrected
  // replacement.
  std::vector<int> correction_columns = style_.columns;
  if (!style_.action_column) {
    correction_columns.insert(
        std::find(correction_columns.begin(), correction_columns.end(), kKind),
        kAction);
  }
  std::vector<Row> corrections;
  // Why a row is bad; empty for good rows.
  std::vector<std::string> correction_reason;
  std::map<std::string, int64_t> delta_by_kind;
  int64_t delta_outpatient_fen = 0, delta_inpatient_fen = 0,
          delta_participants = 0;
  auto account = [&](const Event& e, int sign) {
    delta_by_kind[std::string(e.kind->code)] += sign;
    if (e.kind->code == "outpatient_visit")
      delta_outpatient_fen += sign * e.cost_fen;
    if (e.kind->code == "inpatient_admission")
      delta_inpatient_fen += sign * e.cost_fen;
    delta_participants += sign * e.participants;
  };
  int voids = std::max(1, Round(config_.records * 0.005));
  int replacements = 0;
  size_t next = static_cast<size_t>(duplicates);  // skip the duplicated rows
  for (int v = 0; v < voids && next < pool.size(); ++v, ++next) {
    const Event& old = events_[pool[next]];
    Row void_row;
    void_row[kRecordId] = rows[pool[next]][kRecordId];
    void_row[kAction] = "void";
    void_row[kKind] = std::string(old.kind->code);
    if (rng_.Chance(0.3)) void_row[kNote] = "录入错误，作废";
    corrections.push_back(void_row);
    correction_reason.push_back("");
    account(old, -1);
    Event fixed = old;
    if (rng_.Chance(0.75) && Correct(fixed)) {
      ++replacements;
      Row row = ToRow(
          fixed, absl::StrFormat("R%04d-C%05d", config_.year, replacements));
      row[kAction] = rng_.Chance(0.5) ? "new" : "";
      corrections.push_back(row);
      correction_reason.push_back("");
      account(fixed, +1);
    }
  }
  int correction_bad_rows = 0;
  if (config_.bad_rows) {
    // A void of a row that the import refused (so its id was never accepted)
    // ...
    for (int i = 0; i < n; ++i) {
      if (events_[i].bad == Bad::kBadDate) {
        Row row;
        row[kRecordId] = rows[i][kRecordId];
        row[kAction] = "void";
        row[kKind] = "outpatient_visit";
        corrections.push_back(row);
        correction_reason.push_back(
            "record_id: void of an id that was never accepted");
        ++correction_bad_rows;
        break;
      }
    }
    // ... and a "correction" that reuses an accepted id with different content,
    // no void.
    while (next < pool.size() && events_[pool[next]].cost_fen < 0) ++next;
    if (next < pool.size()) {
      Event changed = events_[pool[next]];
      changed.cost_fen += 100;
      Row row = ToRow(changed, rows[pool[next]][kRecordId]);
      row[kNote] = "修改费用";
      corrections.push_back(row);
      correction_reason.push_back(
          "record_id: already accepted with different content");
      ++correction_bad_rows;
    }
  }

  // Files.
  bool jsonl = style_.format == FileFormat::kJsonl;
  bool crlf = style_.format == FileFormat::kGb18030;
  result->format = style_.format;
  result->main_file = absl::StrCat(village_id_, jsonl ? ".jsonl" : ".csv");
  result->corrections_file = absl::StrCat(village_id_, "-corrections.csv");
  std::vector<int> main_lines, correction_lines;
  std::string main_text =
      Render(main_rows, style_.columns, jsonl, crlf, &main_lines);
  std::string correction_text =
      Render(corrections, correction_columns, /*jsonl=*/false, crlf,
             &correction_lines);
  FileFormat correction_format = jsonl ? FileFormat::kUtf8 : style_.format;
  if (!WriteFile(absl::StrCat(dir, "/", result->main_file), main_text,
                 style_.format, error) ||
      !WriteFile(absl::StrCat(dir, "/", result->corrections_file),
                 correction_text, correction_format, error)) {
    return false;
  }

  // What it amounts to.
  result->main_rows = static_cast<int>(main_rows.size());
  result->duplicates = static_cast<int>(main_rows.size()) - n;
  for (size_t r = 0; r < main_rows.size(); ++r) {
    const Event& e = events_[main_source[r]];
    if (e.bad != Bad::kNone) {
      ++result->bad;
      result->bad_notes.push_back(
          {result->main_file, main_lines[r], BadReason(e.bad)});
    }
  }
  for (size_t r = 0; r < corrections.size(); ++r) {
    if (!correction_reason[r].empty()) {
      result->bad_notes.push_back({result->corrections_file,
                                   correction_lines[r], correction_reason[r]});
    }
  }
  result->records = n - result->bad;
  result->correction_rows = static_cast<int>(corrections.size());
  result->voids = voids;
  result->replacements = replacements;
  result->correction_bad = correction_bad_rows;
  for (const Event& e : events_) {
    if (e.bad != Bad::kNone) continue;
    result->live_by_kind[std::string(e.kind->code)] += 1;
    if (e.kind->code == "outpatient_visit")
      result->outpatient_fen += e.cost_fen;
    if (e.kind->code == "inpatient_admission")
      result->inpatient_fen += e.cost_fen;
    result->participants += e.participants;
  }
  for (const auto& [kind, delta] : delta_by_kind)
    result->live_by_kind[kind] += delta;
  result->outpatient_fen += delta_outpatient_fen;
  result->inpatient_fen += delta_inpatient_fen;
  result->participants += delta_participants;

  result->residents = residents_;
  result->records_on_file = on_file_;
  result->children_0_6 = static_cast<int>(children_.size());
  result->elderly_65plus = static_cast<int>(elderly_.size());
  return true;
}

// -----------------------------------------------------------------------------
// Organisation names (Chinese; no RNG, so a code always gets the same name).

std::string TownshipName(int t) {
  static constexpr const char* kNames[] = {
      "城关", "新集", "红星", "河东", "柳树", "王庄", "石门", "清水",
      "高崖", "杨河", "东升", "西岭", "李旺", "三河", "关桥", "九彩"};
  constexpr int kCount = sizeof(kNames) / sizeof(kNames[0]);
  std::string name = kNames[t % kCount];
  if (t >= kCount) absl::StrAppend(&name, t / kCount + 1);
  return absl::StrCat(name, t % 3 == 2 ? "乡" : "镇");
}

std::string VillageName(int k) {
  static constexpr const char* kSurnames[] = {
      "张", "王", "李", "赵", "刘", "陈", "杨", "马", "周", "吴", "何", "郭"};
  static constexpr const char* kPlaces[] = {"庄", "家湾", "家沟", "家堡",
                                            "寨", "营",   "屯",   "坪",
                                            "河", "岔",   "塬",   "台"};
  // (k % 12, (5k + k/12) % 12) runs through all 144 pairs once.
  std::string name =
      absl::StrCat(kSurnames[k % 12], kPlaces[(5 * k + k / 12) % 12]);
  if (k >= 144) absl::StrAppend(&name, k / 144 + 1);
  return absl::StrCat(name, "村");
}

// -----------------------------------------------------------------------------

int Usage(const std::string& message) {
  std::fprintf(stderr,
               "gen_workload: %s\nRun gen_workload --help for the flags.\n",
               message.c_str());
  return 2;
}

// Abseil exits 1 on an unknown flag or a bad value; bad usage is exit 2 here,
// so check every
// --flag against the registry first.
int CheckArgs(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      return Usage(absl::StrCat("unexpected argument '", argv[i],
                                "': all options are --name=value"));
    }
    size_t eq = arg.find('=');
    absl::string_view name = arg.substr(0, eq);
    if (name == "help" || name == "helpfull" || name == "helpshort" ||
        name == "version" || absl::StartsWith(name, "helpon") ||
        absl::StartsWith(name, "helpmatch") || name == "flagfile" ||
        name == "fromenv" || name == "tryfromenv" || name == "undefok") {
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    bool negated = false;
    if (flag == nullptr && absl::ConsumePrefix(&name, "no")) {
      flag = absl::FindCommandLineFlag(name);
      negated = true;
    }
    if (flag == nullptr) return Usage(absl::StrCat("unknown flag --", name));
    bool is_bool = flag->IsOfType<bool>();
    if (eq == absl::string_view::npos && !is_bool) {
      if (i + 1 >= argc)
        return Usage(absl::StrCat("--", name, " needs a value"));
      ++i;  // "--flag value"
      continue;
    }
    if (negated && eq != absl::string_view::npos) {
      return Usage(absl::StrCat("--no", name, " takes no value"));
    }
    if (eq != absl::string_view::npos) {
      std::string parse_error;
      std::string old = flag->CurrentValue();
      if (!flag->ParseFrom(arg.substr(eq + 1), &parse_error)) {
        return Usage(absl::StrCat("bad value for --", name, ": ", parse_error));
      }
      flag->ParseFrom(old, &parse_error);
    }
  }
  return 0;
}

int Main(int argc, char** argv) {
  if (!VocabularyOk()) {
    std::fprintf(
        stderr,
        "gen_workload: internal error: a disease or referral code here is "
        "missing from common/vocabulary.cc\n");
    return 1;
  }
  if (int rc = CheckArgs(argc, argv); rc != 0) return rc;
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1)
    return Usage(absl::StrCat("unexpected argument '", rest[1], "'"));

  Config config;
  std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  config.county = absl::GetFlag(FLAGS_county);
  const int townships = absl::GetFlag(FLAGS_townships);
  const int villages = absl::GetFlag(FLAGS_villages_per_township);
  config.year = absl::GetFlag(FLAGS_year);
  config.records = absl::GetFlag(FLAGS_records_per_village);
  config.seed = absl::GetFlag(FLAGS_seed);
  config.bad_rows = absl::GetFlag(FLAGS_bad_rows);
  config.encoding_mix = absl::GetFlag(FLAGS_encoding_mix);

  if (out_dir.empty())
    return Usage("--out_dir is required: the directory to write into");
  if (config.county.size() != 6 ||
      !std::all_of(config.county.begin(), config.county.end(),
                   absl::ascii_isdigit)) {
    return Usage(absl::StrCat("--county='", config.county,
                              "' must be a 6-digit county code"));
  }
  if (townships < 1 || townships > 900) {
    return Usage(absl::StrCat("--townships=", townships,
                              " must be 1-900 (township codes 100-999)"));
  }
  if (villages < 1 || villages > 799) {
    return Usage(absl::StrCat("--villages_per_township=", villages,
                              " must be 1-799 (village codes 201-999)"));
  }
  if (config.year < 2000 || config.year > 9999) {
    return Usage(
        absl::StrCat("--year=", config.year,
                     " must be 2000-9999 (records before 2000 are refused)"));
  }
  if (config.records < 100 || config.records > 10000000) {
    return Usage(absl::StrCat(
        "--records_per_village=", config.records,
        " must be 100-10000000 (100 is the least that fits every kind)"));
  }
  absl::CivilDay today =
      absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  if (absl::CivilDay(config.year, 12, 31) > today + 1) {
    std::fprintf(stderr,
                 "gen_workload: warning: --year=%d is not over yet; rows dated "
                 "after tomorrow "
                 "will be refused at import\n",
                 config.year);
  }

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "gen_workload: cannot create --out_dir=%s: %s\n",
                 out_dir.c_str(), ec.message().c_str());
    return 1;
  }

  std::string orgs = absl::StrCat("org_id,name\n", config.county, ",示范县\n");
  std::string population =
      "org_id,year,residents,children_0_6,elderly_65plus,health_records_on_"
      "file\n";
  std::string manifest = absl::StrFormat(
      "Sanji demo workload: county %s, %d township(s) x %d village(s), year "
      "%d, seed %d,\n"
      "%d valid records per village, bad rows %s, encoding mix %s.\n"
      "Import each village's main file, then its corrections file:\n"
      "  village_agent import --agent=HOST:PORT MAIN CORRECTIONS\n"
      "\"expected import\" is what village_agent import should print for each "
      "file.\n\n",
      config.county, townships, villages, config.year, config.seed,
      config.records, config.bad_rows ? "yes" : "no",
      config.encoding_mix ? "yes" : "no");

  std::vector<VillageResult> results;
  int village_index = 0;
  for (int t = 0; t < townships; ++t) {
    std::string township_id = absl::StrFormat("%s%03d", config.county, 100 + t);
    absl::StrAppend(&orgs, township_id, ",", TownshipName(t), "\n");
    for (int v = 0; v < villages; ++v, ++village_index) {
      std::string village_id = absl::StrFormat("%s%03d", township_id, 201 + v);
      VillageGenerator generator(config, village_id, village_index);
      VillageResult r;
      std::string error;
      if (!generator.Run(out_dir, &r, &error)) {
        std::fprintf(stderr, "gen_workload: %s\n", error.c_str());
        return 1;
      }
      absl::StrAppend(&orgs, village_id, ",", VillageName(village_index), "\n");
      absl::StrAppendFormat(&population, "%s,%d,%d,%d,%d,%d\n", village_id,
                            config.year, r.residents, r.children_0_6,
                            r.elderly_65plus, r.records_on_file);
      int64_t live = 0;
      for (const auto& [kind, count] : r.live_by_kind) live += count;
      absl::StrAppendFormat(
          &manifest,
          "village %s %s (township %s %s)\n"
          "  main file:        %s (%s): %d rows = %d records + %d bad + %d "
          "exact duplicates\n"
          "                    expected import: accepted=%d duplicate=%d "
          "rejected=%d\n"
          "  corrections file: %s: %d rows = %d voids + %d replacements + %d "
          "bad\n"
          "                    expected import: accepted=%d duplicate=0 "
          "rejected=%d\n"
          "  records counting after corrections: %d\n",
          village_id, VillageName(village_index), township_id, TownshipName(t),
          r.main_file, FormatName(r.format), r.main_rows, r.records, r.bad,
          r.duplicates, r.records, r.duplicates, r.bad, r.corrections_file,
          r.correction_rows, r.voids, r.replacements, r.correction_bad,
          r.voids + r.replacements, r.correction_bad, live);
      for (const BadRowNote& note : r.bad_notes) {
        absl::StrAppendFormat(&manifest, "  bad row %s:%d: %s\n", note.file,
                              note.line, note.reason);
      }
      manifest += "\n";
      results.push_back(std::move(r));
    }
  }

  // County totals of what should count after every import (the year's report
  // must show them).
  std::map<std::string, int64_t> by_kind;
  int64_t outpatient_fen = 0, inpatient_fen = 0, participants = 0;
  int records = 0, bad = 0, duplicates = 0, voids = 0, replacements = 0;
  for (const VillageResult& r : results) {
    for (const auto& [kind, count] : r.live_by_kind) by_kind[kind] += count;
    outpatient_fen += r.outpatient_fen;
    inpatient_fen += r.inpatient_fen;
    participants += r.participants;
    records += r.records;
    bad += r.bad + r.correction_bad;
    duplicates += r.duplicates;
    voids += r.voids;
    replacements += r.replacements;
  }
  absl::StrAppendFormat(
      &manifest, "County %s, %d: records counting after corrections, by kind\n",
      config.county, config.year);
  int64_t total = 0;
  for (const KindInfo& kind : Kinds()) {
    int64_t count = by_kind[std::string(kind.code)];
    total += count;
    absl::StrAppendFormat(&manifest, "  %-26s %8d  %s\n", kind.code, count,
                          kind.name_zh);
    if (count == 0) {
      std::fprintf(stderr, "gen_workload: warning: no records of kind %.*s\n",
                   static_cast<int>(kind.code.size()), kind.code.data());
    }
  }
  absl::StrAppendFormat(&manifest, "  %-26s %8d\n\n", "total", total);
  // Machine-readable: "expect PERIOD LEVEL ORG INDICATOR VALUE" lines that
  // deploy/demo.sh checks against the county's report.
  auto expect = [&](absl::string_view indicator, const std::string& value) {
    absl::StrAppendFormat(&manifest, "expect %d county %s %s %s\n", config.year,
                          config.county, indicator, value);
  };
  expect("outpatient_visits", absl::StrCat(by_kind["outpatient_visit"]));
  expect("outpatient_cost_yuan", FormatFen(outpatient_fen));
  expect("inpatient_admissions", absl::StrCat(by_kind["inpatient_admission"]));
  expect("inpatient_cost_yuan", FormatFen(inpatient_fen));
  expect("death_reports", absl::StrCat(by_kind["death_report"]));
  expect("health_education_participants", absl::StrCat(participants));

  for (const auto& [name, text] :
       {std::pair<const char*, const std::string&>{"orgs.csv", orgs},
        {"population.csv", population},
        {"manifest.txt", manifest}}) {
    std::string path = absl::StrCat(out_dir, "/", name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "gen_workload: cannot write %s: %s\n", path.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }

  std::printf(
      "gen_workload: %d villages in %d townships, year %d: %d records (+%d bad "
      "rows, %d "
      "duplicates), %d voids and %d replacements in corrections files; %lld "
      "records count "
      "after corrections; wrote %s (see manifest.txt)\n",
      static_cast<int>(results.size()), townships, config.year, records, bad,
      duplicates, voids, replacements, static_cast<long long>(total),
      out_dir.c_str());
  return 0;
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) { return sanji::Main(argc, argv); }
