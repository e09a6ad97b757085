#include "common/store_format.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/org_code.h"

namespace sanji {
namespace {

absl::Status OtherMark(absl::string_view dir, absl::string_view mark,
                       const StoreFormat& format) {
  std::pair<absl::string_view, absl::string_view> have =
      absl::StrSplit(mark, absl::MaxSplits(' ', 1));
  if (have.first != format.name) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", dir, " holds the data of a ", have.first,
        ", not of a ", format.name, "; choose another --data_dir"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "data directory ", dir, " holds ", format.name,
      " data in format version ", have.second, "; this program reads version ",
      format.version,
      " only: run the version that wrote it, or choose another --data_dir"));
}

}  // namespace

std::string FormatMark(const StoreFormat& format) {
  return absl::StrCat(format.name, " ", format.version);
}

absl::Status JudgeStore(absl::string_view dir, const StoreFacts& facts,
                        const StoreOptions& options) {
  if (facts.mark.has_value() && *facts.mark != FormatMark(options.format)) {
    return OtherMark(dir, *facts.mark, options.format);
  }
  if (!facts.mark.has_value() && facts.existed &&
      !facts.legacy_owner.has_value() && !facts.empty) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", dir, " holds data that is not a ",
        options.format.name,
        "'s (it has no Sanji format mark); choose another --data_dir"));
  }
  const std::optional<std::string>& bound =
      facts.owner.has_value() ? facts.owner : facts.legacy_owner;
  if (options.owner.empty() || !bound.has_value() || *bound == options.owner) {
    return absl::OkStatus();
  }
  std::optional<OrgLevel> level = LevelOfCode(options.owner);
  absl::string_view what = level.has_value() ? LevelName(*level) : "owner";
  return absl::FailedPreconditionError(absl::StrCat(
      "data directory ", dir, " belongs to ", what, " ", *bound, ", not ",
      options.owner, "; use that --", what, "_id or another --data_dir"));
}

}  // namespace sanji
