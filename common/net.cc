#include "common/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/alarm.h"

ABSL_FLAG(std::string, link_compression, "gzip",
          "How a village agent or township node compresses what it sends to "
          "its parent: gzip (default), deflate or none.");

namespace sanji {

bool IsLoopbackAddress(absl::string_view address) {
  absl::string_view host = address;
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
  } else {
    host = host.substr(0, host.rfind(':'));
  }
  if (host == "localhost") return true;
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  return inet_pton(AF_INET6, text.c_str(), &v6) == 1 &&
         IN6_IS_ADDR_LOOPBACK(&v6);
}

namespace {

grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // We back off ourselves, with jitter; keep gRPC's own reconnect backoff short
  // so a township that comes back is found quickly.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  return args;
}

std::optional<grpc_compression_algorithm> CompressionNamed(
    absl::string_view name) {
  if (name == "gzip") return GRPC_COMPRESS_GZIP;
  if (name == "deflate") return GRPC_COMPRESS_DEFLATE;
  if (name == "none") return GRPC_COMPRESS_NONE;
  return std::nullopt;
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  return grpc::CreateCustomChannel(target, creds, ChannelArgs());
}

std::shared_ptr<grpc::Channel> MakeLinkChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args = ChannelArgs();
  args.SetCompressionAlgorithm(
      CompressionNamed(absl::GetFlag(FLAGS_link_compression))
          .value_or(GRPC_COMPRESS_NONE));
  return grpc::CreateCustomChannel(target, creds, args);
}

absl::Status CheckLinkCompression() {
  const std::string name = absl::GetFlag(FLAGS_link_compression);
  if (CompressionNamed(name).has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--link_compression=", name, " is not gzip, deflate or none"));
}

void ConfigureServer(grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder->SetMaxSendMessageSize(kMaxMessageBytes);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // Two nodes on one port would split traffic between them: fail the second
  // bind instead.
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
}

absl::Status WaitConnected(grpc::Channel* channel, absl::Duration timeout,
                           const std::string& what) {
  if (channel->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout))) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("cannot reach ", what));
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

bool ReadWithin(grpc::ServerContext* context, absl::Duration timeout,
                const std::function<bool()>& read) {
  // The callback runs exactly once (fired, or cancelled below) and is waited
  // for, so it never outlives `context`.
  absl::Notification done;
  grpc::Alarm alarm;
  alarm.Set(absl::ToChronoTime(absl::Now() + timeout),
            [context, &done](bool fired) {
              if (fired) context->TryCancel();
              done.Notify();
            });
  bool ok = read();
  alarm.Cancel();
  done.WaitForNotification();
  return ok;
}

absl::Status FromGrpc(const grpc::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(
      static_cast<absl::StatusCode>(status.error_code()),
      context.empty() ? status.error_message()
                      : absl::StrCat(context, ": ", status.error_message()));
}

Backoff::Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
    : initial_(initial), max_(max), rng_(seed) {}

absl::Duration Backoff::Next(absl::StatusCode last) {
  constexpr int kLongest = 62;  // 2^62 x any positive initial is past max
  switch (last) {
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kPermissionDenied:
      attempt_ = kLongest;
      return Jittered(max_);
    case absl::StatusCode::kAborted:
      // Once: a gap that a reconnect does not mend (the peer lost what we
      // dropped) must not become a tight loop.
      if (!aborted_) {
        aborted_ = true;
        return Jittered(std::min(initial_, max_));
      }
      break;
    default:
      aborted_ = false;
      break;
  }
  absl::Duration cap = max_;
  if (attempt_ < kLongest && initial_ < max_ / (int64_t{1} << attempt_)) {
    cap = initial_ * (int64_t{1} << attempt_);
  }
  if (attempt_ < kLongest) ++attempt_;
  return Jittered(cap);
}

absl::Duration Backoff::Jittered(absl::Duration cap) {
  std::uniform_real_distribution<double> dist(0.5, 1.0);
  return cap * dist(rng_);
}

}  // namespace sanji
