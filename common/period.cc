#include "common/period.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace sanji {
namespace {

const absl::CivilSecond kEpoch(1970, 1, 1, 0, 0, 0);

bool ParseDigits(absl::string_view s, size_t n, int* out) {
  if (s.size() != n) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

Period MakePeriod(PeriodKind kind, int year, int first_month, int months) {
  absl::CivilMonth start(year, first_month);
  absl::CivilDay first(start);
  absl::CivilDay last = absl::CivilDay(start + months) - 1;
  return Period{kind, first, last};
}

}  // namespace

bool ParseDay(absl::string_view s, absl::CivilDay* out) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' ||
      !ParseDigits(s.substr(0, 4), 4, &y) ||
      !ParseDigits(s.substr(5, 2), 2, &m) ||
      !ParseDigits(s.substr(8, 2), 2, &d)) {
    return false;
  }
  absl::CivilDay day(y, m, d);
  // CivilDay normalizes out-of-range fields (2025-02-30 -> 2025-03-02); refuse
  // those.
  if (day.year() != y || day.month() != m || day.day() != d) return false;
  *out = day;
  return true;
}

bool ParseDayTime(absl::string_view s, absl::CivilSecond* out) {
  absl::CivilDay day;
  if (s.size() < 10 || !ParseDay(s.substr(0, 10), &day)) return false;
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
  if (s.size() == 19 &&
      (s[16] != ':' || !ParseDigits(s.substr(17, 2), 2, &ss))) {
    return false;
  }
  if (hh > 23 || mm > 59 || ss > 59) return false;
  *out = absl::CivilSecond(day.year(), day.month(), day.day(), hh, mm, ss);
  return true;
}

absl::CivilSecond NowLocal() {
  return absl::ToCivilSecond(absl::Now(), absl::FixedTimeZone(8 * 3600));
}

int64_t LocalSeconds(absl::CivilSecond t) { return t - kEpoch; }

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
  if (!ParseDayTime(text, &t)) return false;
  *local_seconds = LocalSeconds(t);
  return true;
}

std::string Period::Key() const {
  switch (kind) {
    case PeriodKind::kDay:
      return FormatDay(first);
    case PeriodKind::kMonth:
      return absl::StrFormat("%04d-%02d", first.year(), first.month());
    case PeriodKind::kQuarter:
      return absl::StrFormat("%04d-Q%d", first.year(),
                             (first.month() - 1) / 3 + 1);
    case PeriodKind::kHalf:
      return absl::StrFormat("%04d-H%d", first.year(),
                             first.month() <= 6 ? 1 : 2);
    case PeriodKind::kYear:
      return absl::StrFormat("%04d", first.year());
    case PeriodKind::kRange:
      return absl::StrCat(FormatDay(first), "..", FormatDay(last));
  }
  return "";
}

absl::StatusOr<ExchangePeriod> ExchangePeriodOf(const Period& period) {
  ExchangePeriod out;
  const int year = static_cast<int>(period.first.year());
  const int month = period.first.month();
  switch (period.kind) {
    case PeriodKind::kYear:
      out.dhis2 = absl::StrFormat("%04d", year);
      out.adx = "P1Y";
      break;
    case PeriodKind::kHalf:
      out.dhis2 = absl::StrFormat("%04dS%d", year, month <= 6 ? 1 : 2);
      out.adx = "P6M";
      break;
    case PeriodKind::kQuarter:
      out.dhis2 = absl::StrFormat("%04dQ%d", year, (month - 1) / 3 + 1);
      out.adx = "P3M";
      break;
    case PeriodKind::kMonth:
      out.dhis2 = absl::StrFormat("%04d%02d", year, month);
      out.adx = "P1M";
      break;
    case PeriodKind::kDay:
      out.dhis2 =
          absl::StrFormat("%04d%02d%02d", year, month, period.first.day());
      out.adx = "P1D";
      break;
    case PeriodKind::kRange:
      return absl::InvalidArgumentError(absl::StrCat(
          "period ", period.Key(),
          " is a range of days, which DHIS2, ADX and FHIR exports cannot "
          "name: export a calendar period (YYYY, YYYY-H1, YYYY-Q1, YYYY-MM or "
          "YYYY-MM-DD), or use --format=csv, json, md or xlsx for the range"));
  }
  out.start = FormatDay(period.first);
  out.end = FormatDay(period.last);
  out.adx = absl::StrCat(out.start, "/", out.adx);
  return out;
}

