// Tests of common/period.h: period names, calendar periods of a day, follow-up
// thresholds, ages and local-seconds days.
#include "common/period.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

using absl::CivilDay;

Period MustParse(absl::string_view text) {
  absl::StatusOr<Period> p = ParsePeriod(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status();
  return p.ok() ? *p : Period{PeriodKind::kDay, CivilDay(), CivilDay()};
}

TEST(ParsePeriodTest, EveryCalendarForm) {
  struct Case {
    const char* text;
    PeriodKind kind;
    CivilDay first;
    CivilDay last;
    int months;
  };
  for (const Case& c : {
           Case{"2025", PeriodKind::kYear, CivilDay(2025, 1, 1),
                CivilDay(2025, 12, 31), 12},
           Case{"2025-H1", PeriodKind::kHalf, CivilDay(2025, 1, 1),
                CivilDay(2025, 6, 30), 6},
           Case{"2025-H2", PeriodKind::kHalf, CivilDay(2025, 7, 1),
                CivilDay(2025, 12, 31), 6},
           Case{"2025-Q1", PeriodKind::kQuarter, CivilDay(2025, 1, 1),
                CivilDay(2025, 3, 31), 3},
           Case{"2025-Q2", PeriodKind::kQuarter, CivilDay(2025, 4, 1),
                CivilDay(2025, 6, 30), 3},
           Case{"2025-Q3", PeriodKind::kQuarter, CivilDay(2025, 7, 1),
                CivilDay(2025, 9, 30), 3},
           Case{"2025-Q4", PeriodKind::kQuarter, CivilDay(2025, 10, 1),
                CivilDay(2025, 12, 31), 3},
           Case{"2025-02", PeriodKind::kMonth, CivilDay(2025, 2, 1),
                CivilDay(2025, 2, 28), 1},
           Case{"2024-02", PeriodKind::kMonth, CivilDay(2024, 2, 1),
                CivilDay(2024, 2, 29), 1},
           Case{"2025-12", PeriodKind::kMonth, CivilDay(2025, 12, 1),
                CivilDay(2025, 12, 31), 1},
           Case{"2024-02-29", PeriodKind::kDay, CivilDay(2024, 2, 29),
                CivilDay(2024, 2, 29), 1},
           Case{"2025-01-01..2025-01-31", PeriodKind::kRange,
                CivilDay(2025, 1, 1), CivilDay(2025, 1, 31), 1},
           Case{"2025-03-05..2025-03-05", PeriodKind::kRange,
                CivilDay(2025, 3, 5), CivilDay(2025, 3, 5), 1},
           Case{"2024-12-30..2025-01-02", PeriodKind::kRange,
                CivilDay(2024, 12, 30), CivilDay(2025, 1, 2), 1},
       }) {
    Period p = MustParse(c.text);
    EXPECT_EQ(p.kind, c.kind) << c.text;
    EXPECT_EQ(p.first, c.first) << c.text;
    EXPECT_EQ(p.last, c.last) << c.text;
    EXPECT_EQ(p.Months(), c.months) << c.text;
    EXPECT_EQ(p.Key(), c.text) << "canonical name round-trips";
    EXPECT_EQ(p.IsCalendar(), c.kind != PeriodKind::kRange) << c.text;
  }
}

TEST(ParsePeriodTest, BadFormsAreInvalidArgument) {
  for (const char* text : {"",
                           "2025-13",
                           "2025-00",
                           "2025-Q5",
                           "2025-Q0",
                           "2025-H3",
                           "2025-H0",
                           "2025-02-29",
                           "2025-04-31",
                           "2025-1",
                           "2025-1-01",
                           "25",
                           "20251",
                           "2025-",
                           "2025-q1",
                           "2025-h1",
                           "2025-Q1 ",
                           " 2025",
                           "2025/01",
                           "2025-01-01..",
                           "..2025-01-01",
                           "2025-01..2025-02",
                           "2025-01-01..2025-02-30",
                           "2025-01-01...2025-01-02",
                           "abcd",
                           "+025",
                           "2025-+1",
                           "2025-03-31..2025-03-01",
                           "2025-01-02..2025-01-01",
                           "2025-W01"}) {
    absl::StatusOr<Period> p = ParsePeriod(text);
    EXPECT_FALSE(p.ok()) << "'" << text << "' parsed as "
                         << (p.ok() ? p->Key() : "");
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << text;
      EXPECT_FALSE(p.status().message().empty());
    }
  }
}

