#include "village_agent/record_file.h"

#include <iconv.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// UTF-8 -> GB18030 with iconv, so the test bytes are what Excel on a Chinese PC
// writes.
std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t inleft = utf8.size();
  char* o = out.data();
  size_t outleft = out.size();
  size_t r = iconv(cd, &in, &inleft, &o, &outleft);
  EXPECT_NE(r, static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - outleft);
  return out;
}

std::map<std::string, std::string> Fields(const RawRow& row) {
  return std::map<std::string, std::string>(row.fields().begin(),
                                            row.fields().end());
}

RecordFileContents ParseOk(const std::string& path, const std::string& bytes,
                           FileEncoding enc = FileEncoding::kAuto) {
  absl::StatusOr<RecordFileContents> c = ParseRecordFile(path, bytes, enc);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : RecordFileContents{};
}

TEST(ParseFileEncodingTest, Names) {
  EXPECT_EQ(*ParseFileEncoding("auto"), FileEncoding::kAuto);
  EXPECT_EQ(*ParseFileEncoding("UTF-8"), FileEncoding::kUtf8);
  EXPECT_EQ(*ParseFileEncoding("utf8"), FileEncoding::kUtf8);
  EXPECT_EQ(*ParseFileEncoding("GB18030"), FileEncoding::kGb18030);
  EXPECT_EQ(*ParseFileEncoding("gbk"), FileEncoding::kGb18030);
  absl::StatusOr<FileEncoding> bad = ParseFileEncoding("latin1");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("latin1"));
}

TEST(KnownColumnsTest, AllSpecColumns) {
  EXPECT_THAT(
      KnownColumns(),
      ElementsAre("record_id", "action", "kind", "occurred_at", "patient_id",
                  "sex", "birth_date", "cost_yuan", "icd10", "vaccine", "dose",
                  "systolic", "diastolic", "fasting_glucose", "disease",
                  "participants", "referred_to"));
}

TEST(CsvTest, BasicRowsTrimmedAndEmptyCellsAbsent) {
  RecordFileContents c = ParseOk("v.csv",
                                 "record_id,kind,occurred_at,cost_yuan,icd10\n"
                                 "r1,outpatient_visit, 2025-03-01 ,12.30,\n"
                                 "r2 ,health_education,2025-03-02,,  \n");
  EXPECT_EQ(c.detected, FileEncoding::kUtf8);
  EXPECT_THAT(c.malformed, IsEmpty());
  EXPECT_THAT(c.unknown_columns, IsEmpty());
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].source(), "v.csv");
  EXPECT_EQ(c.rows[0].line(), 2);
  EXPECT_THAT(Fields(c.rows[0]),
              UnorderedElementsAre(Pair("record_id", "r1"),
                                   Pair("kind", "outpatient_visit"),
                                   Pair("occurred_at", "2025-03-01"),
                                   Pair("cost_yuan", "12.30")));
  EXPECT_EQ(c.rows[1].line(), 3);
  EXPECT_THAT(Fields(c.rows[1]),
              UnorderedElementsAre(Pair("record_id", "r2"),
                                   Pair("kind", "health_education"),
                                   Pair("occurred_at", "2025-03-02")));
}

TEST(CsvTest, CrlfLineEndsAndNoTrailingNewline) {
  RecordFileContents c =
      ParseOk("v.csv", "record_id,kind\r\nr1,referral\r\nr2,death_report");
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_THAT(
      Fields(c.rows[0]),
      UnorderedElementsAre(Pair("record_id", "r1"), Pair("kind", "referral")));
  EXPECT_THAT(Fields(c.rows[1]),
              UnorderedElementsAre(Pair("record_id", "r2"),
                                   Pair("kind", "death_report")));
  EXPECT_EQ(c.rows[1].line(), 3);
}

TEST(CsvTest, LoneCrLineEnds) {
  RecordFileContents c =
      ParseOk("v.csv", "record_id,kind\rr1,referral\rr2,referral\r");
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[1].line(), 3);
  EXPECT_EQ(c.rows[1].fields().at("record_id"), "r2");
}

TEST(CsvTest, BomIsStripped) {
  RecordFileContents c =
      ParseOk("v.csv", "\xEF\xBB\xBFrecord_id,kind\nr1,referral\n");
  EXPECT_THAT(c.unknown_columns, IsEmpty());
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].fields().at("record_id"), "r1");
  EXPECT_EQ(c.detected, FileEncoding::kUtf8);
}

