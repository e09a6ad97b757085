// Tests of village_agent/record_intake.h: the village agent's durable intake,
// with a focus on the urgent queue of notifiable-disease reports, over real
// RocksDB directories.
#include "village_agent/record_intake.h"

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "village_agent/intake_layout.h"

namespace sanji {
namespace {

using test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kVillage[] = "640522100201";

using Cells = std::initializer_list<std::pair<const char*, const char*>>;

RawRow Row(Cells cells, int64_t line = 2) {
  RawRow row;
  row.set_source("clinic.csv");
  row.set_line(line);
  for (const auto& [k, v] : cells) (*row.mutable_fields())[k] = v;
  return row;
}

RawRow Visit(const char* id, const char* patient = "HR-0001") {
  return Row({{"record_id", id},
              {"kind", "outpatient_visit"},
              {"occurred_at", "2025-06-01T09:15"},
              {"patient_id", patient},
              {"sex", "F"},
              {"birth_date", "1960-02-03"},
              {"cost_yuan", "12.50"}});
}

RawRow HealthRecord(const char* id) {
  return Row({{"record_id", id},
              {"kind", "health_record_created"},
              {"occurred_at", "2025-06-01"},
              {"patient_id", "HR-0002"},
              {"sex", "男"},
              {"birth_date", "1980-11-30"}});
}

RawRow DiseaseReport(const char* id, const char* disease) {
  return Row({{"record_id", id},
              {"kind", "infectious_disease_report"},
              {"occurred_at", "2025-06-01T10:00"},
              {"patient_id", "HR-0003"},
              {"sex", "M"},
              {"birth_date", "1990-06-01"},
              {"icd10", "A00.9"},
              {"disease", disease}});
}

RawRow Void(const char* id, const char* kind) {
  return Row({{"record_id", id}, {"action", "void"}, {"kind", kind}});
}

std::vector<RowOutcome::Result> Results(const std::vector<RowOutcome>& out) {
  std::vector<RowOutcome::Result> results;
  for (const RowOutcome& o : out) results.push_back(o.result());
  return results;
}

std::vector<uint64_t> Seqs(const std::vector<SeqRecord>& records) {
  std::vector<uint64_t> seqs;
  for (const SeqRecord& r : records) seqs.push_back(r.seq());
  return seqs;
}

std::vector<std::string> RecordIds(const std::vector<SeqRecord>& records) {
  std::vector<std::string> ids;
  for (const SeqRecord& r : records) ids.push_back(r.record().record_id());
  return ids;
}

constexpr auto ACCEPTED = RowOutcome::ACCEPTED;
constexpr auto DUPLICATE = RowOutcome::DUPLICATE;
constexpr auto REJECTED = RowOutcome::REJECTED;

class RecordIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    Reopen();
  }

  void Reopen() {
    intake_.reset();
    IntakeOptions options;
    options.village_id = kVillage;
    options.min_free_disk_bytes = 0;
    absl::StatusOr<std::unique_ptr<RecordIntake>> intake =
        RecordIntake::Open(dir_.Sub("agent"), options);
    ASSERT_TRUE(intake.ok()) << intake.status();
    intake_ = std::move(*intake);
  }

  std::vector<RowOutcome> Submit(const std::vector<RawRow>& rows) {
    absl::StatusOr<std::vector<RowOutcome>> out = intake_->Submit(rows);
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return {};
    EXPECT_EQ(out->size(), rows.size());
    return *out;
  }