TEST(ParsePeriodTest, ReversedRangeSaysSo) {
  absl::StatusOr<Period> p = ParsePeriod("2025-03-31..2025-03-01");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("ends before it starts"),
            std::string::npos)
      << p.status();
}

TEST(ExchangePeriodTest, EveryCalendarFormInDhis2AdxAndFhir) {
  struct Case {
    const char* text;
    const char* dhis2;
    const char* adx;
    const char* start;
    const char* end;
  };
  const Case cases[] = {
      {"2025", "2025", "2025-01-01/P1Y", "2025-01-01", "2025-12-31"},
      {"2025-H1", "2025S1", "2025-01-01/P6M", "2025-01-01", "2025-06-30"},
      {"2025-H2", "2025S2", "2025-07-01/P6M", "2025-07-01", "2025-12-31"},
      {"2025-Q1", "2025Q1", "2025-01-01/P3M", "2025-01-01", "2025-03-31"},
      {"2025-Q2", "2025Q2", "2025-04-01/P3M", "2025-04-01", "2025-06-30"},
      {"2025-Q4", "2025Q4", "2025-10-01/P3M", "2025-10-01", "2025-12-31"},
      {"2025-06", "202506", "2025-06-01/P1M", "2025-06-01", "2025-06-30"},
      {"2024-02", "202402", "2024-02-01/P1M", "2024-02-01", "2024-02-29"},
      {"2025-06-03", "20250603", "2025-06-03/P1D", "2025-06-03", "2025-06-03"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ExchangePeriod> p = ExchangePeriodOf(MustParse(c.text));
    ASSERT_TRUE(p.ok()) << c.text << ": " << p.status();
    EXPECT_EQ(p->dhis2, c.dhis2) << c.text;
    EXPECT_EQ(p->adx, c.adx) << c.text;
    EXPECT_EQ(p->start, c.start) << c.text;
    EXPECT_EQ(p->end, c.end) << c.text;
  }
}

TEST(ExchangePeriodTest, ARangeOfDaysIsRefusedWithWhatToDo) {
  absl::StatusOr<ExchangePeriod> p =
      ExchangePeriodOf(MustParse("2025-06-01..2025-06-10"));
  EXPECT_EQ(p.status(),
            absl::InvalidArgumentError(
                "period 2025-06-01..2025-06-10 is a range of days, which "
                "DHIS2, ADX and FHIR exports cannot name: export a calendar "
                "period (YYYY, YYYY-H1, YYYY-Q1, YYYY-MM or YYYY-MM-DD), or "
                "use --format=csv, json, md or xlsx for the range"));
}

TEST(PeriodTest, Contains) {
  Period q1 = MustParse("2025-Q1");
  EXPECT_TRUE(q1.Contains(CivilDay(2025, 1, 1)));
  EXPECT_TRUE(q1.Contains(CivilDay(2025, 3, 31)));
  EXPECT_FALSE(q1.Contains(CivilDay(2024, 12, 31)));
  EXPECT_FALSE(q1.Contains(CivilDay(2025, 4, 1)));
}

TEST(CalendarPeriodsOfTest, FiveEnclosingPeriods) {
  std::array<Period, 5> ps = CalendarPeriodsOf(CivilDay(2025, 8, 14));
  EXPECT_EQ(ps[0].Key(), "2025-08-14");
  EXPECT_EQ(ps[1].Key(), "2025-08");
  EXPECT_EQ(ps[2].Key(), "2025-Q3");
  EXPECT_EQ(ps[3].Key(), "2025-H2");
  EXPECT_EQ(ps[4].Key(), "2025");
  for (const Period& p : ps) {
    EXPECT_TRUE(p.IsCalendar());
    EXPECT_TRUE(p.Contains(CivilDay(2025, 8, 14))) << p.Key();
    // Each is exactly what ParsePeriod gives for its key.
    Period parsed = MustParse(p.Key());
    EXPECT_EQ(parsed.kind, p.kind);
    EXPECT_EQ(parsed.first, p.first);
    EXPECT_EQ(parsed.last, p.last);
  }
}

TEST(CalendarPeriodsOfTest, BoundaryDays) {
  std::array<Period, 5> first = CalendarPeriodsOf(CivilDay(2025, 1, 1));
  EXPECT_EQ(first[2].Key(), "2025-Q1");
  EXPECT_EQ(first[3].Key(), "2025-H1");
  std::array<Period, 5> june = CalendarPeriodsOf(CivilDay(2025, 6, 30));
  EXPECT_EQ(june[2].Key(), "2025-Q2");
  EXPECT_EQ(june[3].Key(), "2025-H1");
  std::array<Period, 5> july = CalendarPeriodsOf(CivilDay(2025, 7, 1));
  EXPECT_EQ(july[2].Key(), "2025-Q3");
  EXPECT_EQ(july[3].Key(), "2025-H2");
  std::array<Period, 5> last = CalendarPeriodsOf(CivilDay(2024, 12, 31));
  EXPECT_EQ(last[1].last, CivilDay(2024, 12, 31));
  EXPECT_EQ(last[2].Key(), "2024-Q4");
  EXPECT_EQ(last[4].Key(), "2024");
  std::array<Period, 5> leap = CalendarPeriodsOf(CivilDay(2024, 2, 29));
  EXPECT_EQ(leap[1].last, CivilDay(2024, 2, 29));
}

TEST(RequiredFollowupsTest, PerPeriodKind) {
  EXPECT_EQ(RequiredFollowups(MustParse("2025")), 4);
  EXPECT_EQ(RequiredFollowups(MustParse("2025-H1")), 2);
  EXPECT_EQ(RequiredFollowups(MustParse("2025-H2")), 2);
  EXPECT_EQ(RequiredFollowups(MustParse("2025-Q3")), 1);
  EXPECT_EQ(RequiredFollowups(MustParse("2025-07")), 1);
  EXPECT_EQ(RequiredFollowups(MustParse("2025-07-14")), 1);
}

TEST(AgeInFullYearsTest, BirthdayBoundaries) {
  CivilDay birth(1960, 3, 15);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2025, 3, 14)), 64);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2025, 3, 15)), 65);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2025, 3, 16)), 65);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2025, 2, 28)), 64);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2025, 12, 31)), 65);
  EXPECT_EQ(AgeInFullYears(birth, birth), 0);
  EXPECT_EQ(AgeInFullYears(CivilDay(2018, 6, 1), CivilDay(2025, 5, 31)),
            6);  // still 0-6
  EXPECT_EQ(AgeInFullYears(CivilDay(2018, 6, 1), CivilDay(2025, 6, 1)), 7);
  EXPECT_EQ(AgeInFullYears(CivilDay(1959, 12, 31), CivilDay(2025, 1, 1)), 65);
  EXPECT_EQ(AgeInFullYears(CivilDay(1960, 1, 1), CivilDay(2024, 12, 31)), 64);
}

