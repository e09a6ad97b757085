#include "common/authorization.h"

#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "common/org_code.h"

namespace sanji {
namespace {

using Kind = Identity::Kind;

// Which node, relative to the caller, a rule is about.
enum class Node {
  kParent,  // the node of the caller's township (a village) or county
  kItself,  // the caller's own node
  kAny,     // any node of the county (the CA is the county's)
};

struct Rule {
  Kind caller;
  Kind node_kind;
  Node node;
  bool acts_as_itself;  // the call's messages must speak for the caller
  std::initializer_list<Call> calls;
};

// spec/interfaces.md "Who may do what".
const Rule kRules[] = {
    {Kind::kVillage,
     Kind::kTownship,
     Node::kParent,
     true,
     {Call::kSync, Call::kSendUrgent}},
    {Kind::kVillage,
     Kind::kVillage,
     Node::kItself,
     false,
     {Call::kSubmit, Call::kStatus}},
    {Kind::kTownship, Kind::kCounty, Node::kParent, true, {Call::kPush}},
    {Kind::kOperator, Kind::kVillage, Node::kAny, false, {Call::kStatus}},
    {Kind::kOperator, Kind::kTownship, Node::kAny, false, {Call::kStatus}},
    {Kind::kOperator,
     Kind::kCounty,
     Node::kAny,
     false,
     {Call::kStatus, Call::kReport, Call::kCompleteness, Call::kSummary,
      Call::kWatchAlerts, Call::kReviewAlert}},
};

// The code of the node a caller's rule with kParent points at.
std::string ParentOf(const Identity& caller) {
  switch (caller.kind) {
    case Kind::kVillage:
      return std::string(AncestorAt(caller.id, OrgLevel::kTownship));
    case Kind::kTownship:
      return std::string(AncestorAt(caller.id, OrgLevel::kCounty));
    default:
      return "";
  }
}

bool Covers(const Rule& rule, const Identity& peer, const Identity& self,
            Call call, absl::string_view acting_as) {
  if (rule.caller != peer.kind || rule.node_kind != self.kind) return false;
  bool listed = false;
  for (Call c : rule.calls) listed = listed || c == call;
  if (!listed) return false;
  switch (rule.node) {
    case Node::kParent:
      if (self.id != ParentOf(peer)) return false;
      break;
    case Node::kItself:
      if (self.id != peer.id) return false;
      break;
    case Node::kAny:
      break;
  }
  return !rule.acts_as_itself || acting_as == peer.id;
}

// What `peer` may do, for the refusal's message.
std::string Allowed(const Identity& peer) {
  switch (peer.kind) {
    case Kind::kVillage:
      return absl::StrCat("a village may sync with its own township (",
                          ParentOf(peer), ") as ", peer.id,
                          ", and import into its own agent");
    case Kind::kTownship:
      return absl::StrCat("a township may push to its own county (",
                          ParentOf(peer), ") as ", peer.id);
    case Kind::kOperator:
      return "an operator may call status, report, completeness, summary, "
             "alerts and review, and writes nothing";
    case Kind::kCounty:
      return "the county hub calls no other node";
  }
  return "";
}

}  // namespace

absl::Status Authorize(const Identity& peer, const Identity& self, Call call,
                       absl::string_view acting_as) {
  for (const Rule& rule : kRules) {
    if (Covers(rule, peer, self, call, acting_as)) return absl::OkStatus();
  }
  std::string as;
  if (!acting_as.empty() && acting_as != peer.id) {
    as = absl::StrCat(" as ", acting_as);
  }
  return absl::PermissionDeniedError(
      absl::StrCat(peer.ToString(), " may not do this on ", self.ToString(), as,
                   ": ", Allowed(peer)));
}

absl::Status Caller::May(Call call, absl::string_view acting_as) const {
  if (!self_.has_value()) return absl::OkStatus();
  if (!peer_.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the client certificate names nobody (",
                     peer_.status().message(), "); ", self_->ToString(),
                     " serves only certificates of the county CA with one "
                     "spiffe://sanji/... URI SAN"));
  }
  return Authorize(*peer_, *self_, call, acting_as);
}

std::string Caller::Name() const {
  if (!self_.has_value() || !peer_.ok()) return "";
  return peer_->ToString();
}

}  // namespace sanji
