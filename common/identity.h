// Who a peer is: the one identity its certificate names in its one URI SAN
// (spec/interfaces.md "Identities"), never its common name or host name.
//
//    identity := "spiffe://sanji/" ( "county/" county_code
//                                  | "township/" township_code
//                                  | "village/" village_code
//                                  | "operator/" name )
//    name     := 1-63 of [a-z0-9._-], starting with a letter or digit
//
// The codes follow common/org_code.h. A certificate with no URI SAN, or more
// than one, names nobody.
//
// Pure functions; thread-safe.
#ifndef SANJI_COMMON_IDENTITY_H_
#define SANJI_COMMON_IDENTITY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sanji {

struct Identity {
  enum class Kind { kCounty, kTownship, kVillage, kOperator };
  Kind kind = Kind::kOperator;
  std::string id;  // the organisation's code, or the operator's name

  // "township/640522100", as in messages.
  std::string ToString() const;
  // "spiffe://sanji/township/640522100".
  std::string Uri() const;
};

// The identity `uri` names; INVALID_ARGUMENT saying why not.
absl::StatusOr<Identity> ParseIdentityUri(absl::string_view uri);
// The identity of a certificate with these URI SANs: exactly one, valid.
absl::StatusOr<Identity> IdentityFromUriSans(
    const std::vector<std::string>& uris);

}  // namespace sanji

#endif  // SANJI_COMMON_IDENTITY_H_
