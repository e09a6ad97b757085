// The rows, corrections and files of a village's year (see
// village_generator.h).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/period.h"
#include "tools/village_generator.h"

namespace sanji {

using absl::CivilDay;
using absl::CivilSecond;

namespace {

// A valid 18-character resident identity number (GB 11643): region, birth
// date, sequence (odd for men) and the ISO 7064 MOD 11-2 check character.
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

}  // namespace

void LiveTotals::Add(const LiveTotals& other) {
  for (const auto& [kind, count] : other.by_kind) by_kind[kind] += count;
  outpatient_fen += other.outpatient_fen;
  inpatient_fen += other.inpatient_fen;
  participants += other.participants;
}

void VillageGenerator::Event::CountInto(int sign, LiveTotals* totals) const {
  totals->by_kind[std::string(kind->code)] += sign;
  if (kind->code == "outpatient_visit")
    totals->outpatient_fen += sign * cost_fen;
  if (kind->code == "inpatient_admission")
    totals->inpatient_fen += sign * cost_fen;
  totals->participants += sign * participants;
}

std::string VillageGenerator::Note(const Event& e) {
  if (!e.note.empty() || e.bad != Bad::kNone || !rng_.Chance(0.04)) {
    return e.note;
  }
  static const auto* kGeneral = new std::vector<std::string>{
      "复诊", "家属代诉", "入户服务", "已告知注意事项", "电话随访"};
  static const auto* kChronic = new std::vector<std::string>{
      "按时服药", "已调整用药", "嘱控制饮食、适量运动", "血压偏高，建议复查"};
  bool chronic = e.kind->code == "hypertension_followup" ||
                 e.kind->code == "diabetes_followup";
  // The blood-pressure note only on hypertension follow-ups.
  size_t chronic_notes =
      kChronic->size() - (e.kind->code == "diabetes_followup");
  if (chronic && rng_.Chance(0.7)) {
    return (*kChronic)[rng_.Int(0, static_cast<int64_t>(chronic_notes) - 1)];
  }
  return rng_.Pick(*kGeneral);
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
  r[kOccurredAt] = FormatDay(CivilDay(e.at));
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
  SpoilRow(e, &r);
  if (style_.pad_spaces && style_.format != FileFormat::kJsonl &&
      rng_.Chance(0.03)) {
    for (int c : {kSex, kCost}) {
      if (!r[c].empty()) r[c] = absl::StrCat(" ", r[c], " ");
    }
  }
  return r;
}

// Makes a bad event's row invalid the way its Bad says (the bad kinds whose
// event itself is invalid are already).
void VillageGenerator::SpoilRow(const Event& e, Row* r) {
  switch (e.bad) {
    case Bad::kNone:
    case Bad::kChildTooOld:
    case Bad::kSystolic:
      break;
    case Bad::kBadDate:
      (*r)[kOccurredAt] = absl::StrFormat("%04d-02-30", config_.year);
      break;
    case Bad::kUnknownKind:
      (*r)[kKind] = "outpatient_vist";
      break;
    case Bad::kNoPatient:
      (*r)[kPatientId].clear();
      break;
    case Bad::kResidentId: {
      const Person& p = persons_[e.person];
      int sequence = static_cast<int>(rng_.Int(0, 499)) * 2 + (p.male ? 1 : 0);
      (*r)[kPatientId] = ResidentIdNumber(config_.county, p.birth, sequence);
      break;
    }
    case Bad::kCostPlaces:
      (*r)[kCost] = "12.345";
      break;
  }
}

// Turns `e` into the corrected version of itself; false when it has nothing
// to correct.
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
  return MoveDate(e);
}