  std::vector<SeqRecord> Urgent(uint64_t after_seq = 0, size_t max = 100) {
    std::vector<SeqRecord> out;
    absl::Status s = intake_->ReadUrgent(after_seq, max, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::vector<SeqRecord> Pending(uint64_t after_seq = 0, size_t max = 1000) {
    std::vector<SeqRecord> out;
    absl::Status s = intake_->ReadPending(after_seq, max, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // Submits the standard mix: ordinary records, one cholera report (seq 3)
  // and one measles report (notifiable, not urgent).
  void SubmitMix() {
    EXPECT_THAT(
        Results(Submit(
            {Visit("v1"), HealthRecord("h1"), DiseaseReport("idr1", "cholera"),
             DiseaseReport("idr2", "measles"), Visit("v2", "HR-0009")})),
        ElementsAre(ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED));
  }

  TempDir dir_;
  std::unique_ptr<RecordIntake> intake_;
};

TEST_F(RecordIntakeTest, UrgentQueueHoldsOnlyTheUrgentReport) {
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
  SubmitMix();
  EXPECT_EQ(intake_->last_seq(), 5u);
  EXPECT_EQ(intake_->urgent_pending(), 1u);

  std::vector<SeqRecord> urgent = Urgent();
  ASSERT_EQ(urgent.size(), 1u);
  EXPECT_EQ(urgent[0].seq(), 3u);
  EXPECT_EQ(urgent[0].record().record_id(), "idr1");
  EXPECT_EQ(urgent[0].record().kind(), "infectious_disease_report");
  EXPECT_EQ(urgent[0].record().disease(), "cholera");
  EXPECT_FALSE(urgent[0].record().is_void());
  // The urgent copy is the outbox entry, byte for byte.
  std::vector<SeqRecord> pending = Pending();
  EXPECT_THAT(Seqs(pending), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(RecordIds(pending),
              ElementsAre("v1", "h1", "idr1", "idr2", "v2"));
  EXPECT_EQ(pending[2].SerializeAsString(), urgent[0].SerializeAsString());

  // after_seq is exclusive.
  EXPECT_THAT(Seqs(Urgent(2)), ElementsAre(3));
  EXPECT_TRUE(Urgent(3).empty());
  EXPECT_TRUE(Urgent(5).empty());
  EXPECT_TRUE(Urgent(0, 0).empty());
}

TEST_F(RecordIntakeTest, EveryUrgentDiseaseIsQueuedInSeqOrder) {
  EXPECT_THAT(
      Results(Submit({DiseaseReport("a", "plague"), Visit("v1"),
                      DiseaseReport("b", "sars"), DiseaseReport("c", "anthrax"),
                      DiseaseReport("d", "anthrax_pulmonary"),
                      DiseaseReport("e", "influenza"),
                      DiseaseReport("f", "cholera")})),
      ElementsAre(ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED,
                  ACCEPTED));
  EXPECT_EQ(intake_->urgent_pending(), 4u);
  std::vector<SeqRecord> urgent = Urgent();
  EXPECT_THAT(Seqs(urgent), ElementsAre(1, 3, 5, 7));
  EXPECT_THAT(RecordIds(urgent), ElementsAre("a", "b", "d", "f"));
  // max_records and after_seq page through it.
  EXPECT_THAT(Seqs(Urgent(0, 2)), ElementsAre(1, 3));
  EXPECT_THAT(Seqs(Urgent(3, 2)), ElementsAre(5, 7));
  EXPECT_THAT(Seqs(Urgent(4, 1)), ElementsAre(5));
}

TEST_F(RecordIntakeTest, AcknowledgeUrgentRemovesTheEntry) {
  SubmitMix();
  ASSERT_TRUE(intake_->AcknowledgeUrgent({3}).ok());
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
  // It is still in the outbox: the ordinary path carries it too.
  EXPECT_THAT(Seqs(Pending()), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(intake_->acked_seq(), 0u);
  // Acknowledging again, or an unknown seq, is harmless.
  ASSERT_TRUE(intake_->AcknowledgeUrgent({3, 4, 99}).ok());
  EXPECT_EQ(intake_->urgent_pending(), 0u);

  Reopen();
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
  EXPECT_THAT(Seqs(Pending()), ElementsAre(1, 2, 3, 4, 5));
}

TEST_F(RecordIntakeTest, AcknowledgeUrgentRemovesOnlyTheNamedSeqs) {
  EXPECT_THAT(Results(Submit({DiseaseReport("a", "plague"), Visit("v1"),
                              DiseaseReport("b", "cholera"),
                              DiseaseReport("c", "sars")})),
              ElementsAre(ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED));
  ASSERT_TRUE(intake_->AcknowledgeUrgent({3}).ok());
  EXPECT_EQ(intake_->urgent_pending(), 2u);
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(1, 4));
  EXPECT_THAT(Seqs(Urgent(1)), ElementsAre(4));
  Reopen();
  EXPECT_EQ(intake_->urgent_pending(), 2u);
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(1, 4));
}

TEST_F(RecordIntakeTest, WatermarkPastTheSeqRemovesTheUrgentEntry) {
  SubmitMix();
  ASSERT_TRUE(intake_->Acknowledge(2).ok());  // not yet past seq 3
  EXPECT_EQ(intake_->urgent_pending(), 1u);
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(3));
  EXPECT_THAT(Seqs(Pending()), ElementsAre(3, 4, 5));

  ASSERT_TRUE(intake_->Acknowledge(3).ok());  // exactly its seq
  EXPECT_EQ(intake_->acked_seq(), 3u);
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
  EXPECT_THAT(Seqs(Pending()), ElementsAre(4, 5));

  Reopen();
  EXPECT_EQ(intake_->acked_seq(), 3u);
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
  EXPECT_THAT(Seqs(Pending()), ElementsAre(4, 5));
}

TEST_F(RecordIntakeTest, WatermarkRemovesOnlyUrgentEntriesUpToIt) {
  EXPECT_THAT(
      Results(Submit({Visit("v1"), DiseaseReport("a", "plague"),
                      Visit("v2", "HR-0004"), DiseaseReport("b", "cholera"),
                      Visit("v3", "x")})),
      ElementsAre(ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED));
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(2, 4));
  ASSERT_TRUE(intake_->Acknowledge(3).ok());
  EXPECT_EQ(intake_->urgent_pending(), 1u);
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(4));
  ASSERT_TRUE(intake_->Acknowledge(5).ok());
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
  EXPECT_TRUE(Pending().empty());
  // A watermark beyond what was accepted is refused and changes nothing.
  EXPECT_EQ(intake_->Acknowledge(6).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(intake_->acked_seq(), 5u);
}

TEST_F(RecordIntakeTest, UrgentQueueSurvivesReopen) {
  SubmitMix();
  EXPECT_THAT(Results(Submit({DiseaseReport("idr3", "plague")})),
              ElementsAre(ACCEPTED));
  const uint64_t epoch = intake_->epoch();
  std::vector<SeqRecord> before = Urgent();
  ASSERT_EQ(before.size(), 2u);

  Reopen();
  EXPECT_EQ(intake_->epoch(), epoch);
  EXPECT_EQ(intake_->last_seq(), 6u);
  EXPECT_EQ(intake_->urgent_pending(), 2u);
  std::vector<SeqRecord> after = Urgent();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_THAT(Seqs(after), ElementsAre(3, 6));
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(), before[i].SerializeAsString());
  }
  // A new urgent report after the restart joins the same queue.
  EXPECT_THAT(Results(Submit({DiseaseReport("idr4", "sars")})),
              ElementsAre(ACCEPTED));
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(3, 6, 7));
  EXPECT_EQ(intake_->urgent_pending(), 3u);
}