TEST(CsvTest, Rfc4180QuotingShiftsLineNumbers) {
  RecordFileContents c = ParseOk("v.csv",
                                 "record_id,kind,icd10\n"
                                 "r1,outpatient_visit,\"J06, acute\"\n"
                                 "r2,outpatient_visit,\"say \"\"hi\"\"\"\n"
                                 "r3,outpatient_visit,\"two\nlines\r\nthree\"\n"
                                 "r4,outpatient_visit,\"\"\n"
                                 "r5,outpatient_visit,I10\n");
  EXPECT_THAT(c.malformed, IsEmpty());
  ASSERT_EQ(c.rows.size(), 5u);
  EXPECT_EQ(c.rows[0].fields().at("icd10"), "J06, acute");
  EXPECT_EQ(c.rows[0].line(), 2);
  EXPECT_EQ(c.rows[1].fields().at("icd10"), "say \"hi\"");
  EXPECT_EQ(c.rows[1].line(), 3);
  EXPECT_EQ(c.rows[2].fields().at("icd10"), "two\nlines\nthree");
  EXPECT_EQ(c.rows[2].line(), 4);
  EXPECT_EQ(c.rows[3].fields().count("icd10"), 0u);  // "" is an empty cell
  EXPECT_EQ(c.rows[3].line(), 7);                    // r3 took lines 4-6
  EXPECT_EQ(c.rows[4].line(), 8);
  EXPECT_EQ(c.rows[4].fields().at("icd10"), "I10");
}

TEST(CsvTest, QuotedHeaderAndQuotedCellsAreTrimmed) {
  RecordFileContents c =
      ParseOk("v.csv", "\"record_id\",\" kind \"\n\"  r1 \",\"referral\"\n");
  EXPECT_THAT(c.unknown_columns, IsEmpty());
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_THAT(
      Fields(c.rows[0]),
      UnorderedElementsAre(Pair("record_id", "r1"), Pair("kind", "referral")));
}

TEST(CsvTest, TooManyFieldsIsMalformedAndLaterRowsContinue) {
  RecordFileContents c = ParseOk("v.csv",
                                 "record_id,kind\n"
                                 "r1,referral\n"
                                 "r2,referral,extra\n"
                                 "r3,referral\n");
  ASSERT_EQ(c.malformed.size(), 1u);
  EXPECT_EQ(c.malformed[0].line, 3);
  EXPECT_THAT(c.malformed[0].reason, HasSubstr("3 fields"));
  EXPECT_THAT(c.malformed[0].reason, HasSubstr("2 columns"));
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].fields().at("record_id"), "r1");
  EXPECT_EQ(c.rows[1].fields().at("record_id"), "r3");
  EXPECT_EQ(c.rows[1].line(), 4);
}

TEST(CsvTest, FewerFieldsThanHeaderAreAbsent) {
  RecordFileContents c =
      ParseOk("v.csv", "record_id,kind,icd10\nr1,referral\n");
  EXPECT_THAT(c.malformed, IsEmpty());
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_THAT(
      Fields(c.rows[0]),
      UnorderedElementsAre(Pair("record_id", "r1"), Pair("kind", "referral")));
}

TEST(CsvTest, TextAfterClosingQuoteIsMalformed) {
  RecordFileContents c = ParseOk("v.csv",
                                 "record_id,kind\n"
                                 "\"r1\"x,referral\n"
                                 "r2,referral\n");
  ASSERT_EQ(c.malformed.size(), 1u);
  EXPECT_EQ(c.malformed[0].line, 2);
  EXPECT_THAT(c.malformed[0].reason, HasSubstr("closing quote"));
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].fields().at("record_id"), "r2");
  EXPECT_EQ(c.rows[0].line(), 3);
}

TEST(CsvTest, UnterminatedQuoteReportedOnceAtItsRow) {
  RecordFileContents c = ParseOk("v.csv",
                                 "record_id,kind,icd10\n"
                                 "r1,referral,I10\n"
                                 "r2,referral,\"oops\n"
                                 "r3,referral,I11\n"
                                 "r4,referral,I12\n");
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].fields().at("record_id"), "r1");
  ASSERT_EQ(c.malformed.size(), 1u);
  EXPECT_EQ(c.malformed[0].line, 3);
  EXPECT_THAT(c.malformed[0].reason, HasSubstr("never closed"));
}

