#include "common/program.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/cli.h"
#include "common/net.h"
#include "common/shutdown.h"
#include "common/status_text.h"

namespace sanji {

std::unique_ptr<grpc::Server> StartServerOrExit(
    const std::string& listen, const std::vector<grpc::Service*>& services) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      ServerCredentialsFromFlags();
  if (!creds.ok()) ExitUsage(creds.status().message());
  grpc::ServerBuilder builder;
  ConfigureServer(&builder);
  int port = 0;
  builder.AddListeningPort(listen, *creds, &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    ExitFailure(absl::StrCat("cannot listen on ", listen,
                             ": is the address valid and the port free?"));
  }
  return server;
}

void ServeUntilSignal(const char* program, grpc::Server* server,
                      const std::function<void()>& before_shutdown) {
  int sig = WaitForShutdownSignal();
  std::fprintf(stderr, "%s: signal %d, shutting down\n", program, sig);
  if (before_shutdown) before_shutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
}

std::shared_ptr<grpc::Channel> ConnectOrExit(const std::string& target,
                                             const char* program,
                                             const char* flag) {
  std::shared_ptr<grpc::Channel> channel =
      MakeChannel(target, ChannelCredentialsFromFlags());
  if (!WaitConnected(channel.get(), absl::Seconds(3), target).ok()) {
    ExitFailure(absl::StrCat("no ", program, " answers at ", target,
                             ": start it with `", program,
                             " serve ...` or fix --", flag));
  }
  return channel;
}

void PrintStatusOrExit(const google::protobuf::Message& message,
                       const std::string& format) {
  if (format == "json") {
    std::fputs(FormatStatusJson(message).c_str(), stdout);
  } else if (format == "text" || format.empty()) {
    std::fputs(FormatStatusText(message).c_str(), stdout);
  } else {
    ExitUsage("--format must be text or json");
  }
}

}  // namespace sanji
