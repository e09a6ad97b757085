// The `md` export (spec/interfaces.md "Exports"): a report as Markdown for
// pasting into a document, one table per level present under a Chinese
// heading (## 县, ## 乡镇, ## 村), with the Chinese column headers of
// export_table.h and the cells as in the CSV. Stateless: thread-safe.
#ifndef SANJI_COUNTY_HUB_EXPORT_MARKDOWN_H_
#define SANJI_COUNTY_HUB_EXPORT_MARKDOWN_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "county_hub/report_row.h"

namespace sanji {

// The document; "" for no rows.
std::string RenderMarkdown(const std::vector<ReportRow>& rows);

// A cell's text made safe inside a table row: `|` and `\` escaped with a
// backslash, line breaks as spaces.
std::string MarkdownCell(absl::string_view text);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_EXPORT_MARKDOWN_H_