TEST(CsvTest, BlankLinesSkippedButCounted) {
  RecordFileContents c = ParseOk("v.csv",
                                 "\n"
                                 "record_id,kind\n"
                                 "\n"
                                 "r1,referral\n"
                                 "   \n"
                                 ",\n"
                                 "\r\n"
                                 "r2,referral\n"
                                 "\n");
  EXPECT_THAT(c.malformed, IsEmpty());
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].line(), 4);
  EXPECT_EQ(c.rows[1].line(), 8);
}

TEST(CsvTest, UnknownColumnsCollectedOnceAndKeptOutOfFields) {
  RecordFileContents c = ParseOk("v.csv",
                                 " record_id , note,kind,Kind,note\n"
                                 "r1,hello,referral,x,y\n"
                                 "r2,,referral,,\n");
  EXPECT_THAT(c.unknown_columns, ElementsAre("note", "Kind"));
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_THAT(
      Fields(c.rows[0]),
      UnorderedElementsAre(Pair("record_id", "r1"), Pair("kind", "referral")));
}

TEST(CsvTest, DataUnderUnnamedColumnIsAnUnknownColumn) {
  RecordFileContents c =
      ParseOk("v.csv", "record_id,kind,\nr1,referral,\nr2,referral,zz\n");
  EXPECT_THAT(c.unknown_columns, ElementsAre("(unnamed column 3)"));
  EXPECT_EQ(c.rows.size(), 2u);
  EXPECT_THAT(c.malformed, IsEmpty());
}

TEST(CsvTest, FileLevelErrors) {
  for (const std::string& bytes : {std::string(""), std::string("\n\n  \n"),
                                   std::string("\xEF\xBB\xBF")}) {
    absl::StatusOr<RecordFileContents> c =
        ParseRecordFile("empty.csv", bytes, FileEncoding::kAuto);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bytes;
    EXPECT_THAT(c.status().message(), HasSubstr("empty.csv"));
    EXPECT_THAT(c.status().message(), HasSubstr("header"));
  }
  absl::StatusOr<RecordFileContents> dup = ParseRecordFile(
      "dup.csv", "record_id,kind,kind\nr1,a,b\n", FileEncoding::kAuto);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dup.status().message(), HasSubstr("'kind'"));
  absl::StatusOr<RecordFileContents> bad_header =
      ParseRecordFile("h.csv", "record_id,\"kind\nr1,a\n", FileEncoding::kAuto);
  EXPECT_EQ(bad_header.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CsvTest, Utf8ChineseIsKept) {
  RecordFileContents c = ParseOk("v.csv",
                                 "record_id,kind,sex,icd10,备注\n"
                                 "r1,outpatient_visit,男,高血压 I10,随访\n");
  EXPECT_EQ(c.detected, FileEncoding::kUtf8);
  EXPECT_THAT(c.unknown_columns, ElementsAre("备注"));
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].fields().at("sex"), "男");
  EXPECT_EQ(c.rows[0].fields().at("icd10"), "高血压 I10");
}

TEST(CsvTest, IdeographicSpaceIsTrimmed) {
  RecordFileContents c =
      ParseOk("v.csv", "record_id,kind,sex\nr1,referral,\u3000女\u3000\n");
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].fields().at("sex"), "女");
}

const char kChineseCsv[] =
    "record_id,kind,sex,icd10,备注\n"
    "r1,outpatient_visit,男,高血压,老病号\n"
    "r2,outpatient_visit,女,\"糖尿病,复诊\",\n";

TEST(EncodingTest, Gb18030Detected) {
  std::string gb = ToGb18030(kChineseCsv);
  ASSERT_NE(gb, kChineseCsv);  // really converted
  RecordFileContents c = ParseOk("v.csv", gb);
  EXPECT_EQ(c.detected, FileEncoding::kGb18030);
  EXPECT_THAT(c.unknown_columns, ElementsAre("备注"));
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].fields().at("sex"), "男");
  EXPECT_EQ(c.rows[0].fields().at("icd10"), "高血压");
  EXPECT_EQ(c.rows[1].fields().at("sex"), "女");
  EXPECT_EQ(c.rows[1].fields().at("icd10"), "糖尿病,复诊");
  EXPECT_EQ(c.rows[1].line(), 3);
}

