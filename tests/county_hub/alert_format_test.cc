// Tests of county_hub/alert_format.h: how `county_hub alerts` prints the line
// list as JSON lines and as Chinese text.
#include "county_hub/alert_format.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

int64_t Local(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::CivilSecond(y, mo, d, h, mi, s) -
         absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

// Unix milliseconds of a UTC civil time.
int64_t UtcMillis(int y, int mo, int d, int h, int mi, int s, int ms) {
  return absl::ToUnixMillis(absl::FromCivil(
             absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone())) +
         ms;
}

AlertEntry Entry(uint64_t id, const std::string& disease,
                 const std::string& disease_class, bool urgent) {
  AlertEntry e;
  e.set_id(id);
  e.set_change(id + 10);
  Alert* a = e.mutable_alert();
  a->set_village_id("640522100201");
  a->set_record_id("IDR-7");
  a->set_disease(disease);
  a->set_disease_class(disease_class);
  a->set_urgent(urgent);
  a->set_occurred_at(Local(2025, 6, 1, 10, 5, 9));
  a->set_sex("M");
  a->set_age_years(34);
  a->set_version(3);
  // 2025-06-01T03:00:07.250Z is 11:00:07.250 in Beijing.
  e.set_received_at_unix_ms(UtcMillis(2025, 6, 1, 3, 0, 7, 250));
  return e;
}

nlohmann::json ParseJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr,
                                           /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

TEST(AlertFormatTest, JsonOfANewUrgentAlert) {
  AlertEntry e = Entry(3, "cholera", "A", true);
  e.set_village_name("某村");
  std::string text = AlertJson(e);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  nlohmann::json j = ParseJson(text);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["id"], 3);
  EXPECT_EQ(j["village_id"], "640522100201");
  EXPECT_EQ(j["village_name"], "某村");
  EXPECT_EQ(j["township_id"], "640522100");
  EXPECT_EQ(j["record_id"], "IDR-7");
  EXPECT_EQ(j["disease"], "cholera");
  EXPECT_EQ(j["disease_zh"], "霍乱");
  EXPECT_EQ(j["class"], "A");
  EXPECT_EQ(j["urgent"], true);
  ASSERT_TRUE(j["urgent"].is_boolean());
  EXPECT_EQ(j["occurred_at"], "2025-06-01T10:05:09");
  EXPECT_EQ(j["sex"], "M");
  EXPECT_EQ(j["age"], 34);
  ASSERT_TRUE(j["age"].is_number_integer());
  EXPECT_EQ(j["received_at"], "2025-06-01T11:00:07.250+08:00");
  EXPECT_EQ(j["status"], "new");
  EXPECT_EQ(j["reviewed_by"], "");
  EXPECT_EQ(j["reviewed_at"], "");
  // Exactly the documented fields, in the documented order; nothing else (in
  // particular no patient id, no birth date, no change counter).
  std::vector<std::string> keys;
  nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(text);
  for (const auto& item : ordered.items()) keys.push_back(item.key());
  EXPECT_THAT(
      keys, ElementsAre("id", "village_id", "village_name", "township_id",
                        "record_id", "disease", "disease_zh", "class", "urgent",
                        "occurred_at", "sex", "age", "received_at", "status",
                        "reviewed_by", "reviewed_at"));
}

TEST(AlertFormatTest, JsonOfANonUrgentReviewedAlertWithoutAge) {
  AlertEntry e = Entry(12, "measles", "B", false);
  e.mutable_alert()->set_sex("F");
  e.mutable_alert()->set_age_years(-1);
  e.set_reviewed_by("张医生");
  // 2025-06-01T16:30:00.000Z is 2025-06-02T00:30 in Beijing: the date moves.
  e.set_reviewed_at_unix_ms(UtcMillis(2025, 6, 1, 16, 30, 0, 0));
  nlohmann::json j = ParseJson(AlertJson(e));
  EXPECT_EQ(j["id"], 12);
  EXPECT_EQ(j["disease"], "measles");
  EXPECT_EQ(j["disease_zh"], "麻疹");
  EXPECT_EQ(j["class"], "B");
  EXPECT_EQ(j["urgent"], false);
  ASSERT_TRUE(j["urgent"].is_boolean());
  EXPECT_EQ(j["sex"], "F");
  EXPECT_TRUE(j["age"].is_null());
  EXPECT_EQ(j["status"], "reviewed");
  EXPECT_EQ(j["reviewed_by"], "张医生");
  EXPECT_EQ(j["reviewed_at"], "2025-06-02T00:30:00.000+08:00");
  EXPECT_EQ(j["village_name"], "");
}

