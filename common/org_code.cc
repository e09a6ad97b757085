#include "common/org_code.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sanji {

size_t CodeLength(OrgLevel level) {
  switch (level) {
    case OrgLevel::kCounty:
      return 6;
    case OrgLevel::kTownship:
      return 9;
    case OrgLevel::kVillage:
      return 12;
  }
  return 0;
}

absl::string_view LevelName(OrgLevel level) {
  switch (level) {
    case OrgLevel::kCounty:
      return "county";
    case OrgLevel::kTownship:
      return "township";
    case OrgLevel::kVillage:
      return "village";
  }
  return "";
}

std::optional<OrgLevel> ParseLevelName(absl::string_view name) {
  for (OrgLevel level :
       {OrgLevel::kCounty, OrgLevel::kTownship, OrgLevel::kVillage}) {
    if (name == LevelName(level)) return level;
  }
  return std::nullopt;
}

std::optional<OrgLevel> LevelOfCode(absl::string_view code) {
  for (char c : code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  for (OrgLevel level :
       {OrgLevel::kCounty, OrgLevel::kTownship, OrgLevel::kVillage}) {
    if (code.size() == CodeLength(level)) return level;
  }
  return std::nullopt;
}

bool IsCodeAt(absl::string_view code, OrgLevel level) {
  return LevelOfCode(code) == level;
}

bool IsCodeWithin(absl::string_view code, OrgLevel level,
                  absl::string_view ancestor) {
  std::optional<OrgLevel> above = LevelOfCode(ancestor);
  return IsCodeAt(code, level) && above.has_value() && *above < level &&
         absl::StartsWith(code, ancestor);
}

absl::string_view AncestorAt(absl::string_view code, OrgLevel level) {
  return code.substr(0, CodeLength(level));
}

absl::StatusOr<OrgLevel> ScopeLevel(absl::string_view org,
                                    absl::string_view county) {
  if (org.empty() || org == county) return OrgLevel::kCounty;
  std::optional<OrgLevel> level = LevelOfCode(org);
  if (!level.has_value() || !absl::StartsWith(org, county)) {
    return absl::InvalidArgumentError(
        absl::StrCat("org '", org, "' is not an organisation of county ",
                     county, ": use the county (", county,
                     "), one of its townships (9 digits starting with ", county,
                     ") or villages (12 digits)"));
  }
  return *level;
}

}  // namespace sanji
