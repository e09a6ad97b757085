// Tests of county_hub/alert_book.h: the county's line list of notifiable-
// disease cases, over a real RocksDB store in a temporary directory.
#include "county_hub/alert_book.h"

#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "county_hub/cell_store.h"
#include "county_hub/hub_layout.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::TempDir;
using ::testing::ElementsAre;

constexpr char kTownship[] = "640522100";
constexpr char kVillage1[] = "640522100201";
constexpr char kVillage2[] = "640522100202";

int64_t Local(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::CivilSecond(y, mo, d, h, mi, s) -
         absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

Alert MakeAlert(const std::string& village, const std::string& record_id,
                const std::string& disease, uint64_t version,
                int64_t occurred_at = Local(2025, 6, 1, 10, 0, 0)) {
  Alert a;
  a.set_village_id(village);
  a.set_record_id(record_id);
  a.set_disease(disease);
  if (disease == "plague" || disease == "cholera") {
    a.set_disease_class("A");
    a.set_urgent(true);
  } else if (disease == "sars" || disease == "anthrax_pulmonary") {
    a.set_disease_class("B");
    a.set_urgent(true);
  } else if (disease == "influenza" || disease == "mumps") {
    a.set_disease_class("C");
  } else {
    a.set_disease_class("B");
  }
  a.set_occurred_at(occurred_at);
  a.set_sex("M");
  a.set_age_years(34);
  a.set_version(version);
  return a;
}

google::protobuf::RepeatedPtrField<Alert> Batch(std::vector<Alert> alerts) {
  google::protobuf::RepeatedPtrField<Alert> out;
  for (Alert& a : alerts) *out.Add() = std::move(a);
  return out;
}

std::vector<uint64_t> Ids(const std::vector<AlertEntry>& entries) {
  std::vector<uint64_t> ids;
  for (const AlertEntry& e : entries) ids.push_back(e.id());
  return ids;
}

std::vector<uint64_t> Changes(const std::vector<AlertEntry>& entries) {
  std::vector<uint64_t> changes;
  for (const AlertEntry& e : entries) changes.push_back(e.change());
  return changes;
}

std::vector<std::string> Serialized(const std::vector<AlertEntry>& entries) {
  std::vector<std::string> out;
  for (const AlertEntry& e : entries) out.push_back(e.SerializeAsString());
  return out;
}

// The entry with `id`, found through ChangedAfter (the book's only reader).
AlertEntry EntryWithId(const CountyAlertBook& book, uint64_t id) {
  for (const AlertEntry& e : book.ChangedAfter(0, 0)) {
    if (e.id() == id) return e;
  }
  ADD_FAILURE() << "no entry with id " << id;
  return AlertEntry();
}

class AlertBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    Reopen();
  }

  // Closes the book and its store (if open) and opens both again from disk.
  void Reopen() {
    book_.reset();
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir_.Sub("hub"), hub_layout::Options("640522"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    absl::StatusOr<std::unique_ptr<CountyAlertBook>> book =
        CountyAlertBook::Open(store_.get());
    ASSERT_TRUE(book.ok()) << book.status();
    book_ = std::move(*book);
  }

  absl::Status Apply(std::vector<Alert> alerts) {
    return book_->Apply(kTownship, Batch(std::move(alerts)));
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CountyAlertBook> book_;
};

TEST_F(AlertBookTest, EmptyBook) {
  EXPECT_EQ(book_->size(), 0u);
  EXPECT_EQ(book_->last_change(), 0u);
  EXPECT_TRUE(book_->ChangedAfter(0, 0).empty());
  EXPECT_EQ(book_->Review(1, "张医生").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AlertBookTest, OpenNeedsTheAlertsFamily) {
  TempDir other;
  StoreOptions options;
  options.format = {"test", 1, ""};
  options.column_families = {"cells"};
  auto store = Store::Open(other.Sub("db"), options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto book = CountyAlertBook::Open(store->get());
  EXPECT_EQ(book.status().code(), absl::StatusCode::kInternal);
}

TEST_F(AlertBookTest, FirstReceiptAssignsIdsAndReceivedAt) {
  const int64_t before = absl::ToUnixMillis(absl::Now());
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1),
                     MakeAlert(kVillage2, "r1", "measles", 1),
                     MakeAlert(kVillage1, "r2", "plague", 1)})
                  .ok());
  const int64_t after = absl::ToUnixMillis(absl::Now());
  EXPECT_EQ(book_->size(), 3u);
  EXPECT_EQ(book_->last_change(), 3u);

  std::vector<AlertEntry> all = book_->ChangedAfter(0, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_THAT(Ids(all), ElementsAre(1, 2, 3));
  EXPECT_THAT(Changes(all), ElementsAre(1, 2, 3));
  EXPECT_EQ(all[0].alert().village_id(), kVillage1);
  EXPECT_EQ(all[0].alert().record_id(), "r1");
  EXPECT_EQ(all[0].alert().disease(), "cholera");
  EXPECT_EQ(all[1].alert().village_id(), kVillage2);
  EXPECT_EQ(all[1].alert().record_id(), "r1");
  EXPECT_EQ(all[1].alert().disease(), "measles");
  EXPECT_EQ(all[2].alert().record_id(), "r2");
  EXPECT_EQ(all[2].alert().disease(), "plague");
  for (const AlertEntry& e : all) {
    EXPECT_GE(e.received_at_unix_ms(), before);
    EXPECT_LE(e.received_at_unix_ms(), after);
    EXPECT_EQ(e.reviewed_by(), "");
    EXPECT_EQ(e.reviewed_at_unix_ms(), 0);
    // The alert is kept as the township sent it.
    EXPECT_EQ(e.alert().version(), 1u);
    EXPECT_EQ(e.alert().sex(), "M");
    EXPECT_EQ(e.alert().age_years(), 34);
    EXPECT_EQ(e.alert().occurred_at(), Local(2025, 6, 1, 10, 0, 0));
  }

  // A later batch continues the ids.
  ASSERT_TRUE(Apply({MakeAlert(kVillage2, "r9", "sars", 4)}).ok());
  std::vector<AlertEntry> next = book_->ChangedAfter(3, 0);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].id(), 4u);
  EXPECT_EQ(next[0].change(), 4u);
  EXPECT_EQ(next[0].alert().version(), 4u);
}

