// Tests of common/rollup_layout.h: rollup cell keys and values.
#include "common/rollup_layout.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

TEST(CellKeyTest, RoundTrip) {
  std::string key = EncodeCellKey(
      "640522100201", "infectious_disease_reports.measles", "2025-03-01");
  EXPECT_EQ(key, "640522100201|infectious_disease_reports.measles|2025-03-01");
  CellKeyParts out;
  ASSERT_TRUE(DecodeCellKey(key, &out));
  EXPECT_EQ(out.village_id, "640522100201");
  EXPECT_EQ(out.indicator, "infectious_disease_reports.measles");
  EXPECT_EQ(out.period, "2025-03-01");
}

TEST(CellKeyTest, RangePeriodKeyRoundTrips) {
  CellKeyParts out;
  const std::string key = EncodeCellKey("v", "i", "2025-01-01..2025-01-31");
  ASSERT_TRUE(DecodeCellKey(key, &out));
  EXPECT_EQ(out.period, "2025-01-01..2025-01-31");
}

TEST(CellKeyTest, MalformedKeysAreRefused) {
  CellKeyParts out;
  EXPECT_FALSE(DecodeCellKey("", &out));
  EXPECT_FALSE(DecodeCellKey("640522100201", &out));
  EXPECT_FALSE(DecodeCellKey("640522100201|outpatient_visits", &out));
  ASSERT_TRUE(
      DecodeCellKey("||", &out));  // empty fields decode; callers validate them
  EXPECT_EQ(out.village_id, "");
  EXPECT_EQ(out.period, "");
}

TEST(CellKeyTest, OneVillageAndOneIndicatorAreContiguousAndDaysInOrder) {
  std::vector<std::string> keys = {
      EncodeCellKey("640522100202", "outpatient_visits", "2025-01-01"),
      EncodeCellKey("640522100201", "outpatient_visits", "2025-03-02"),
      EncodeCellKey("640522100201", "referrals", "2025-01-01"),
      EncodeCellKey("640522100201", "outpatient_visits", "2025-02-28"),
      EncodeCellKey("640522100201", "outpatient_visits", "2024-12-31"),
      EncodeCellKey("640522100201", "outpatient_cost_yuan", "2025-03-01"),
  };
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> expected = {
      "640522100201|outpatient_cost_yuan|2025-03-01",
      "640522100201|outpatient_visits|2024-12-31",
      "640522100201|outpatient_visits|2025-02-28",
      "640522100201|outpatient_visits|2025-03-02",
      "640522100201|referrals|2025-01-01",
      "640522100202|outpatient_visits|2025-01-01",
  };
  EXPECT_EQ(keys, expected);
  // A scan of "<village>|<indicator>|" sees only that indicator, not one it
  // prefixes.
  std::string prefix = "stale";
  AssignCellGroupPrefix("640522100201", "referrals", &prefix);
  EXPECT_EQ(prefix, "640522100201|referrals|");
  EXPECT_FALSE(absl::StartsWith(
      EncodeCellKey("640522100201", "referrals.county", "2025-01-01"), prefix));
  EXPECT_TRUE(absl::StartsWith(
      EncodeCellKey("640522100201", "referrals", "2025-01-01"), prefix));
}

TEST(CellKeyTest, SkipPastGroupSortsAfterTheGroupAndBeforeTheNext) {
  std::string skip;
  AssignCellGroupPrefix("640522100201", "referrals", &skip);
  SkipPastGroup(&skip);
  EXPECT_LT(EncodeCellKey("640522100201", "referrals", "2025-12-31"), skip);
  EXPECT_LT(EncodeCellKey("640522100201", "referrals", "2025-Q4"), skip);
  EXPECT_LT(skip, EncodeCellKey("640522100201", "screenings", "2025-01-01"));
  EXPECT_LT(skip,
            EncodeCellKey("640522100202", "outpatient_visits", "2025-01-01"));
}

TEST(RecordKeyTest, VillageThenRecordId) {
  EXPECT_EQ(EncodeRecordKey("640522100201", "r-1"), "640522100201|r-1");
  EXPECT_LT(EncodeRecordKey("640522100201", "zzz"),
            EncodeRecordKey("640522100202", "a"));
}

TEST(CellValueTest, RoundTripIncludingNegativeAndExtremes) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{123456789012},
                    std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    for (uint64_t version : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}}) {
      std::string bytes = EncodeCellValue(CellValue{v, version});
      ASSERT_EQ(bytes.size(), 16u);
      CellValue out;
      ASSERT_TRUE(DecodeCellValue(bytes, &out));
      EXPECT_EQ(out.value, v);
      EXPECT_EQ(out.version, version);
    }
  }
  EXPECT_EQ(EncodeCellValue(CellValue{1, 2}),
            std::string("\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x02", 16));
  EXPECT_EQ(EncodeCellValue(CellValue{-1, 0}).substr(0, 8),
            std::string(8, '\xff'));
}

TEST(CellValueTest, WrongSizeIsRefused) {
  CellValue out;
  EXPECT_FALSE(DecodeCellValue("", &out));
  EXPECT_FALSE(DecodeCellValue(std::string(15, '\0'), &out));
  EXPECT_FALSE(DecodeCellValue(std::string(17, '\0'), &out));
}

}  // namespace
}  // namespace sanji
