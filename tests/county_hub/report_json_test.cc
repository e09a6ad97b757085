// Tests of county_hub/report_json.h: its strings are byte for byte those of
// nlohmann::json's dump (the report's JSON before it was written by hand),
// for names, control characters, quotes and every kind of bad UTF-8.
#include "county_hub/report_json.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

std::string Nlohmann(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false,
                                   nlohmann::json::error_handler_t::replace);
}

std::string Ours(const std::string& text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

TEST(ReportJsonTest, StringsAreNlohmannsDump) {
  const std::vector<std::string> cases = {"",
                                          "640522100201",
                                          "第1镇1村",
                                          "\"说\"\"好\"\"村\"",
                                          "a\\b",
                                          "tab\there",
                                          "nl\n",
                                          std::string("nul\0x", 5),
                                          "\x7f",
                                          "\x1f",
                                          "😀",
                                          "\xed\xa0\x80",      // a surrogate
                                          "\xc0\xaf",          // overlong
                                          "\xe0\x80\xaf",      // overlong
                                          "\xf4\x90\x80\x80",  // above U+10FFFF
                                          "\xff",
                                          "ab\xe4\xb8",
                                          "\xe4\xb8\xad\xe4",
                                          "\x80\x80"};
  for (const std::string& text : cases) {
    EXPECT_EQ(Ours(text), Nlohmann(text)) << text;
  }
}

TEST(ReportJsonTest, RandomBytesAreNlohmannsDump) {
  std::mt19937 rng(13);
  // Bytes biased to the edges of UTF-8's ranges.
  const std::vector<int> bytes = {0x00, 0x1f, 0x20, 0x22, 0x5c, 0x7e, 0x7f,
                                  0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
                                  0xc1, 0xc2, 0xdf, 0xe0, 0xe4, 0xed, 0xef,
                                  0xf0, 0xf4, 0xf5, 0xff, 'a'};
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (unsigned n = rng() % 8; n > 0; --n) {
      text.push_back(static_cast<char>(bytes[rng() % bytes.size()]));
    }
    ASSERT_EQ(Ours(text), Nlohmann(text)) << i;
  }
}

TEST(ReportJsonTest, ARowIsAnObjectPerLine) {
  ReportRow a;
  a.period = "2025";
  a.level = "county";
  a.org_id = "640522";
  a.org_name = "海原县";
  a.indicator = "outpatient_visits";
  a.name_zh = "门急诊人次";
  a.value = "12";
  ReportRow b = a;
  b.value = "";
  EXPECT_EQ(RenderReportJson({a, b}),
            "[\n  {\"period\":\"2025\",\"level\":\"county\",\"org_id\":"
            "\"640522\",\"org_name\":\"海原县\",\"indicator\":"
            "\"outpatient_visits\",\"name_zh\":\"门急诊人次\",\"value\":"
            "\"12\"},\n  {\"period\":\"2025\",\"level\":\"county\","
            "\"org_id\":\"640522\",\"org_name\":\"海原县\",\"indicator\":"
            "\"outpatient_visits\",\"name_zh\":\"门急诊人次\",\"value\":"
            "null}\n]\n");
  EXPECT_EQ(RenderReportJson({}), "[]\n");
}

}  // namespace
}  // namespace sanji