TEST_F(AlertBookTest, SameOrLowerVersionChangesNothing) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 5)}).ok());
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r2", "measles", 2)}).ok());
  const std::vector<std::string> before = Serialized(book_->ChangedAfter(0, 0));
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(book_->last_change(), 2u);

  // The same alert again, alone and in a batch with a lower version.
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 5)}).ok());
  Alert lower = MakeAlert(kVillage1, "r1", "cholera", 4);
  lower.set_withdrawn(true);
  lower.set_age_years(80);
  Alert lowest = MakeAlert(kVillage1, "r2", "measles", 1);
  lowest.set_withdrawn(true);
  ASSERT_TRUE(
      Apply({lower, lowest, MakeAlert(kVillage1, "r2", "measles", 2)}).ok());

  EXPECT_EQ(book_->size(), 2u);
  EXPECT_EQ(book_->last_change(), 2u);
  EXPECT_TRUE(book_->ChangedAfter(2, 0).empty());
  EXPECT_EQ(Serialized(book_->ChangedAfter(0, 0)), before);
  AlertEntry r1 = EntryWithId(*book_, 1);
  EXPECT_EQ(r1.alert().version(), 5u);
  EXPECT_FALSE(r1.alert().withdrawn());
  EXPECT_EQ(r1.alert().age_years(), 34);
  EXPECT_EQ(r1.change(), 1u);

  // Nothing changed on disk either.
  Reopen();
  EXPECT_EQ(book_->last_change(), 2u);
  EXPECT_EQ(Serialized(book_->ChangedAfter(0, 0)), before);
}

