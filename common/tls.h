// Mutual TLS on Sanji's links (spec/interfaces.md "Transport security flags",
// "Identities"): the process's transport security from --insecure and
// --tls_cert/--tls_key/--tls_ca, its own certificate checked before it is
// used, server and channel credentials that re-read the files when they change
// on disk, the client's check of the server's identity, and the identity of
// the peer of a call.
//
// Identity comes from the one URI SAN of a certificate only
// (common/identity.h), never from its common name or a host name: a client
// accepts a server whose chain leads to the CA and whose URI SAN names the node
// it expects, whatever address it dialled; a server takes any client
// certificate of the CA and leaves the decision to each call
// (common/authorization.h), so that a refusal is a PERMISSION_DENIED that says
// why, not a failed handshake.
//
// Thread-safety: TransportSecurity is immutable after construction;
// ServerIdentityCheck is thread-safe (gRPC calls it from its own threads).
#ifndef SANJI_COMMON_TLS_H_
#define SANJI_COMMON_TLS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/authorization.h"
#include "common/identity.h"
#include "grpcpp/grpcpp.h"

struct x509_st;  // OpenSSL's X509

namespace sanji {

struct TlsFiles {
  std::string cert;  // PEM: this process's certificate (then its chain)
  std::string key;   // PEM: its private key, readable by its user only
  std::string ca;    // PEM: the county CA (one or more certificates)
};

// Checks the files before a process uses them, so that a mistake is told at
// start and not as a failed handshake later: the key is its user's alone
// (else FailedPrecondition with the chmod that fixes it), the certificate
// chains to the CA and is valid now, matches the key, and names exactly one
// identity. Returns that identity.
absl::StatusOr<Identity> CheckOwnCertificate(const TlsFiles& files);

// The identity a (verified) certificate names in its one URI SAN; an error
// saying what it names otherwise. For the HTTPS endpoints, which see the
// peer's certificate through OpenSSL rather than through gRPC.
absl::StatusOr<Identity> IdentityOfCertificate(x509_st* cert);

// What a client accepts as its server: a node of `kind`, and with `id` that
// one only (a village syncs only with township/<its first 9 digits>). Keeps
// why the last server was refused, for `status`, until a server passes: with
// gRPC waiting for a link that the handshake keeps refusing, this is the only
// place the reason is known.
class ServerIdentityCheck {
 public:
  explicit ServerIdentityCheck(Identity::Kind kind, std::string id = "")
      : kind_(kind), id_(std::move(id)) {}

  // OK when a certificate with these URI SANs names the expected server;
  // UNAUTHENTICATED naming what it names otherwise.
  absl::Status Check(const std::vector<std::string>& uri_sans);
  // Keeps `reason` (a server refused before its identity was looked at, e.g.
  // for its chain) and returns it as UNAUTHENTICATED.
  absl::Status Refuse(const std::string& reason);
  // Why the last server was refused; "" when the last one passed.
  std::string last_refusal() const;

 private:
  const Identity::Kind kind_;
  const std::string id_;
  mutable absl::Mutex mu_;
  std::string last_refusal_ ABSL_GUARDED_BY(mu_);
};

// How a node's outgoing link is secured: the credentials, and the check of the
// parent's identity whose refusal explains a link that cannot connect.
// Default: plaintext.
struct LinkSecurity {
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: plaintext
  std::shared_ptr<ServerIdentityCheck> check;             // null: none

  std::shared_ptr<grpc::ChannelCredentials> Credentials() const;
  // `status` of a failed connection, or UNAUTHENTICATED with the check's
  // refusal when that is what made it UNAVAILABLE.
  absl::Status Explain(absl::Status status) const;
  // Overrides a link's state and last error for `status` while the check
  // refuses the server (the link is then "refused", the error its reason).
  void ExplainState(std::string* link_state, std::string* last_error) const;
};

// The transport security of a process, decided once from the flags.
class TransportSecurity {
 public:
  // A `serve` command whose certificate must name `self`. InvalidArgument
  // (bad usage) without --insecure or the three TLS flags, for some of them,
  // for both, or when the certificate names another identity;
  // CheckOwnCertificate's errors (FailedPrecondition: a file to fix).
  static absl::StatusOr<TransportSecurity> ForServer(const Identity& self);
  // A client command: TLS with the three flags, plaintext without them.
  static absl::StatusOr<TransportSecurity> ForClient();
  // Plaintext, whatever the flags (the agent's loopback intake).
  static TransportSecurity Plaintext() { return TransportSecurity(); }

  bool tls() const { return files_.has_value(); }
  // The PEM files (TLS), e.g. for the node's HTTPS pages; nullopt otherwise.
  const std::optional<TlsFiles>& files() const { return files_; }
  // The identity of this process's certificate; nullopt on plaintext.
  const std::optional<Identity>& self() const { return self_; }

  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;
  // On TLS, a connection lives at most kMaxConnectionAge (then its calls get
  // kMaxConnectionAgeGrace to end): a certificate is checked at the
  // handshake only, so this bounds how long one that expired, was replaced or
  // whose CA was withdrawn keeps a link open. Peers reconnect by themselves.
  void ConfigureServer(grpc::ServerBuilder* builder) const;
  static constexpr int kMaxConnectionAgeMs = 60 * 60 * 1000;
  static constexpr int kMaxConnectionAgeGraceMs = 10 * 60 * 1000;
  // Credentials that accept a server only when `check` passes it (TLS); the
  // check is shared with whoever reports the link's state. Plaintext ignores
  // it.
  std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(
      std::shared_ptr<ServerIdentityCheck> check) const;
  // The link to the one node this node may send to, `parent`.
  LinkSecurity ToParent(const Identity& parent) const;

 private:
  TransportSecurity() = default;

  std::optional<TlsFiles> files_;
  std::optional<Identity> self_;
};

// The peer of the call of `context` on an endpoint whose own identity is
// `self` (nullopt: a plaintext endpoint, where anyone may call).
Caller CallerOf(const grpc::ServerContextBase& context,
                const std::optional<Identity>& self);
// CallerOf(context, self).May(call) at the gRPC edge: OK, or the
// PERMISSION_DENIED that ends the call.
grpc::Status Permit(const grpc::ServerContext& context,
                    const std::optional<Identity>& self, Call call);

}  // namespace sanji

#endif  // SANJI_COMMON_TLS_H_
