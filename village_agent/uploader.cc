#include "village_agent/uploader.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/net.h"
#include "common/status_macros.h"

namespace sanji {

Uploader::Uploader(RecordIntake* intake, UploaderOptions options)
    : intake_(intake),
      options_(std::move(options)),
      channel_(
          MakeLinkChannel(options_.township, options_.security.Credentials())),
      loop_([this](grpc::ClientContext* context, bool* progressed) {
        return options_.security.Explain(RunStream(context, progressed));
      }) {
  intake_->SetOnAccepted([this] {
    {
      absl::MutexLock lock(&wake_mu_);
      wake_ = true;
    }
    if (intake_->urgent_pending() > 0) {
      // An urgent case does not wait out a reconnect backoff: try the link
      // now (gRPC's own connect backoff included).
      grpc::experimental::ChannelResetConnectionBackoff(channel_.get());
      loop_.RetryNow();
    }
  });
}

Uploader::~Uploader() { Stop(); }

void Uploader::Start() { loop_.Start(); }

void Uploader::Stop() {
  {
    absl::MutexLock lock(&wake_mu_);
    wake_ = true;
  }
  loop_.Stop();
}

void Uploader::FillStatus(AgentStatus* status) const {
  std::string link_state, last_error;
  int64_t last_ms = 0;
  loop_.Read(&link_state, &last_ms, &last_error);
  options_.security.ExplainState(&link_state, &last_error);
  // A stream waits for the link (wait_for_ready) without failing, so while
  // gRPC's connection attempts fail the session is still "connecting": say
  // what is happening instead.
  if (link_state == "connecting" &&
      channel_->GetState(/*try_to_connect=*/false) ==
          GRPC_CHANNEL_TRANSIENT_FAILURE) {
    link_state = "down";
    if (last_error.empty()) {
      last_error = absl::StrCat("UNAVAILABLE: cannot connect to township ",
                                options_.township,
                                ": it does not answer (is township_node "
                                "running there, and the network up?)");
    }
  }
  status->set_link_state(link_state);
  status->set_last_sync_unix_ms(last_ms);
  status->set_last_error(last_error);
}

absl::Status Uploader::SendUrgent(uint64_t* urgent_sent) {
  std::vector<SeqRecord> records;
  RETURN_IF_ERROR(
      intake_->ReadUrgent(*urgent_sent, options_.batch_records, &records));
  if (records.empty()) return absl::OkStatus();
  UrgentReports request;
  request.set_village_id(intake_->village_id());
  for (SeqRecord& r : records)
    *request.mutable_records()->add_records() = std::move(r);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  UrgentAck ack;
  grpc::Status s =
      TownshipSync::Stub(channel_).SendUrgent(&context, request, &ack);
  if (!s.ok()) {
    return FromGrpc(s, absl::StrCat("urgent reports to township ",
                                    options_.township, " failed"));
  }
  *urgent_sent = request.records().records().rbegin()->seq();
  return intake_->AcknowledgeUrgent({ack.seqs().begin(), ack.seqs().end()});
}

absl::Status Uploader::RunStream(grpc::ClientContext* context,
                                 bool* progressed) {
  TownshipSync::Stub stub(channel_);
  // Wait for the link rather than fail fast while gRPC is between connect
  // attempts: then a connect-backoff reset (an urgent report arrived) lets the
  // stream start the moment the township answers. Stop() cancels the wait.
  context->set_wait_for_ready(true);
  std::unique_ptr<SyncStream> stream = stub.Sync(context);

  VillageMessage hello;
  hello.mutable_hello()->set_village_id(intake_->village_id());
  hello.mutable_hello()->set_epoch(intake_->epoch());
  hello.mutable_hello()->set_last_seq(intake_->last_seq());
  TownshipMessage welcome;
  if (!stream->Write(hello) || !stream->Read(&welcome)) {
    grpc::Status s = stream->Finish();
    if (s.ok()) {
      s = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream closed");
    }
    return FromGrpc(
        s, absl::StrCat("no welcome from township ", options_.township));
  }
  absl::Status acked = intake_->Acknowledge(welcome.watermark());
  if (!acked.ok()) {
    context->TryCancel();
    stream->Finish();
    return acked;
  }
  loop_.SetLinkState("connected");

  // Acks arrive on a reader thread; the writer keeps at most window_records of
  // ordinary records in flight. Urgent reports bypass the window.
  StreamState state;
  state.acked_seq = welcome.watermark();
  std::thread reader([&] { ReadAcks(stream.get(), &state, progressed); });
  bool write_failed = false;
  absl::Status result =
      WriteBatches(stream.get(), welcome.watermark(), &state, &write_failed);
  {
    // When the township ended the stream (a refusal: a full disk, a gap) or
    // the link broke, the reader sees the end by itself, and cancelling would
    // replace the township's reason with CANCELLED. Cancel only a stream we
    // stop for reasons of our own (shutdown, a local error such as our own
    // disk being full); Finish() would wait for the township forever.
    absl::MutexLock lock(&wake_mu_);
    const bool ended_by_township =
        (state.broken && state.reader_status.ok()) || write_failed;
    if (!ended_by_township) context->TryCancel();
  }
  reader.join();
  grpc::Status finish = stream->Finish();
  if (!state.reader_status.ok()) return state.reader_status;
  if (!result.ok()) return result;
  if (!finish.ok() && finish.error_code() != grpc::StatusCode::CANCELLED) {
    return FromGrpc(finish, absl::StrCat("sync with township ",
                                         options_.township, " ended"));
  }
  return absl::OkStatus();
}

void Uploader::ReadAcks(SyncStream* stream, StreamState* state,
                        bool* progressed) {
  TownshipMessage ack;
  while (stream->Read(&ack)) {
    absl::Status s = intake_->Acknowledge(ack.watermark());
    absl::MutexLock lock(&wake_mu_);
    wake_ = true;
    if (!s.ok()) {
      state->reader_status = s;
      break;
    }
    state->acked_seq = std::max(state->acked_seq, ack.watermark());
    *progressed = true;  // read by the loop only after this thread is joined
    loop_.MarkAcknowledged();
  }
  absl::MutexLock lock(&wake_mu_);
  state->broken = true;
  wake_ = true;
}

absl::Status Uploader::WriteBatches(SyncStream* stream, uint64_t sent_seq,
                                    StreamState* state, bool* write_failed) {
  uint64_t urgent_sent = 0;  // each connection resends every queued report
  while (!loop_.stopping()) {
    RETURN_IF_ERROR(SendUrgent(&urgent_sent));
    std::vector<SeqRecord> records;
    bool window_open;
    {
      absl::MutexLock lock(&wake_mu_);
      if (state->broken) return absl::OkStatus();
      window_open = sent_seq - state->acked_seq < options_.window_records;
    }
    if (window_open) {
      RETURN_IF_ERROR(
          intake_->ReadPending(sent_seq, options_.batch_records, &records));
    }
    if (records.empty()) {
      // Nothing to send now: sleep until an ack, a new record or a break.
      absl::MutexLock lock(&wake_mu_);
      wake_mu_.AwaitWithTimeout(absl::Condition(&wake_), absl::Seconds(1));
      wake_ = false;
      continue;
    }
    VillageMessage message;
    sent_seq = records.back().seq();
    for (SeqRecord& r : records) {
      *message.mutable_batch()->add_records() = std::move(r);
    }
    if (!stream->Write(message)) {
      *write_failed = true;
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace sanji