TEST_F(AlertBookTest, HigherVersionUpdatesButKeepsIdReceivedAtAndReview) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1),
                     MakeAlert(kVillage1, "r2", "plague", 1)})
                  .ok());
  AlertEntry first = EntryWithId(*book_, 1);
  absl::StatusOr<AlertEntry> reviewed = book_->Review(1, "张医生");
  ASSERT_TRUE(reviewed.ok()) << reviewed.status();
  ASSERT_EQ(book_->last_change(), 3u);

  Alert withdrawn = MakeAlert(kVillage1, "r1", "cholera", 7);
  withdrawn.set_withdrawn(true);
  ASSERT_TRUE(Apply({withdrawn}).ok());
  EXPECT_EQ(book_->size(), 2u);
  EXPECT_EQ(book_->last_change(), 4u);

  std::vector<AlertEntry> changed = book_->ChangedAfter(3, 0);
  ASSERT_EQ(changed.size(), 1u);
  const AlertEntry& e = changed[0];
  EXPECT_EQ(e.id(), 1u);
  EXPECT_EQ(e.change(), 4u);
  EXPECT_EQ(e.received_at_unix_ms(), first.received_at_unix_ms());
  EXPECT_EQ(e.reviewed_by(), "张医生");
  EXPECT_EQ(e.reviewed_at_unix_ms(), reviewed->reviewed_at_unix_ms());
  EXPECT_TRUE(e.alert().withdrawn());
  EXPECT_EQ(e.alert().version(), 7u);

  // Change order: r2 (2) and then r1 (4); r1's old change 1 and 3 are gone.
  std::vector<AlertEntry> all = book_->ChangedAfter(0, 0);
  EXPECT_THAT(Ids(all), ElementsAre(2, 1));
  EXPECT_THAT(Changes(all), ElementsAre(2, 4));

  // The withdrawn version is what a reopened book has.
  Reopen();
  AlertEntry reloaded = EntryWithId(*book_, 1);
  EXPECT_TRUE(reloaded.alert().withdrawn());
  EXPECT_EQ(reloaded.alert().version(), 7u);
  EXPECT_EQ(reloaded.reviewed_by(), "张医生");
  EXPECT_EQ(reloaded.received_at_unix_ms(), first.received_at_unix_ms());
}

TEST_F(AlertBookTest, TwoVersionsInOneBatchKeepTheHighest) {
  Alert v3 = MakeAlert(kVillage1, "r1", "cholera", 3);
  v3.set_withdrawn(true);
  ASSERT_TRUE(Apply({v3, MakeAlert(kVillage1, "r1", "cholera", 2)}).ok());
  EXPECT_EQ(book_->size(), 1u);
  EXPECT_EQ(book_->last_change(), 1u);
  AlertEntry e = EntryWithId(*book_, 1);
  EXPECT_EQ(e.alert().version(), 3u);
  EXPECT_TRUE(e.alert().withdrawn());

  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r2", "cholera", 1),
                     MakeAlert(kVillage1, "r2", "cholera", 2)})
                  .ok());
  EXPECT_EQ(book_->size(), 2u);
  std::vector<AlertEntry> all = book_->ChangedAfter(1, 0);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id(), 2u);  // one id for the case, not one per version
  EXPECT_EQ(all[0].alert().version(), 2u);
}

TEST_F(AlertBookTest, ReviewRecordsWhoAndWhen) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1),
                     MakeAlert(kVillage2, "r1", "sars", 1)})
                  .ok());
  const int64_t before = absl::ToUnixMillis(absl::Now());
  absl::StatusOr<AlertEntry> r = book_->Review(2, "张医生");
  const int64_t after = absl::ToUnixMillis(absl::Now());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id(), 2u);
  EXPECT_EQ(r->alert().village_id(), kVillage2);
  EXPECT_EQ(r->reviewed_by(), "张医生");
  EXPECT_GE(r->reviewed_at_unix_ms(), before);
  EXPECT_LE(r->reviewed_at_unix_ms(), after);
  EXPECT_EQ(r->change(), 3u);
  EXPECT_EQ(book_->last_change(), 3u);
  EXPECT_EQ(book_->size(), 2u);

  std::vector<AlertEntry> changed = book_->ChangedAfter(2, 0);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].SerializeAsString(), r->SerializeAsString());
  // The other entry is untouched.
  EXPECT_EQ(EntryWithId(*book_, 1).reviewed_by(), "");

  // Reviewing again records the new reviewer.
  absl::StatusOr<AlertEntry> again = book_->Review(2, "李四");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->reviewed_by(), "李四");
  EXPECT_GE(again->reviewed_at_unix_ms(), r->reviewed_at_unix_ms());
  EXPECT_EQ(again->change(), 4u);
  EXPECT_EQ(again->received_at_unix_ms(), r->received_at_unix_ms());
}