TEST(EncodingTest, Gb18030ThatIsAlsoValidUtf8IsDetected) {
  // 女 in GB18030 is C5 AE, which UTF-8 reads as U+016E; a file of postpartum
  // visits has no other Chinese character.
  std::string gb = ToGb18030(
      "record_id,kind,sex\nr1,postpartum_visit,女\nr2,postpartum_visit,女\n");
  ASSERT_EQ(gb.find("\xC5\xAE"), 39u);
  RecordFileContents c = ParseOk("v.csv", gb);
  EXPECT_EQ(c.detected, FileEncoding::kGb18030);
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].fields().at("sex"), "女");
  EXPECT_EQ(c.rows[1].fields().at("sex"), "女");
}

TEST(EncodingTest, Utf8WithChineseAndLatinSymbolsStaysUtf8) {
  RecordFileContents c =
      ParseOk("v.csv", "record_id,kind,icd10\nr1,referral,发热 38.5°C\n");
  EXPECT_EQ(c.detected, FileEncoding::kUtf8);
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].fields().at("icd10"), "发热 38.5°C");
  // Without any Chinese character, only a forced encoding keeps such a file
  // UTF-8.
  RecordFileContents forced =
      ParseOk("v.csv", "record_id,kind,icd10\nr1,referral,38.5°C\n",
              FileEncoding::kUtf8);
  EXPECT_EQ(forced.rows[0].fields().at("icd10"), "38.5°C");
}

TEST(EncodingTest, Gb18030Forced) {
  RecordFileContents c =
      ParseOk("v.csv", ToGb18030(kChineseCsv), FileEncoding::kGb18030);
  EXPECT_EQ(c.detected, FileEncoding::kGb18030);
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].fields().at("sex"), "男");
}

TEST(EncodingTest, ForcedUtf8OnGbBytesNamesFileOffsetAndLine) {
  std::string gb = ToGb18030("record_id,kind,sex\nr1,outpatient_visit,男\n");
  absl::StatusOr<RecordFileContents> c =
      ParseRecordFile("clinic.csv", gb, FileEncoding::kUtf8);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("clinic.csv"));
  EXPECT_THAT(c.status().message(), HasSubstr("byte offset 39"));
  EXPECT_THAT(c.status().message(), HasSubstr("line 2"));
}

TEST(EncodingTest, ForcedUtf8AcceptsUtf8) {
  RecordFileContents c = ParseOk("v.csv", kChineseCsv, FileEncoding::kUtf8);
  EXPECT_EQ(c.detected, FileEncoding::kUtf8);
  EXPECT_EQ(c.rows.size(), 2u);
}

TEST(EncodingTest, InvalidInBothEncodings) {
  // 0x80 alone is neither UTF-8 nor a GB18030 lead byte; 0xFF never occurs in
  // either.
  std::string bytes = "record_id,kind\nr1,\xFF\xFF\n";
  absl::StatusOr<RecordFileContents> c =
      ParseRecordFile("x.csv", bytes, FileEncoding::kAuto);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("x.csv"));
  EXPECT_THAT(c.status().message(), HasSubstr("line 2"));
  absl::StatusOr<RecordFileContents> forced =
      ParseRecordFile("x.csv", bytes, FileEncoding::kGb18030);
  EXPECT_EQ(forced.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(forced.status().message(), HasSubstr("GB18030"));
}

TEST(EncodingTest, OverlongUtf8IsNotUtf8) {
  // C0 AF is an overlong '/', invalid UTF-8; forced UTF-8 must refuse it.
  absl::StatusOr<RecordFileContents> c = ParseRecordFile(
      "x.csv", "record_id,kind\nr\xC0\xAF,referral\n", FileEncoding::kUtf8);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("byte offset 16"));
}