int Period::Months() const {
  switch (kind) {
    case PeriodKind::kYear:
      return 12;
    case PeriodKind::kHalf:
      return 6;
    case PeriodKind::kQuarter:
      return 3;
    default:
      return 1;
  }
}

absl::StatusOr<Period> ParsePeriod(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("period '", text,
                     "' is not one of YYYY, YYYY-H1, YYYY-H2, "
                     "YYYY-Q1..YYYY-Q4, YYYY-MM, YYYY-MM-DD or "
                     "YYYY-MM-DD..YYYY-MM-DD"));
  };
  size_t dots = text.find("..");
  if (dots != absl::string_view::npos) {
    absl::CivilDay a, b;
    if (!ParseDay(text.substr(0, dots), &a) ||
        !ParseDay(text.substr(dots + 2), &b)) {
      return bad();
    }
    if (b < a) {
      return absl::InvalidArgumentError(
          absl::StrCat("period '", text, "' ends before it starts"));
    }
    return Period{PeriodKind::kRange, a, b};
  }
  int year;
  if (text.size() < 4 || !ParseDigits(text.substr(0, 4), 4, &year) ||
      year < 1900 || year > 9999) {
    return bad();
  }
  if (text.size() == 4) return MakePeriod(PeriodKind::kYear, year, 1, 12);
  if (text[4] != '-') return bad();
  absl::string_view rest = text.substr(5);
  int n;
  if (rest.size() == 2 && rest[0] == 'H' &&
      ParseDigits(rest.substr(1), 1, &n) && n >= 1 && n <= 2) {
    return MakePeriod(PeriodKind::kHalf, year, n == 1 ? 1 : 7, 6);
  }
  if (rest.size() == 2 && rest[0] == 'Q' &&
      ParseDigits(rest.substr(1), 1, &n) && n >= 1 && n <= 4) {
    return MakePeriod(PeriodKind::kQuarter, year, 3 * (n - 1) + 1, 3);
  }
  if (rest.size() == 2 && ParseDigits(rest, 2, &n) && n >= 1 && n <= 12) {
    return MakePeriod(PeriodKind::kMonth, year, n, 1);
  }
  absl::CivilDay day;
  if (ParseDay(text, &day)) return Period{PeriodKind::kDay, day, day};
  return bad();
}

std::array<Period, 5> CalendarPeriodsOf(absl::CivilDay day) {
  int y = static_cast<int>(day.year());
  int m = day.month();
  return {Period{PeriodKind::kDay, day, day},
          MakePeriod(PeriodKind::kMonth, y, m, 1),
          MakePeriod(PeriodKind::kQuarter, y, 3 * ((m - 1) / 3) + 1, 3),
          MakePeriod(PeriodKind::kHalf, y, m <= 6 ? 1 : 7, 6),
          MakePeriod(PeriodKind::kYear, y, 1, 12)};
}

int RequiredFollowups(const Period& period) {
  return (4 * period.Months() + 11) / 12;
}

int32_t DaysSinceEpoch(absl::CivilDay day) {
  return static_cast<int32_t>(day - absl::CivilDay(1970, 1, 1));
}

absl::CivilDay DayFromEpochDays(int64_t days) {
  return absl::CivilDay(1970, 1, 1) + days;
}

absl::CivilDay DayOfLocalSeconds(int64_t local_seconds) {
  int64_t days = local_seconds >= 0 ? local_seconds / 86400
                                    : -((-local_seconds + 86399) / 86400);
  return DayFromEpochDays(days);
}

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

int AgeInFullYears(absl::CivilDay birth, absl::CivilDay on) {
  int age = static_cast<int>(on.year() - birth.year());
  if (on.month() < birth.month() ||
      (on.month() == birth.month() && on.day() < birth.day())) {
    --age;
  }
  return age;
}

}  // namespace sanji