TEST_F(AlertBookTest, ReviewErrors) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1)}).ok());
  absl::StatusOr<AlertEntry> unknown = book_->Review(2, "张医生");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(book_->Review(0, "张医生").status().code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<AlertEntry> nobody = book_->Review(1, "");
  EXPECT_EQ(nobody.status().code(), absl::StatusCode::kInvalidArgument);
  // Neither changed anything.
  EXPECT_EQ(book_->last_change(), 1u);
  EXPECT_EQ(EntryWithId(*book_, 1).reviewed_by(), "");
  EXPECT_EQ(EntryWithId(*book_, 1).reviewed_at_unix_ms(), 0);
}

struct BadAlertCase {
  const char* name;
  void (*mutate)(Alert*);
  absl::StatusCode code;
};

void PrintTo(const BadAlertCase& c, std::ostream* os) { *os << c.name; }

class AlertBookRefusesTest
    : public AlertBookTest,
      public ::testing::WithParamInterface<BadAlertCase> {};

TEST_P(AlertBookRefusesTest, BatchWithOneBadAlertIsRefusedWhole) {
  // One alert already in the book, so the batch also carries an update.
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1)}).ok());
  const std::vector<std::string> before = Serialized(book_->ChangedAfter(0, 0));

  Alert bad = MakeAlert(kVillage2, "r5", "plague", 1);
  GetParam().mutate(&bad);
  Alert update = MakeAlert(kVillage1, "r1", "cholera", 2);
  update.set_withdrawn(true);
  // Good alerts both before and after the bad one.
  absl::Status s = Apply({MakeAlert(kVillage1, "r2", "measles", 1), update, bad,
                          MakeAlert(kVillage2, "r3", "mumps", 1)});
  EXPECT_EQ(s.code(), GetParam().code) << s;
  EXPECT_FALSE(s.message().empty());

  EXPECT_EQ(book_->size(), 1u);
  EXPECT_EQ(book_->last_change(), 1u);
  EXPECT_TRUE(book_->ChangedAfter(1, 0).empty());
  EXPECT_EQ(Serialized(book_->ChangedAfter(0, 0)), before);

  // Nothing of it is on disk, and the ids are not used up.
  Reopen();
  EXPECT_EQ(book_->size(), 1u);
  EXPECT_EQ(Serialized(book_->ChangedAfter(0, 0)), before);
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r2", "measles", 1)}).ok());
  EXPECT_EQ(EntryWithId(*book_, 2).alert().record_id(), "r2");
}