TEST(JsonLinesTest, ObjectsNumbersNullsAndBadLines) {
  RecordFileContents c = ParseOk(
      "v.jsonl",
      "{\"record_id\":\"r1\",\"kind\":\"vaccination\",\"dose\":2,\"cost_yuan\":"
      "12.5,"
      "\"icd10\":null,\"vaccine\":\" HepB \",\"sex\":\"\"}\n"
      "\n"
      "{\"record_id\":\"r2\",\"kind\":\"vaccination\",\"dose\":true}\n"
      "[1,2]\n"
      "{\"record_id\":\"r3\",\"kind\":\"referral\",\"referred_to\":[\"county\"]"
      "}\n"
      "{not json\n"
      "{\"record_id\":\"r4\",\"kind\":\"referral\",\"patient_id\":{\"a\":1}}\n"
      "\"just a string\"\n"
      "  "
      "{\"record_id\":\"r5\",\"kind\":\"diabetes_followup\",\"fasting_"
      "glucose\":6.99,"
      "\"participants\":-3,\"extra\":1,\" note \":\"x\"}  \r\n");
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].source(), "v.jsonl");
  EXPECT_EQ(c.rows[0].line(), 1);
  EXPECT_THAT(
      Fields(c.rows[0]),
      UnorderedElementsAre(Pair("record_id", "r1"), Pair("kind", "vaccination"),
                           Pair("dose", "2"), Pair("cost_yuan", "12.5"),
                           Pair("vaccine", "HepB")));
  EXPECT_EQ(c.rows[1].line(), 9);
  EXPECT_THAT(Fields(c.rows[1]),
              UnorderedElementsAre(
                  Pair("record_id", "r5"), Pair("kind", "diabetes_followup"),
                  Pair("fasting_glucose", "6.99"), Pair("participants", "-3")));
  EXPECT_THAT(c.unknown_columns, ElementsAre("extra", "note"));
  ASSERT_EQ(c.malformed.size(), 6u);
  EXPECT_EQ(c.malformed[0].line, 3);
  EXPECT_THAT(c.malformed[0].reason, HasSubstr("dose"));
  EXPECT_THAT(c.malformed[0].reason, HasSubstr("boolean"));
  EXPECT_EQ(c.malformed[1].line, 4);
  EXPECT_THAT(c.malformed[1].reason, HasSubstr("not an object"));
  EXPECT_EQ(c.malformed[2].line, 5);
  EXPECT_THAT(c.malformed[2].reason, HasSubstr("referred_to"));
  EXPECT_EQ(c.malformed[3].line, 6);
  EXPECT_THAT(c.malformed[3].reason, HasSubstr("not valid JSON"));
  EXPECT_EQ(c.malformed[4].line, 7);
  EXPECT_THAT(c.malformed[4].reason, HasSubstr("patient_id"));
  EXPECT_EQ(c.malformed[5].line, 8);
}

TEST(JsonLinesTest, NdjsonExtensionCaseInsensitiveAndEmptyFile) {
  RecordFileContents c =
      ParseOk("V.NDJSON", "{\"record_id\":\"r1\",\"kind\":\"referral\"}");
  ASSERT_EQ(c.rows.size(), 1u);
  RecordFileContents empty = ParseOk("v.jsonl", "");
  EXPECT_THAT(empty.rows, IsEmpty());
  EXPECT_THAT(empty.malformed, IsEmpty());
}

TEST(JsonLinesTest, Gb18030AndBom) {
  std::string text =
      "{\"record_id\":\"r1\",\"kind\":\"referral\",\"sex\":\"女\"}\n";
  RecordFileContents gb = ParseOk("v.jsonl", ToGb18030(text));
  EXPECT_EQ(gb.detected, FileEncoding::kGb18030);
  ASSERT_EQ(gb.rows.size(), 1u);
  EXPECT_EQ(gb.rows[0].fields().at("sex"), "女");
  RecordFileContents bom = ParseOk("v.jsonl", "\xEF\xBB\xBF" + text);
  ASSERT_EQ(bom.rows.size(), 1u);
  EXPECT_THAT(bom.malformed, IsEmpty());
}

TEST(JsonLinesTest, EscapedUnicodeAndBigNumbers) {
  RecordFileContents c =
      ParseOk("v.jsonl",
              "{\"record_id\":\"r1\",\"kind\":\"referral\",\"sex\":\"\\u7537\","
              "\"dose\":0,"
              "\"participants\":18446744073709551615,\"cost_yuan\":0.1}\n");
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_THAT(
      Fields(c.rows[0]),
      UnorderedElementsAre(Pair("record_id", "r1"), Pair("kind", "referral"),
                           Pair("sex", "男"), Pair("dose", "0"),
                           Pair("participants", "18446744073709551615"),
                           Pair("cost_yuan", "0.1")));
}

