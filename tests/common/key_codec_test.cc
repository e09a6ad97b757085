// Tests of common/key_codec.h: encoded keys sort bytewise in the order of their
// values, and decode back to them.
#include "common/key_codec.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace sanji {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::string Ordered(int64_t v) {
  std::string s;
  PutOrderedInt64(&s, v);
  return s;
}

std::string Fixed(uint64_t v) {
  std::string s;
  PutFixed64BE(&s, v);
  return s;
}

TEST(KeyCodecTest, Fixed64IsBigEndian) {
  EXPECT_EQ(Fixed(0x0102030405060708ULL),
            std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(Fixed(0), std::string(8, '\0'));
  EXPECT_EQ(Fixed(~uint64_t{0}), std::string(8, '\xff'));
}

TEST(KeyCodecTest, OrderedInt64SortsNegativesFirst) {
  std::vector<int64_t> values = {kMin,  kMin + 1,  -1000000007, -256, -255,
                                 -1,    0,         1,           255,  256,
                                 65536, 1LL << 40, kMax - 1,    kMax};
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    EXPECT_LT(Ordered(values[i]), Ordered(values[i + 1]))
        << values[i] << " should sort before " << values[i + 1];
  }
  EXPECT_EQ(Ordered(0), std::string("\x80\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(Ordered(kMin), std::string(8, '\0'));
}

TEST(KeyCodecTest, Fixed64SortsNumerically) {
  std::vector<uint64_t> values = {0,     1,     255,        256,
                                  65535, 65536, 1ULL << 63, ~uint64_t{0}};
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    EXPECT_LT(Fixed(values[i]), Fixed(values[i + 1]));
  }
}

TEST(KeyCodecTest, RoundTrips) {
  for (int64_t v : {kMin, kMin + 1, int64_t{-1}, int64_t{0}, int64_t{1},
                    int64_t{1700000000}, kMax}) {
    std::string s = Ordered(v);
    absl::string_view in = s;
    int64_t out = 42;
    ASSERT_TRUE(GetOrderedInt64(&in, &out));
    EXPECT_EQ(out, v);
    EXPECT_TRUE(in.empty());
  }
  for (uint64_t v :
       {uint64_t{0}, uint64_t{1}, uint64_t{1} << 63, ~uint64_t{0}}) {
    std::string s = Fixed(v);
    absl::string_view in = s;
    uint64_t out = 42;
    ASSERT_TRUE(GetFixed64BE(&in, &out));
    EXPECT_EQ(out, v);
  }
}

TEST(KeyCodecTest, CompositeKeysDecodeInSequence) {
  std::string key;
  PutLengthPrefixed(&key, "640522100201");
  PutOrderedInt64(&key, -7);
  PutFixed64BE(&key, 99);
  PutLengthPrefixed(&key, "");
  PutLengthPrefixed(&key, std::string(255, 'x'));
  std::string binary("a\0b\xff", 4);
  PutLengthPrefixed(&key, binary);

  absl::string_view in = key;
  absl::string_view s;
  int64_t i;
  uint64_t u;
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "640522100201");
  ASSERT_TRUE(GetOrderedInt64(&in, &i));
  EXPECT_EQ(i, -7);
  ASSERT_TRUE(GetFixed64BE(&in, &u));
  EXPECT_EQ(u, 99u);
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, std::string(255, 'x'));
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, binary);
  EXPECT_TRUE(in.empty());
}

TEST(KeyCodecTest, ShortInputIsRefusedAndNotConsumed) {
  std::string seven(7, '\0');
  absl::string_view in = seven;
  uint64_t u;
  int64_t i;
  EXPECT_FALSE(GetFixed64BE(&in, &u));
  EXPECT_FALSE(GetOrderedInt64(&in, &i));
  EXPECT_EQ(in.size(), 7u);

  absl::string_view s;
  absl::string_view empty;
  EXPECT_FALSE(GetLengthPrefixed(&empty, &s));
  std::string truncated =
      "\x05"
      "abc";
  absl::string_view t = truncated;
  EXPECT_FALSE(GetLengthPrefixed(&t, &s));
  EXPECT_EQ(t.size(), 4u);
}

TEST(KeyCodecTest, LengthPrefixedGroupsByFirstField) {
  // With a length prefix, all keys of one id come before those of a longer id
  // that it is a prefix of: "ab" never interleaves with "abc".
  std::vector<std::string> keys;
  for (const char* id : {"abc", "ab", "b", "a"}) {
    for (int64_t n : {5, -5, 0}) {
      std::string k;
      PutLengthPrefixed(&k, id);
      PutOrderedInt64(&k, n);
      keys.push_back(k);
    }
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::pair<std::string, int64_t>> decoded;
  for (const std::string& k : keys) {
    absl::string_view in = k;
    absl::string_view id;
    int64_t n;
    ASSERT_TRUE(GetLengthPrefixed(&in, &id));
    ASSERT_TRUE(GetOrderedInt64(&in, &n));
    decoded.emplace_back(std::string(id), n);
  }
  // Shorter ids first (length byte), then bytewise; within an id, numeric
  // order.
  std::vector<std::pair<std::string, int64_t>> expected = {
      {"a", -5},  {"a", 0},  {"a", 5},  {"b", -5},   {"b", 0},   {"b", 5},
      {"ab", -5}, {"ab", 0}, {"ab", 5}, {"abc", -5}, {"abc", 0}, {"abc", 5}};
  EXPECT_EQ(decoded, expected);
}

}  // namespace
}  // namespace sanji