INSTANTIATE_TEST_SUITE_P(
    BadAlerts, AlertBookRefusesTest,
    ::testing::Values(
        BadAlertCase{"VillageOfAnotherTownship",
                     [](Alert* a) { a->set_village_id("640522101201"); },
                     absl::StatusCode::kPermissionDenied},
        BadAlertCase{"VillageOfAnotherCounty",
                     [](Alert* a) { a->set_village_id("640523100201"); },
                     absl::StatusCode::kPermissionDenied},
        BadAlertCase{"VillageIdTooShort",
                     [](Alert* a) { a->set_village_id("64052210020"); },
                     absl::StatusCode::kPermissionDenied},
        BadAlertCase{"VillageIdIsTheTownship",
                     [](Alert* a) { a->set_village_id("640522100"); },
                     absl::StatusCode::kPermissionDenied},
        BadAlertCase{"VillageIdNotDigits",
                     [](Alert* a) { a->set_village_id("64052210020x"); },
                     absl::StatusCode::kPermissionDenied},
        BadAlertCase{"UnknownDisease",
                     [](Alert* a) { a->set_disease("ebola"); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"EmptyDisease", [](Alert* a) { a->set_disease(""); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"ClassNotOfTheDisease",
                     [](Alert* a) { a->set_disease_class("B"); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"ClassEmpty", [](Alert* a) { a->set_disease_class(""); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"UrgentFalseForUrgentDisease",
                     [](Alert* a) { a->set_urgent(false); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"UrgentTrueForNonUrgentDisease",
                     [](Alert* a) {
                       a->set_disease("anthrax");  // B, not managed as A
                       a->set_disease_class("B");
                       a->set_urgent(true);
                     },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"VersionZero", [](Alert* a) { a->set_version(0); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"SexEmpty", [](Alert* a) { a->set_sex(""); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"SexChinese", [](Alert* a) { a->set_sex("男"); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"SexLowercase", [](Alert* a) { a->set_sex("f"); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"AgeBelowMinusOne", [](Alert* a) { a->set_age_years(-2); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"AgeAbove150", [](Alert* a) { a->set_age_years(151); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"RecordIdEmpty", [](Alert* a) { a->set_record_id(""); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"RecordIdWithSpace",
                     [](Alert* a) { a->set_record_id("r 5"); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"RecordIdWithSeparator",
                     [](Alert* a) { a->set_record_id("r|5"); },
                     absl::StatusCode::kInvalidArgument},
        BadAlertCase{"RecordIdTooLong",
                     [](Alert* a) { a->set_record_id(std::string(65, 'r')); },
                     absl::StatusCode::kInvalidArgument}),
    [](const ::testing::TestParamInfo<BadAlertCase>& info) {
      return std::string(info.param.name);
    });

TEST_F(AlertBookTest, BoundaryValuesAreAccepted) {
  Alert unknown_age = MakeAlert(kVillage1, "a", "cholera", 1);
  unknown_age.set_age_years(-1);
  Alert newborn = MakeAlert(kVillage1, "b", "sars", 1);
  newborn.set_age_years(0);
  newborn.set_sex("F");
  Alert oldest = MakeAlert(kVillage1, "c", "anthrax_pulmonary", 1);
  oldest.set_age_years(150);
  Alert long_id = MakeAlert(kVillage1, std::string(64, 'x'), "influenza", 1);
  Alert odd_id = MakeAlert(kVillage1, "A-z_0.9:x", "mumps", 1);
  ASSERT_TRUE(Apply({unknown_age, newborn, oldest, long_id, odd_id}).ok());
  EXPECT_EQ(book_->size(), 5u);
  EXPECT_EQ(EntryWithId(*book_, 1).alert().age_years(), -1);
}

TEST_F(AlertBookTest, ChangedAfterIsInChangeOrderAndFiltersOnOccurredAt) {
  const int64_t t1 = Local(2025, 5, 31, 23, 59, 59);
  const int64_t t2 = Local(2025, 6, 1, 0, 0, 0);
  const int64_t t3 = Local(2025, 6, 2, 8, 0, 0);
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "a", "cholera", 1, t3)}).ok());
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "b", "measles", 1, t1),
                     MakeAlert(kVillage2, "c", "plague", 1, t2)})
                  .ok());
  ASSERT_TRUE(book_->Review(1, "张医生").ok());  // a moves to the end

  std::vector<AlertEntry> all = book_->ChangedAfter(0, 0);
  EXPECT_THAT(Ids(all), ElementsAre(2, 3, 1));
  EXPECT_THAT(Changes(all), ElementsAre(2, 3, 4));

  // since is inclusive, in local civil seconds.
  EXPECT_THAT(Ids(book_->ChangedAfter(0, t2)), ElementsAre(3, 1));
  EXPECT_THAT(Ids(book_->ChangedAfter(0, t2 + 1)), ElementsAre(1));
  EXPECT_THAT(Ids(book_->ChangedAfter(0, t1)), ElementsAre(2, 3, 1));
  EXPECT_TRUE(book_->ChangedAfter(0, t3 + 1).empty());

  // after_change is exclusive.
  EXPECT_THAT(Ids(book_->ChangedAfter(1, 0)), ElementsAre(2, 3, 1));
  EXPECT_THAT(Ids(book_->ChangedAfter(2, 0)), ElementsAre(3, 1));
  EXPECT_THAT(Ids(book_->ChangedAfter(3, 0)), ElementsAre(1));
  EXPECT_TRUE(book_->ChangedAfter(4, 0).empty());
  EXPECT_TRUE(book_->ChangedAfter(100, 0).empty());
  // Both filters together.
  EXPECT_THAT(Ids(book_->ChangedAfter(2, t3)), ElementsAre(1));
  EXPECT_THAT(Ids(book_->ChangedAfter(3, t1 - 1)), ElementsAre(1));
}

TEST_F(AlertBookTest, WaitForChangeReturnsAfterAChangeFromAnotherThread) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1)}).ok());
  const uint64_t seen = book_->last_change();
  absl::Notification started, woke;
  std::thread waiter([&] {
    started.Notify();
    book_->WaitForChange(seen, absl::Seconds(90));
    woke.Notify();
  });
  started.WaitForNotification();
  ASSERT_TRUE(Apply({MakeAlert(kVillage2, "r1", "plague", 1)}).ok());
  EXPECT_TRUE(woke.WaitForNotificationWithTimeout(absl::Seconds(30)));
  waiter.join();
  EXPECT_EQ(book_->last_change(), seen + 1);

  // A review is a change too.
  absl::Notification woke_review;
  std::thread review_waiter([&] {
    book_->WaitForChange(seen + 1, absl::Seconds(90));
    woke_review.Notify();
  });
  ASSERT_TRUE(book_->Review(2, "张医生").ok());
  EXPECT_TRUE(woke_review.WaitForNotificationWithTimeout(absl::Seconds(30)));
  review_waiter.join();
}