TEST_F(RecordIntakeTest, VoidOfAnUrgentReportAddsNoUrgentEntry) {
  SubmitMix();
  EXPECT_THAT(Results(Submit({Void("idr1", "infectious_disease_report")})),
              ElementsAre(ACCEPTED));
  EXPECT_EQ(intake_->last_seq(), 6u);
  EXPECT_EQ(intake_->urgent_pending(), 1u);
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(3));
  std::vector<SeqRecord> tail = Pending(5);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].seq(), 6u);
  EXPECT_TRUE(tail[0].record().is_void());
  EXPECT_EQ(tail[0].record().record_id(), "idr1");

  // Once the report itself was alerted, a void leaves the queue empty.
  EXPECT_THAT(Results(Submit({DiseaseReport("idr9", "plague")})),
              ElementsAre(ACCEPTED));
  ASSERT_TRUE(intake_->AcknowledgeUrgent({3, 7}).ok());
  EXPECT_THAT(Results(Submit({Void("idr9", "infectious_disease_report")})),
              ElementsAre(ACCEPTED));
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
  Reopen();
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
}

TEST_F(RecordIntakeTest, DuplicateUrgentReportAddsNoUrgentEntry) {
  SubmitMix();
  ASSERT_TRUE(intake_->AcknowledgeUrgent({3}).ok());
  EXPECT_THAT(Results(Submit({DiseaseReport("idr1", "cholera")})),
              ElementsAre(DUPLICATE));
  EXPECT_EQ(intake_->last_seq(), 5u);
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_TRUE(Urgent().empty());
  // Same id, now another disease: a conflict, not a new urgent report.
  std::vector<RowOutcome> out = Submit({DiseaseReport("idr2", "plague")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].result(), REJECTED);
  EXPECT_EQ(out[0].column(), "record_id");
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  EXPECT_EQ(intake_->last_seq(), 5u);
}

