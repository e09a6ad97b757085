#include "county_hub/export_table.h"

namespace sanji {

std::array<const std::string*, 7> RowFields(const ReportRow& row) {
  return {&row.period,    &row.level,   &row.org_id, &row.org_name,
          &row.indicator, &row.name_zh, &row.value};
}

std::string LevelNameZh(absl::string_view level) {
  if (level == "county") return "县";
  if (level == "township") return "乡镇";
  if (level == "village") return "村";
  return std::string(level);
}

std::vector<LevelTable> TablesByLevel(const std::vector<ReportRow>& rows) {
  std::vector<LevelTable> tables;
  size_t begin = 0;
  for (size_t i = 1; i <= rows.size(); ++i) {
    if (i == rows.size() || rows[i].level != rows[begin].level) {
      tables.push_back(
          LevelTable{rows[begin].level,
                     absl::MakeConstSpan(rows.data() + begin, i - begin)});
      begin = i;
    }
  }
  return tables;
}

}  // namespace sanji
