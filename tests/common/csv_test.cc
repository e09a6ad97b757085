// Tests of common/csv.h: the one CSV reader and writer.
#include "common/csv.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sanji {
namespace {

std::vector<CsvRecord> ReadAll(absl::string_view text) {
  std::vector<CsvRecord> out;
  CsvReader reader(text);
  CsvRecord record;
  while (reader.Next(&record)) out.push_back(record);
  return out;
}

TEST(CsvReaderTest, QuotesLineEndsAndLineNumbers) {
  std::vector<CsvRecord> r = ReadAll(
      "\xEF\xBB\xBF"
      "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\r\nlines\",,x\rlast");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b,c", "say \"hi\""}));
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"two\nlines", "", "x"}));
  EXPECT_EQ(r[1].line, 2);
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"last"}));
  EXPECT_EQ(r[2].line, 4);
  for (const CsvRecord& rec : r) {
    EXPECT_TRUE(rec.error.empty()) << rec.error;
    EXPECT_FALSE(rec.irregular_quotes);
  }
}

TEST(CsvReaderTest, AMalformedRecordCostsOnlyItself) {
  std::vector<CsvRecord> r = ReadAll("ok,1\n\"bad\"x,2\nok,3\n\"open,4\n");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(r[0].error.empty());
  EXPECT_NE(r[1].error.find("text after its closing quote"), std::string::npos);
  EXPECT_TRUE(r[2].error.empty());
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"ok", "3"}));
  EXPECT_NE(r[3].error.find("starting on line 4 is never closed"),
            std::string::npos);
}

TEST(CsvReaderTest, SloppyQuotingIsReadButMarked) {
  std::vector<CsvRecord> r = ReadAll("a, \"b\"\n\"c\" ,d\ne\"f,g\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"c ", "d"}));
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"e\"f", "g"}));
  for (const CsvRecord& rec : r) {
    EXPECT_TRUE(rec.error.empty()) << rec.error;
    EXPECT_TRUE(rec.irregular_quotes) << rec.line;
  }
}

TEST(CsvReaderTest, BlankRecordsAndTrimming) {
  std::vector<CsvRecord> r = ReadAll("\n , \xE3\x80\x80\nx\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(IsBlankRecord(r[0]));
  EXPECT_TRUE(IsBlankRecord(r[1]));
  EXPECT_FALSE(IsBlankRecord(r[2]));
  EXPECT_EQ(TrimCell("\xE3\x80\x80 张三 \t"), "张三");
}

TEST(CsvWriterTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(CsvField("plain 文本"), "plain 文本");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  // What the writer writes, the reader reads back unchanged and regular.
  std::string line;
  for (const char* f : {"a,b", "x\"y", "", "two\r\nlines"}) {
    if (!line.empty()) line += ',';
    AppendCsvField(f, &line);
  }
  std::vector<CsvRecord> r = ReadAll(line);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields,
            (std::vector<std::string>{"a,b", "x\"y", "", "two\nlines"}));
  EXPECT_FALSE(r[0].irregular_quotes);
}

}  // namespace
}  // namespace sanji
