// The Chinese table layout that the xlsx and md exports share
// (spec/interfaces.md "Exports"): the column headers 统计期 … 数值, a
// level's Chinese name (县 / 乡镇 / 村), and a report's rows cut into one
// table per level. Stateless functions: thread-safe.
#ifndef SANJI_COUNTY_HUB_EXPORT_TABLE_H_
#define SANJI_COUNTY_HUB_EXPORT_TABLE_H_

#include <array>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "county_hub/report_row.h"

namespace sanji {

// The headers of the CSV columns period, level, org_id, org_name, indicator,
// name_zh and value, in that order.
inline constexpr std::array<absl::string_view, 7> kZhColumnHeaders = {
    "统计期", "级别", "机构代码", "机构名称", "指标代码", "指标名称", "数值"};

// The seven CSV fields of a row, in the order of kZhColumnHeaders.
std::array<const std::string*, 7> RowFields(const ReportRow& row);

// 县, 乡镇 or 村 for county, township or village; the level itself otherwise.
std::string LevelNameZh(absl::string_view level);

// The rows of one level, in report order.
struct LevelTable {
  std::string level;  // county, township or village
  absl::Span<const ReportRow> rows;
};
// Report rows (ordered by level, as ReportEngine::Rows gives them) cut into
// one table per level present. The spans point into `rows`.
std::vector<LevelTable> TablesByLevel(const std::vector<ReportRow>& rows);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_EXPORT_TABLE_H_
