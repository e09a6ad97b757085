// Tests of common/authorization.h: one test per row of spec/interfaces.md
// "Who may do what", and the refusals around each row.
#include "common/authorization.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

Identity Id(const char* uri) {
  absl::StatusOr<Identity> id = ParseIdentityUri(uri);
  EXPECT_TRUE(id.ok()) << uri;
  return id.ok() ? *id : Identity();
}

const Identity kCounty = Id("spiffe://sanji/county/640522");
const Identity kTownship = Id("spiffe://sanji/township/640522100");
const Identity kOtherTownship = Id("spiffe://sanji/township/640522101");
const Identity kVillage = Id("spiffe://sanji/village/640522100201");
const Identity kOtherVillage = Id("spiffe://sanji/village/640522100202");
const Identity kForeignVillage = Id("spiffe://sanji/village/640522101201");
const Identity kOperator = Id("spiffe://sanji/operator/zhang.wei");

void ExpectRefused(const Identity& peer, const Identity& self, Call call,
                   absl::string_view as = "") {
  absl::Status s = Authorize(peer, self, call, as);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied)
      << peer.ToString() << " on " << self.ToString() << " as " << as;
  EXPECT_TRUE(absl::StrContains(s.message(), peer.ToString())) << s;
}

// Row 1: a village syncs with its own township, as itself only.
TEST(AuthorizationTest, AVillageSyncsWithItsOwnTownshipAsItself) {
  for (Call call : {Call::kSync, Call::kSendUrgent}) {
    EXPECT_TRUE(Authorize(kVillage, kTownship, call, kVillage.id).ok());
    ExpectRefused(kVillage, kTownship, call, kOtherVillage.id);  // as another
    ExpectRefused(kVillage, kTownship, call, "");                // as nobody
    ExpectRefused(kForeignVillage, kTownship, call, kForeignVillage.id);
    ExpectRefused(kVillage, kOtherTownship, call, kVillage.id);
  }
  ExpectRefused(kVillage, kCounty, Call::kPush, kVillage.id);
  ExpectRefused(kVillage, kTownship, Call::kStatus);
}

// The agent's intake off loopback: its own village's certificate.
TEST(AuthorizationTest, AVillageImportsIntoItsOwnAgentOnly) {
  EXPECT_TRUE(Authorize(kVillage, kVillage, Call::kSubmit).ok());
  EXPECT_TRUE(Authorize(kVillage, kVillage, Call::kStatus).ok());
  ExpectRefused(kOtherVillage, kVillage, Call::kSubmit);
  ExpectRefused(kOtherVillage, kVillage, Call::kStatus);
}

// Row 2: a township pushes to its own county, as itself only.
TEST(AuthorizationTest, ATownshipPushesToItsOwnCountyAsItself) {
  EXPECT_TRUE(Authorize(kTownship, kCounty, Call::kPush, kTownship.id).ok());
  ExpectRefused(kTownship, kCounty, Call::kPush, kOtherTownship.id);
  ExpectRefused(kTownship, Id("spiffe://sanji/county/640523"), Call::kPush,
                kTownship.id);
  for (Call call :
       {Call::kReport, Call::kReviewAlert, Call::kWatchAlerts, Call::kStatus}) {
    ExpectRefused(kTownship, kCounty, call);
  }
  ExpectRefused(kTownship, kOtherTownship, Call::kSync, kTownship.id);
}

// Row 3: operators read and review, on any node; they sync and push nothing.
TEST(AuthorizationTest, OperatorsReadAndReviewButNeverSyncOrPush) {
  for (Call call : {Call::kStatus, Call::kReport, Call::kCompleteness,
                    Call::kSummary, Call::kWatchAlerts, Call::kReviewAlert}) {
    EXPECT_TRUE(Authorize(kOperator, kCounty, call).ok());
  }
  EXPECT_TRUE(Authorize(kOperator, kTownship, Call::kStatus).ok());
  EXPECT_TRUE(Authorize(kOperator, kVillage, Call::kStatus).ok());
  // Operators write nothing: not even records into an agent (only the
  // village's own certificate imports there).
  ExpectRefused(kOperator, kVillage, Call::kSubmit);
  ExpectRefused(kOperator, kTownship, Call::kSync, kVillage.id);
  ExpectRefused(kOperator, kTownship, Call::kSendUrgent, kVillage.id);
  ExpectRefused(kOperator, kCounty, Call::kPush, kTownship.id);
}

// Everybody else: nothing, and the message says what the identity may do.
TEST(AuthorizationTest, EverythingElseIsRefusedSayingWhatIsAllowed) {
  ExpectRefused(kCounty, kCounty, Call::kReport);
  ExpectRefused(kCounty, kTownship, Call::kStatus);
  absl::Status s = Authorize(kVillage, kCounty, Call::kPush, kVillage.id);
  EXPECT_TRUE(absl::StrContains(
      s.message(),
      "village/640522100201 may not do this on county/640522: a village may "
      "sync with its own township (640522100)"))
      << s;
  s = Authorize(kTownship, kCounty, Call::kPush, kOtherTownship.id);
  EXPECT_TRUE(absl::StrContains(s.message(), "as 640522101")) << s;
}

}  // namespace
}  // namespace sanji