TEST(AlertFormatTest, AgeZeroIsANumberNotNull) {
  AlertEntry e = Entry(1, "pertussis", "B", false);
  e.mutable_alert()->set_age_years(0);
  nlohmann::json j = ParseJson(AlertJson(e));
  ASSERT_TRUE(j["age"].is_number_integer());
  EXPECT_EQ(j["age"], 0);
}

TEST(AlertFormatTest, StatusWithdrawnWinsOverReviewed) {
  AlertEntry e = Entry(5, "plague", "A", true);
  EXPECT_EQ(AlertStatusName(e), "new");
  e.set_reviewed_by("李四");
  e.set_reviewed_at_unix_ms(UtcMillis(2025, 6, 1, 4, 0, 0, 0));
  EXPECT_EQ(AlertStatusName(e), "reviewed");
  e.mutable_alert()->set_withdrawn(true);
  EXPECT_EQ(AlertStatusName(e), "withdrawn");
  nlohmann::json j = ParseJson(AlertJson(e));
  EXPECT_EQ(j["status"], "withdrawn");
  EXPECT_EQ(j["reviewed_by"], "李四");  // the review is still shown

  AlertEntry w = Entry(6, "plague", "A", true);
  w.mutable_alert()->set_withdrawn(true);
  EXPECT_EQ(AlertStatusName(w), "withdrawn");
}

TEST(AlertFormatTest, JsonEscapesTextFields) {
  AlertEntry e = Entry(2, "cholera", "A", true);
  e.set_village_name("\"某\"村\\\n");
  e.set_reviewed_by("王\"五\"");
  nlohmann::json j = ParseJson(AlertJson(e));
  EXPECT_EQ(j["village_name"], "\"某\"村\\\n");
  EXPECT_EQ(j["reviewed_by"], "王\"五\"");
  EXPECT_EQ(AlertJson(e).find('\n'), std::string::npos);
}

// A village name from an --orgs file that is not UTF-8 (GB18030 from Excel)
// is replaced, never thrown: the dashboard's alert stream writes JSON outside
// any handler, where a throw would end the hub.
TEST(AlertFormatTest, JsonOfANameThatIsNotUtf8ReplacesTheBadBytes) {
  AlertEntry e = Entry(4, "cholera", "A", true);
  e.set_village_name("\xd5\xc5\xd7\xaf");  // 张庄 in GB18030
  std::string json;
  ASSERT_NO_THROW(json = AlertJson(e));
  const std::string name = ParseJson(json)["village_name"];
  EXPECT_EQ(name.substr(0, 6), "\xef\xbf\xbd\xef\xbf\xbd")  // U+FFFD twice
      << name;
}

TEST(AlertFormatTest, TextOfANewUrgentClassAAlert) {
  AlertEntry e = Entry(3, "cholera", "A", true);
  e.set_village_name("某村");
  EXPECT_EQ(AlertText(e),
            "#3  2025-06-01 10:05  霍乱 甲类 紧急  640522100201 某村  男 "
            "34岁  待审核");
}

TEST(AlertFormatTest, TextOfClassBManagedAsA) {
  AlertEntry e = Entry(4, "sars", "B", true);
  std::string text = AlertText(e);
  EXPECT_THAT(text, HasSubstr("传染性非典型肺炎"));
  EXPECT_THAT(text, HasSubstr("乙类(按甲类管理)"));
  EXPECT_THAT(text, HasSubstr(" 紧急"));
  EXPECT_EQ(text,
            "#4  2025-06-01 10:05  传染性非典型肺炎 乙类(按甲类管理) 紧急  "
            "640522100201  男 34岁  待审核");

  e = Entry(5, "anthrax_pulmonary", "B", true);
  EXPECT_THAT(AlertText(e), HasSubstr("肺炭疽 乙类(按甲类管理) 紧急"));
}

