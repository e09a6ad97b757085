#include "common/record_parse.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "common/vocabulary.h"

namespace sanji {
namespace {

const absl::CivilSecond kEpoch(1970, 1, 1, 0, 0, 0);
const absl::CivilDay kEarliestBirth(1900, 1, 1);
const absl::CivilSecond kEarliestOccurred(2000, 1, 1, 0, 0, 0);
constexpr int64_t kSecondsPerDay = 86400;

int64_t LocalSeconds(absl::CivilSecond t) { return t - kEpoch; }

absl::Status Fail(std::string* bad_column, absl::string_view column,
                  std::string message) {
  *bad_column = std::string(column);
  return absl::InvalidArgumentError(std::move(message));
}

// -----------------------------------------------------------------------------
// Text helpers.

// Decodes UTF-8 code points; false on invalid UTF-8. `*count` is the number of
// code points,
// `*control` whether any is a control character (C0, DEL or C1).
bool ScanUtf8(absl::string_view s, size_t* count, bool* control) {
  *count = 0;
  *control = false;
  size_t i = 0;
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < s.size()) {
    unsigned char c = b(i);
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      cp = c & 0x1F;
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      cp = c & 0x0F;
      n = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((b(i + k) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) *control = true;
    ++*count;
    i += n;
  }
  return true;
}

// Trims ASCII whitespace and the ideographic space U+3000 (as the file reader
// does), so that every client gets the same treatment.
absl::string_view Trim(absl::string_view s) {
  constexpr absl::string_view kIdeographicSpace = "\xE3\x80\x80";
  while (true) {
    size_t before = s.size();
    s = absl::StripAsciiWhitespace(s);
    if (s.substr(0, 3) == kIdeographicSpace) s.remove_prefix(3);
    if (s.size() >= 3 && s.substr(s.size() - 3) == kIdeographicSpace)
      s.remove_suffix(3);
    if (s.size() == before) return s;
  }
}

bool AllOf(absl::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsRecordIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == ':' || c == '-';
}
bool IsVaccineChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-';
}

// -----------------------------------------------------------------------------
// Dates and times.

bool ParseDigits(absl::string_view s, size_t n, int* out) {
  if (s.size() != n || !AllOf(s, IsDigit)) return false;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  *out = v;
  return true;
}

// YYYY-MM-DD, a real date.
bool ParseDate(absl::string_view s, absl::CivilDay* out) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' ||
      !ParseDigits(s.substr(0, 4), 4, &y) ||
      !ParseDigits(s.substr(5, 2), 2, &m) ||
      !ParseDigits(s.substr(8, 2), 2, &d)) {
    return false;
  }
  absl::CivilDay day(y, m, d);
  // CivilDay normalizes 2025-02-29 to 2025-03-01; refuse that.
  if (day.year() != y || day.month() != m || day.day() != d) return false;
  *out = day;
  return true;
}

// YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS ('T' or one space), a
// real time.
bool ParseDateTime(absl::string_view s, absl::CivilSecond* out) {
  absl::CivilDay day;
  if (s.size() < 10 || !ParseDate(s.substr(0, 10), &day)) return false;
  if (s.size() == 10) {
    *out = absl::CivilSecond(day);
    return true;
  }
  if (s.size() != 16 && s.size() != 19) return false;
  if (s[10] != 'T' && s[10] != ' ') return false;
  int hh, mm, ss = 0;
  if (!ParseDigits(s.substr(11, 2), 2, &hh) || s[13] != ':' ||
      !ParseDigits(s.substr(14, 2), 2, &mm)) {
    return false;
  }
  if (s.size() == 19 && (s[16] != ':' || !ParseDigits(s.substr(17, 2), 2, &ss)))
    return false;
  if (hh > 23 || mm > 59 || ss > 59) return false;
  *out = absl::CivilSecond(day.year(), day.month(), day.day(), hh, mm, ss);
  return true;
}

// -----------------------------------------------------------------------------
// Numbers. Never via floating point.

// A numeric column: its value is an integer in units of 10^-scale (scale 2:
// fen, centi-mmol/L).
struct NumberRule {
  absl::string_view column;
  int scale;  // 0: whole numbers; 2: at most 2 decimal places
  int64_t min;
  int64_t max;
  absl::string_view expected;
};

