#include "county_hub/export_markdown.h"

#include "absl/strings/str_cat.h"
#include "county_hub/export_table.h"

namespace sanji {

std::string MarkdownCell(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '|' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n' || c == '\r') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RenderMarkdown(const std::vector<ReportRow>& rows) {
  std::string out;
  for (const LevelTable& table : TablesByLevel(rows)) {
    if (!out.empty()) out.push_back('\n');
    absl::StrAppend(&out, "## ", LevelNameZh(table.level), "\n\n|");
    for (absl::string_view header : kZhColumnHeaders) {
      absl::StrAppend(&out, " ", header, " |");
    }
    // The value column is right-aligned, the others left.
    out.append("\n|---|---|---|---|---|---|---:|\n");
    for (const ReportRow& row : table.rows) {
      out.push_back('|');
      for (const std::string* field : RowFields(row)) {
        absl::StrAppend(&out, " ", MarkdownCell(*field), " |");
      }
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace sanji