// The date was wrong: moves it within what the record's rules allow (which
// may move it into another month or quarter).
bool VillageGenerator::MoveDate(Event& e) {
  absl::string_view kind = e.kind->code;
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

const char* VillageGenerator::BadReason(Bad bad) {
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

// Time order, roughly (clinics enter some rows a little late), and one note
// that needs every CSV quoting rule. Returns the valid events' indices.
std::vector<size_t> VillageGenerator::OrderEvents() {
  std::stable_sort(events_.begin(), events_.end(),
                   [](const Event& a, const Event& b) { return a.at < b.at; });
  for (size_t i = 0; i + 1 < events_.size(); ++i) {
    if (rng_.Chance(0.02)) std::swap(events_[i], events_[i + 1]);
  }
  std::vector<size_t> valid, outpatient;
  for (size_t i = 0; i < events_.size(); ++i) {
    if (events_[i].bad != Bad::kNone) continue;
    valid.push_back(i);
    if (events_[i].kind->code == "outpatient_visit") outpatient.push_back(i);
  }
  // A comma, a quote and a line break.
  if (!outpatient.empty()) {
    events_[rng_.Pick(outpatient)].note =
        "患者自述\"头晕, 乏力\"，\n已嘱三日后复查";
  }
  return valid;
}

// Exact duplicates of earlier rows, a little after their originals (entered
// twice).
VillageGenerator::MainRows VillageGenerator::WithDuplicates(
    const std::vector<Row>& rows, std::vector<size_t> valid) {
  const int n = static_cast<int>(rows.size());
  MainRows main;
  main.duplicates = std::max(1, config_.records / 300);
  main.pool = std::move(valid);
  rng_.Shuffle(main.pool);
  std::vector<std::vector<int>> after(n);
  for (int d = 0; d < main.duplicates && d < static_cast<int>(main.pool.size());
       ++d) {
    int i = static_cast<int>(main.pool[d]);
    after[std::min<int>(n - 1, i + static_cast<int>(rng_.Int(1, 40)))]
        .push_back(i);
  }
  for (int i = 0; i < n; ++i) {
    main.rows.push_back(rows[i]);
    main.source.push_back(i);
    for (int j : after[i]) {
      main.rows.push_back(rows[j]);
      main.source.push_back(j);
    }
  }
  return main;
}

// Voids of some earlier records, most with a corrected replacement, then the
// bad corrections.
VillageGenerator::Corrections VillageGenerator::MakeCorrections(
    const std::vector<Row>& rows, const MainRows& main) {
  Corrections c;
  c.voids = std::max(1, static_cast<int>(std::lround(config_.records * 0.005)));
  size_t next = static_cast<size_t>(main.duplicates);  // not the duplicated
  for (int v = 0; v < c.voids && next < main.pool.size(); ++v, ++next) {
    const Event& old = events_[main.pool[next]];
    Row void_row;
    void_row[kRecordId] = rows[main.pool[next]][kRecordId];
    void_row[kAction] = "void";
    void_row[kKind] = std::string(old.kind->code);
    if (rng_.Chance(0.3)) void_row[kNote] = "录入错误，作废";
    c.rows.push_back(void_row);
    c.reasons.push_back("");
    old.CountInto(-1, &c.delta);
    Event fixed = old;
    if (rng_.Chance(0.75) && Correct(fixed)) {
      ++c.replacements;
      Row row = ToRow(
          fixed, absl::StrFormat("R%04d-C%05d", config_.year, c.replacements));
      row[kAction] = rng_.Chance(0.5) ? "new" : "";
      c.rows.push_back(row);
      c.reasons.push_back("");
      fixed.CountInto(+1, &c.delta);
    }
  }
  if (config_.bad_rows) BadCorrections(rows, main, next, &c);
  return c;
}

// A void of a row that the import refused (so its id was never accepted),
// and a "correction" that reuses an accepted id with different content, no
// void.
void VillageGenerator::BadCorrections(const std::vector<Row>& rows,
                                      const MainRows& main, size_t next,
                                      Corrections* c) {
  for (size_t i = 0; i < events_.size(); ++i) {
    if (events_[i].bad != Bad::kBadDate) continue;
    Row row;
    row[kRecordId] = rows[i][kRecordId];
    row[kAction] = "void";
    row[kKind] = "outpatient_visit";
    c->rows.push_back(row);
    c->reasons.push_back("record_id: void of an id that was never accepted");
    ++c->bad;
    break;
  }
  while (next < main.pool.size() && events_[main.pool[next]].cost_fen < 0) {
    ++next;
  }
  if (next >= main.pool.size()) return;
  Event changed = events_[main.pool[next]];
  changed.cost_fen += 100;
  Row row = ToRow(changed, rows[main.pool[next]][kRecordId]);
  row[kNote] = "修改费用";
  c->rows.push_back(row);
  c->reasons.push_back("record_id: already accepted with different content");
  ++c->bad;
}

// Writes the main and the corrections file; notes the bad rows' lines.
bool VillageGenerator::WriteFiles(const std::string& dir, const MainRows& main,
                                  const Corrections& corrections,
                                  VillageResult* result, std::string* error) {
  const bool jsonl = style_.format == FileFormat::kJsonl;
  const bool crlf = style_.format == FileFormat::kGb18030;
  result->format = style_.format;
  result->main_file = absl::StrCat(village_id_, jsonl ? ".jsonl" : ".csv");
  result->corrections_file = absl::StrCat(village_id_, "-corrections.csv");
  std::vector<int> correction_columns = style_.columns;
  if (!style_.action_column) {
    correction_columns.insert(
        std::find(correction_columns.begin(), correction_columns.end(), kKind),
        kAction);
  }
  std::vector<int> main_lines, correction_lines;
  const std::string main_text =
      Render(main.rows, style_.columns, jsonl, crlf, &main_lines);
  const std::string correction_text =
      Render(corrections.rows, correction_columns, /*jsonl=*/false, crlf,
             &correction_lines);
  const FileFormat correction_format =
      jsonl ? FileFormat::kUtf8 : style_.format;
  if (!WriteClinicFile(absl::StrCat(dir, "/", result->main_file), main_text,
                       style_.format, error) ||
      !WriteClinicFile(absl::StrCat(dir, "/", result->corrections_file),
                       correction_text, correction_format, error)) {
    return false;
  }
  for (size_t r = 0; r < main.rows.size(); ++r) {
    const Event& e = events_[main.source[r]];
    if (e.bad == Bad::kNone) continue;
    ++result->bad;
    result->bad_notes.push_back(
        {result->main_file, main_lines[r], BadReason(e.bad)});
  }
  for (size_t r = 0; r < corrections.rows.size(); ++r) {
    if (corrections.reasons[r].empty()) continue;
    result->bad_notes.push_back({result->corrections_file, correction_lines[r],
                                 corrections.reasons[r]});
  }
  return true;
}

void VillageGenerator::Summarize(const MainRows& main,
                                 const Corrections& corrections,
                                 VillageResult* result) const {
  const int n = static_cast<int>(events_.size());
  result->main_rows = static_cast<int>(main.rows.size());
  result->duplicates = result->main_rows - n;
  result->records = n - result->bad;
  result->correction_rows = static_cast<int>(corrections.rows.size());
  result->voids = corrections.voids;
  result->replacements = corrections.replacements;
  result->correction_bad = corrections.bad;
  for (const Event& e : events_) {
    if (e.bad == Bad::kNone) e.CountInto(+1, &result->live);
  }
  result->live.Add(corrections.delta);
  result->residents = residents_;
  result->records_on_file = on_file_;
  result->children_0_6 = static_cast<int>(children_.size());
  result->elderly_65plus = static_cast<int>(elderly_.size());
}

bool VillageGenerator::Run(const std::string& dir, VillageResult* result,
                           std::string* error) {
  GenerateEvents();
  std::vector<size_t> valid = OrderEvents();
  std::vector<Row> rows;
  for (size_t i = 0; i < events_.size(); ++i) {
    rows.push_back(
        ToRow(events_[i], absl::StrFormat("R%04d-%06d", config_.year, i + 1)));
  }
  const MainRows main = WithDuplicates(rows, std::move(valid));
  const Corrections corrections = MakeCorrections(rows, main);
  if (!WriteFiles(dir, main, corrections, result, error)) return false;
  Summarize(main, corrections, result);
  return true;
}

}  // namespace sanji