const NumberRule kCostRule{
    "cost_yuan", 2, 0, int64_t{100000000} * 100,
    "an amount in yuan from 0 to 100000000 with at most 2 decimal "
    "places, e.g. 12.50"};
const NumberRule kDoseRule{"dose", 0, 1, 99, "a whole number from 1 to 99"};
const NumberRule kSystolicRule{"systolic", 0, 40, 300,
                               "a whole number of mmHg from 40 to 300"};
const NumberRule kDiastolicRule{"diastolic", 0, 40, 300,
                                "a whole number of mmHg from 40 to 300"};
const NumberRule kGlucoseRule{
    "fasting_glucose", 2, 100, 4000,
    "mmol/L from 1.0 to 40.0 with at most 2 decimal places, e.g. 6.1"};
const NumberRule kParticipantsRule{"participants", 0, 1, 1000000,
                                   "a whole number from 1 to 1000000"};

std::string FormatScaled(int64_t v, int scale) {
  if (scale == 0) return absl::StrCat(v);
  std::string sign = v < 0 ? "-" : "";
  uint64_t a = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  uint64_t whole = a / 100, frac = a % 100;
  if (frac == 0) return absl::StrCat(sign, whole);
  if (frac % 10 == 0) return absl::StrCat(sign, whole, ".", frac / 10);
  return absl::StrCat(sign, whole, ".", frac < 10 ? "0" : "", frac);
}

absl::Status CheckRange(const NumberRule& rule, int64_t value,
                        absl::string_view shown, std::string* bad_column) {
  if (value >= rule.min && value <= rule.max) return absl::OkStatus();
  return Fail(bad_column, rule.column,
              absl::StrCat(rule.column, " '", shown, "' is ",
                           value < rule.min ? "too small" : "too large",
                           "; expected ", rule.expected));
}

// Parses `text` by `rule` (syntax and range), quoting `text` in errors.
absl::StatusOr<int64_t> ParseNumber(const NumberRule& rule,
                                    absl::string_view text,
                                    std::string* bad_column) {
  absl::string_view s = text;
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  absl::string_view whole = s, frac;
  size_t dot = s.find('.');
  if (dot != absl::string_view::npos) {
    whole = s.substr(0, dot);
    frac = s.substr(dot + 1);
  }
  bool syntax_ok = !whole.empty() && AllOf(whole, IsDigit) &&
                   AllOf(frac, IsDigit) &&
                   (dot == absl::string_view::npos || !frac.empty());
  if (!syntax_ok || (rule.scale == 0 && dot != absl::string_view::npos)) {
    return Fail(bad_column, rule.column,
                absl::StrCat(rule.column, " '", text, "' is not ",
                             rule.scale == 0 ? "a whole number" : "a number",
                             "; expected ", rule.expected));
  }
  if (static_cast<int>(frac.size()) > rule.scale) {
    return Fail(
        bad_column, rule.column,
        absl::StrCat(rule.column, " '", text, "' has more than ", rule.scale,
                     " decimal places; expected ", rule.expected));
  }
  // Leading zeros do not count towards the size; anything with more than 15
  // significant integer digits is out of every range and would overflow.
  size_t nz = whole.find_first_not_of('0');
  absl::string_view significant =
      nz == absl::string_view::npos ? absl::string_view() : whole.substr(nz);
  if (significant.size() > 15) {
    return Fail(bad_column, rule.column,
                absl::StrCat(rule.column, " '", text, "' is ",
                             negative ? "too small" : "too large",
                             "; expected ", rule.expected));
  }
  int64_t v = 0;
  for (char c : significant) v = v * 10 + (c - '0');
  for (int i = 0; i < rule.scale; ++i) {
    v = v * 10 + (static_cast<size_t>(i) < frac.size() ? frac[i] - '0' : 0);
  }
  if (negative) v = -v;
  absl::Status range = CheckRange(rule, v, text, bad_column);
  if (!range.ok()) return range;
  return v;
}

// -----------------------------------------------------------------------------
// Codes and the other per-column rules, shared by ParseRow and ValidateRecord.

