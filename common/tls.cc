#include "common/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"

ABSL_FLAG(bool, insecure, false,
          "Use plaintext gRPC (tests and demos on loopback only). Without it, "
          "the TLS flags are required.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate of this node or operator (mutual TLS), issued by "
          "the county CA; see deploy/pki.sh.");
ABSL_FLAG(std::string, tls_key, "",
          "PEM private key of --tls_cert (mode 0600).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM certificate of the county CA, which signs every node and "
          "operator.");
ABSL_FLAG(int32_t, tls_refresh_seconds, 60,
          "How often the TLS files are read again, so that a renewed "
          "certificate or CA is used without a restart.");

namespace sanji {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read --", flag, "=", path,
                     ": does the file exist and may this user read it?"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every certificate in `pem`, in order.
std::vector<X509Ptr> ParseCertificates(const std::string& pem) {
  std::vector<X509Ptr> certs;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // the read that ended the loop left "no start line"
  return certs;
}

std::vector<std::string> UriSans(X509* cert) {
  std::vector<std::string> uris;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      ASN1_STRING_length(uri));
  }
  GENERAL_NAMES_free(names);
  return uris;
}

}  // namespace

absl::StatusOr<Identity> IdentityOfCertificate(X509* cert) {
  if (cert == nullptr) {
    return absl::UnauthenticatedError("no certificate was shown");
  }
  return IdentityFromUriSans(UriSans(cert));
}

namespace {

std::string NotAfter(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  ASN1_TIME_print(bio, X509_get0_notAfter(cert));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(n));
  BIO_free(bio);
  return text;
}

absl::Status CheckKeyFileMode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read --tls_key=", path, ": no such file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the private key %s can be read by other users (mode %04o): run  "
        "chmod 600 %s",
        path, st.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

// Why `leaf` (with the rest of `chain` as intermediates) does not chain to a
// certificate of `cas` for `purpose` or is not valid now; "" when it does.
std::string ChainProblem(X509* leaf, const std::vector<X509Ptr>& chain,
                         const std::vector<X509Ptr>& cas, int purpose) {
  X509_STORE* store = X509_STORE_new();
  for (const X509Ptr& ca : cas) X509_STORE_add_cert(store, ca.get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (size_t i = 1; i < chain.size(); ++i) {
    sk_X509_push(untrusted, chain[i].get());
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, untrusted);
  if (purpose != 0) X509_STORE_CTX_set_purpose(ctx, purpose);
  const bool ok = X509_verify_cert(ctx) == 1;
  const int error = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  if (ok) return "";
  std::string why = X509_verify_cert_error_string(error);
  if (error == X509_V_ERR_CERT_HAS_EXPIRED) {
    absl::StrAppend(&why, " on ", NotAfter(leaf));
  }
  return why;
}

absl::Status CheckKeyMatches(X509* cert, const TlsFiles& files) {
  ASSIGN_OR_RETURN(std::string pem, ReadPem(files.key, "tls_key"));
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  KeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (key == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("--tls_key=", files.key,
                     " holds no PEM private key (or one with a passphrase)"));
  }
  if (X509_check_private_key(cert, key.get()) != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--tls_key=", files.key, " is not the key of --tls_cert=", files.cert));
  }
  return absl::OkStatus();
}

// All three TLS flags, none (nullopt), or an error naming what is missing.
absl::StatusOr<std::optional<TlsFiles>> TlsFilesFromFlags() {
  TlsFiles files{absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                 absl::GetFlag(FLAGS_tls_ca)};
  const int given =
      !files.cert.empty() + !files.key.empty() + !files.ca.empty();
  if (given == 0) return std::optional<TlsFiles>();
  if (absl::GetFlag(FLAGS_insecure)) {
    return absl::InvalidArgumentError(
        "--insecure and the --tls_* flags exclude each other: pass one");
  }
  if (given < 3) {
    return absl::InvalidArgumentError(
        "mutual TLS needs all three of --tls_cert, --tls_key and --tls_ca");
  }
  return std::optional<TlsFiles>(std::move(files));
}

std::shared_ptr<grpc::experimental::CertificateProviderInterface> Provider(
    const TlsFiles& files) {
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.ca,
      static_cast<unsigned>(
          std::max(1, absl::GetFlag(FLAGS_tls_refresh_seconds))));
}

