// One village's year for gen_workload: a resident panel (children, adults,
// elderly; some hypertensive, diabetic, pregnant, ...), a year of service
// events drawn from it (chronic-disease follow-ups spread over the year,
// age-scheduled child checks and vaccinations, antenatal and postpartum visits
// around each delivery, outpatient visits filling the rest), then the
// realistic mess: bad rows, exact duplicates, a free-text 备注 column and a
// corrections file of voids and replacements. Run() writes the village's two
// files and says what they amount to (VillageResult), for the manifest.
//
// Each village draws from its own SeededRng, seeded with (--seed, village
// code), so adding villages never changes the existing ones.
//
// village_events.cc holds the panel and the events, village_files.cc the rows,
// the corrections and the files.
//
// Thread-safety: a VillageGenerator is used by one thread; it keeps a
// reference to the Config, which must outlive it.
#ifndef SANJI_TOOLS_VILLAGE_GENERATOR_H_
#define SANJI_TOOLS_VILLAGE_GENERATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/vocabulary.h"
#include "tools/clinic_file.h"
#include "tools/seeded_rng.h"

namespace sanji {

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

// What counts after the imports: records by kind, and the sums.
struct LiveTotals {
  std::map<std::string, int64_t> by_kind;
  int64_t outpatient_fen = 0, inpatient_fen = 0, participants = 0;

  void Add(const LiveTotals& other);
};

// What one village wrote, for the manifest, population file and summary.
struct VillageResult {
  std::string main_file, corrections_file;
  FileFormat format;
  int main_rows = 0, records = 0, bad = 0, duplicates = 0;
  int correction_rows = 0, voids = 0, replacements = 0, correction_bad = 0;
  std::vector<BadRowNote> bad_notes;
  LiveTotals live;  // after the corrections
  int residents = 0, children_0_6 = 0, elderly_65plus = 0, records_on_file = 0;
};

class VillageGenerator {
 public:
  VillageGenerator(const Config& config, std::string village_id,
                   int village_index);

  // Whether every code this generator names is in vocabulary.h.
  static bool VocabularyOk();

  // Generates the year and writes the village's files into `dir`. False on an
  // I/O error.
  bool Run(const std::string& dir, VillageResult* result, std::string* error);

 private:
  struct Person {
    std::string id;  // health-record number
    bool male;
    absl::CivilDay birth;
    absl::CivilDay first;  // first day they can be seen: birth or arrival
    absl::CivilDay last;   // death, or far in the future
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
    absl::CivilSecond at;
    int time_style = 1;  // 0 date only, 1 HH:MM, 2 HH:MM:SS
    const KindInfo* kind = nullptr;
    int person = -1;
    int64_t cost_fen = -1;
    std::string icd10, vaccine, disease, referred_to, note;
    int dose = 0, systolic = 0, diastolic = 0, participants = 0;
    int glucose_tenths = 0;  // fasting glucose x 10
    Bad bad = Bad::kNone;

    // Adds `sign` x this record to `totals`.
    void CountInto(int sign, LiveTotals* totals) const;
  };

  // The main file's rows: every event's row, with exact duplicates of some
  // of them a little after their originals.
  struct MainRows {
    std::vector<Row> rows;
    std::vector<int> source;   // index into events_ of each row
    std::vector<size_t> pool;  // valid events, shuffled: duplicates first
    int duplicates = 0;
  };

  struct Corrections {
    std::vector<Row> rows;
    std::vector<std::string> reasons;  // why a row is bad; empty for good rows
    int voids = 0, replacements = 0, bad = 0;
    LiveTotals delta;  // what the voids and replacements change
  };

  static const char* BadReason(Bad bad);

  // Panel (village_events.cc).
  int NewPerson(bool male, absl::CivilDay birth, absl::CivilDay first);
  // Age in full years on January 1.
  absl::CivilDay BirthForAge(int min_age, int max_age);
  void BuildPanel();
  void AddChildren(int n);
  void AddElderly(int n);
  // Intersects [lo, hi] with the year and the person's presence; false when
  // empty.
  bool Window(int person, absl::CivilDay lo, absl::CivilDay hi,
              absl::CivilDay* a, absl::CivilDay* b) const;
  bool ChildAge(int person, absl::CivilDay d) const;
  bool ElderlyAge(int person, absl::CivilDay d) const;
  int AgeAt(int person, absl::CivilDay d) const;

  // Events (village_events.cc).
  void GenerateEvents();
  absl::CivilSecond ClinicTime(absl::CivilDay d);
  Event& Add(absl::string_view kind, int person, absl::CivilDay day);
  void Deaths();
  void Maternity();
  void Pregnancy(int mother, absl::CivilDay delivery, bool first);
  void Migrants();
  void ChildChecks();
  void Vaccinations();
  void ElderlyVaccinations();
  void ElderlyChecks();
  void Followups(absl::string_view kind, int patients, int min_age,
                 const std::vector<std::pair<int, double>>& visits_per_year);
  std::vector<int> FollowupPool(absl::string_view kind, int patients,
                                int min_age);
  int FollowupVisits(absl::string_view kind, int person, int visits,
                     double on_target_chance);
  void SameMomentReading(int person, int event);
  void ChronicPrograms();
  void Tuberculosis();
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

  // Rows and files (village_files.cc).
  std::vector<size_t> OrderEvents();
  std::string Note(const Event& e);
  std::string SexText(bool male) const;
  Row ToRow(const Event& e, const std::string& record_id);
  void SpoilRow(const Event& e, Row* r);
  bool Correct(Event& e);
  bool MoveDate(Event& e);
  MainRows WithDuplicates(const std::vector<Row>& rows,
                          std::vector<size_t> valid);
  Corrections MakeCorrections(const std::vector<Row>& rows,
                              const MainRows& main);
  void BadCorrections(const std::vector<Row>& rows, const MainRows& main,
                      size_t next, Corrections* c);
  bool WriteFiles(const std::string& dir, const MainRows& main,
                  const Corrections& corrections, VillageResult* result,
                  std::string* error);
  void Summarize(const MainRows& main, const Corrections& corrections,
                 VillageResult* result) const;

  const Config& config_;
  const std::string village_id_;
  const int index_;
  SeededRng rng_;
  const absl::CivilDay year_first_, year_last_;
  FileStyle style_;

  std::vector<Person> persons_;
  // By age group: 0-6, 7-17, 18-64, 65+.
  std::vector<int> children_, minors_, adults_, elderly_;
  std::vector<char> hypertensive_, diabetic_, key_population_;
  int residents_ = 0, on_file_ = 0;
  std::vector<Event> events_;
};

}  // namespace sanji

#endif  // SANJI_TOOLS_VILLAGE_GENERATOR_H_