TEST(AgeInFullYearsTest, BornOnFebruary29) {
  CivilDay birth(1960, 2, 29);
  // In a common year the anniversary is reached on 1 March.
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2025, 2, 28)), 64);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2025, 3, 1)), 65);
  // In a leap year, on 29 February.
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2024, 2, 28)), 63);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(2024, 2, 29)), 64);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(1961, 2, 28)), 0);
  EXPECT_EQ(AgeInFullYears(birth, CivilDay(1961, 3, 1)), 1);
}

TEST(EpochDaysTest, RoundTrips) {
  EXPECT_EQ(DaysSinceEpoch(CivilDay(1970, 1, 1)), 0);
  EXPECT_EQ(DaysSinceEpoch(CivilDay(1969, 12, 31)), -1);
  EXPECT_EQ(DaysSinceEpoch(CivilDay(2000, 1, 1)), 10957);
  for (int64_t d : {-40000, -1, 0, 1, 10957, 20000, 60000}) {
    EXPECT_EQ(DaysSinceEpoch(DayFromEpochDays(d)), d);
  }
  EXPECT_EQ(FormatDay(DayFromEpochDays(10957)), "2000-01-01");
  EXPECT_EQ(FormatDay(CivilDay(2025, 3, 5)), "2025-03-05");
}