TEST_F(AlertBookTest, WaitForChangeReturnsAtOnceWhenAlreadyChanged) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1)}).ok());
  const absl::Time start = absl::Now();
  book_->WaitForChange(0, absl::Seconds(90));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

TEST_F(AlertBookTest, WaitForChangeTimesOutWithoutAChange) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1)}).ok());
  const absl::Time start = absl::Now();
  book_->WaitForChange(1, absl::Milliseconds(50));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  // A refused batch or a replay is not a change.
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1)}).ok());
  const absl::Time replay = absl::Now();
  book_->WaitForChange(1, absl::Milliseconds(50));
  EXPECT_GE(absl::Now() - replay, absl::Milliseconds(50));
}

TEST_F(AlertBookTest, WaitForChangeReturnsAfterClose) {
  absl::Notification started, woke;
  std::thread waiter([&] {
    started.Notify();
    book_->WaitForChange(0, absl::Seconds(90));
    woke.Notify();
  });
  started.WaitForNotification();
  book_->Close();
  EXPECT_TRUE(woke.WaitForNotificationWithTimeout(absl::Seconds(30)));
  waiter.join();
  EXPECT_EQ(book_->last_change(), 0u);

  // Closed for good: later waits return at once.
  const absl::Time start = absl::Now();
  book_->WaitForChange(0, absl::Seconds(90));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

TEST_F(AlertBookTest, EverythingSurvivesReopen) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "r1", "cholera", 1),
                     MakeAlert(kVillage1, "r2", "measles", 1),
                     MakeAlert(kVillage2, "r1", "plague", 1)})
                  .ok());
  ASSERT_TRUE(book_->Review(3, "张医生").ok());
  Alert withdrawn = MakeAlert(kVillage1, "r1", "cholera", 2);
  withdrawn.set_withdrawn(true);
  ASSERT_TRUE(Apply({withdrawn}).ok());
  const std::vector<std::string> before = Serialized(book_->ChangedAfter(0, 0));
  ASSERT_EQ(book_->last_change(), 5u);

  Reopen();
  EXPECT_EQ(book_->size(), 3u);
  EXPECT_EQ(book_->last_change(), 5u);
  EXPECT_EQ(Serialized(book_->ChangedAfter(0, 0)), before);
  EXPECT_THAT(Ids(book_->ChangedAfter(0, 0)), ElementsAre(2, 3, 1));
  EXPECT_THAT(Ids(book_->ChangedAfter(3, 0)), ElementsAre(3, 1));

  // Replays after the restart still change nothing.
  ASSERT_TRUE(
      Apply({MakeAlert(kVillage1, "r2", "measles", 1), withdrawn}).ok());
  EXPECT_EQ(book_->last_change(), 5u);

  // Ids and changes continue; no id is reused.
  ASSERT_TRUE(Apply({MakeAlert(kVillage2, "r2", "sars", 1)}).ok());
  std::vector<AlertEntry> fresh = book_->ChangedAfter(5, 0);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].id(), 4u);
  EXPECT_EQ(fresh[0].change(), 6u);
  ASSERT_TRUE(book_->Review(1, "李四").ok());
  EXPECT_EQ(book_->last_change(), 7u);

  Reopen();
  EXPECT_EQ(book_->size(), 4u);
  EXPECT_EQ(book_->last_change(), 7u);
  EXPECT_THAT(Ids(book_->ChangedAfter(0, 0)), ElementsAre(2, 3, 4, 1));
  EXPECT_EQ(EntryWithId(*book_, 1).reviewed_by(), "李四");
  ASSERT_TRUE(Apply({MakeAlert(kVillage2, "r3", "cholera", 1)}).ok());
  EXPECT_EQ(EntryWithId(*book_, 5).alert().record_id(), "r3");
  EXPECT_EQ(book_->last_change(), 8u);
}