const char* NodeName(Identity::Kind kind) {
  switch (kind) {
    case Identity::Kind::kCounty:
      return "a county hub";
    case Identity::Kind::kTownship:
      return "a township node";
    case Identity::Kind::kVillage:
      return "a village agent";
    case Identity::Kind::kOperator:
      return "an operator";
  }
  return "";
}

// The client's check of the server in the handshake: the chain to the CA
// (read again at every handshake, so a new CA file needs no restart), then
// ServerIdentityCheck. gRPC's own chain check is off for this (it would end
// the handshake before a refusal could be kept for `status`); TLS itself has
// proved that the server holds the key of the certificate. gRPC owns it.
class ServerVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  ServerVerifier(std::string ca_path,
                 std::shared_ptr<ServerIdentityCheck> check)
      : ca_path_(std::move(ca_path)), check_(std::move(check)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    std::string problem = ChainProblemOf(request->peer_cert_full_chain());
    absl::Status s;
    if (!problem.empty()) {
      s = check_->Refuse(
          absl::StrCat("the server's certificate is not accepted by the CA (",
                       ca_path_, "): ", problem, "; nothing was sent"));
    } else {
      std::vector<std::string> uris;
      for (const grpc::string_ref& uri : request->uri_names()) {
        uris.emplace_back(uri.data(), uri.size());
      }
      s = check_->Check(uris);
    }
    *sync_status = s.ok() ? grpc::Status::OK
                          : grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                         std::string(s.message()));
    return true;  // decided synchronously
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {
  }

 private:
  std::string ChainProblemOf(const grpc::string_ref& chain_pem) const {
    std::vector<X509Ptr> chain =
        ParseCertificates(std::string(chain_pem.data(), chain_pem.size()));
    if (chain.empty()) return "the server sent no certificate";
    absl::StatusOr<std::string> ca_pem = ReadPem(ca_path_, "tls_ca");
    if (!ca_pem.ok()) return std::string(ca_pem.status().message());
    std::vector<X509Ptr> cas = ParseCertificates(*ca_pem);
    if (cas.empty()) return "the CA file holds no certificate";
    return ChainProblem(chain.front().get(), chain, cas,
                        X509_PURPOSE_SSL_SERVER);
  }

  const std::string ca_path_;
  std::shared_ptr<ServerIdentityCheck> check_;
};

}  // namespace

absl::StatusOr<Identity> CheckOwnCertificate(const TlsFiles& files) {
  RETURN_IF_ERROR(CheckKeyFileMode(files.key));
  ASSIGN_OR_RETURN(std::string cert_pem, ReadPem(files.cert, "tls_cert"));
  ASSIGN_OR_RETURN(std::string ca_pem, ReadPem(files.ca, "tls_ca"));
  std::vector<X509Ptr> chain = ParseCertificates(cert_pem);
  std::vector<X509Ptr> cas = ParseCertificates(ca_pem);
  if (chain.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--tls_cert=", files.cert, " holds no PEM certificate"));
  }
  if (cas.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--tls_ca=", files.ca, " holds no PEM certificate"));
  }
  X509* leaf = chain.front().get();
  std::string problem = ChainProblem(leaf, chain, cas, 0);
  if (!problem.empty()) {
    if (absl::StrContains(problem, "expired")) {
      absl::StrAppend(&problem, "; renew it (deploy/pki.sh renew)");
    }
    return absl::FailedPreconditionError(
        absl::StrCat("--tls_cert=", files.cert,
                     " is not accepted by --tls_ca=", files.ca, ": ", problem));
  }
  RETURN_IF_ERROR(CheckKeyMatches(leaf, files));
  absl::StatusOr<Identity> id = IdentityFromUriSans(UriSans(leaf));
  if (!id.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--tls_cert=", files.cert, " names nobody: ", id.status().message()));
  }
  return id;
}

absl::Status ServerIdentityCheck::Check(
    const std::vector<std::string>& uri_sans) {
  Identity expected;
  expected.kind = kind_;
  expected.id = id_;
  absl::StatusOr<Identity> seen = IdentityFromUriSans(uri_sans);
  std::string refusal;
  if (!seen.ok()) {
    refusal = absl::StrCat("the server's certificate names nobody (",
                           seen.status().message(), ")");
  } else if (seen->kind != kind_ || (!id_.empty() && seen->id != id_)) {
    refusal = absl::StrCat("the server's certificate names ", seen->ToString(),
                           ", not ",
                           id_.empty() ? NodeName(kind_) : expected.ToString(),
                           ": nothing was sent; check the address");
  }
  if (refusal.empty()) {
    absl::MutexLock lock(&mu_);
    last_refusal_.clear();
    return absl::OkStatus();
  }
  return Refuse(refusal);
}