TEST(DayOfLocalSecondsTest, FloorsTowardsThePast) {
  EXPECT_EQ(DayOfLocalSeconds(0), CivilDay(1970, 1, 1));
  EXPECT_EQ(DayOfLocalSeconds(86399), CivilDay(1970, 1, 1));
  EXPECT_EQ(DayOfLocalSeconds(86400), CivilDay(1970, 1, 2));
  EXPECT_EQ(DayOfLocalSeconds(-1), CivilDay(1969, 12, 31));
  EXPECT_EQ(DayOfLocalSeconds(-86399), CivilDay(1969, 12, 31));
  EXPECT_EQ(DayOfLocalSeconds(-86400), CivilDay(1969, 12, 31));
  EXPECT_EQ(DayOfLocalSeconds(-86401), CivilDay(1969, 12, 30));
  // 2025-03-01T23:59:59 and 2025-03-02T00:00:00 local.
  int64_t midnight =
      (absl::CivilSecond(2025, 3, 2, 0, 0, 0) - absl::CivilSecond(1970, 1, 1));
  EXPECT_EQ(DayOfLocalSeconds(midnight - 1), CivilDay(2025, 3, 1));
  EXPECT_EQ(DayOfLocalSeconds(midnight), CivilDay(2025, 3, 2));
}

TEST(LocalTimeTest, DaysAndTimesParseOnlyWhenReal) {
  CivilDay day;
  EXPECT_TRUE(ParseDay("2024-02-29", &day));
  EXPECT_EQ(day, CivilDay(2024, 2, 29));
  EXPECT_FALSE(ParseDay("2025-02-29", &day));
  EXPECT_FALSE(ParseDay("2025-2-01", &day));
  EXPECT_FALSE(ParseDay("2025-02-01 ", &day));
  absl::CivilSecond t;
  ASSERT_TRUE(ParseDayTime("2025-03-14T09:05", &t));
  EXPECT_EQ(t, absl::CivilSecond(2025, 3, 14, 9, 5, 0));
  ASSERT_TRUE(ParseDayTime("2025-03-14 23:59:59", &t));
  EXPECT_EQ(t, absl::CivilSecond(2025, 3, 14, 23, 59, 59));
  ASSERT_TRUE(ParseDayTime("2025-03-14", &t));
  EXPECT_EQ(t, absl::CivilSecond(2025, 3, 14, 0, 0, 0));
  EXPECT_FALSE(ParseDayTime("2025-03-14T24:00", &t));
  EXPECT_FALSE(ParseDayTime("2025-03-14T09:5", &t));
  EXPECT_FALSE(ParseDayTime("2025-03-14X09:05", &t));
}

TEST(LocalTimeTest, LocalSecondsRoundTrip) {
  int64_t s = 0;
  ASSERT_TRUE(ParseLocalSeconds("2025-03-14T09:05:07", &s));
  EXPECT_EQ(s, LocalSeconds(absl::CivilSecond(2025, 3, 14, 9, 5, 7)));
  EXPECT_EQ(FormatLocalSeconds(s), "2025-03-14T09:05:07");
  EXPECT_EQ(FormatLocalSeconds(0), "1970-01-01T00:00:00");
  EXPECT_EQ(FormatLocalSeconds(int64_t{1} << 60),
            absl::StrCat(int64_t{1} << 60, " seconds"));
  EXPECT_FALSE(ParseLocalSeconds("yesterday", &s));
}

}  // namespace
}  // namespace sanji
