#include "tests/fault/workload.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/csv.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "common/vocabulary.h"
#include "village_agent/record_file.h"

namespace sanji::fault {
namespace {

// The notifiable diseases of vocabulary.h (spec/records.md): the urgent ones
// (class A and managed as class A) and the others.
const std::vector<std::string>& Diseases(bool urgent) {
  static const auto* by_urgency = [] {
    auto* d = new std::vector<std::string>[2];
    for (const DiseaseInfo& info : sanji::Diseases()) {
      d[info.urgent ? 1 : 0].emplace_back(info.code);
    }
    return d;
  }();
  return by_urgency[urgent ? 1 : 0];
}

struct Person {
  std::string id;
  std::string sex;
  absl::CivilDay birth;
};

// Patient pools, shared by all villages (the same health-record number in two
// villages is counted in each, spec/indicators.md "Levels").
struct Pools {
  std::vector<Person> general;   // anyone born 1930-2015
  std::vector<Person> ht;        // hypertension, about half 65+
  std::vector<Person> dm;        // diabetes
  std::vector<Person> children;  // born 2019-07-01..2024-12-31: 0-6 all 2025
  std::vector<Person> elderly;   // born 1925-1959: 65+ all 2025
  std::vector<Person> women;     // F, born 1985-2003
};

std::vector<Person> MakePool(SeededRng& rng, const std::string& prefix, int n,
                             absl::CivilDay first, absl::CivilDay last,
                             bool female_only = false) {
  std::vector<Person> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Person{absl::StrCat(prefix, "-", i),
                         female_only || rng.Chance(0.5) ? "F" : "M",
                         rng.Day(first, last)});
  }
  return out;
}

Pools MakePools(SeededRng& rng) {
  using absl::CivilDay;
  Pools p;
  p.general =
      MakePool(rng, "GP", 400, CivilDay(1930, 1, 1), CivilDay(2015, 12, 31));
  p.ht = MakePool(rng, "HT", 60, CivilDay(1935, 1, 1), CivilDay(1985, 12, 31));
  p.dm = MakePool(rng, "DM", 40, CivilDay(1940, 1, 1), CivilDay(1985, 12, 31));
  p.children =
      MakePool(rng, "CH", 80, CivilDay(2019, 7, 1), CivilDay(2024, 12, 31));
  p.elderly =
      MakePool(rng, "EL", 90, CivilDay(1925, 1, 1), CivilDay(1959, 12, 31));
  p.women = MakePool(rng, "WM", 30, CivilDay(1985, 1, 1),
                     CivilDay(2003, 12, 31), /*female_only=*/true);
  return p;
}

using Fields = std::map<std::string, std::string, std::less<>>;

std::string CsvLine(const Fields& f) {
  std::vector<std::string> cells;
  for (absl::string_view c : KnownColumns()) {
    auto it = f.find(c);
    cells.push_back(it == f.end() ? "" : CsvField(it->second));
  }
  return absl::StrCat(absl::StrJoin(cells, ","), "\n");
}

std::string CsvHeader() {
  return absl::StrCat(absl::StrJoin(KnownColumns(), ","), "\n");
}

std::string Yuan(SeededRng& rng, int lo, int hi) {
  return absl::StrFormat("%d.%02d", rng.Int(lo, hi), rng.Int(0, 99));
}

// One `new` row of a random kind for a village, dated 2025-01-01..2025-12-30
// (2025-12-31 is kept for the refused rows).
class RecordMaker {
 public:
  explicit RecordMaker(const Pools& pools) : pools_(pools) {}

  Fields Make(SeededRng& rng, const std::string& record_id) {
    const std::string& kind = DrawKind(rng);
    absl::CivilDay day =
        rng.Day(absl::CivilDay(2025, 1, 1), absl::CivilDay(2025, 12, 30));
    std::string when = absl::StrFormat("%sT%02d:%02d", FormatDay(day),
                                       rng.Int(7, 20), rng.Int(0, 59));
    Fields f{{"record_id", record_id}, {"action", "new"}, {"kind", kind}};
    const Person* who = FillVisit(rng, kind, &when, &f);
    if (who == nullptr) who = FillProgramme(rng, kind, &f);
    // supervision_patrol: no further fields.
    f["occurred_at"] = when;
    if (who != nullptr) {
      f["patient_id"] = who->id;
      f["sex"] = who->sex;
      f["birth_date"] = FormatDay(who->birth);
    }
    return f;
  }

