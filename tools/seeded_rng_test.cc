// SeededRng: a seed gives the same sequence everywhere (the first values are
// written down here, so that a change of algorithm shows), and every draw
// stays in its bounds.
#include "tools/seeded_rng.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

using ::testing::ElementsAre;

TEST(SeededRngTest, EngineIsTheStandardsMt19937_64) {
  // [rand.predef]: the 10000th output of a default-constructed mt19937_64
  // (seed 5489) is 9981545732273789042.
  SeededRng rng(5489);
  uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = rng.Next();
  EXPECT_EQ(x, 9981545732273789042u);
}

TEST(SeededRngTest, FirstValuesOfSeed42) {
  SeededRng rng(42);
  EXPECT_THAT((std::vector<uint64_t>{rng.Next(), rng.Next(), rng.Next()}),
              ElementsAre(13930160852258120406u, 11788048577503494824u,
                          13874630024467741450u));
  std::vector<int64_t> dice;
  for (int i = 0; i < 8; ++i) dice.push_back(rng.Int(1, 6));
  EXPECT_THAT(dice, ElementsAre(1, 6, 1, 4, 3, 2, 3, 1));
  EXPECT_DOUBLE_EQ(rng.Uniform(), 0.52370558897433983);
  EXPECT_DOUBLE_EQ(rng.Uniform(), 0.6852712867224986);
  EXPECT_EQ(rng.Below(1000000007), 637338146u);
  EXPECT_EQ(rng.Int(-30, 130), 103);
}

TEST(SeededRngTest, FirstValuesOfAStream) {
  SeededRng rng(1, 640522100201u);
  EXPECT_THAT((std::vector<uint64_t>{rng.Next(), rng.Next(), rng.Next()}),
              ElementsAre(11392543332152297859u, 14104519698764289845u,
                          3043335470811808292u));
}

TEST(SeededRngTest, SameSeedSameSequence) {
  SeededRng a(123456789), b(123456789);
  SeededRng c(7, 640522100201u), d(7, 640522100201u);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(a.Int(0, 1000 + i), b.Int(0, 1000 + i));
    ASSERT_EQ(a.Uniform(), b.Uniform());
    ASSERT_EQ(c.Next(), d.Next());
  }
}

TEST(SeededRngTest, OtherSeedOrStreamOtherSequence) {
  SeededRng a(1), b(2), c(1, 640522100201u), d(1, 640522100202u);
  EXPECT_NE(a.Next(), b.Next());
  EXPECT_NE(c.Next(), d.Next());
}

TEST(SeededRngTest, IntStaysInBoundsAndReachesThem) {
  SeededRng rng(99);
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {0, 0}, {1, 6}, {-30, 130}, {1001, 4000}, {-5, -1}, {0, 1}};
  for (const auto& [lo, hi] : ranges) {
    int64_t seen_lo = hi, seen_hi = lo;
    for (int i = 0; i < 20000; ++i) {
      int64_t x = rng.Int(lo, hi);
      ASSERT_GE(x, lo);
      ASSERT_LE(x, hi);
      seen_lo = std::min(seen_lo, x);
      seen_hi = std::max(seen_hi, x);
    }
    EXPECT_EQ(seen_lo, lo);
    EXPECT_EQ(seen_hi, hi);
  }
  // The whole 64-bit range, and ranges wider than half of it.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (int i = 0; i < 1000; ++i) {
    rng.Int(kMin, kMax);  // must not trap
    int64_t x = rng.Int(kMin + 1, kMax - 1);
    ASSERT_GT(x, kMin);
    ASSERT_LT(x, kMax);
    ASSERT_GE(rng.Int(-1, kMax), -1);
  }
}

TEST(SeededRngTest, BelowIsUnbiasedEnough) {
  // n = 3 * 2^62: plain x % n would give 0..2^62-1 twice as often as the
  // rest; Lemire's rejection keeps the three quarters level.
  SeededRng rng(2024);
  const uint64_t n = uint64_t{3} << 62;
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) {
    uint64_t x = rng.Below(n);
    ASSERT_LT(x, n);
    ++counts[x >> 62];
  }
  for (int c : counts) {
    EXPECT_GT(c, 9400);
    EXPECT_LT(c, 10600);
  }
}

TEST(SeededRngTest, UniformChanceAndDay) {
  SeededRng rng(5);
  for (int i = 0; i < 10000; ++i) {
    double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    double v = rng.Uniform(0.2, 3.8);
    ASSERT_GE(v, 0.2);
    ASSERT_LT(v, 3.8);
    ASSERT_FALSE(rng.Chance(0));
    ASSERT_TRUE(rng.Chance(1));
    absl::CivilDay d =
        rng.Day(absl::CivilDay(2025, 1, 1), absl::CivilDay(2025, 12, 30));
    ASSERT_GE(d, absl::CivilDay(2025, 1, 1));
    ASSERT_LE(d, absl::CivilDay(2025, 12, 30));
  }
}

TEST(SeededRngTest, WeightedNeverPicksAZeroWeight) {
  SeededRng rng(8);
  const std::vector<double> weights = {0, 3, 0, 1, 0};
  int counts[5] = {0, 0, 0, 0, 0};
  for (int i = 0; i < 8000; ++i) ++counts[rng.Weighted(weights)];
  EXPECT_EQ(counts[0] + counts[2] + counts[4], 0);
  EXPECT_GT(counts[1], 5700);  // about 6000
  EXPECT_GT(counts[3], 1700);  // about 2000
}

TEST(SeededRngTest, PickAndShuffle) {
  SeededRng rng(11);
  std::vector<int> v(50);
  std::iota(v.begin(), v.end(), 0);
  for (int i = 0; i < 1000; ++i) {
    int x = rng.Pick(v);
    ASSERT_GE(x, 0);
    ASSERT_LT(x, 50);
  }
  std::vector<int> shuffled = v;
  rng.Shuffle(shuffled);
  EXPECT_NE(shuffled, v);
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, v);
}

}  // namespace
}  // namespace sanji