TEST_F(RecordIntakeTest, RejectedUrgentRowIsNotQueued) {
  RawRow no_disease = DiseaseReport("idr1", "cholera");
  no_disease.mutable_fields()->erase("disease");
  RawRow bad_disease = DiseaseReport("idr2", "ebola");
  std::vector<RowOutcome> out =
      Submit({no_disease, bad_disease, DiseaseReport("idr3", "cholera")});
  EXPECT_THAT(Results(out), ElementsAre(REJECTED, REJECTED, ACCEPTED));
  EXPECT_EQ(out[0].column(), "disease");
  EXPECT_EQ(out[1].column(), "disease");
  EXPECT_EQ(intake_->last_seq(), 1u);
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(1));
  EXPECT_THAT(RecordIds(Urgent()), ElementsAre("idr3"));
}

TEST_F(RecordIntakeTest, OnAcceptedFiresOncePerSubmitThatAcceptedRows) {
  std::atomic<int> calls{0};
  std::atomic<uint64_t> seen_last_seq{0};
  std::atomic<uint64_t> seen_urgent{0};
  intake_->SetOnAccepted([&] {
    // Called outside the intake's state lock, after the rows are visible.
    seen_last_seq = intake_->last_seq();
    seen_urgent = intake_->urgent_pending();
    ++calls;
  });
  SubmitMix();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(seen_last_seq.load(), 5u);
  EXPECT_EQ(seen_urgent.load(), 1u);

  // Only duplicates: nothing accepted, no call.
  EXPECT_THAT(Results(Submit({Visit("v1"), DiseaseReport("idr1", "cholera")})),
              ElementsAre(DUPLICATE, DUPLICATE));
  EXPECT_EQ(calls.load(), 1);
  // Only rejected rows, or no rows: no call.
  EXPECT_THAT(Results(Submit({Void("nope", "outpatient_visit")})),
              ElementsAre(REJECTED));
  EXPECT_TRUE(Submit({}).empty());
  EXPECT_EQ(calls.load(), 1);

  // A mix with one accepted row: exactly one more call.
  EXPECT_THAT(Results(Submit({Visit("v1"), DiseaseReport("idr5", "plague"),
                              Void("nope", "outpatient_visit")})),
              ElementsAre(DUPLICATE, ACCEPTED, REJECTED));
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(seen_last_seq.load(), 6u);
  EXPECT_EQ(seen_urgent.load(), 2u);
}