 private:
  static const std::string& DrawKind(SeededRng& rng) {
    static const auto* kKinds = new std::vector<std::pair<std::string, double>>{
        {"outpatient_visit", 30},     {"hypertension_followup", 14},
        {"diabetes_followup", 9},     {"child_health_check", 6},
        {"elderly_health_check", 5},  {"vaccination", 5},
        {"prenatal_visit", 3},        {"postpartum_visit", 2},
        {"health_record_created", 3}, {"inpatient_admission", 3},
        {"smi_followup", 2},          {"tb_followup", 2},
        {"family_doctor_signing", 4}, {"infectious_disease_report", 1.5},
        {"death_report", 0.7},        {"referral", 2.5},
        {"health_education", 1.5},    {"supervision_patrol", 1}};
    std::vector<double> weights;
    for (const auto& k : *kKinds) weights.push_back(k.second);
    return (*kKinds)[rng.Weighted(weights)].first;
  }

  // Visits and follow-ups: their fields, and who; nullptr for other kinds.
  const Person* FillVisit(SeededRng& rng, const std::string& kind,
                          std::string* when, Fields* f) {
    if (kind == "outpatient_visit") {
      const Person* who = &rng.Pick(pools_.general);
      (*f)["cost_yuan"] = Yuan(rng, 0, 300);
      if (rng.Chance(0.3)) (*f)["icd10"] = rng.Chance(0.5) ? "J06.9" : "I10";
      return who;
    }
    if (kind == "inpatient_admission") {
      const Person* who = &rng.Pick(pools_.general);
      (*f)["cost_yuan"] = Yuan(rng, 300, 30000);
      return who;
    }
    if (kind != "hypertension_followup" && kind != "diabetes_followup") {
      return nullptr;
    }
    bool ht = kind == "hypertension_followup";
    const Person* who = &rng.Pick(ht ? pools_.ht : pools_.dm);
    // Sometimes at exactly the time of the patient's last follow-up, so that
    // the "several share the latest occurred_at" rule is exercised.
    std::string& last = last_followup_[kind + who->id];
    if (!last.empty() && rng.Chance(0.05)) *when = last;
    last = *when;
    if (ht) {
      (*f)["systolic"] = absl::StrCat(rng.Int(105, 175));
      (*f)["diastolic"] = absl::StrCat(rng.Int(60, 104));
    } else {
      (*f)["fasting_glucose"] =
          absl::StrFormat("%d.%d", rng.Int(4, 11), rng.Int(0, 9));
    }
    return who;
  }

  // Every other kind: its fields, and who (nullptr for the kinds of no one).
  const Person* FillProgramme(SeededRng& rng, const std::string& kind,
                              Fields* f) {
    if (kind == "child_health_check") return &rng.Pick(pools_.children);
    if (kind == "vaccination") {
      static const auto* kVaccines = new std::vector<std::string>{
          "HepB", "BCG", "DTaP", "MMR", "IPV", "JE", "MenA", "HepA"};
      const Person* who = &rng.Pick(pools_.children);
      (*f)["vaccine"] = rng.Pick(*kVaccines);
      (*f)["dose"] = absl::StrCat(rng.Int(1, 4));
      return who;
    }
    if (kind == "elderly_health_check") return &rng.Pick(pools_.elderly);
    if (kind == "prenatal_visit" || kind == "postpartum_visit") {
      return &rng.Pick(pools_.women);
    }
    if (kind == "smi_followup" || kind == "tb_followup" ||
        kind == "family_doctor_signing" || kind == "health_record_created") {
      // A small sub-pool, so that distinct counts differ from visit counts.
      return &pools_.general[static_cast<size_t>(rng.Int(0, 49))];
    }
    if (kind == "infectious_disease_report") {
      const Person* who = &rng.Pick(pools_.general);
      // One in ten is one of the four urgent diseases.
      (*f)["disease"] = rng.Pick(Diseases(/*urgent=*/rng.Chance(0.1)));
      return who;
    }
    if (kind == "death_report") {
      const Person* who = &rng.Pick(pools_.general);
      if (rng.Chance(0.5)) (*f)["icd10"] = "I21.9";
      return who;
    }
    if (kind == "referral") {
      static const auto* kTargets =
          new std::vector<std::string>{"township", "county", "outside"};
      const Person* who = &rng.Pick(pools_.general);
      (*f)["referred_to"] = rng.Pick(*kTargets);
      return who;
    }
    if (kind == "health_education") {
      (*f)["participants"] = absl::StrCat(rng.Int(5, 300));
    }
    return nullptr;
  }

  const Pools& pools_;
  std::map<std::string, std::string> last_followup_;
};