// Ids and changes are never reused even when the entry with the highest id,
// or the newest change, is not the last one in key order on disk.
TEST_F(AlertBookTest, IdsAndChangesContinueFromTheirMaximaAfterReopen) {
  ASSERT_TRUE(Apply({MakeAlert(kVillage2, "z", "cholera", 1)}).ok());  // id 1
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "a", "cholera", 1)}).ok());  // id 2
  ASSERT_TRUE(book_->Review(1, "张医生").ok());  // change 3
  ASSERT_TRUE(book_->Review(2, "张医生").ok());  // change 4
  // On disk (by key) 640522100201|a comes first: id 2, change 4.
  Reopen();
  EXPECT_EQ(book_->last_change(), 4u);
  EXPECT_THAT(Ids(book_->ChangedAfter(0, 0)), ElementsAre(1, 2));
  EXPECT_THAT(Changes(book_->ChangedAfter(0, 0)), ElementsAre(3, 4));
  ASSERT_TRUE(Apply({MakeAlert(kVillage1, "m", "cholera", 1)}).ok());
  std::vector<AlertEntry> fresh = book_->ChangedAfter(4, 0);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].id(), 3u);
  EXPECT_EQ(fresh[0].change(), 5u);
  EXPECT_EQ(book_->size(), 3u);
}

// As county_hub/main.cc opens it: through the cell store's Store, which the
// rollup cells share.
TEST(AlertBookOnCellStoreTest, SharesTheHubStoreAndSurvivesReopen) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::vector<std::string> before;
  {
    auto cells = CountyCellStore::Open(dir.Sub("hub"), "640522");
    ASSERT_TRUE(cells.ok()) << cells.status();
    auto book = CountyAlertBook::Open((*cells)->mutable_store());
    ASSERT_TRUE(book.ok()) << book.status();
    ASSERT_TRUE(
        (*book)
            ->Apply(kTownship, Batch({MakeAlert(kVillage1, "r1", "cholera", 1),
                                      MakeAlert(kVillage2, "r7", "mumps", 3)}))
            .ok());
    ASSERT_TRUE((*book)->Review(2, "张医生").ok());
    before = Serialized((*book)->ChangedAfter(0, 0));
    ASSERT_EQ(before.size(), 2u);
  }
  auto cells = CountyCellStore::Open(dir.Sub("hub"), "640522");
  ASSERT_TRUE(cells.ok()) << cells.status();
  auto book = CountyAlertBook::Open((*cells)->mutable_store());
  ASSERT_TRUE(book.ok()) << book.status();
  EXPECT_EQ((*book)->size(), 2u);
  EXPECT_EQ((*book)->last_change(), 3u);
  EXPECT_EQ(Serialized((*book)->ChangedAfter(0, 0)), before);
  ASSERT_TRUE(
      (*book)
          ->Apply(kTownship, Batch({MakeAlert(kVillage1, "r2", "sars", 1)}))
          .ok());
  EXPECT_EQ(EntryWithId(**book, 3).alert().record_id(), "r2");
}

}  // namespace
}  // namespace sanji
