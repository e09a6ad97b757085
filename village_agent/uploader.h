// Uploader: sends the agent's outbox to its township over one long-lived
// bidirectional stream.
//
// Protocol (proto/village_sync.proto): Hello(village, epoch, last_seq); the
// township answers with its watermark for (village, epoch); the uploader then
// streams batches from watermark + 1, keeping at most a window of records
// unacknowledged, and drops what each Ack covers from the outbox. Before each
// batch it sends whatever urgent reports are queued on a separate unary call
// (SendUrgent), outside the window, so an urgent case does not wait behind the
// batches in flight, only behind the one being written. Any error
// closes the stream; it reconnects with capped exponential backoff and jitter
// and resumes from the township's watermark, so nothing is skipped and a resend
// below the watermark is harmless.
//
// Thread-safety: Start/Stop from one thread; status accessors from any.
#ifndef SANJI_VILLAGE_AGENT_UPLOADER_H_
#define SANJI_VILLAGE_AGENT_UPLOADER_H_

#include <memory>
#include <string>

#include "common/reconnect_loop.h"
#include "common/tls.h"
#include "grpcpp/grpcpp.h"
#include "proto/village_sync.grpc.pb.h"
#include "village_agent/record_intake.h"

namespace sanji {

struct UploaderOptions {
  std::string township;          // HOST:PORT
  size_t batch_records = 500;    // records per batch
  size_t window_records = 4000;  // unacknowledged records in flight
  LinkSecurity security;         // default plaintext
};

class Uploader {
 public:
  Uploader(RecordIntake* intake, UploaderOptions options);  // intake not owned
  ~Uploader();
  void Start();
  void Stop();

  // Fills link_state, last_sync_unix_ms and last_error; "down" with why while
  // the township cannot be connected to.
  void FillStatus(AgentStatus* status) const;
  // How the last failed connection ended, with the peer's code (OK once the
  // link works again).
  absl::Status last_error() const { return loop_.last_error(); }

 private:
  using SyncStream = grpc::ClientReaderWriter<VillageMessage, TownshipMessage>;
  // What the reader thread of one connection shares with its writer, under
  // wake_mu_.
  struct StreamState {
    uint64_t acked_seq = 0;
    bool broken = false;         // the reader saw the stream end
    absl::Status reader_status;  // a local failure to apply an ack
  };

  // One connection: returns when the stream breaks or Stop() is called.
  absl::Status RunStream(grpc::ClientContext* context, bool* progressed);
  // The reader thread: applies acks until the stream ends.
  void ReadAcks(SyncStream* stream, StreamState* state, bool* progressed);
  // The writer: urgent reports first, then batches from `sent_seq` within the
  // window, until the stream breaks, Stop() or an error of ours.
  absl::Status WriteBatches(SyncStream* stream, uint64_t sent_seq,
                            StreamState* state, bool* write_failed);
  // Sends the queued urgent reports after *urgent_sent and drops the ones the
  // township acknowledges; advances *urgent_sent.
  absl::Status SendUrgent(uint64_t* urgent_sent);

  RecordIntake* intake_;
  UploaderOptions options_;
  // The writer sleeps on wake_ when it has nothing to send; acks, new records,
  // a broken stream and Stop() set it.
  absl::Mutex wake_mu_;
  bool wake_ ABSL_GUARDED_BY(wake_mu_) = false;
  std::shared_ptr<grpc::Channel> channel_;
  ReconnectLoop loop_;
};

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_UPLOADER_H_
