#include "county_hub/export_adx.h"

#include "absl/strings/str_cat.h"

namespace sanji {

std::string XmlAttribute(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&apos;");
        break;
      case '\t':
        out.append("&#9;");
        break;
      case '\n':
        out.append("&#10;");
        break;
      case '\r':
        out.append("&#13;");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out.append("\xEF\xBF\xBD");  // U+FFFD
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string RenderAdx(const ExchangePeriod& period,
                      const std::vector<ReportRow>& rows, absl::Time exported) {
  std::string out = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"",
      absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", exported,
                       absl::FixedTimeZone(8 * 3600)),
      "\">\n");
  const std::string period_attr = XmlAttribute(period.adx);
  for (size_t i = 0; i < rows.size();) {
    // The rows of one organisation are adjacent (report order).
    size_t end = i;
    std::string values;
    for (; end < rows.size() && rows[end].org_id == rows[i].org_id &&
           rows[end].level == rows[i].level;
         ++end) {
      if (rows[end].value.empty()) continue;
      absl::StrAppend(&values, "    <dataValue dataElement=\"",
                      XmlAttribute(rows[end].indicator), "\" value=\"",
                      XmlAttribute(rows[end].value), "\"/>\n");
    }
    if (!values.empty()) {
      absl::StrAppend(&out, "  <group orgUnit=\"", XmlAttribute(rows[i].org_id),
                      "\" period=\"", period_attr, "\" dataSet=\"SANJI\">\n",
                      values, "  </group>\n");
    }
    i = end;
  }
  out.append("</adx>\n");
  return out;
}

}  // namespace sanji
