// LoopbackServer: a real gRPC server on 127.0.0.1 and a free port, in the
// test's own process, for unit tests of clients (uploader, forwarder) against
// the real services they talk to. Plaintext, with the limits and keepalive of
// the programs (common/net.h ConfigureServer).
//
// Thread-safety: construct and destroy on one thread. The services are not
// owned and must outlive the server.
#ifndef SANJI_TESTS_SUPPORT_LOOPBACK_SERVER_H_
#define SANJI_TESTS_SUPPORT_LOOPBACK_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace sanji::test_support {

class LoopbackServer {
 public:
  explicit LoopbackServer(const std::vector<grpc::Service*>& services);
  ~LoopbackServer();

  bool ok() const { return server_ != nullptr && port_ > 0; }
  // "127.0.0.1:PORT".
  std::string address() const;

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_LOOPBACK_SERVER_H_
