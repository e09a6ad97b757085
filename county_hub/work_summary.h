// WorkSummary: the draft, in Chinese Markdown, of the numbers section of a
// county health bureau's work summary (工作总结) for a period
// (spec/interfaces.md `county_hub summary`).
//
// Every number is a value of ReportEngine::Rows for the same period and
// scope, written as the report's CSV writes it (or, for the notifiable
// diseases by class, an exact sum of those values), so no number can differ
// from the report; the change against the same period a year earlier comes
// from the rows of that period (同比, in tenths of a percent; rates in
// percentage points), left out where that period has no value. The reporting
// section is Completeness's row of the scope, and names the villages expected
// that did not report.
//
// Thread-safe: it only reads through the engines. Owns nothing.
#ifndef SANJI_COUNTY_HUB_WORK_SUMMARY_H_
#define SANJI_COUNTY_HUB_WORK_SUMMARY_H_

#include <string>

#include "absl/status/statusor.h"
#include "county_hub/completeness.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_engine.h"

namespace sanji {

class WorkSummary {
 public:
  WorkSummary(std::string county_id, const ReportEngine* reports,
              const Completeness* completeness, const OrgDirectory* orgs)
      : county_id_(std::move(county_id)),
        reports_(reports),
        completeness_(completeness),
        orgs_(orgs) {}

  // The Markdown draft for `period` and `org` (empty: the county).
  // InvalidArgument, as the report says it, for a bad period or org.
  absl::StatusOr<std::string> Render(const std::string& period,
                                     const std::string& org) const;

 private:
  std::string county_id_;
  const ReportEngine* reports_;
  const Completeness* completeness_;
  const OrgDirectory* orgs_;
};

// The same period a year earlier, as a period string ("2024-H1" for
// "2025-H1"; 29 February becomes the 28th); empty for the year 1 and before.
std::string PeriodAYearEarlier(const Period& period);
// The period as Chinese text: 2025年, 2025年上半年, 2025年第三季度,
// 2025年6月, 2025年6月3日, 2025年1月1日至2025年1月31日.
std::string PeriodInChinese(const Period& period);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_WORK_SUMMARY_H_