TEST(AlertFormatTest, TextOfNonUrgentClassesHasNoUrgentMark) {
  AlertEntry b = Entry(7, "tuberculosis", "B", false);
  b.mutable_alert()->set_sex("F");
  std::string text = AlertText(b);
  EXPECT_THAT(text, HasSubstr("肺结核 乙类  "));
  EXPECT_THAT(text, Not(HasSubstr("按甲类管理")));
  EXPECT_THAT(text, Not(HasSubstr("紧急")));
  EXPECT_THAT(text, HasSubstr("  女 34岁  "));
  EXPECT_EQ(text,
            "#7  2025-06-01 10:05  肺结核 乙类  640522100201  女 34岁  待审核");

  AlertEntry c = Entry(8, "hand_foot_mouth", "C", false);
  text = AlertText(c);
  EXPECT_THAT(text, HasSubstr("手足口病 丙类  "));
  EXPECT_THAT(text, Not(HasSubstr("紧急")));
  EXPECT_THAT(text, HasSubstr("  男 34岁  "));
}

TEST(AlertFormatTest, TextStatusWords) {
  AlertEntry e = Entry(9, "plague", "A", true);
  EXPECT_THAT(AlertText(e), HasSubstr("待审核"));
  EXPECT_THAT(AlertText(e), HasSubstr("鼠疫 甲类 紧急"));

  e.set_reviewed_by("张医生");
  // 2025-06-01T04:20:59.999Z is 12:20 in Beijing.
  e.set_reviewed_at_unix_ms(UtcMillis(2025, 6, 1, 4, 20, 59, 999));
  std::string reviewed = AlertText(e);
  EXPECT_THAT(reviewed, Not(HasSubstr("待审核")));
  EXPECT_EQ(reviewed,
            "#9  2025-06-01 10:05  鼠疫 甲类 紧急  640522100201  男 34岁  "
            "已审核(张医生 2025-06-01 12:20)");

  e.mutable_alert()->set_withdrawn(true);
  std::string withdrawn = AlertText(e);
  EXPECT_THAT(withdrawn, HasSubstr("已撤回"));
  EXPECT_THAT(withdrawn, Not(HasSubstr("已审核")));
  EXPECT_THAT(withdrawn, Not(HasSubstr("待审核")));
}

TEST(AlertFormatTest, TextWithoutAge) {
  AlertEntry e = Entry(10, "cholera", "A", true);
  e.mutable_alert()->set_age_years(-1);
  std::string text = AlertText(e);
  EXPECT_THAT(text, HasSubstr("男 年龄不详"));
  EXPECT_THAT(text, Not(HasSubstr("-1")));
}

TEST(AlertFormatTest, SortNewestFirstByOccurredAtThenId) {
  auto make = [](uint64_t id, int64_t occurred_at) {
    AlertEntry e = Entry(id, "cholera", "A", true);
    e.mutable_alert()->set_occurred_at(occurred_at);
    return e;
  };
  const int64_t t1 = Local(2025, 5, 31, 23, 59, 59);
  const int64_t t2 = Local(2025, 6, 1, 0, 0, 0);
  const int64_t t3 = Local(2025, 6, 1, 0, 0, 1);
  std::vector<AlertEntry> entries = {make(1, t2), make(2, t3), make(3, t1),
                                     make(4, t2), make(5, t1), make(6, t3)};
  SortNewestFirst(&entries);
  std::vector<uint64_t> ids;
  for (const AlertEntry& e : entries) ids.push_back(e.id());
  EXPECT_THAT(ids, ElementsAre(6, 2, 4, 1, 5, 3));

  std::vector<AlertEntry> empty;
  SortNewestFirst(&empty);
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace sanji
