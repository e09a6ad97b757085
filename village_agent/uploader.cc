#include "village_agent/uploader.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/net.h"

namespace sanji {

Uploader::Uploader(RecordIntake* intake, UploaderOptions options)
    : intake_(intake),
      options_(std::move(options)),
      channel_(MakeChannel(options_.township, ChannelCredentialsFromFlags())) {}

Uploader::~Uploader() { Stop(); }

void Uploader::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Uploader::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void Uploader::SetLink(const std::string& state, const std::string& error) {
  absl::MutexLock lock(&mu_);
  link_state_ = state;
  if (!error.empty()) last_error_ = error;
}

void Uploader::FillStatus(AgentStatus* status) const {
  absl::MutexLock lock(&mu_);
  status->set_link_state(link_state_);
  status->set_last_sync_unix_ms(last_sync_unix_ms_);
  status->set_last_error(last_error_);
}

void Uploader::Run() {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(10));
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    bool progressed = false;
    absl::Status status = RunStream(&progressed);
    SetLink("down", status.ok() ? "" : std::string(status.message()));
    if (progressed)
      backoff.Reset();  // a stream that made progress earns a fast retry
    absl::Duration wait = backoff.Next();
    absl::MutexLock lock(&mu_);
    auto stopping = [this]()
                        ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), wait);
  }
}

absl::Status Uploader::RunStream(bool* progressed) {
  SetLink("connecting", "");
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
    active_ = &context;
  }
  auto clear_active = [this] {
    absl::MutexLock lock(&mu_);
    active_ = nullptr;
  };
  TownshipSync::Stub stub(channel_);
  std::unique_ptr<grpc::ClientReaderWriter<VillageMessage, TownshipMessage>>
      stream = stub.Sync(&context);

  VillageMessage hello;
  hello.mutable_hello()->set_village_id(intake_->village_id());
  hello.mutable_hello()->set_epoch(intake_->epoch());
  hello.mutable_hello()->set_last_seq(intake_->last_seq());
  TownshipMessage welcome;
  if (!stream->Write(hello) || !stream->Read(&welcome)) {
    grpc::Status s = stream->Finish();
    clear_active();
    return absl::UnavailableError(absl::StrCat(
        "township ", options_.township, " unreachable: ", s.error_message()));
  }
  absl::Status acked = intake_->Acknowledge(welcome.watermark());
  if (!acked.ok()) {
    context.TryCancel();
    stream->Finish();
    clear_active();
    return acked;
  }
  SetLink("connected", "");

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
      absl::MutexLock status_lock(&mu_);
      last_sync_unix_ms_ = absl::ToUnixMillis(absl::Now());
    }
    absl::MutexLock lock(&flow_mu);
    broken = true;
  });

  uint64_t sent_seq = welcome.watermark();
  absl::Status result;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    {
      absl::MutexLock lock(&flow_mu);
      auto can_send = [&]() ABSL_SHARED_LOCKS_REQUIRED(flow_mu) {
        return broken || sent_seq - acked_seq < options_.window_records;
      };
      flow_mu.AwaitWithTimeout(absl::Condition(&can_send), absl::Seconds(1));
      if (broken) break;
      if (sent_seq - acked_seq >= options_.window_records) continue;
      if (acked_seq > welcome.watermark()) *progressed = true;
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
  context.TryCancel();
  reader.join();
  grpc::Status finish = stream->Finish();
  clear_active();
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
