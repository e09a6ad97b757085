// What every program needs at the gRPC edge: channels with keepalive, server
// limits, backoff for reconnects, and the conversion between absl::Status
// inside and grpc::Status at the edge. Transport security is common/tls.h.
//
// Limits are set on purpose: messages up to 16 MiB (a batch is at most a few
// hundred KiB), keepalive pings every 10 s with a 5 s timeout, so a dead peer
// behind a silent link is noticed within ~15 s instead of at the next TCP
// timeout.
#ifndef SANJI_COMMON_NET_H_
#define SANJI_COMMON_NET_H_

#include <functional>
#include <memory>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/sync_stream.h"

namespace sanji {

inline constexpr int kMaxMessageBytes = 16 << 20;

// Whether HOST:PORT (or [V6]:PORT) names this machine only: 127.0.0.0/8, ::1
// or localhost. The agent's intake is plaintext there (spec "Transport
// security flags").
bool IsLoopbackAddress(absl::string_view address);

// A channel to `target` with keepalive and message limits.
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& creds);
// A node's channel to its parent (the uploader's, the forwarder's): as
// MakeChannel, with what it sends compressed as --link_compression says
// (gzip by default: the links are metered 4G). gRPC's per-message
// compression is named in each message's grpc-encoding header and every gRPC
// server decodes gzip, so a parent of an older version understands it.
std::shared_ptr<grpc::Channel> MakeLinkChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& creds);
// InvalidArgument unless --link_compression is gzip, deflate or none.
absl::Status CheckLinkCompression();

// Applies message limits and keepalive policy to a server being built.
void ConfigureServer(grpc::ServerBuilder* builder);

// Waits up to `timeout` for the channel to connect; Unavailable naming `what`
// otherwise.
absl::Status WaitConnected(grpc::Channel* channel, absl::Duration timeout,
                           const std::string& what);

// Between absl::Status inside and grpc::Status at the edge, keeping the code:
// a peer's RESOURCE_EXHAUSTED stays RESOURCE_EXHAUSTED, so that the sender
// backs off as the protocol says instead of taking it for a broken link.
grpc::Status ToGrpc(const absl::Status& status);
// With `context`, the message is "CONTEXT: the peer's message".
absl::Status FromGrpc(const grpc::Status& status,
                      absl::string_view context = "");

// How long a server waits for the first message (the hello) of a Sync or Push
// stream. A client sends it at once. Without a limit, a peer that opens a
// stream and stays silent holds a server thread for as long as its connection
// lives: these streams have no deadline, and keepalive pings keep a live but
// silent peer's connection open. After the hello a quiet stream is a normal
// idle peer and stays open (keepalive ends it if the peer dies).
inline constexpr absl::Duration kHelloTimeout = absl::Seconds(10);

// Runs `read` (a blocking Read on the stream of `context`) and cancels the call
// if it has not returned within `timeout`; returns what `read` returned. The
// peer of a cancelled call sees CANCELLED.
bool ReadWithin(grpc::ServerContext* context, absl::Duration timeout,
                const std::function<bool()>& read);

// Serves one bidirectional stream with `session` (township_node's
// VillageSession, county_hub's PushSession): each message read goes to
// session->OnMessage, whose reply is written back and whose error ends the
// call with that status. The first message must come within kHelloTimeout.
template <typename Session, typename Reply, typename Message>
grpc::Status ServeSession(grpc::ServerContext* context,
                          grpc::ServerReaderWriter<Reply, Message>* stream,
                          Session* session) {
  Message message;
  if (!ReadWithin(context, kHelloTimeout,
                  [&] { return stream->Read(&message); })) {
    return grpc::Status::OK;
  }
  do {
    absl::StatusOr<Reply> reply = session->OnMessage(message);
    if (!reply.ok()) return ToGrpc(reply.status());
    if (!stream->Write(*reply)) break;
  } while (stream->Read(&message));
  return grpc::Status::OK;
}

// Capped exponential backoff with "equal jitter": the n-th wait in a row is
// uniform in [c/2, c], c = min(max, initial * 2^n), so that many clients
// spread out but none comes back at once. What ended the last attempt
// changes the pace (proto/village_sync.proto, proto/rollup_sync.proto):
//   RESOURCE_EXHAUSTED, PERMISSION_DENIED  the peer is full or refuses us: that
//                      will not change within seconds, so the longest wait at
//                      once, and every wait after it, until Reset()
//   ABORTED            retry from the peer's watermark: the shortest wait, the
//                      first time in a row; the next wait in the series after
//                      that (a gap a reconnect does not mend)
//   any other          the next wait in the series
// Not thread-safe.
class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max,
          uint64_t seed = std::random_device{}());
  absl::Duration Next(absl::StatusCode last = absl::StatusCode::kUnavailable);
  // After an attempt that made progress: the series starts again.
  void Reset() {
    attempt_ = 0;
    aborted_ = false;
  }

 private:
  absl::Duration Jittered(absl::Duration cap);

  absl::Duration initial_;
  absl::Duration max_;
  int attempt_ = 0;
  bool aborted_ = false;  // the last wait was for an ABORTED
  std::mt19937_64 rng_;
};

}  // namespace sanji

#endif  // SANJI_COMMON_NET_H_