TEST_F(RecordIntakeTest, DuplicatesAndConflicts) {
  EXPECT_THAT(Results(Submit({Visit("v1"), HealthRecord("h1")})),
              ElementsAre(ACCEPTED, ACCEPTED));
  // The same rows again (another file, other line numbers): no-ops.
  RawRow again = Visit("v1");
  again.set_source("other.csv");
  again.set_line(40);
  EXPECT_THAT(Results(Submit({again, HealthRecord("h1")})),
              ElementsAre(DUPLICATE, DUPLICATE));
  EXPECT_EQ(intake_->last_seq(), 2u);

  // Same record_id, different content: refused, naming record_id.
  std::vector<RowOutcome> out = Submit({Visit("v1", "HR-0777")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].result(), REJECTED);
  EXPECT_EQ(out[0].column(), "record_id");
  EXPECT_THAT(out[0].reason(), HasSubstr("v1"));

  // Twice in one Submit: the second is a duplicate of the first.
  EXPECT_THAT(Results(Submit({Visit("v2"), Visit("v2")})),
              ElementsAre(ACCEPTED, DUPLICATE));
  EXPECT_EQ(intake_->last_seq(), 3u);
  EXPECT_THAT(Seqs(Pending()), ElementsAre(1, 2, 3));
}

TEST_F(RecordIntakeTest, Voids) {
  EXPECT_THAT(Results(Submit({Visit("v1")})), ElementsAre(ACCEPTED));

  std::vector<RowOutcome> unknown = Submit({Void("v404", "outpatient_visit")});
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].result(), REJECTED);
  EXPECT_EQ(unknown[0].column(), "record_id");
  EXPECT_THAT(unknown[0].reason(), HasSubstr("v404"));

  std::vector<RowOutcome> wrong_kind = Submit({Void("v1", "vaccination")});
  ASSERT_EQ(wrong_kind.size(), 1u);
  EXPECT_EQ(wrong_kind[0].result(), REJECTED);
  EXPECT_EQ(wrong_kind[0].column(), "kind");
  EXPECT_EQ(intake_->last_seq(), 1u);

  EXPECT_THAT(Results(Submit({Void("v1", "outpatient_visit")})),
              ElementsAre(ACCEPTED));
  EXPECT_THAT(Results(Submit({Void("v1", "outpatient_visit")})),
              ElementsAre(DUPLICATE));
  EXPECT_EQ(intake_->last_seq(), 2u);
  // A voided id is not free for new content.
  EXPECT_EQ(Results(Submit({Visit("v1", "HR-0999")}))[0], REJECTED);

  // A record and its void in one Submit.
  EXPECT_THAT(Results(Submit({Visit("v2"), Void("v2", "outpatient_visit")})),
              ElementsAre(ACCEPTED, ACCEPTED));
  EXPECT_EQ(intake_->last_seq(), 4u);

  Reopen();
  EXPECT_THAT(Results(Submit({Void("v1", "outpatient_visit"),
                              Void("v2", "outpatient_visit")})),
              ElementsAre(DUPLICATE, DUPLICATE));
  EXPECT_EQ(intake_->last_seq(), 4u);
}