std::string KindList() {
  std::vector<absl::string_view> codes;
  for (const KindInfo& k : Kinds()) codes.push_back(k.code);
  return absl::StrJoin(codes, ", ");
}

absl::Status UnknownKind(absl::string_view shown, std::string* bad_column) {
  return Fail(
      bad_column, "kind",
      absl::StrCat("kind '", shown, "' is not a known kind; expected one of ",
                   KindList()));
}

absl::Status UnknownDisease(absl::string_view shown, std::string* bad_column) {
  return Fail(
      bad_column, "disease",
      absl::StrCat(
          "disease '", shown,
          "' is not a code of the notifiable disease list (e.g. measles, "
          "tuberculosis, viral_hepatitis, influenza; see spec/records.md)"));
}

absl::Status UnknownReferralTarget(absl::string_view shown,
                                   std::string* bad_column) {
  return Fail(bad_column, "referred_to",
              absl::StrCat("referred_to '", shown,
                           "' must be township, county or outside"));
}

absl::Status BadSex(absl::string_view shown, std::string* bad_column) {
  return Fail(
      bad_column, "sex",
      absl::StrCat("sex '", shown, "' must be M or F (also 男/女 or 1/2)"));
}

absl::Status CheckRecordId(absl::string_view id, std::string* bad_column) {
  if (id.empty()) return Fail(bad_column, "record_id", "record_id is missing");
  if (id.size() > 64 || !AllOf(id, IsRecordIdChar)) {
    return Fail(bad_column, "record_id",
                absl::StrCat("record_id '", id,
                             "' must be 1-64 characters of letters A-Z a-z, "
                             "digits and . _ : -"));
  }
  return absl::OkStatus();
}

std::string MaskIdNumber(absl::string_view id) {
  return absl::StrCat(id.substr(0, 6), "********", id.substr(14));
}

absl::Status CheckPatientId(absl::string_view id, std::string* bad_column) {
  size_t chars = 0;
  bool control = false;
  if (!ScanUtf8(id, &chars, &control) || control || chars < 1 || chars > 64) {
    return Fail(
        bad_column, "patient_id",
        absl::StrCat(
            "patient_id '", control ? "(contains control characters)" : id,
            "' must be 1-64 characters without control characters (the "
            "health-record number, 健康档案编号)"));
  }
  if (IsResidentIdNumber(id)) {
    return Fail(
        bad_column, "patient_id",
        absl::StrCat(
            "patient_id '", MaskIdNumber(id),
            "' is a resident identity number (身份证号); identity numbers must "
            "not leave the clinic: use the patient's health-record number "
            "(健康档案编号) instead"));
  }
  return absl::OkStatus();
}

absl::Status CheckIcd10(absl::string_view icd10, std::string* bad_column) {
  size_t chars = 0;
  bool control = false;
  if (!ScanUtf8(icd10, &chars, &control) || control || chars > 32) {
    return Fail(
        bad_column, "icd10",
        absl::StrCat(
            "icd10 '", control ? "(contains control characters)" : icd10,
            "' must be at most 32 characters without control characters, "
            "e.g. I10"));
  }
  return absl::OkStatus();
}

absl::Status CheckVaccine(absl::string_view vaccine, std::string* bad_column) {
  if (vaccine.empty() || vaccine.size() > 32 ||
      !AllOf(vaccine, IsVaccineChar)) {
    return Fail(
        bad_column, "vaccine",
        absl::StrCat(
            "vaccine '", vaccine,
            "' must be a code of 1-32 letters, digits, _ or -, e.g. HepB, BCG, "
            "DTaP, MMR"));
  }
  return absl::OkStatus();
}

absl::Status Missing(absl::string_view column, absl::string_view kind,
                     std::string* bad_column) {
  return Fail(
      bad_column, column,
      absl::StrCat(column, " is missing; it is required for kind ", kind));
}

// Lower-cases ASCII letters only (Chinese text is left alone).
std::string LowerAscii(absl::string_view s) { return absl::AsciiStrToLower(s); }

}  // namespace

absl::CivilSecond NowLocal() {
  return absl::ToCivilSecond(absl::Now(), absl::FixedTimeZone(8 * 3600));
}