// Rows that every agent must refuse: each has one invalid field. Dated
// 2025-12-31, a day with no valid record, so that any of them counted shows
// up as "unexpected".
std::string PoisonRows(int* rows) {
  std::vector<Fields> bad = {
      // negative cost
      {{"record_id", "poison-1"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "GP-1"},
       {"sex", "M"},
       {"birth_date", "1970-01-01"},
       {"cost_yuan", "-1.00"}},
      // an adult's child health check
      {{"record_id", "poison-2"},
       {"kind", "child_health_check"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "GP-2"},
       {"sex", "F"},
       {"birth_date", "1980-01-01"}},
      // born after the visit
      {{"record_id", "poison-3"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "GP-3"},
       {"sex", "M"},
       {"birth_date", "2026-01-01"},
       {"cost_yuan", "5.00"}},
      // a resident identity number as patient id
      {{"record_id", "poison-4"},
       {"kind", "death_report"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "11010519491231002X"},
       {"sex", "F"},
       {"birth_date", "1949-12-31"}},
      // a disease that is not notifiable
      {{"record_id", "poison-5"},
       {"kind", "infectious_disease_report"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "GP-5"},
       {"sex", "F"},
       {"birth_date", "1990-01-01"},
       {"disease", "common_cold"}},
  };
  std::string text = CsvHeader();
  for (const Fields& f : bad) text += CsvLine(f);
  *rows = static_cast<int>(bad.size());
  return text;
}

// Parses a generated file as the agent does, for the oracle. Any row that
// does not parse is a harness bug.
absl::StatusOr<std::vector<Record>> ParseFile(const std::string& path) {
  absl::StatusOr<RecordFileContents> contents =
      ReadRecordFile(path, FileEncoding::kAuto);
  if (!contents.ok()) return contents.status();
  if (!contents->malformed.empty()) {
    return absl::InternalError(
        absl::StrCat(path, ": malformed line ", contents->malformed[0].line));
  }
  absl::CivilSecond now = NowLocal();
  std::vector<Record> out;
  for (const RawRow& row : contents->rows) {
    std::string bad;
    absl::StatusOr<Record> rec = ParseRow(row, now, &bad);
    if (!rec.ok()) {
      return absl::InternalError(absl::StrCat(path, ":", row.line(), ": ", bad,
                                              ": ", rec.status().message()));
    }
    out.push_back(*rec);
  }
  return out;
}

// Every row of the file must fail ParseRow (the agent's own rules).
absl::Status CheckAllRefused(const std::string& path) {
  absl::StatusOr<RecordFileContents> contents =
      ReadRecordFile(path, FileEncoding::kAuto);
  if (!contents.ok()) return contents.status();
  for (const RawRow& row : contents->rows) {
    std::string bad;
    if (ParseRow(row, NowLocal(), &bad).ok()) {
      return absl::InternalError(
          absl::StrCat(path, ":", row.line(), ": a refused row parses"));
    }
  }
  return absl::OkStatus();
}

// The sizes of a village's `rows` rows' chunks: about one chunk per 3 s of
// fault phase, uniform around the mean, except that one in ten is large: more
// than 1000 rows, so its import takes several Submits (the CLI sends 1000 rows
// per call) and an agent killed during it leaves the chunk partly stored.
std::vector<int64_t> ChunkSizes(SeededRng& rng, int64_t rows, int duration) {
  const int64_t mean = std::max<int64_t>(1, rows / std::max(4, duration / 3));
  const int64_t large_max =
      std::max<int64_t>(1001, std::min<int64_t>(4000, rows / 2));
  std::vector<int64_t> sizes;
  for (int64_t left = rows; left > 0;) {
    int64_t n =
        rng.Chance(1.0 / 10) ? rng.Int(1001, large_max) : rng.Int(1, 2 * mean);
    n = std::min(n, left);
    sizes.push_back(n);
    left -= n;
  }
  return sizes;
}

// `n` planned import times in [0, 0.85 * duration], in order.
std::vector<double> PlannedTimes(SeededRng& rng, size_t n, int duration) {
  std::vector<double> times;
  for (size_t i = 0; i < n; ++i)
    times.push_back(rng.Uniform(0, 0.85 * duration));
  std::sort(times.begin(), times.end());
  return times;
}

// The rows of one village's chunks, drawn one chunk after the other.
class ChunkRows {
 public:
  explicit ChunkRows(const Pools& pools) : maker_(pools) {}

  // The text of a chunk of `size` rows: new records, and now and then a void
  // of a record of an earlier chunk.
  std::string Next(SeededRng& rng, int64_t size) {
    std::string text = CsvHeader();
    std::vector<std::pair<std::string, std::string>> added;
    for (int64_t i = 0; i < size; ++i) {
      if (!voidable_.empty() && rng.Chance(0.02)) {
        size_t k = static_cast<size_t>(
            rng.Int(0, static_cast<int64_t>(voidable_.size()) - 1));
        std::swap(voidable_[k], voidable_.back());
        auto [id, kind] = voidable_.back();
        voidable_.pop_back();
        text +=
            CsvLine({{"record_id", id}, {"action", "void"}, {"kind", kind}});
      } else {
        std::string id = absl::StrFormat("R%06d", next_id_++);
        Fields f = maker_.Make(rng, id);
        added.emplace_back(id, f["kind"]);
        text += CsvLine(f);
      }
    }
    voidable_.insert(voidable_.end(), added.begin(), added.end());
    return text;
  }

