// Fuzz target: the village agent's intake API, VillageIntake.Submit.
//
// Input: the bytes of one SubmitRequest as gRPC would deliver them. They go
// through protobuf parsing, the service's size check and RecordIntake::Submit
// (ParseRow, de-duplication, sequence numbers, one synced RocksDB WriteBatch),
// exactly what village_agent/intake_service.cc does, into a real RocksDB
// directory under $TMPDIR. The store is recreated every kInputsPerStore inputs
// so that a long run does not fill the disk; the outbox is acknowledged after
// every input as the township would.
//
// Invariants checked: one outcome per row; last_seq grows by the number of
// accepted rows and the outbox holds exactly those records, in seq order, each
// of which the township's ValidateRecord accepts (else it would be refused
// upstream: "nothing accepted is lost"); and submitting the same request again
// accepts no row that was accepted or a duplicate the first time ("importing
// the same file twice changes nothing").
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "proto/village_sync.pb.h"
#include "tests/fuzz/fuzz_util.h"
#include "village_agent/intake_service.h"
#include "village_agent/record_intake.h"

namespace {

constexpr int kInputsPerStore = 2000;
constexpr char kVillage[] = "640522100201";

class IntakeHolder {
 public:
  sanji::RecordIntake* Get() {
    if (intake_ == nullptr || ++uses_ > kInputsPerStore) {
      intake_.reset();
      std::string dir = absl::StrCat(sanji::fuzz::ProcessTempDir(), "/intake");
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      sanji::IntakeOptions options;
      options.village_id = kVillage;
      options.max_buffer_bytes = uint64_t{64} << 20;
      options.min_free_disk_bytes = 0;
      absl::StatusOr<std::unique_ptr<sanji::RecordIntake>> intake =
          sanji::RecordIntake::Open(dir, options);
      SANJI_FUZZ_CHECK(intake.ok(), intake.status().ToString());
      intake_ = std::move(*intake);
      uses_ = 1;
    }
    return intake_.get();
  }

 private:
  std::unique_ptr<sanji::RecordIntake> intake_;
  int uses_ = 0;
};

IntakeHolder& Holder() {
  static auto* holder = new IntakeHolder();
  return *holder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sanji::SubmitRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  // IntakeService::Submit refuses oversized calls before touching the store.
  if (request.rows_size() > sanji::IntakeService::kMaxRowsPerSubmit) return 0;
  std::vector<sanji::RawRow> rows(request.rows().begin(), request.rows().end());

  sanji::RecordIntake* intake = Holder().Get();
  const uint64_t before = intake->last_seq();
  absl::StatusOr<std::vector<sanji::RowOutcome>> outcomes =
      intake->Submit(rows);
  if (!outcomes.ok()) {
    // Backpressure is the only acceptable failure on a healthy disk.
    SANJI_FUZZ_CHECK(absl::IsResourceExhausted(outcomes.status()),
                     outcomes.status().ToString());
    return 0;
  }
  SANJI_FUZZ_CHECK(outcomes->size() == rows.size(), "outcome count");
  uint64_t accepted = 0;
  for (const sanji::RowOutcome& o : *outcomes) {
    if (o.result() == sanji::RowOutcome::ACCEPTED) ++accepted;
    if (o.result() == sanji::RowOutcome::REJECTED) {
      SANJI_FUZZ_CHECK(!o.reason().empty(), "rejection without a reason");
      // ... and with a code, so the clinic page can say it in Chinese.
      SANJI_FUZZ_CHECK(
          !o.reason_code().empty(),
          absl::StrCat("rejection without a reason code: ", o.reason()));
    }
  }
  SANJI_FUZZ_CHECK(
      intake->last_seq() == before + accepted,
      absl::StrCat(intake->last_seq(), " != ", before, " + ", accepted));

  // The outbox holds the accepted records, in order, and the township will
  // take each of them (it allows its clock to lag by up to 6 days).
  std::vector<sanji::SeqRecord> pending;
  absl::Status read = intake->ReadPending(before, accepted + 1, &pending);
  SANJI_FUZZ_CHECK(read.ok(), read.ToString());
  SANJI_FUZZ_CHECK(pending.size() == accepted, "outbox size");
  const absl::CivilSecond township_now = sanji::NowLocal() + 6 * 86400;
  for (size_t i = 0; i < pending.size(); ++i) {
    SANJI_FUZZ_CHECK(pending[i].seq() == before + 1 + i, "outbox seq");
    std::string column;
    absl::Status valid =
        sanji::ValidateRecord(pending[i].record(), township_now, &column);
    SANJI_FUZZ_CHECK(valid.ok(), valid.ToString());
  }

  // Submitting the same rows again accepts none of them again. (A row refused
  // the first time may be taken now, e.g. a void that preceded its record.)
  if (accepted > 0) {
    absl::StatusOr<std::vector<sanji::RowOutcome>> again = intake->Submit(rows);
    SANJI_FUZZ_CHECK(again.ok(), again.status().ToString());
    for (size_t i = 0; i < rows.size(); ++i) {
      if ((*outcomes)[i].result() == sanji::RowOutcome::REJECTED) continue;
      SANJI_FUZZ_CHECK((*again)[i].result() == sanji::RowOutcome::DUPLICATE,
                       absl::StrCat("row ", i, " of a repeated Submit: ",
                                    (*again)[i].ShortDebugString()));
    }
  }

  // The township has it all: keep the outbox (and pending_bytes) bounded.
  absl::Status ack = intake->Acknowledge(intake->last_seq());
  SANJI_FUZZ_CHECK(ack.ok(), ack.ToString());
  return 0;
}