bool IsResidentIdNumber(absl::string_view text) {
  static constexpr int kWeights[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                       3, 7, 9,  10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  if (text.size() != 18) return false;
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    if (!IsDigit(text[i])) return false;
    sum += (text[i] - '0') * kWeights[i];
  }
  char last = text[17] == 'x' ? 'X' : text[17];
  return last == kCheck[sum % 11];
}

absl::Status ValidateRecord(const Record& record, absl::CivilSecond now,
                            std::string* bad_column) {
  std::string scratch;
  if (bad_column == nullptr) bad_column = &scratch;
  bad_column->clear();

  absl::Status s = CheckRecordId(record.record_id(), bad_column);
  if (!s.ok()) return s;
  if (record.kind().empty()) return Fail(bad_column, "kind", "kind is missing");
  const KindInfo* kind = FindKind(record.kind());
  if (kind == nullptr) return UnknownKind(record.kind(), bad_column);

  if (record.is_void()) {
    // A void carries only record_id and kind (its canonical form).
    const char* extra = nullptr;
    if (record.occurred_at() != 0) extra = "occurred_at";
    if (!record.patient_id().empty()) extra = "patient_id";
    if (!record.sex().empty()) extra = "sex";
    if (record.has_birth_date()) extra = "birth_date";
    if (record.has_cost_fen()) extra = "cost_yuan";
    if (!record.icd10().empty()) extra = "icd10";
    if (!record.vaccine().empty()) extra = "vaccine";
    if (record.has_dose()) extra = "dose";
    if (record.has_systolic()) extra = "systolic";
    if (record.has_diastolic()) extra = "diastolic";
    if (record.has_fasting_glucose_centi()) extra = "fasting_glucose";
    if (!record.disease().empty()) extra = "disease";
    if (record.has_participants()) extra = "participants";
    if (!record.referred_to().empty()) extra = "referred_to";
    if (extra != nullptr) {
      return Fail(
          bad_column, extra,
          absl::StrCat(
              "a void record carries only record_id and kind, but it has ",
              extra));
    }
    return absl::OkStatus();
  }

  // occurred_at.
  const int64_t occurred = record.occurred_at();
  if (occurred == 0)
    return Fail(bad_column, "occurred_at", "occurred_at is missing");
  if (occurred < LocalSeconds(kEarliestOccurred)) {
    return Fail(bad_column, "occurred_at",
                absl::StrCat("occurred_at '", FormatLocalSeconds(occurred),
                             "' is before 2000-01-01; check the year"));
  }
  const int64_t latest = LocalSeconds(now) + kSecondsPerDay;
  if (occurred > latest) {
    return Fail(
        bad_column, "occurred_at",
        absl::StrCat("occurred_at '", FormatLocalSeconds(occurred),
                     "' is more than one day in the future (the time now is ",
                     FormatLocalSeconds(LocalSeconds(now)),
                     "); check the date and the computer's clock"));
  }
  const absl::CivilDay occurred_day = DayOfLocalSeconds(occurred);

  // Person columns: required for person kinds, checked whenever present.
  if (record.patient_id().empty()) {
    if (kind->person) return Missing("patient_id", kind->code, bad_column);
  } else {
    s = CheckPatientId(record.patient_id(), bad_column);
    if (!s.ok()) return s;
  }
  if (record.sex().empty()) {
    if (kind->person) return Missing("sex", kind->code, bad_column);
  } else if (record.sex() != "M" && record.sex() != "F") {
    return BadSex(record.sex(), bad_column);
  }
  std::optional<absl::CivilDay> birth;
  if (!record.has_birth_date()) {
    if (kind->person) return Missing("birth_date", kind->code, bad_column);
  } else {
    birth = DayFromEpochDays(record.birth_date());
    if (*birth < kEarliestBirth) {
      return Fail(bad_column, "birth_date",
                  absl::StrCat("birth_date '", FormatDay(*birth),
                               "' is before 1900-01-01; check the year"));
    }
    if (*birth > occurred_day) {
      return Fail(bad_column, "birth_date",
                  absl::StrCat("birth_date '", FormatDay(*birth),
                               "' is after the date of occurred_at (",
                               FormatDay(occurred_day), ")"));
    }
  }

  // Typed columns, required by their kinds, checked whenever present.
  const absl::string_view code = kind->code;
  if (record.has_cost_fen()) {
    s = CheckRange(kCostRule, record.cost_fen(),
                   FormatScaled(record.cost_fen(), 2), bad_column);
    if (!s.ok()) return s;
  } else if (code == "outpatient_visit" || code == "inpatient_admission") {
    return Missing("cost_yuan", code, bad_column);
  }
  if (!record.icd10().empty()) {
    s = CheckIcd10(record.icd10(), bad_column);
    if (!s.ok()) return s;
  }
  if (!record.vaccine().empty()) {
    s = CheckVaccine(record.vaccine(), bad_column);
    if (!s.ok()) return s;
  } else if (code == "vaccination") {
    return Missing("vaccine", code, bad_column);
  }
  struct IntField {
    const NumberRule& rule;
    bool present;
    int64_t value;
    absl::string_view required_by;
  };
  const IntField ints[] = {
      {kDoseRule, record.has_dose(), record.dose(), "vaccination"},
      {kSystolicRule, record.has_systolic(), record.systolic(),
       "hypertension_followup"},
      {kDiastolicRule, record.has_diastolic(), record.diastolic(),
       "hypertension_followup"},
      {kGlucoseRule, record.has_fasting_glucose_centi(),
       record.fasting_glucose_centi(), "diabetes_followup"},
  };
  for (const IntField& f : ints) {
    if (f.present) {
      s = CheckRange(f.rule, f.value, FormatScaled(f.value, f.rule.scale),
                     bad_column);
      if (!s.ok()) return s;
    } else if (code == f.required_by) {
      return Missing(f.rule.column, code, bad_column);
    }
  }
  if (!record.disease().empty()) {
    if (FindDisease(record.disease()) == nullptr) {
      return UnknownDisease(record.disease(), bad_column);
    }
  } else if (code == "infectious_disease_report") {
    return Missing("disease", code, bad_column);
  }
  if (record.has_participants()) {
    s = CheckRange(kParticipantsRule, record.participants(),
                   absl::StrCat(record.participants()), bad_column);
    if (!s.ok()) return s;
  } else if (code == "health_education") {
    return Missing("participants", code, bad_column);
  }
  if (!record.referred_to().empty()) {
    if (FindReferralTarget(record.referred_to()) == nullptr) {
      return UnknownReferralTarget(record.referred_to(), bad_column);
    }
  } else if (code == "referral") {
    return Missing("referred_to", code, bad_column);
  }

  // Age rules (spec/indicators.md).
  if (birth.has_value()) {
    int age = AgeInFullYears(*birth, occurred_day);
    if (code == "child_health_check" && age > 6) {
      return Fail(bad_column, "birth_date",
                  absl::StrCat("child_health_check is for children aged 0-6, "
                               "but someone born on ",
                               FormatDay(*birth), " is ", age, " on ",
                               FormatDay(occurred_day)));
    }
    if (code == "elderly_health_check" && age < 65) {
      return Fail(bad_column, "birth_date",
                  absl::StrCat("elderly_health_check is for people aged 65 or "
                               "more, but someone born on ",
                               FormatDay(*birth), " is ", age, " on ",
                               FormatDay(occurred_day)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Record> ParseRow(const RawRow& row, absl::CivilSecond now,
                                std::string* bad_column) {
  std::string scratch;
  if (bad_column == nullptr) bad_column = &scratch;
  bad_column->clear();

  // The trimmed cell, or nullopt when absent or empty.
  auto get =
      [&row](absl::string_view column) -> std::optional<absl::string_view> {
    auto it = row.fields().find(std::string(column));
    if (it == row.fields().end()) return std::nullopt;
    absl::string_view v = Trim(it->second);
    if (v.empty()) return std::nullopt;
    return v;
  };

  Record r;
  std::optional<absl::string_view> v = get("record_id");
  absl::Status s = CheckRecordId(v.value_or(""), bad_column);
  if (!s.ok()) return s;
  r.set_record_id(std::string(*v));

  bool is_void = false;
  if ((v = get("action"))) {
    std::string action = LowerAscii(*v);
    if (action == "void") {
      is_void = true;
    } else if (action != "new") {
      return Fail(bad_column, "action",
                  absl::StrCat("action '", *v,
                               "' must be new or void (empty means new)"));
    }
  }

  if (!(v = get("kind"))) return Fail(bad_column, "kind", "kind is missing");
  const KindInfo* kind = FindKind(LowerAscii(*v));
  if (kind == nullptr) return UnknownKind(*v, bad_column);
  r.set_kind(std::string(kind->code));

  if (is_void) {
    // Everything else on a void row is ignored.
    r.set_is_void(true);
  } else {
    if ((v = get("occurred_at"))) {
      absl::CivilSecond t;
      if (!ParseDateTime(*v, &t)) {
        return Fail(
            bad_column, "occurred_at",
            absl::StrCat(
                "occurred_at '", *v,
                "' is not a valid date or time; expected YYYY-MM-DD, "
                "YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (local time)"));
      }
      r.set_occurred_at(LocalSeconds(t));
    }
    if ((v = get("patient_id"))) r.set_patient_id(std::string(*v));
    if ((v = get("sex"))) {
      absl::string_view x = *v;
      if (x == "M" || x == "m" || x == "男" || x == "1") {
        r.set_sex("M");
      } else if (x == "F" || x == "f" || x == "女" || x == "2") {
        r.set_sex("F");
      } else {
        return BadSex(x, bad_column);
      }
    }
    if ((v = get("birth_date"))) {
      absl::CivilDay day;
      if (!ParseDate(*v, &day)) {
        return Fail(
            bad_column, "birth_date",
            absl::StrCat(
                "birth_date '", *v,
                "' is not a valid date; expected YYYY-MM-DD, e.g. 1958-03-21"));
      }
      r.set_birth_date(DaysSinceEpoch(day));
    }
    if ((v = get("cost_yuan"))) {
      absl::StatusOr<int64_t> n = ParseNumber(kCostRule, *v, bad_column);
      if (!n.ok()) return n.status();
      r.set_cost_fen(*n);
    }
    if ((v = get("icd10"))) r.set_icd10(std::string(*v));
    if ((v = get("vaccine"))) r.set_vaccine(std::string(*v));
    struct IntColumn {
      const NumberRule& rule;
      void (Record::*set)(int32_t);
    };
    const IntColumn ints[] = {
        {kDoseRule, &Record::set_dose},
        {kSystolicRule, &Record::set_systolic},
        {kDiastolicRule, &Record::set_diastolic},
        {kGlucoseRule, &Record::set_fasting_glucose_centi},
        {kParticipantsRule, &Record::set_participants},
    };
    for (const IntColumn& c : ints) {
      if ((v = get(c.rule.column))) {
        // ParseNumber checks the range, so the value fits in int32.
        absl::StatusOr<int64_t> n = ParseNumber(c.rule, *v, bad_column);
        if (!n.ok()) return n.status();
        (r.*c.set)(static_cast<int32_t>(*n));
      }
    }
    if ((v = get("disease"))) {
      const DiseaseInfo* d = FindDisease(LowerAscii(*v));
      if (d == nullptr) return UnknownDisease(*v, bad_column);
      r.set_disease(std::string(d->code));
    }
    if ((v = get("referred_to"))) {
      const ReferralTargetInfo* t = FindReferralTarget(LowerAscii(*v));
      if (t == nullptr) return UnknownReferralTarget(*v, bad_column);
      r.set_referred_to(std::string(t->code));
    }
  }

  s = ValidateRecord(r, now, bad_column);
  if (!s.ok()) return s;
  return r;
}

std::string FormatLocalSeconds(int64_t s) {
  // Outside years 1..9999 (only from a broken peer) show the raw number.
  if (s < int64_t{-62135596800} || s > int64_t{253402300799}) {
    return absl::StrCat(s, " seconds");
  }
  absl::CivilSecond t = kEpoch + s;
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", t.year(), t.month(),
                         t.day(), t.hour(), t.minute(), t.second());
}

bool ParseLocalSeconds(absl::string_view text, int64_t* local_seconds) {
  absl::CivilSecond t;
  if (!ParseDateTime(text, &t)) return false;
  *local_seconds = LocalSeconds(t);
  return true;
}

}  // namespace sanji