 private:
  RecordMaker maker_;
  int64_t next_id_ = 0;
  // Records of earlier chunks that may be voided: (record_id, kind).
  std::vector<std::pair<std::string, std::string>> voidable_;
};

absl::Status AddPoisonChunk(const std::string& dir, double at,
                            VillagePlan* plan) {
  Chunk poison;
  poison.type = Chunk::kPoison;
  poison.path = absl::StrCat(dir, "/v", plan->id, "-poison.csv");
  std::ofstream(poison.path) << PoisonRows(&poison.rows);
  poison.at = at;
  if (absl::Status s = CheckAllRefused(poison.path); !s.ok()) return s;
  plan->chunks.push_back(poison);
  return absl::OkStatus();
}

absl::Status AddNewChunk(const std::string& dir, int number, int64_t size,
                         double at, const std::string& text,
                         VillagePlan* plan) {
  Chunk chunk;
  chunk.number = number;
  chunk.path = absl::StrCat(dir, "/v", plan->id, "-c", number, ".csv");
  chunk.rows = static_cast<int>(size);
  chunk.at = at;
  std::ofstream(chunk.path) << text;
  absl::StatusOr<std::vector<Record>> parsed = ParseFile(chunk.path);
  if (!parsed.ok()) return parsed.status();
  plan->chunk_records[chunk.number] = std::move(*parsed);
  plan->chunks.push_back(chunk);
  return absl::OkStatus();
}

// Now and then, after chunk `number`, an identical re-import of an earlier
// chunk: the agent must answer "duplicate" for every row.
void MaybeAddReplay(SeededRng& rng, int number, double at, VillagePlan* plan) {
  if (plan->chunk_records.size() <= 1 || !rng.Chance(0.06)) return;
  std::vector<const Chunk*> earlier;
  for (const Chunk& e : plan->chunks) {
    if (e.type == Chunk::kNew && e.number != number) earlier.push_back(&e);
  }
  Chunk replay = *rng.Pick(earlier);
  replay.type = Chunk::kReplay;
  replay.at = at;
  plan->chunks.push_back(replay);
}

absl::StatusOr<VillagePlan> PlanVillage(SeededRng& rng, const Pools& pools,
                                        const std::string& dir,
                                        const std::string& village,
                                        int64_t rows, int duration) {
  VillagePlan plan;
  plan.id = village;
  ChunkRows chunk_rows(pools);
  const std::vector<int64_t> sizes = ChunkSizes(rng, rows, duration);
  const int64_t n_chunks = static_cast<int64_t>(sizes.size());
  const std::vector<double> times = PlannedTimes(rng, sizes.size(), duration);
  const int poison_before = static_cast<int>(rng.Int(0, n_chunks - 1));
  for (int c = 0; c < n_chunks; ++c) {
    const std::string text = chunk_rows.Next(rng, sizes[c]);
    if (c == poison_before) {
      if (absl::Status s = AddPoisonChunk(dir, times[c], &plan); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = AddNewChunk(dir, c, sizes[c], times[c], text, &plan);
        !s.ok()) {
      return s;
    }
    MaybeAddReplay(rng, c, times[c], &plan);
  }
  return plan;
}

}  // namespace

absl::Status MakeWorkload(SeededRng& rng, const std::string& dir,
                          const std::vector<std::string>& villages,
                          int64_t records, int duration,
                          std::vector<VillagePlan>* plans) {
  Pools pools = MakePools(rng);
  std::filesystem::create_directories(dir);
  const int64_t n_villages = static_cast<int64_t>(villages.size());
  for (int64_t vi = 0; vi < n_villages; ++vi) {
    const int64_t rows = records / n_villages + (vi < records % n_villages);
    absl::StatusOr<VillagePlan> plan =
        PlanVillage(rng, pools, dir, villages[vi], rows, duration);
    if (!plan.ok()) return plan.status();
    plans->push_back(std::move(*plan));
  }
  return absl::OkStatus();
}

std::map<std::string, std::vector<std::pair<double, int>>> ImportTimes(
    const std::vector<VillagePlan>& plans) {
  std::map<std::string, std::vector<std::pair<double, int>>> times;
  for (const VillagePlan& p : plans) {
    for (const Chunk& c : p.chunks) times[p.id].emplace_back(c.at, c.rows);
  }
  return times;
}

}  // namespace sanji::fault