TEST_F(RecordIntakeTest, SeqsAreContiguousAcrossSubmitsAndReopen) {
  const uint64_t epoch = intake_->epoch();
  EXPECT_NE(epoch, 0u);
  EXPECT_THAT(Results(Submit({Visit("a"), Visit("b", "HR-0005")})),
              ElementsAre(ACCEPTED, ACCEPTED));
  // A rejected and a duplicate row take no seq.
  EXPECT_THAT(
      Results(Submit({Visit("a"), Row({{"record_id", "bad"}}),
                      DiseaseReport("c", "cholera"), HealthRecord("d")})),
      ElementsAre(DUPLICATE, REJECTED, ACCEPTED, ACCEPTED));
  EXPECT_EQ(intake_->last_seq(), 4u);
  const uint64_t bytes = intake_->pending_bytes();
  EXPECT_GT(bytes, 0u);

  Reopen();
  EXPECT_EQ(intake_->epoch(), epoch);
  EXPECT_EQ(intake_->last_seq(), 4u);
  EXPECT_EQ(intake_->pending_bytes(), bytes);
  EXPECT_THAT(Results(Submit({Visit("e", "HR-0006")})), ElementsAre(ACCEPTED));
  EXPECT_EQ(intake_->last_seq(), 5u);
  std::vector<SeqRecord> pending = Pending();
  EXPECT_THAT(Seqs(pending), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(RecordIds(pending), ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_THAT(Seqs(Urgent()), ElementsAre(3));

  // Pages of the outbox.
  EXPECT_THAT(Seqs(Pending(0, 2)), ElementsAre(1, 2));
  EXPECT_THAT(Seqs(Pending(2, 2)), ElementsAre(3, 4));
  EXPECT_THAT(Seqs(Pending(4, 2)), ElementsAre(5));

  ASSERT_TRUE(intake_->Acknowledge(5).ok());
  EXPECT_EQ(intake_->pending_bytes(), 0u);
  EXPECT_EQ(intake_->urgent_pending(), 0u);
  Reopen();
  EXPECT_EQ(intake_->acked_seq(), 5u);
  EXPECT_EQ(intake_->pending_bytes(), 0u);
  EXPECT_THAT(Results(Submit({Visit("f", "HR-0007")})), ElementsAre(ACCEPTED));
  EXPECT_THAT(Seqs(Pending()), ElementsAre(6));
}

TEST_F(RecordIntakeTest, DirectoryBelongsToItsVillage) {
  intake_.reset();
  IntakeOptions options;
  options.village_id = "640522100299";
  options.min_free_disk_bytes = 0;
  auto other = RecordIntake::Open(dir_.Sub("agent"), options);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RecordIntakeTest, AFreshDirectoryHasAnotherEpoch) {
  TempDir other;
  IntakeOptions options;
  options.village_id = kVillage;
  options.min_free_disk_bytes = 0;
  auto fresh = RecordIntake::Open(other.Sub("agent"), options);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE((*fresh)->epoch(), 0u);
  EXPECT_NE((*fresh)->epoch(), intake_->epoch());
  EXPECT_EQ((*fresh)->last_seq(), 0u);
  EXPECT_EQ((*fresh)->urgent_pending(), 0u);
}

// `rows` as a table, its columns in another order than a file's and a cell
// left empty where a row lacks the column.
RowTable AsTable(const std::vector<RawRow>& rows) {
  RowTable table;
  table.set_source("clinic.csv");
  std::vector<std::string> columns;
  for (const RawRow& row : rows) {
    for (const auto& [name, value] : row.fields()) {
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) {
        columns.push_back(name);
      }
    }
  }
  std::sort(columns.rbegin(), columns.rend());
  for (const std::string& c : columns) table.add_columns(c);
  for (const RawRow& row : rows) {
    TableRow* out = table.add_rows();
    out->set_line(row.line());
    for (const std::string& c : columns) {
      auto it = row.fields().find(c);
      out->add_cells(it == row.fields().end() ? "" : it->second);
    }
    // Trailing absent cells may be left out altogether.
    while (out->cells_size() > 0 && out->cells().rbegin()->empty()) {
      out->mutable_cells()->RemoveLast();
    }
  }
  return table;
}

std::string Describe(const std::vector<RowOutcome>& outcomes) {
  std::string out;
  for (const RowOutcome& o : outcomes) out += o.ShortDebugString() + "\n";
  return out;
}

// The same rows as a table and as RawRows, after the same earlier ones: the
// same outcomes and the same records stored, in the same order.
TEST_F(RecordIntakeTest, TableRowsAreJudgedAsRawRowsAre) {
  const std::vector<RawRow> before = {Visit("v1"), HealthRecord("h1"),
                                      Visit("v9")};
  RawRow bad_sex = Visit("v5");
  (*bad_sex.mutable_fields())["sex"] = "X";
  const std::vector<RawRow> rows = {
      HealthRecord("h1"),      // duplicate of a stored record
      Visit("v1", "HR-0777"),  // conflict with a stored record
      Visit("v3"),             // new
      Visit("v4"),
      Visit("v4"),                       // twice in one Submit
      Void("v3", "outpatient_visit"),    // void of one staged just before
      Void("v9", "outpatient_visit"),    // void of a stored record
      Void("v404", "outpatient_visit"),  // nothing to void
      bad_sex,
      DiseaseReport("idr1", "cholera"),  // urgent
  };
  TempDir other;
  ASSERT_TRUE(other.ok());
  IntakeOptions options;
  options.village_id = kVillage;
  options.min_free_disk_bytes = 0;
  absl::StatusOr<std::unique_ptr<RecordIntake>> raw =
      RecordIntake::Open(other.Sub("agent"), options);
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE((*raw)->Submit(before).ok());
  absl::StatusOr<std::vector<RowOutcome>> want = (*raw)->Submit(rows);
  ASSERT_TRUE(want.ok()) << want.status();

  Submit(before);
  absl::StatusOr<std::vector<RowOutcome>> got = intake_->Submit(AsTable(rows));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Describe(*got), Describe(*want));
  EXPECT_THAT(Results(*got),
              ElementsAre(DUPLICATE, REJECTED, ACCEPTED, ACCEPTED, DUPLICATE,
                          ACCEPTED, ACCEPTED, REJECTED, REJECTED, ACCEPTED));
  std::vector<SeqRecord> want_pending;
  ASSERT_TRUE((*raw)->ReadPending(0, 100, &want_pending).ok());
  const std::vector<SeqRecord> got_pending = Pending();
  ASSERT_EQ(got_pending.size(), want_pending.size());
  for (size_t i = 0; i < got_pending.size(); ++i) {
    EXPECT_EQ(got_pending[i].SerializeAsString(),
              want_pending[i].SerializeAsString());
  }
  EXPECT_EQ(Urgent().size(), 1u);
}

