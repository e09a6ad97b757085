#include "common/record_parse.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "common/status_macros.h"
#include "common/vocabulary.h"

namespace sanji {
namespace {

const absl::CivilDay kEarliestBirth(1900, 1, 1);
const absl::CivilSecond kEarliestOccurred(2000, 1, 1, 0, 0, 0);
constexpr int64_t kSecondsPerDay = 86400;

absl::Status Fail(std::string* bad_column, absl::string_view column,
                  absl::string_view code, absl::string_view message) {
  *bad_column = std::string(column);
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kReasonCodePayload, absl::Cord(code));
  return status;
}

// -----------------------------------------------------------------------------
// The zh-CN sentences of the refusals (record_parse.h "Reason codes"), for the
// clinic page; the English reasons are built where each rule is checked below.
// An entry with a column applies to that column only; {column} is the column's
// zh-CN name.

struct ReasonText {
  absl::string_view code;
  absl::string_view column;  // empty: any column
  absl::string_view zh;
};

constexpr ReasonText kReasonsZh[] = {
    {"missing", "", "请填写{column}"},
    {"bad_number", "cost_yuan",
     "费用须为 0-100000000 元, 最多两位小数 (如 12.50)"},
    {"bad_number", "dose", "剂次须为 1-99 的整数"},
    {"bad_number", "systolic", "收缩压须为 40-300 的整数 (mmHg)"},
    {"bad_number", "diastolic", "舒张压须为 40-300 的整数 (mmHg)"},
    {"bad_number", "fasting_glucose",
     "空腹血糖须为 1.0-40.0 mmol/L, 最多两位小数 (如 6.1)"},
    {"bad_number", "participants", "参加人数须为 1-1000000 的整数"},
    {"bad_record_id", "",
     "记录编号须为 1-64 个字符, 只能用字母、数字和 . _ : -"},
    {"bad_action", "", "操作须为 new (新增) 或 void (作废)"},
    {"unknown_kind", "", "不是已知的记录类别"},
    {"bad_date_time", "",
     "发生时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM (本地时间)"},
    {"too_early", "occurred_at", "发生时间早于 2000-01-01, 请检查年份"},
    {"in_future", "", "发生时间比现在晚一天以上, 请检查日期和电脑的时钟"},
    {"bad_patient_id", "", "健康档案编号须为 1-64 个字符, 不含控制字符"},
    {"resident_id_number", "",
     "这是身份证号, 身份证号不得离开卫生室: 请填写健康档案编号"},
    {"bad_sex", "", "性别须为 男 或 女 (也可写 M/F 或 1/2)"},
    {"bad_date", "", "出生日期格式应为 YYYY-MM-DD, 如 1958-03-21"},
    {"too_early", "birth_date", "出生日期早于 1900-01-01, 请检查年份"},
    {"birth_after_occurred", "", "出生日期晚于发生日期"},
    {"child_too_old", "", "0-6岁儿童健康检查只适用于 0-6 岁的儿童"},
    {"elderly_too_young", "", "老年人健康体检只适用于 65 岁及以上的老人"},
    {"bad_icd10", "", "ICD-10 编码最多 32 个字符, 如 I10"},
    {"bad_vaccine", "",
     "疫苗须为 1-32 位字母、数字、_ 或 - 组成的代码, 如 HepB、BCG、DTaP、MMR"},
    {"unknown_disease", "", "不是法定传染病目录中的病种"},
    {"unknown_referral_target", "",
     "转诊去向须为 乡镇卫生院、县级医院 或 县外"},
    {"void_extra_column", "", "作废记录只需记录编号和类别, 不应填写{column}"},
    {"nothing_to_void", "", "本卫生室从未录入过这个记录编号, 无法作废"},
    {"void_kind_mismatch", "", "作废记录的类别与原记录不一致"},
    {"record_id_conflict", "",
     "这个记录编号已录入过不同的内容; 如需更正, 请先作废原记录, "
     "再用新的记录编号录入"},
};

// The columns of spec/records.md by their zh-CN names.
constexpr std::pair<absl::string_view, absl::string_view> kColumnsZh[] = {
    {"record_id", "记录编号"},
    {"action", "操作"},
    {"kind", "记录类别"},
    {"occurred_at", "发生时间"},
    {"patient_id", "健康档案编号"},
    {"sex", "性别"},
    {"birth_date", "出生日期"},
    {"cost_yuan", "费用 (元)"},
    {"icd10", "诊断 (ICD-10)"},
    {"vaccine", "疫苗"},
    {"dose", "剂次"},
    {"systolic", "收缩压"},
    {"diastolic", "舒张压"},
    {"fasting_glucose", "空腹血糖"},
    {"disease", "传染病病种"},
    {"participants", "参加人数"},
    {"referred_to", "转诊去向"},
};

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

// Dates and times are common/period.h's.

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
  return Fail(bad_column, rule.column, "bad_number",
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
    return Fail(bad_column, rule.column, "bad_number",
                absl::StrCat(rule.column, " '", text, "' is not ",
                             rule.scale == 0 ? "a whole number" : "a number",
                             "; expected ", rule.expected));
  }
  if (static_cast<int>(frac.size()) > rule.scale) {
    return Fail(
        bad_column, rule.column, "bad_number",
        absl::StrCat(rule.column, " '", text, "' has more than ", rule.scale,
                     " decimal places; expected ", rule.expected));
  }
  // Leading zeros do not count towards the size; anything with more than 15
  // significant integer digits is out of every range and would overflow.
  size_t nz = whole.find_first_not_of('0');
  absl::string_view significant =
      nz == absl::string_view::npos ? absl::string_view() : whole.substr(nz);
  if (significant.size() > 15) {
    return Fail(bad_column, rule.column, "bad_number",
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
      bad_column, "kind", "unknown_kind",
      absl::StrCat("kind '", shown, "' is not a known kind; expected one of ",
                   KindList()));
}

absl::Status UnknownDisease(absl::string_view shown, std::string* bad_column) {
  return Fail(
      bad_column, "disease", "unknown_disease",
      absl::StrCat(
          "disease '", shown,
          "' is not a code of the notifiable disease list (e.g. measles, "
          "tuberculosis, viral_hepatitis, influenza; see spec/records.md)"));
}

absl::Status UnknownReferralTarget(absl::string_view shown,
                                   std::string* bad_column) {
  return Fail(bad_column, "referred_to", "unknown_referral_target",
              absl::StrCat("referred_to '", shown,
                           "' must be township, county or outside"));
}

absl::Status BadSex(absl::string_view shown, std::string* bad_column) {
  return Fail(
      bad_column, "sex", "bad_sex",
      absl::StrCat("sex '", shown, "' must be M or F (also 男/女 or 1/2)"));
}

absl::Status CheckRecordId(absl::string_view id, std::string* bad_column) {
  if (id.empty())
    return Fail(bad_column, "record_id", "missing", "record_id is missing");
  if (id.size() > 64 || !AllOf(id, IsRecordIdChar)) {
    return Fail(bad_column, "record_id", "bad_record_id",
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
        bad_column, "patient_id", "bad_patient_id",
        absl::StrCat(
            "patient_id '", control ? "(contains control characters)" : id,
            "' must be 1-64 characters without control characters (the "
            "health-record number, 健康档案编号)"));
  }
  if (IsResidentIdNumber(id)) {
    return Fail(
        bad_column, "patient_id", "resident_id_number",
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
        bad_column, "icd10", "bad_icd10",
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
        bad_column, "vaccine", "bad_vaccine",
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
      bad_column, column, "missing",
      absl::StrCat(column, " is missing; it is required for kind ", kind));
}

// Lower-cases ASCII letters only (Chinese text is left alone).
std::string LowerAscii(absl::string_view s) { return absl::AsciiStrToLower(s); }

}  // namespace

std::string ReasonCode(const absl::Status& status) {
  const auto code = status.GetPayload(kReasonCodePayload);
  return code.has_value() ? std::string(*code) : std::string();
}

absl::string_view ColumnNameZh(absl::string_view column) {
  for (const auto& [code, zh] : kColumnsZh) {
    if (code == column) return zh;
  }
  return column;
}

std::string ReasonZh(absl::string_view code, absl::string_view column,
                     absl::string_view reason) {
  const ReasonText* found = nullptr;
  for (const ReasonText& r : kReasonsZh) {
    if (r.code != code || code.empty()) continue;
    if (r.column == column) {
      found = &r;
      break;
    }
    if (r.column.empty() && found == nullptr) found = &r;
  }
  if (found == nullptr) {
    return absl::StrCat(column.empty() ? "该行" : ColumnNameZh(column),
                        "有误: ", reason);
  }
  return absl::StrReplaceAll(found->zh, {{"{column}", ColumnNameZh(column)}});
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

namespace {

// A void carries only record_id and kind (its canonical form).
absl::Status CheckVoid(const Record& record, std::string* bad_column) {
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
  if (extra == nullptr) return absl::OkStatus();
  return Fail(
      bad_column, extra, "void_extra_column",
      absl::StrCat("a void record carries only record_id and kind, but it has ",
                   extra));
}

absl::Status CheckOccurredAt(int64_t occurred, absl::CivilSecond now,
                             std::string* bad_column) {
  if (occurred == 0) {
    return Fail(bad_column, "occurred_at", "missing", "occurred_at is missing");
  }
  if (occurred < LocalSeconds(kEarliestOccurred)) {
    return Fail(bad_column, "occurred_at", "too_early",
                absl::StrCat("occurred_at '", FormatLocalSeconds(occurred),
                             "' is before 2000-01-01; check the year"));
  }
  const int64_t latest = LocalSeconds(now) + kSecondsPerDay;
  if (occurred > latest) {
    return Fail(
        bad_column, "occurred_at", "in_future",
        absl::StrCat("occurred_at '", FormatLocalSeconds(occurred),
                     "' is more than one day in the future (the time now is ",
                     FormatLocalSeconds(LocalSeconds(now)),
                     "); check the date and the computer's clock"));
  }
  return absl::OkStatus();
}

// Person columns: required for person kinds, checked whenever present.
// *birth is the birth date when there is one.
absl::Status CheckPerson(const Record& record, const KindInfo& kind,
                         absl::CivilDay occurred_day,
                         std::optional<absl::CivilDay>* birth,
                         std::string* bad_column) {
  if (record.patient_id().empty()) {
    if (kind.person) return Missing("patient_id", kind.code, bad_column);
  } else {
    RETURN_IF_ERROR(CheckPatientId(record.patient_id(), bad_column));
  }
  if (record.sex().empty()) {
    if (kind.person) return Missing("sex", kind.code, bad_column);
  } else if (record.sex() != "M" && record.sex() != "F") {
    return BadSex(record.sex(), bad_column);
  }
  if (!record.has_birth_date()) {
    if (kind.person) return Missing("birth_date", kind.code, bad_column);
    return absl::OkStatus();
  }
  *birth = DayFromEpochDays(record.birth_date());
  if (**birth < kEarliestBirth) {
    return Fail(bad_column, "birth_date", "too_early",
                absl::StrCat("birth_date '", FormatDay(**birth),
                             "' is before 1900-01-01; check the year"));
  }
  if (**birth > occurred_day) {
    return Fail(bad_column, "birth_date", "birth_after_occurred",
                absl::StrCat("birth_date '", FormatDay(**birth),
                             "' is after the date of occurred_at (",
                             FormatDay(occurred_day), ")"));
  }
  return absl::OkStatus();
}

// The integer columns of the follow-ups and vaccinations, each required by
// one kind.
absl::Status CheckIntColumns(const Record& record, absl::string_view code,
                             std::string* bad_column) {
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
      RETURN_IF_ERROR(CheckRange(
          f.rule, f.value, FormatScaled(f.value, f.rule.scale), bad_column));
    } else if (code == f.required_by) {
      return Missing(f.rule.column, code, bad_column);
    }
  }
  return absl::OkStatus();
}

// Typed columns, required by their kinds, checked whenever present.
absl::Status CheckTypedColumns(const Record& record, absl::string_view code,
                               std::string* bad_column) {
  if (record.has_cost_fen()) {
    RETURN_IF_ERROR(CheckRange(kCostRule, record.cost_fen(),
                               FormatScaled(record.cost_fen(), 2), bad_column));
  } else if (code == "outpatient_visit" || code == "inpatient_admission") {
    return Missing("cost_yuan", code, bad_column);
  }
  if (!record.icd10().empty()) {
    RETURN_IF_ERROR(CheckIcd10(record.icd10(), bad_column));
  }
  if (!record.vaccine().empty()) {
    RETURN_IF_ERROR(CheckVaccine(record.vaccine(), bad_column));
  } else if (code == "vaccination") {
    return Missing("vaccine", code, bad_column);
  }
  RETURN_IF_ERROR(CheckIntColumns(record, code, bad_column));
  if (!record.disease().empty()) {
    if (FindDisease(record.disease()) == nullptr) {
      return UnknownDisease(record.disease(), bad_column);
    }
  } else if (code == "infectious_disease_report") {
    return Missing("disease", code, bad_column);
  }
  if (record.has_participants()) {
    RETURN_IF_ERROR(CheckRange(kParticipantsRule, record.participants(),
                               absl::StrCat(record.participants()),
                               bad_column));
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
  return absl::OkStatus();
}

// Age rules (spec/indicators.md).
absl::Status CheckAge(absl::string_view code, absl::CivilDay birth,
                      absl::CivilDay occurred_day, std::string* bad_column) {
  int age = AgeInFullYears(birth, occurred_day);
  if (code == "child_health_check" && age > 6) {
    return Fail(bad_column, "birth_date", "child_too_old",
                absl::StrCat("child_health_check is for children aged 0-6, "
                             "but someone born on ",
                             FormatDay(birth), " is ", age, " on ",
                             FormatDay(occurred_day)));
  }
  if (code == "elderly_health_check" && age < 65) {
    return Fail(bad_column, "birth_date", "elderly_too_young",
                absl::StrCat("elderly_health_check is for people aged 65 or "
                             "more, but someone born on ",
                             FormatDay(birth), " is ", age, " on ",
                             FormatDay(occurred_day)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRecord(const Record& record, absl::CivilSecond now,
                            std::string* bad_column) {
  std::string scratch;
  if (bad_column == nullptr) bad_column = &scratch;
  bad_column->clear();

  RETURN_IF_ERROR(CheckRecordId(record.record_id(), bad_column));
  if (record.kind().empty()) {
    return Fail(bad_column, "kind", "missing", "kind is missing");
  }
  const KindInfo* kind = FindKind(record.kind());
  if (kind == nullptr) return UnknownKind(record.kind(), bad_column);
  if (record.is_void()) return CheckVoid(record, bad_column);

  RETURN_IF_ERROR(CheckOccurredAt(record.occurred_at(), now, bad_column));
  const absl::CivilDay occurred_day = DayOfLocalSeconds(record.occurred_at());
  std::optional<absl::CivilDay> birth;
  RETURN_IF_ERROR(CheckPerson(record, *kind, occurred_day, &birth, bad_column));
  RETURN_IF_ERROR(CheckTypedColumns(record, kind->code, bad_column));
  if (birth.has_value()) {
    RETURN_IF_ERROR(CheckAge(kind->code, *birth, occurred_day, bad_column));
  }
  return absl::OkStatus();
}

namespace {

// The trimmed cells of a row by column; absent and empty are the same. A
// row has at most a few dozen cells, so a scan beats hashing the names.
class RowCells {
 public:
  explicit RowCells(const RowCellList& cells) : cells_(cells) {}
  std::optional<absl::string_view> Get(absl::string_view column) const {
    for (const auto& [name, value] : cells_) {
      if (name != column) continue;
      absl::string_view v = Trim(value);
      if (v.empty()) return std::nullopt;
      return v;
    }
    return std::nullopt;
  }

 private:
  const RowCellList& cells_;
};

// occurred_at, and the person columns.
absl::Status ParseWhenAndWho(const RowCells& cells, Record* r,
                             std::string* bad_column) {
  std::optional<absl::string_view> v;
  if ((v = cells.Get("occurred_at"))) {
    absl::CivilSecond t;
    if (!ParseDayTime(*v, &t)) {
      return Fail(
          bad_column, "occurred_at", "bad_date_time",
          absl::StrCat("occurred_at '", *v,
                       "' is not a valid date or time; expected YYYY-MM-DD, "
                       "YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (local time)"));
    }
    r->set_occurred_at(LocalSeconds(t));
  }
  if ((v = cells.Get("patient_id"))) r->set_patient_id(std::string(*v));
  if ((v = cells.Get("sex"))) {
    absl::string_view x = *v;
    if (x == "M" || x == "m" || x == "男" || x == "1") {
      r->set_sex("M");
    } else if (x == "F" || x == "f" || x == "女" || x == "2") {
      r->set_sex("F");
    } else {
      return BadSex(x, bad_column);
    }
  }
  if ((v = cells.Get("birth_date"))) {
    absl::CivilDay day;
    if (!ParseDay(*v, &day)) {
      return Fail(
          bad_column, "birth_date", "bad_date",
          absl::StrCat(
              "birth_date '", *v,
              "' is not a valid date; expected YYYY-MM-DD, e.g. 1958-03-21"));
    }
    r->set_birth_date(DaysSinceEpoch(day));
  }
  return absl::OkStatus();
}

// The columns of what happened: amounts, codes and measures.
absl::Status ParseWhat(const RowCells& cells, Record* r,
                       std::string* bad_column) {
  std::optional<absl::string_view> v;
  if ((v = cells.Get("cost_yuan"))) {
    ASSIGN_OR_RETURN(int64_t fen, ParseNumber(kCostRule, *v, bad_column));
    r->set_cost_fen(fen);
  }
  if ((v = cells.Get("icd10"))) r->set_icd10(std::string(*v));
  if ((v = cells.Get("vaccine"))) r->set_vaccine(std::string(*v));
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
    if ((v = cells.Get(c.rule.column))) {
      // ParseNumber checks the range, so the value fits in int32.
      ASSIGN_OR_RETURN(int64_t n, ParseNumber(c.rule, *v, bad_column));
      (r->*c.set)(static_cast<int32_t>(n));
    }
  }
  if ((v = cells.Get("disease"))) {
    const DiseaseInfo* d = FindDisease(LowerAscii(*v));
    if (d == nullptr) return UnknownDisease(*v, bad_column);
    r->set_disease(std::string(d->code));
  }
  if ((v = cells.Get("referred_to"))) {
    const ReferralTargetInfo* t = FindReferralTarget(LowerAscii(*v));
    if (t == nullptr) return UnknownReferralTarget(*v, bad_column);
    r->set_referred_to(std::string(t->code));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Record> ParseRow(const RawRow& row, absl::CivilSecond now,
                                std::string* bad_column) {
  RowCellList cells;
  for (const auto& [name, value] : row.fields())
    cells.emplace_back(name, value);
  return ParseCells(cells, now, bad_column);
}

absl::StatusOr<Record> ParseCells(const RowCellList& row_cells,
                                  absl::CivilSecond now,
                                  std::string* bad_column) {
  std::string scratch;
  if (bad_column == nullptr) bad_column = &scratch;
  bad_column->clear();
  const RowCells cells(row_cells);

  Record r;
  std::optional<absl::string_view> v = cells.Get("record_id");
  RETURN_IF_ERROR(CheckRecordId(v.value_or(""), bad_column));
  r.set_record_id(std::string(*v));

  bool is_void = false;
  if ((v = cells.Get("action"))) {
    std::string action = LowerAscii(*v);
    if (action == "void") {
      is_void = true;
    } else if (action != "new") {
      return Fail(bad_column, "action", "bad_action",
                  absl::StrCat("action '", *v,
                               "' must be new or void (empty means new)"));
    }
  }

  if (!(v = cells.Get("kind"))) {
    return Fail(bad_column, "kind", "missing", "kind is missing");
  }
  const KindInfo* kind = FindKind(LowerAscii(*v));
  if (kind == nullptr) return UnknownKind(*v, bad_column);
  r.set_kind(std::string(kind->code));

  if (is_void) {
    r.set_is_void(true);  // everything else on a void row is ignored
  } else {
    RETURN_IF_ERROR(ParseWhenAndWho(cells, &r, bad_column));
    RETURN_IF_ERROR(ParseWhat(cells, &r, bad_column));
  }
  RETURN_IF_ERROR(ValidateRecord(r, now, bad_column));
  return r;
}

}  // namespace sanji
