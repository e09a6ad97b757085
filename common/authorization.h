// What a peer may do on a node: spec/interfaces.md "Who may do what", as one
// table (authorization.cc) that every service asks, on every call, with the
// identity of the peer's certificate (common/identity.h).
//
//    caller      node              calls                      acting as
//    village V   its township      Sync, SendUrgent           V only
//    village V   its own agent     Submit, Status             -
//    township T  its county        Push                       T only
//    operator    any node          Status, Report, Completeness, Summary,
//                                  WatchAlerts, ReviewAlert (it writes nothing)
//
// Everything else is PERMISSION_DENIED, naming the identity seen and what it
// may do; the caller changes nothing by trying.
//
// Pure functions; thread-safe.
#ifndef SANJI_COMMON_AUTHORIZATION_H_
#define SANJI_COMMON_AUTHORIZATION_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/identity.h"

namespace sanji {

enum class Call {
  kSync,          // TownshipSync.Sync: a village's records
  kSendUrgent,    // TownshipSync.SendUrgent
  kPush,          // CountyHub.Push: a township's cells and alerts
  kSubmit,        // VillageIntake.Submit: import
  kStatus,        // every node's Status
  kReport,        // CountyHub.Report
  kCompleteness,  // CountyHub completeness
  kSummary,       // CountyHub summary
  kWatchAlerts,   // CountyHub.WatchAlerts
  kReviewAlert,   // CountyHub.ReviewAlert
};

// OK when `peer` may make `call` on the node `self`. `acting_as` is the
// organisation the call's messages speak for (the village_id of a sync hello,
// the township_id of a push hello); empty for calls that name none.
absl::Status Authorize(const Identity& peer, const Identity& self, Call call,
                       absl::string_view acting_as = "");

// The peer of one call, as a service sees it, and what it may do there. A
// plaintext endpoint (--insecure, or the agent's loopback intake) identifies
// nobody and allows every call; a TLS endpoint knows its own identity and the
// identity of the peer's certificate, or why that names nobody. Cheap to copy.
class Caller {
 public:
  static Caller Anyone() { return Caller(); }
  Caller(Identity self, absl::StatusOr<Identity> peer)
      : self_(std::move(self)), peer_(std::move(peer)) {}

  // Authorize(peer, self, call, acting_as) on a TLS endpoint; a peer whose
  // certificate names nobody is refused every call (PERMISSION_DENIED).
  absl::Status May(Call call, absl::string_view acting_as = "") const;
  // The peer's identity ("operator/zhang.wei"), or "" on plaintext.
  std::string Name() const;

 private:
  Caller() = default;

  std::optional<Identity> self_;  // nullopt: plaintext, anyone may call
  absl::StatusOr<Identity> peer_ = Identity();
};

}  // namespace sanji

#endif  // SANJI_COMMON_AUTHORIZATION_H_