TEST_F(RecordIntakeTest, TableThatIsNotOneIsRefusedWhole) {
  RowTable twice = AsTable({Visit("v1")});
  twice.add_columns(twice.columns(0));
  absl::StatusOr<std::vector<RowOutcome>> out = intake_->Submit(twice);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("twice"));

  RowTable wide = AsTable({Visit("v1"), Visit("v2")});
  wide.mutable_rows(1)->add_cells("extra");
  while (wide.rows(1).cells_size() <= wide.columns_size()) {
    wide.mutable_rows(1)->add_cells("extra");
  }
  out = intake_->Submit(wide);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("cells"));
  EXPECT_EQ(intake_->last_seq(), 0u);  // not even the good row
}

// The outbox's values are put together by hand (intake_layout.h): they must be
// what serializing the SeqRecord gives, for seqs of every varint length.
TEST(IntakeLayoutTest, OutboxValueIsASerializedSeqRecord) {
  Record record;
  record.set_record_id("v1");
  record.set_kind("outpatient_visit");
  record.set_patient_id(std::string(300, 'p'));  // a two-byte length
  for (uint64_t seq : {uint64_t{1}, uint64_t{127}, uint64_t{128},
                       uint64_t{1} << 40, ~uint64_t{0}}) {
    SeqRecord entry;
    entry.set_seq(seq);
    *entry.mutable_record() = record;
    EXPECT_EQ(intake_layout::OutboxValue(seq, record.SerializeAsString()),
              entry.SerializeAsString())
        << seq;
  }
}

}  // namespace
}  // namespace sanji
