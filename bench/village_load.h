// VillageLoad: one village of bench/township_scale, syncing its records on
// one TownshipSync.Sync stream as village_agent's uploader does: the hello,
// then batches from the welcome's watermark with at most `window` records
// unacknowledged, until the township has acknowledged the last one. A gRPC
// callback-API client reactor, so that 500 villages need no 500 threads.
//
// Thread-safety: gRPC runs the reactions on its threads; what they share is
// guarded by mu_. Wait() and the accessors may be called from any thread.
// Ownership: the records are not owned and must outlive the reactor, which
// must outlive its call (Wait() returns after OnDone).
#ifndef SANJI_BENCH_VILLAGE_LOAD_H_
#define SANJI_BENCH_VILLAGE_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/village_sync.grpc.pb.h"

namespace sanji {

class VillageLoad final
    : public grpc::ClientBidiReactor<VillageMessage, TownshipMessage> {
 public:
  VillageLoad(std::string village, uint64_t epoch,
              const std::vector<Record>* records, int batch, int window);

  // Starts the call on `stub`.
  void Start(TownshipSync::Stub* stub);
  // Waits until the call has ended; its status.
  grpc::Status Wait();
  // When the last record was acknowledged (InfinitePast until then).
  absl::Time drained_at() const;

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  // Starts the next write if one may go; call without mu_ held.
  void MaybeWrite() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string village_;
  const uint64_t epoch_;
  const std::vector<Record>* const records_;
  const size_t batch_;
  const size_t window_;
  grpc::ClientContext context_;
  TownshipMessage reply_;  // the read in flight
  VillageMessage out_;     // the write in flight

  mutable absl::Mutex mu_;
  bool welcomed_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t sent_ ABSL_GUARDED_BY(mu_) = 0;   // highest seq written
  uint64_t acked_ ABSL_GUARDED_BY(mu_) = 0;  // the township's watermark
  absl::Time drained_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sanji

#endif  // SANJI_BENCH_VILLAGE_LOAD_H_
