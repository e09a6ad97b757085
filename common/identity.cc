#include "common/identity.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/org_code.h"

namespace sanji {
namespace {

constexpr absl::string_view kPrefix = "spiffe://sanji/";

struct KindName {
  Identity::Kind kind;
  absl::string_view name;
};
constexpr KindName kKinds[] = {
    {Identity::Kind::kCounty, "county"},
    {Identity::Kind::kTownship, "township"},
    {Identity::Kind::kVillage, "village"},
    {Identity::Kind::kOperator, "operator"},
};

absl::string_view NameOf(Identity::Kind kind) {
  for (const KindName& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "";
}

bool IsOperatorName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    const bool ok = absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z') ||
                    (i > 0 && (c == '.' || c == '_' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

bool IsValidId(Identity::Kind kind, absl::string_view id) {
  switch (kind) {
    case Identity::Kind::kCounty:
      return IsCodeAt(id, OrgLevel::kCounty);
    case Identity::Kind::kTownship:
      return IsCodeAt(id, OrgLevel::kTownship);
    case Identity::Kind::kVillage:
      return IsCodeAt(id, OrgLevel::kVillage);
    case Identity::Kind::kOperator:
      return IsOperatorName(id);
  }
  return false;
}

}  // namespace

std::string Identity::ToString() const {
  return absl::StrCat(NameOf(kind), "/", id);
}

std::string Identity::Uri() const { return absl::StrCat(kPrefix, ToString()); }

absl::StatusOr<Identity> ParseIdentityUri(absl::string_view uri) {
  absl::string_view rest = uri;
  if (!absl::ConsumePrefix(&rest, kPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", uri, "' is not a Sanji identity (spiffe://sanji/LEVEL/ID)"));
  }
  for (const KindName& k : kKinds) {
    absl::string_view id = rest;
    if (!absl::ConsumePrefix(&id, k.name) || !absl::ConsumePrefix(&id, "/")) {
      continue;
    }
    if (!IsValidId(k.kind, id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", uri, "' does not name a valid ", k.name,
          k.kind == Identity::Kind::kOperator ? " (a-z 0-9 . _ -)" : " code"));
    }
    return Identity{k.kind, std::string(id)};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", uri, "' names no county, township, village or operator"));
}

absl::StatusOr<Identity> IdentityFromUriSans(
    const std::vector<std::string>& uris) {
  if (uris.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a certificate must name exactly one identity in one URI SAN; this "
        "one has ",
        uris.size(), uris.empty() ? "" : ": ", absl::StrJoin(uris, ", ")));
  }
  return ParseIdentityUri(uris[0]);
}

}  // namespace sanji