absl::Status ServerIdentityCheck::Refuse(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  last_refusal_ = reason;
  return absl::UnauthenticatedError(reason);
}

std::string ServerIdentityCheck::last_refusal() const {
  absl::MutexLock lock(&mu_);
  return last_refusal_;
}

absl::StatusOr<TransportSecurity> TransportSecurity::ForServer(
    const Identity& self) {
  ASSIGN_OR_RETURN(std::optional<TlsFiles> files, TlsFilesFromFlags());
  TransportSecurity security;
  if (!files.has_value()) {
    if (absl::GetFlag(FLAGS_insecure)) return security;
    return absl::InvalidArgumentError(
        "refusing to serve without transport security: pass --tls_cert, "
        "--tls_key and --tls_ca for mutual TLS (deploy/pki.sh makes them), or "
        "--insecure for plaintext (tests and demos on loopback only)");
  }
  ASSIGN_OR_RETURN(Identity named, CheckOwnCertificate(*files));
  if (named.kind != self.kind || named.id != self.id) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_cert=", files->cert, " names ", named.ToString(),
                     ", but this node is ", self.ToString()));
  }
  security.files_ = std::move(files);
  security.self_ = std::move(named);
  return security;
}

absl::StatusOr<TransportSecurity> TransportSecurity::ForClient() {
  ASSIGN_OR_RETURN(std::optional<TlsFiles> files, TlsFilesFromFlags());
  TransportSecurity security;
  if (!files.has_value()) return security;
  ASSIGN_OR_RETURN(Identity named, CheckOwnCertificate(*files));
  security.files_ = std::move(files);
  security.self_ = std::move(named);
  return security;
}

std::shared_ptr<grpc::ServerCredentials> TransportSecurity::ServerCredentials()
    const {
  if (!files_.has_value()) return grpc::InsecureServerCredentials();
  grpc::experimental::TlsServerCredentialsOptions options(Provider(*files_));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

void TransportSecurity::ConfigureServer(grpc::ServerBuilder* builder) const {
  if (!files_.has_value()) return;
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                              kMaxConnectionAgeMs);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                              kMaxConnectionAgeGraceMs);
}

std::shared_ptr<grpc::ChannelCredentials> TransportSecurity::ChannelCredentials(
    std::shared_ptr<ServerIdentityCheck> check) const {
  if (!files_.has_value()) return grpc::InsecureChannelCredentials();
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Provider(*files_));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // ServerVerifier checks the chain; the server is known by its URI SAN, not
  // by the address dialled.
  options.set_verify_server_certs(false);
  options.set_check_call_host(false);
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<ServerVerifier>(
          files_->ca, std::move(check)));
  return grpc::experimental::TlsCredentials(options);
}

LinkSecurity TransportSecurity::ToParent(const Identity& parent) const {
  auto check = std::make_shared<ServerIdentityCheck>(parent.kind, parent.id);
  return LinkSecurity{ChannelCredentials(check), check};
}

std::shared_ptr<grpc::ChannelCredentials> LinkSecurity::Credentials() const {
  return credentials != nullptr ? credentials
                                : grpc::InsecureChannelCredentials();
}

absl::Status LinkSecurity::Explain(absl::Status status) const {
  if (!absl::IsUnavailable(status) || check == nullptr) return status;
  std::string refusal = check->last_refusal();
  if (refusal.empty()) return status;
  return absl::UnauthenticatedError(refusal);
}

void LinkSecurity::ExplainState(std::string* link_state,
                                std::string* last_error) const {
  if (check == nullptr) return;
  std::string refusal = check->last_refusal();
  if (refusal.empty()) return;
  *link_state = "refused";
  *last_error = std::move(refusal);
}

Caller CallerOf(const grpc::ServerContextBase& context,
                const std::optional<Identity>& self) {
  if (!self.has_value()) return Caller::Anyone();
  std::vector<std::string> uris;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr) {
    for (const grpc::string_ref& uri :
         auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
      uris.emplace_back(uri.data(), uri.size());
    }
  }
  return Caller(*self, IdentityFromUriSans(uris));
}

grpc::Status Permit(const grpc::ServerContext& context,
                    const std::optional<Identity>& self, Call call) {
  absl::Status allowed = CallerOf(context, self).May(call);
  if (allowed.ok()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      std::string(allowed.message()));
}

}  // namespace sanji
