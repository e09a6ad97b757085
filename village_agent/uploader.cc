#include "village_agent/uploader.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/net.h"

namespace sanji {

Uploader::Uploader(RecordIntake* intake, UploaderOptions options)
    : intake_(intake),
      options_(std::move(options)),
      channel_(MakeChannel(options_.township, ChannelCredentialsFromFlags())),
      loop_([this](grpc::ClientContext* context, bool* progressed) {
        return RunStream(context, progressed);
      }) {}

Uploader::~Uploader() { Stop(); }

void Uploader::Start() { loop_.Start(); }

void Uploader::Stop() { loop_.Stop(); }

void Uploader::FillStatus(AgentStatus* status) const {
  std::string link_state, last_error;
  int64_t last_ms = 0;
  loop_.Read(&link_state, &last_ms, &last_error);
  status->set_link_state(link_state);
  status->set_last_sync_unix_ms(last_ms);
  status->set_last_error(last_error);
}

absl::Status Uploader::RunStream(grpc::ClientContext* context,
                                 bool* progressed) {
  TownshipSync::Stub stub(channel_);
  std::unique_ptr<grpc::ClientReaderWriter<VillageMessage, TownshipMessage>>
      stream = stub.Sync(context);

  VillageMessage hello;
  hello.mutable_hello()->set_village_id(intake_->village_id());
  hello.mutable_hello()->set_epoch(intake_->epoch());
  hello.mutable_hello()->set_last_seq(intake_->last_seq());
  TownshipMessage welcome;
  if (!stream->Write(hello) || !stream->Read(&welcome)) {
    grpc::Status s = stream->Finish();
    return absl::UnavailableError(absl::StrCat(
        "township ", options_.township, " unreachable: ", s.error_message()));
  }
  absl::Status acked = intake_->Acknowledge(welcome.watermark());
  if (!acked.ok()) {
    context->TryCancel();
    stream->Finish();
    return acked;
  }
  loop_.SetLinkState("connected");

  // Acks arrive on a reader thread; the writer keeps at most window_records in
  // flight.
  absl::Mutex flow_mu;
  uint64_t acked_seq = welcome.watermark();
  bool broken = false;
  absl::Status reader_status;
  std::thread reader([&] {
    TownshipMessage ack;
    while (stream->Read(&ack)) {
      absl::Status s = intake_->Acknowledge(ack.watermark());
      absl::MutexLock lock(&flow_mu);
      if (!s.ok()) {
        reader_status = s;
        break;
      }
      acked_seq = std::max(acked_seq, ack.watermark());
      *progressed = true;  // read by the loop only after this thread is joined
      loop_.MarkAcknowledged();
    }
    absl::MutexLock lock(&flow_mu);
    broken = true;
  });

  uint64_t sent_seq = welcome.watermark();
  absl::Status result;
  while (true) {
    if (loop_.stopping()) break;
    {
      absl::MutexLock lock(&flow_mu);
      auto can_send = [&]() ABSL_SHARED_LOCKS_REQUIRED(flow_mu) {
        return broken || sent_seq - acked_seq < options_.window_records;
      };
      flow_mu.AwaitWithTimeout(absl::Condition(&can_send), absl::Seconds(1));
      if (broken) break;
      if (sent_seq - acked_seq >= options_.window_records) continue;
    }
    std::vector<SeqRecord> pending;
    result = intake_->ReadPending(sent_seq, options_.batch_records, &pending);
    if (!result.ok()) break;
    if (pending.empty()) {
      intake_->WaitForRecordsAfter(sent_seq, absl::Milliseconds(500));
      continue;
    }
    VillageMessage message;
    for (SeqRecord& r : pending)
      *message.mutable_batch()->add_records() = std::move(r);
    sent_seq = message.batch().records().rbegin()->seq();
    if (!stream->Write(message)) break;
  }
  context->TryCancel();
  reader.join();
  grpc::Status finish = stream->Finish();
  if (!reader_status.ok()) return reader_status;
  if (!result.ok()) return result;
  if (!finish.ok() && finish.error_code() != grpc::StatusCode::CANCELLED) {
    return absl::UnavailableError(
        absl::StrCat("sync with township ", options_.township,
                     " ended: ", finish.error_message()));
  }
  return absl::OkStatus();
}

}  // namespace sanji