// Whatever the bytes, parsing returns (no crash, no exception) and every row
// holds only known, non-empty, trimmed cells with increasing line numbers.
TEST(RobustnessTest, RandomBytes) {
  const std::string alphabet[] = {
      ",",    "\"",   "\n",   "\r",   "a",         " ",
      "\xC5", "\xAE", "\xFF", "{",    "}",         ":",
      "[",    "null", "1.5",  "kind", "\"kind\":", "record_id,kind\n"};
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7FFF;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = i % 2 == 0 ? "record_id,kind,icd10\n" : "";
    int n = next() % 40;
    for (int k = 0; k < n; ++k) bytes += alphabet[next() % std::size(alphabet)];
    for (const char* path : {"f.csv", "f.jsonl"}) {
      for (FileEncoding enc :
           {FileEncoding::kAuto, FileEncoding::kUtf8, FileEncoding::kGb18030}) {
        absl::StatusOr<RecordFileContents> c =
            ParseRecordFile(path, bytes, enc);
        if (!c.ok()) continue;
        int64_t last_line = 0;
        for (const RawRow& row : c->rows) {
          EXPECT_GT(row.line(), last_line);
          last_line = row.line();
          for (const auto& [k, v] : row.fields()) {
            EXPECT_NE(
                std::find(KnownColumns().begin(), KnownColumns().end(), k),
                KnownColumns().end());
            EXPECT_FALSE(v.empty());
            EXPECT_NE(v.front(), ' ');
            EXPECT_NE(v.back(), ' ');
          }
        }
      }
    }
  }
}

// Hands out a text at most `piece` bytes at a time, so that every place in
// a file is, in some run, where one read ends and the next begins.
class TinyPieces final : public ByteSource {
 public:
  TinyPieces(std::string bytes, size_t piece)
      : bytes_(std::move(bytes)), piece_(piece) {}
  absl::StatusOr<absl::string_view> Read(size_t max) override {
    absl::string_view out =
        absl::string_view(bytes_).substr(pos_, std::min(max, piece_));
    pos_ += out.size();
    return out;
  }
  absl::Status Rewind() override {
    pos_ = 0;
    return absl::OkStatus();
  }

 private:
  const std::string bytes_;
  const size_t piece_;
  size_t pos_ = 0;
};

// The whole result as text, to compare two readings of a file.
std::string Describe(const absl::StatusOr<RecordFileContents>& c) {
  if (!c.ok()) return c.status().ToString();
  std::string out = c->detected == FileEncoding::kGb18030 ? "gb\n" : "utf8\n";
  for (const RawRow& row : c->rows) {
    out += row.source() + ":" + std::to_string(row.line());
    for (const auto& [k, v] : Fields(row)) out += " " + k + "=" + v;
    out += "\n";
  }
  for (const MalformedRow& m : c->malformed) {
    out += "bad " + std::to_string(m.line) + " " + m.reason + "\n";
  }
  for (const std::string& u : c->unknown_columns) out += "unknown " + u + "\n";
  return out;
}

// Reads `bytes` `piece` bytes at a time, `max_rows` rows per chunk.
absl::StatusOr<RecordFileContents> ReadInPieces(const std::string& path,
                                                const std::string& bytes,
                                                FileEncoding enc, size_t piece,
                                                size_t max_rows) {
  absl::StatusOr<std::unique_ptr<RecordFileReader>> reader =
      RecordFileReader::Open(path, std::make_unique<TinyPieces>(bytes, piece),
                             enc);
  if (!reader.ok()) return reader.status();
  RecordFileContents out;
  out.detected = (*reader)->detected();
  RecordFileChunk chunk;
  bool more = true;
  while (more) {
    absl::StatusOr<bool> next = (*reader)->Next(max_rows, &chunk);
    if (!next.ok()) return next.status();
    more = *next;
    EXPECT_LE(chunk.rows.size() + chunk.malformed.size(), max_rows);
    if (more) {
      EXPECT_FALSE(chunk.rows.empty() && chunk.malformed.empty());
    }
    for (RawRow& r : chunk.rows) out.rows.push_back(std::move(r));
    for (MalformedRow& m : chunk.malformed) out.malformed.push_back(m);
    for (std::string& u : chunk.unknown_columns)
      out.unknown_columns.push_back(u);
  }
  return out;
}

