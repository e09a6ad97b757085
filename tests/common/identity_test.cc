// Tests of common/identity.h: a peer is the one identity of its one URI SAN.
#include "common/identity.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

TEST(IdentityTest, EachKindParsesAndPrintsBack) {
  for (const char* uri :
       {"spiffe://sanji/county/640522", "spiffe://sanji/township/640522100",
        "spiffe://sanji/village/640522100201",
        "spiffe://sanji/operator/zhang.wei"}) {
    absl::StatusOr<Identity> id = ParseIdentityUri(uri);
    ASSERT_TRUE(id.ok()) << uri << ": " << id.status();
    EXPECT_EQ(id->Uri(), uri);
  }
  absl::StatusOr<Identity> township =
      ParseIdentityUri("spiffe://sanji/township/640522100");
  ASSERT_TRUE(township.ok());
  EXPECT_EQ(township->kind, Identity::Kind::kTownship);
  EXPECT_EQ(township->id, "640522100");
  EXPECT_EQ(township->ToString(), "township/640522100");
}

TEST(IdentityTest, AnythingElseNamesNobody) {
  for (const char* uri : {
           "spiffe://sanji/township/64052210",      // 8 digits
           "spiffe://sanji/township/640522100201",  // a village's code
           "spiffe://sanji/village/640522100",      // a township's code
           "spiffe://sanji/county/64052a",          // not digits
           "spiffe://sanji/operator/Zhang",         // capital
           "spiffe://sanji/operator/.hidden",       // leading dot
           "spiffe://sanji/operator/",              // empty
           "spiffe://sanji/province/64",            // no such level
           "spiffe://other/township/640522100",     // another trust domain
           "https://sanji/township/640522100",      // not spiffe
           "spiffe://sanji/township/640522100/x",   // a path after the code
           "",
       }) {
    EXPECT_FALSE(ParseIdentityUri(uri).ok()) << uri;
  }
}

TEST(IdentityTest, ACertificateNamesExactlyOneIdentity) {
  EXPECT_TRUE(
      IdentityFromUriSans({"spiffe://sanji/village/640522100201"}).ok());
  absl::Status none = IdentityFromUriSans({}).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(none.message(), "exactly one identity"));
  absl::Status two = IdentityFromUriSans({"spiffe://sanji/village/640522100201",
                                          "spiffe://sanji/county/640522"})
                         .status();
  EXPECT_EQ(two.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(two.message(), "spiffe://sanji/county/640522"));
}

}  // namespace
}  // namespace sanji
