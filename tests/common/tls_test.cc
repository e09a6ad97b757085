// Tests of common/tls.h's ServerIdentityCheck: what a client accepts as its
// server, and the refusal it keeps for `status`. The handshakes themselves
// are tested with the real programs in tests/integration/tls_test.cc.
#include "common/tls.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

using Kind = Identity::Kind;

TEST(ServerIdentityCheckTest, AcceptsOnlyTheExpectedNode) {
  ServerIdentityCheck check(Kind::kTownship, "640522100");
  EXPECT_TRUE(check.Check({"spiffe://sanji/township/640522100"}).ok());
  EXPECT_EQ(check.last_refusal(), "");

  absl::Status other = check.Check({"spiffe://sanji/township/640522101"});
  EXPECT_EQ(other.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(other.message(), "township/640522101"));
  EXPECT_TRUE(absl::StrContains(other.message(), "not township/640522100"));
  EXPECT_EQ(check.last_refusal(), other.message());

  EXPECT_FALSE(check.Check({"spiffe://sanji/county/640522"}).ok());
  EXPECT_FALSE(check.Check({"spiffe://sanji/village/640522100201"}).ok());
  // A later server that passes clears the refusal.
  EXPECT_TRUE(check.Check({"spiffe://sanji/township/640522100"}).ok());
  EXPECT_EQ(check.last_refusal(), "");
}

TEST(ServerIdentityCheckTest, AnyNodeOfTheKindWithoutAnId) {
  ServerIdentityCheck check(Kind::kCounty);
  EXPECT_TRUE(check.Check({"spiffe://sanji/county/640522"}).ok());
  absl::Status s = check.Check({"spiffe://sanji/township/640522100"});
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "not a county hub")) << s;
}

TEST(ServerIdentityCheckTest, ACertificateNamingNobodyIsRefused) {
  ServerIdentityCheck check(Kind::kCounty);
  for (const std::vector<std::string>& uris :
       std::vector<std::vector<std::string>>{
           {},
           {"spiffe://sanji/county/640522", "spiffe://sanji/county/640523"},
           {"https://example.org/"},
           {"spiffe://sanji/county/64052"}}) {
    absl::Status s = check.Check(uris);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_TRUE(absl::StrContains(s.message(), "names nobody")) << s;
  }
}

TEST(ServerIdentityCheckTest, RefuseKeepsAReasonOfItsOwn) {
  ServerIdentityCheck check(Kind::kCounty);
  absl::Status s = check.Refuse("not accepted by the CA: expired");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(check.last_refusal(), "not accepted by the CA: expired");
}

}  // namespace
}  // namespace sanji
