// Calendar arithmetic for reporting periods (spec/indicators.md "Periods").
//
// Dates are local (Asia/Shanghai) civil days; there is no DST in China, so no
// time zone arithmetic is ever needed: a record's day is the date part of its
// local occurred_at.
#ifndef SANJI_COMMON_PERIOD_H_
#define SANJI_COMMON_PERIOD_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace sanji {

enum class PeriodKind { kDay, kMonth, kQuarter, kHalf, kYear, kRange };

// An inclusive range of days with the form it was named in.
struct Period {
  PeriodKind kind;
  absl::CivilDay first;
  absl::CivilDay last;

  bool IsCalendar() const { return kind != PeriodKind::kRange; }
  bool Contains(absl::CivilDay d) const { return first <= d && d <= last; }
  // Canonical name: "2025", "2025-H1", "2025-Q3", "2025-07", "2025-07-14",
  // "2025-01-01..2025-01-31". Calendar keys are what rollup cells are stored
  // under.
  std::string Key() const;
  // Calendar months covered: 12, 6, 3, 1; 1 for a day (spec: R for a day is 1).
  int Months() const;
};

// A calendar period as the exchange formats name it (spec/interfaces.md
// "Exports"): DHIS2 ("2025", "2025S1", "2025Q1", "202506", "20250603"), ADX's
// ISO 8601 start/duration ("2025-01-01/P1Y", ".../P6M", ".../P3M", ".../P1M",
// ".../P1D") and FHIR's first and last days ("2025-01-01", "2025-12-31").
struct ExchangePeriod {
  std::string dhis2;
  std::string adx;
  std::string start;
  std::string end;
};
// InvalidArgument for a range of days, which none of them can name.
absl::StatusOr<ExchangePeriod> ExchangePeriodOf(const Period& period);

// Parses every form in spec/indicators.md; anything else is InvalidArgument
// with the forms.
absl::StatusOr<Period> ParsePeriod(absl::string_view text);

// The five calendar periods a day falls in: day, month, quarter, half, year.
std::array<Period, 5> CalendarPeriodsOf(absl::CivilDay day);

// Minimum follow-ups for "standardized" management: ceil(4 * months / 12).
int RequiredFollowups(const Period& period);

// Days since 1970-01-01 <-> civil day.
int32_t DaysSinceEpoch(absl::CivilDay day);
absl::CivilDay DayFromEpochDays(int64_t days);
// The local day of an occurred_at (local civil seconds since 1970-01-01T00:00).
absl::CivilDay DayOfLocalSeconds(int64_t local_seconds);
std::string FormatDay(absl::CivilDay day);  // YYYY-MM-DD

// YYYY-MM-DD, a real date (2025-02-30 is refused).
bool ParseDay(absl::string_view text, absl::CivilDay* out);
// YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS ('T' or one space), a
// real time.
bool ParseDayTime(absl::string_view text, absl::CivilSecond* out);

// The current local (Asia/Shanghai, UTC+8, no DST) civil time.
absl::CivilSecond NowLocal();
// Local civil seconds since 1970-01-01T00:00 (how Record stores occurred_at),
// from a civil time, as YYYY-MM-DDTHH:MM:SS, and back from any form of
// ParseDayTime.
int64_t LocalSeconds(absl::CivilSecond t);
std::string FormatLocalSeconds(int64_t local_seconds);
bool ParseLocalSeconds(absl::string_view text, int64_t* local_seconds);

// Age in full years on `on` for someone born on `birth`.
int AgeInFullYears(absl::CivilDay birth, absl::CivilDay on);

}  // namespace sanji

#endif  // SANJI_COMMON_PERIOD_H_
