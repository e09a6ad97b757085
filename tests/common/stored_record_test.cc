// Tests of common/stored_record.h: one accepted record as the agent and the
// township keep it.
#include "common/stored_record.h"

#include "gtest/gtest.h"

namespace sanji {
namespace {

TEST(StoredRecordTest, StateByteThenTheRecord) {
  Record record;
  record.set_record_id("op1");
  record.set_kind("outpatient_visit");
  const std::string bytes = record.SerializeAsString();
  const std::string active = EncodeStoredRecord(false, bytes);
  const std::string voided = EncodeStoredRecord(true, bytes);
  EXPECT_EQ(active, "N" + bytes);
  EXPECT_EQ(voided, "V" + bytes);
  StoredRecordView view;
  Record parsed;
  ASSERT_TRUE(ParseStoredRecord(voided, &view, &parsed));
  EXPECT_TRUE(view.voided);
  EXPECT_EQ(view.record_bytes, bytes);
  EXPECT_EQ(parsed.record_id(), "op1");
  ASSERT_TRUE(DecodeStoredRecord(active, &view));
  EXPECT_FALSE(view.voided);
}

TEST(StoredRecordTest, UnknownStateOrBadRecordIsRefused) {
  StoredRecordView view;
  Record parsed;
  EXPECT_FALSE(DecodeStoredRecord("", &view));
  EXPECT_FALSE(DecodeStoredRecord("X", &view));
  EXPECT_FALSE(ParseStoredRecord("N\xff\xff\xff", &view, &parsed));
  EXPECT_TRUE(ParseStoredRecord("N", &view, &parsed));  // an empty Record
}

}  // namespace
}  // namespace sanji