TEST(PiecesTest, ResultDoesNotDependOnWhereReadsEnd) {
  const std::string utf8 =
      "\xEF\xBB\xBFrecord_id,kind,sex,icd10,备注,\r\n"
      "r1,outpatient_visit,男,\"高血压\r\n复诊\",老病号,\r\n"
      "\r\n"
      "r2,outpatient_visit,女,\"a,\"\"b\"\"\",,x\r"
      "r3,referral,女,𠀀 发热 38.5°C,\"unclosed\n"
      "r4,referral,男,I10\n";
  const std::vector<std::pair<std::string, std::string>> files = {
      {"a.csv", utf8},
      {"a.csv", ToGb18030(utf8)},
      {"a.csv", "\xEF\xBB\xBF\xEF\xBB\xBFrecord_id,kind\nr1,a\nr2,b"},
      {"a.csv", "record_id,kind,sex\nr1,postpartum_visit,女\nr2,x,女\r\n"},
      {"a.csv", "record_id,kind\nr1,a\nr2,\xFF\n"},
      {"a.csv", ToGb18030("record_id,kind\nr1,男\n") + "\x81"},
      {"a.csv", "\n\n  \nrecord_id,\"kind\nr1,a\n"},
      {"a.jsonl",
       "\xEF\xBB\xBF{\"record_id\":\"r1\",\"kind\":\"男\",\"x\":1}\r\n\r\n"
       "[1]\n{\"record_id\":\"r2\",\"dose\":2.5,\"kind\":null}\nnot json\n"
       "{\"record_id\":\"r3\",\"kind\":{}}"},
      {"a.jsonl", ToGb18030("{\"record_id\":\"r1\",\"sex\":\"女\"}\n")},
  };
  for (const auto& [path, bytes] : files) {
    for (FileEncoding enc :
         {FileEncoding::kAuto, FileEncoding::kUtf8, FileEncoding::kGb18030}) {
      const std::string whole = Describe(ParseRecordFile(path, bytes, enc));
      for (size_t piece : {1, 2, 3, 5}) {
        for (size_t max_rows : {1, 2, 1000}) {
          EXPECT_EQ(Describe(ReadInPieces(path, bytes, enc, piece, max_rows)),
                    whole)
              << path << " piece " << piece << " rows " << max_rows
              << " encoding " << static_cast<int>(enc);
        }
      }
    }
  }
}

// A file many reads long, in GB18030 with quoted line breaks: every row, with
// its line, as written.
TEST(PiecesTest, LargeFileReadFromDisk) {
  std::string utf8 = "record_id,kind,sex,icd10\n";
  const int kRows = 30000;
  for (int i = 0; i < kRows; ++i) {
    utf8 += "r" + std::to_string(i) + ",outpatient_visit," +
            (i % 2 ? "男" : "女") + ",\"高血压\n第" + std::to_string(i) +
            "次\"\r\n";
  }
  const std::string path = testing::TempDir() + "/record_file_large_" +
                           std::to_string(getpid()) + ".csv";
  const std::string gb = ToGb18030(utf8);
  ASSERT_GT(gb.size(), size_t{1} << 20);  // more than a few reads
  std::ofstream(path, std::ios::binary) << gb;
  absl::StatusOr<RecordFileContents> c =
      ReadRecordFile(path, FileEncoding::kAuto);
  std::remove(path.c_str());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->detected, FileEncoding::kGb18030);
  EXPECT_THAT(c->malformed, IsEmpty());
  ASSERT_EQ(c->rows.size(), static_cast<size_t>(kRows));
  for (int i = 0; i < kRows; ++i) {
    const RawRow& row = c->rows[i];
    ASSERT_EQ(row.line(), 2 + 2 * i);
    ASSERT_EQ(row.fields().at("record_id"), "r" + std::to_string(i));
    ASSERT_EQ(row.fields().at("sex"), i % 2 ? "男" : "女");
    ASSERT_EQ(row.fields().at("icd10"),
              "高血压\n第" + std::to_string(i) + "次");
  }
}

TEST(ReadRecordFileTest, ReadsFromDiskAndReportsMissingFile) {
  std::string path = testing::TempDir() + "/record_file_test_" +
                     std::to_string(getpid()) + ".csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << ToGb18030("record_id,kind,sex\nr1,referral,男\n");
  }
  absl::StatusOr<RecordFileContents> c =
      ReadRecordFile(path, FileEncoding::kAuto);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->detected, FileEncoding::kGb18030);
  ASSERT_EQ(c->rows.size(), 1u);
  EXPECT_EQ(c->rows[0].source(), path);
  EXPECT_EQ(c->rows[0].fields().at("sex"), "男");
  std::remove(path.c_str());

  absl::StatusOr<RecordFileContents> missing =
      ReadRecordFile(path, FileEncoding::kAuto);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace sanji
