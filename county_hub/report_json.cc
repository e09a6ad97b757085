#include "county_hub/report_json.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "nlohmann/json.hpp"

namespace sanji {
namespace {

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) at the start of `s`, whose first byte
// is >= 0x80; 0 when there is none.
size_t Utf8SequenceLength(absl::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto tail = [&](size_t i) {
    return i < s.size() && (byte(i) & 0xC0) == 0x80;
  };
  const uint8_t b0 = byte(0);
  if (b0 >= 0xC2 && b0 <= 0xDF) return tail(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!tail(1) || !tail(2)) return 0;
    if (b0 == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (b0 == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!tail(1) || !tail(2) || !tail(3)) return 0;
    if (b0 == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// True when JSON writes `text` as it is: valid UTF-8 with no byte that
// nlohmann escapes (control characters, '"', '\\') nor DEL.
bool IsVerbatim(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == '"' || c == '\\' || c == 0x7F) return false;
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(text.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

void AppendJsonString(absl::string_view text, std::string* out) {
  if (IsVerbatim(text)) {
    out->push_back('"');
    out->append(text.data(), text.size());
    out->push_back('"');
    return;
  }
  out->append(
      nlohmann::json(std::string(text))
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string RenderReportJson(const std::vector<ReportRow>& rows) {
  if (rows.empty()) return "[]\n";
  std::string out = "[\n";
  out.reserve(rows.size() * 160);
  bool first = true;
  for (const ReportRow& r : rows) {
    if (!first) out.append(",\n");
    first = false;
    // The CSV's columns, in its order.
    const std::pair<const char*, const std::string*> fields[] = {
        {"  {\"period\":", &r.period},     {",\"level\":", &r.level},
        {",\"org_id\":", &r.org_id},       {",\"org_name\":", &r.org_name},
        {",\"indicator\":", &r.indicator}, {",\"name_zh\":", &r.name_zh}};
    for (const auto& [name, value] : fields) {
      out.append(name);
      AppendJsonString(*value, &out);
    }
    out.append(",\"value\":");
    if (r.value.empty()) {
      out.append("null");
    } else {
      AppendJsonString(r.value, &out);
    }
    out.push_back('}');
  }
  out.append("\n]\n");
  return out;
}

}  // namespace sanji
