#include "tests/support/loopback_server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/net.h"

namespace sanji::test_support {

LoopbackServer::LoopbackServer(const std::vector<grpc::Service*>& services) {
  grpc::ServerBuilder builder;
  ConfigureServer(&builder);
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
}

LoopbackServer::~LoopbackServer() {
  if (server_ == nullptr) return;
  // Streams from clients still running end with the deadline.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  server_->Wait();
}

std::string LoopbackServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

}  // namespace sanji::test_support
