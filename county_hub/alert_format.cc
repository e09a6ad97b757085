#include "county_hub/alert_format.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "common/vocabulary.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

// County wall-clock times are shown in China Standard Time (no DST).
std::string FormatUnixMillis(int64_t ms) {
  if (ms == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3S+08:00", absl::FromUnixMillis(ms),
                          absl::FixedTimeZone(8 * 3600));
}

std::string ClassZh(const Alert& alert) {
  if (alert.disease_class() == "A") return "甲类";
  if (alert.disease_class() == "B")
    return alert.urgent() ? "乙类(按甲类管理)" : "乙类";
  if (alert.disease_class() == "C") return "丙类";
  return alert.disease_class();
}

}  // namespace

std::string AlertStatusName(const AlertEntry& entry) {
  if (entry.alert().withdrawn()) return "withdrawn";
  if (!entry.reviewed_by().empty()) return "reviewed";
  return "new";
}

std::string AlertJson(const AlertEntry& entry) {
  const Alert& a = entry.alert();
  const DiseaseInfo* disease = FindDisease(a.disease());
  nlohmann::ordered_json j;
  j["id"] = entry.id();
  j["village_id"] = a.village_id();
  j["village_name"] = entry.village_name();
  j["township_id"] = a.village_id().substr(0, 9);
  j["record_id"] = a.record_id();
  j["disease"] = a.disease();
  j["disease_zh"] = disease ? std::string(disease->name_zh) : "";
  j["class"] = a.disease_class();
  j["urgent"] = a.urgent();
  j["occurred_at"] = FormatLocalSeconds(a.occurred_at());
  j["sex"] = a.sex();
  j["age"] = a.age_years() >= 0 ? nlohmann::ordered_json(a.age_years())
                                : nlohmann::ordered_json(nullptr);
  j["received_at"] = FormatUnixMillis(entry.received_at_unix_ms());
  j["status"] = AlertStatusName(entry);
  j["reviewed_by"] = entry.reviewed_by();
  j["reviewed_at"] = FormatUnixMillis(entry.reviewed_at_unix_ms());
  // A name from --orgs that is not UTF-8 must not end the stream (or the
  // node: the dashboard's alert stream writes outside any handler's try).
  return j.dump(-1, ' ', false,
                nlohmann::ordered_json::error_handler_t::replace);
}

std::string AlertText(const AlertEntry& entry) {
  const Alert& a = entry.alert();
  const DiseaseInfo* disease = FindDisease(a.disease());
  std::string when = FormatLocalSeconds(a.occurred_at());
  if (when.size() >= 16)
    when = absl::StrCat(when.substr(0, 10), " ", when.substr(11, 5));
  std::string status;
  if (a.withdrawn()) {
    status = "已撤回";
  } else if (!entry.reviewed_by().empty()) {
    std::string at =
        FormatUnixMillis(entry.reviewed_at_unix_ms()).substr(0, 16);
    if (at.size() > 10) at[10] = ' ';
    status = absl::StrCat("已审核(", entry.reviewed_by(), " ", at, ")");
  } else {
    status = "待审核";
  }
  std::string place = a.village_id();
  if (!entry.village_name().empty())
    absl::StrAppend(&place, " ", entry.village_name());
  return absl::StrFormat(
      "#%d  %s  %s %s%s  %s  %s %s  %s", entry.id(), when,
      disease ? std::string(disease->name_zh) : a.disease(), ClassZh(a),
      a.urgent() ? " 紧急" : "", place,
      a.sex() == "M" ? "男" : (a.sex() == "F" ? "女" : a.sex()),
      a.age_years() >= 0 ? absl::StrCat(a.age_years(), "岁") : "年龄不详",
      status);
}

void SortNewestFirst(std::vector<AlertEntry>* entries) {
  std::sort(entries->begin(), entries->end(),
            [](const AlertEntry& x, const AlertEntry& y) {
              if (x.alert().occurred_at() != y.alert().occurred_at())
                return x.alert().occurred_at() > y.alert().occurred_at();
              return x.id() > y.id();
            });
}

}  // namespace sanji
