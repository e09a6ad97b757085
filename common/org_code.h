// Organisation codes, the one place their rules live: a county is 6 digits, a
// township 9 (its county's 6 and 3 more), a village 12 (its township's 9 and 3
// more), after the national division codes (统计用区划代码). Every tier checks
// the codes it is given here: who may sync as a village of a township, push for
// a township of a county, or be named in a report.
//
// Pure functions; thread-safe.
#ifndef SANJI_COMMON_ORG_CODE_H_
#define SANJI_COMMON_ORG_CODE_H_

#include <cstddef>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sanji {

enum class OrgLevel { kCounty = 0, kTownship = 1, kVillage = 2 };

// 6, 9 or 12.
size_t CodeLength(OrgLevel level);
// "county", "township" or "village": the words of --level and of messages.
absl::string_view LevelName(OrgLevel level);
std::optional<OrgLevel> ParseLevelName(absl::string_view name);

// The level of `code`, or nullopt when it is not 6, 9 or 12 digits.
std::optional<OrgLevel> LevelOfCode(absl::string_view code);
bool IsCodeAt(absl::string_view code, OrgLevel level);
// True when `code` is an organisation at `level` that lies within `ancestor`
// (a code of a higher level); a village of a township, a township of a county.
bool IsCodeWithin(absl::string_view code, OrgLevel level,
                  absl::string_view ancestor);
// The code at `level` that `code` lies within (a prefix of it); `code` must
// be a code at `level` or below.
absl::string_view AncestorAt(absl::string_view code, OrgLevel level);

// The level of a report's --org within `county`: the county itself when `org`
// is empty or the county; InvalidArgument saying what is allowed when `org` is
// not an organisation of the county.
absl::StatusOr<OrgLevel> ScopeLevel(absl::string_view org,
                                    absl::string_view county);

}  // namespace sanji

#endif  // SANJI_COMMON_ORG_CODE_H_
