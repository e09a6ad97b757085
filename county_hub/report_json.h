// The report as JSON (ReportEngine::Render's "json" format): an array of
// objects with the CSV's keys, one per line, value a string or null when
// empty. Written by hand rather than through a nlohmann::json tree per row,
// which cost more than reading the numbers; the bytes are those nlohmann's
// dump() gives (no spaces, UTF-8 kept, bad UTF-8 replaced), and any string
// that is not plain valid UTF-8 without control characters is escaped by
// nlohmann itself, so that the two cannot differ.
//
// Pure functions; thread-safe.
#ifndef SANJI_COUNTY_HUB_REPORT_JSON_H_
#define SANJI_COUNTY_HUB_REPORT_JSON_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "county_hub/report_row.h"

namespace sanji {

// `text` as a JSON string, quotes included, appended to *out: what
// nlohmann::json(text).dump(-1, ' ', false, error_handler_t::replace) gives.
void AppendJsonString(absl::string_view text, std::string* out);

std::string RenderReportJson(const std::vector<ReportRow>& rows);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_REPORT_JSON_H_
