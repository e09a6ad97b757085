#include "county_hub/dashboard.h"

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/http_endpoint.h"
#include "common/org_code.h"
#include "common/period.h"
#include "common/web_assets.h"
#include "county_hub/alert_format.h"
#include "county_hub/web_assets.h"
#include "county_hub/web_login.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

// A request the page made wrong, or a failure: the HTTP status and the
// Chinese message the page shows.
struct Problem {
  int status;
  std::string message;
};

// An absl error of the engines as a Problem: InvalidArgument is the page's
// request (400), NotFound an unknown id (404), anything else ours (500). The
// engines explain in English; the page adds the reason in Chinese.
Problem FromStatus(const absl::Status& s) {
  if (absl::IsInvalidArgument(s)) {
    return {400, absl::StrCat("请求无效：", s.message())};
  }
  if (absl::IsNotFound(s)) return {404, absl::StrCat("未找到：", s.message())};
  return {500, absl::StrCat("服务器内部错误，请联系信息科：", s.message())};
}

void Reply(httplib::Response* res, const Problem& p) {
  ReplyError(res, p.status, p.message);
}

// ?period=: a period of spec/indicators.md, required.
absl::StatusOr<Period> PeriodParam(const httplib::Request& req,
                                   std::string* text, Problem* problem) {
  *text = req.get_param_value("period");
  absl::StatusOr<Period> period = ParsePeriod(*text);
  if (!period.ok()) {
    *problem = {400, absl::StrCat("统计期“", *text,
                                  "”无效：请用年（2025）、半年（2025-H1）、"
                                  "季度（2025-Q3）、月（2025-07）或日（2025-"
                                  "07-14）")};
  }
  return period;
}

// ?org=: the county (empty), or a township or village of it.
bool OrgParam(const httplib::Request& req, const std::string& county,
              std::string* org, OrgLevel* level, Problem* problem) {
  *org = req.get_param_value("org");
  absl::StatusOr<OrgLevel> l = ScopeLevel(*org, county);
  if (!l.ok()) {
    *problem = {400, absl::StrCat("机构代码“", *org, "”不是本县（", county,
                                  "）的机构：请用县、乡镇（9位）或村（12位）"
                                  "代码")};
    return false;
  }
  *level = *l;
  if (*org == county) org->clear();
  return true;
}

// ?year=: 2000-9999.
bool YearParam(const httplib::Request& req, int* year, Problem* problem) {
  const std::string text = req.get_param_value("year");
  if (!absl::SimpleAtoi(text, year) || *year < 2000 || *year > 9999) {
    *problem = {400,
                absl::StrCat("年份“", text, "”无效：请用四位年份，如 2025")};
    return false;
  }
  return true;
}

// ?level=: county, township or village (default county).
bool LevelParam(const httplib::Request& req, std::string* level,
                Problem* problem) {
  *level = req.has_param("level") ? req.get_param_value("level") : "county";
  if (!ParseLevelName(*level).has_value()) {
    *problem = {400, absl::StrCat("级别“", *level,
                                  "”无效：请用 county（县）、township（乡镇）"
                                  "或 village（村）")};
    return false;
  }
  return true;
}

std::string MonthKey(int year, int month) {
  return absl::StrFormat("%04d-%02d", year, month);
}

// The trend's series: one per indicator code, in the order first seen.
struct Series {
  std::string indicator;
  std::string name_zh;
  std::vector<nlohmann::json> values;
};

// Adds month `m`'s rows of `org_id` to `series`.
void AddMonth(const std::vector<ReportRow>& rows, const std::string& org_id,
              int m, std::vector<Series>* series,
              std::map<std::string, size_t>* index) {
  for (const ReportRow& r : rows) {
    if (r.org_id != org_id) continue;
    auto [it, added] = index->try_emplace(r.indicator, series->size());
    if (added) {
      // A breakdown code absent from a month was zero then (spec: listed
      // only where non-zero).
      const bool breakdown = r.indicator.find('.') != std::string::npos;
      series->push_back(
          Series{r.indicator, r.name_zh,
                 std::vector<nlohmann::json>(
                     12, breakdown ? nlohmann::json("0") : nlohmann::json())});
    }
    (*series)[it->second].values[m] =
        r.value.empty() ? nlohmann::json() : nlohmann::json(r.value);
  }
}

// What a download is called and how it is typed.
struct DownloadType {
  const char* format;
  const char* suffix;  // of the file name
  const char* content_type;
};
constexpr DownloadType kReportTypes[] = {
    {"csv", ".csv", "text/csv; charset=utf-8"},
    {"json", ".json", "application/json; charset=utf-8"},
    {"md", ".md", "text/markdown; charset=utf-8"},
    {"xlsx", ".xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"dhis2", "-dhis2.json", "application/json; charset=utf-8"},
    {"adx", "-adx.xml", "application/xml; charset=utf-8"},
    {"fhir", "-fhir.json", "application/fhir+json; charset=utf-8"},
};

// A file name part of a period or code: "2025-01-01..2025-01-31" becomes
// "2025-01-01_2025-01-31".
std::string FilePart(std::string s) {
  for (size_t i = s.find(".."); i != std::string::npos; i = s.find("..")) {
    s.replace(i, 2, "_");
  }
  return s;
}

void ReplyAttachment(httplib::Response* res, const std::string& name,
                     const std::string& content, const char* content_type) {
  res->status = 200;
  res->set_header("Cache-Control", "no-store");
  res->set_header("Content-Disposition",
                  absl::StrCat("attachment; filename=\"", name, "\""));
  res->set_content(content, content_type);
}

// One alert stream's progress (see AlertStream).
struct StreamState {
  uint64_t cursor = 0;
  bool caught_up = false;
  absl::Time last_write = absl::InfinitePast();
};

// The alert's SSE event.
std::string SseAlertEvent(const AlertEntry& entry) {
  return absl::StrCat("id: ", entry.change(),
                      "\nevent: alert\ndata: ", AlertJson(entry), "\n\n");
}

}  // namespace

Dashboard::Dashboard(std::string county_id, Sources sources, WebLogin* login)
    : county_id_(std::move(county_id)), src_(sources), login_(login) {}

void Dashboard::Install(httplib::Server* server) {
  auto get = [this, server](const char* path, auto method) {
    server->Get(path, [this, method](const httplib::Request& req,
                                     httplib::Response& res) {
      (this->*method)(req, &res);
    });
  };
  get("/api/orgs", &Dashboard::Orgs);
  get("/api/report", &Dashboard::Report);
  get("/api/trend", &Dashboard::Trend);
  get("/api/completeness", &Dashboard::CompletenessJson);
  get("/api/completeness/heatmap", &Dashboard::Heatmap);
  get("/api/alerts", &Dashboard::Alerts);
  get("/api/alerts/stream", &Dashboard::AlertStream);
  get(R"(/api/download/(report|completeness|summary)\.(\w+))",
      &Dashboard::Download);
  server->Post("/api/alerts/review",
               [this](const httplib::Request& req, httplib::Response& res) {
                 Review(req, &res);
               });
  server->Get(R"(/api/.*)",
              [](const httplib::Request& req, httplib::Response& res) {
                ReplyError(&res, 404, absl::StrCat("没有这个接口：", req.path));
              });
  // ECharts sets styles from script (allowed); nothing inline in the page.
  InstallWebAssets(server, dashboard_web::WebAssets(),
                   "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                   "img-src 'self' data:; frame-ancestors 'none'");
}

void Dashboard::Shutdown() { shutting_down_ = true; }

void Dashboard::Orgs(const httplib::Request& req,
                     httplib::Response* res) const {
  Problem problem;
  std::string period_text;
  if (!PeriodParam(req, &period_text, &problem).ok())
    return Reply(res, problem);
  ReportQuery query;
  query.period = period_text;
  query.level = "village";
  query.indicators = {"outpatient_visits"};
  absl::StatusOr<std::vector<ReportRow>> rows = src_.reports->Rows(query);
  if (!rows.ok()) return Reply(res, FromStatus(rows.status()));
  nlohmann::json county = {{"id", county_id_},
                           {"name", src_.orgs->Name(county_id_)},
                           {"townships", nlohmann::json::array()}};
  nlohmann::json& townships = county["townships"];
  for (const ReportRow& r : *rows) {
    if (r.level == "township") {
      townships.push_back({{"id", r.org_id},
                           {"name", r.org_name},
                           {"villages", nlohmann::json::array()}});
    } else if (r.level == "village") {
      for (nlohmann::json& t : townships) {
        if (r.org_id.compare(0, 9, t["id"].get<std::string>()) != 0) continue;
        t["villages"].push_back({{"id", r.org_id}, {"name", r.org_name}});
      }
    }
  }
  ReplyJson(res, nlohmann::json{{"county", county}}.dump(
                     -1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Dashboard::Report(const httplib::Request& req,
                       httplib::Response* res) const {
  Problem problem;
  ReportQuery query;
  OrgLevel org_level;
  if (!PeriodParam(req, &query.period, &problem).ok() ||
      !OrgParam(req, county_id_, &query.org, &org_level, &problem) ||
      !LevelParam(req, &query.level, &problem)) {
    return Reply(res, problem);
  }
  query.format = "json";
  absl::StatusOr<std::string> json = src_.reports->Render(query);
  if (!json.ok()) return Reply(res, FromStatus(json.status()));
  ReplyJson(res, *json);
}

void Dashboard::Trend(const httplib::Request& req,
                      httplib::Response* res) const {
  Problem problem;
  int year = 0;
  std::string org;
  OrgLevel level;
  if (!YearParam(req, &year, &problem) ||
      !OrgParam(req, county_id_, &org, &level, &problem)) {
    return Reply(res, problem);
  }
  const std::string org_id = org.empty() ? county_id_ : org;
  std::vector<Series> series;
  std::map<std::string, size_t> index;
  nlohmann::json months = nlohmann::json::array();
  for (int m = 0; m < 12; ++m) {
    ReportQuery query;
    query.period = MonthKey(year, m + 1);
    query.org = org;
    query.level = std::string(LevelName(level));
    absl::StatusOr<std::vector<ReportRow>> rows = src_.reports->Rows(query);
    if (!rows.ok()) return Reply(res, FromStatus(rows.status()));
    AddMonth(*rows, org_id, m, &series, &index);
    months.push_back(query.period);
  }
  nlohmann::json out = {{"org_id", org_id},
                        {"year", year},
                        {"months", months},
                        {"indicators", nlohmann::json::array()}};
  for (Series& s : series) {
    out["indicators"].push_back({{"indicator", s.indicator},
                                 {"name_zh", s.name_zh},
                                 {"values", std::move(s.values)}});
  }
  ReplyJson(res, out.dump());
}

void Dashboard::CompletenessJson(const httplib::Request& req,
                                 httplib::Response* res) const {
  Problem problem;
  std::string period, org;
  OrgLevel level;
  if (!PeriodParam(req, &period, &problem).ok() ||
      !OrgParam(req, county_id_, &org, &level, &problem)) {
    return Reply(res, problem);
  }
  absl::StatusOr<std::string> json =
      src_.completeness->Render(period, org, "json");
  if (!json.ok()) return Reply(res, FromStatus(json.status()));
  ReplyJson(res, *json);
}

void Dashboard::Heatmap(const httplib::Request& req,
                        httplib::Response* res) const {
  Problem problem;
  int year = 0;
  std::string org;
  OrgLevel level;
  if (!YearParam(req, &year, &problem) ||
      !OrgParam(req, county_id_, &org, &level, &problem)) {
    return Reply(res, problem);
  }
  // village -> (name, state per month)
  std::map<std::string, std::pair<std::string, std::vector<int>>> villages;
  nlohmann::json months = nlohmann::json::array();
  for (int m = 0; m < 12; ++m) {
    months.push_back(MonthKey(year, m + 1));
    absl::StatusOr<std::vector<CompletenessRow>> rows =
        src_.completeness->Rows(MonthKey(year, m + 1), org);
    if (!rows.ok()) return Reply(res, FromStatus(rows.status()));
    for (const CompletenessRow& r : *rows) {
      if (r.level != "village") continue;
      auto& v = villages[r.org_id];
      v.first = r.org_name;
      v.second.resize(12, 0);
      const Judgement& c = r.counts;
      v.second[m] = c.expected == 0   ? 0
                    : c.reported == 0 ? 1
                    : c.on_time       ? 3
                                      : 2;
    }
  }
  nlohmann::json list = nlohmann::json::array(),
                 cells = nlohmann::json::array();
  for (const auto& [id, v] : villages) {
    const size_t row = list.size();
    list.push_back(
        {{"id", id}, {"name", v.first}, {"township_id", id.substr(0, 9)}});
    for (int m = 0; m < 12; ++m) cells.push_back({row, m, v.second[m]});
  }
  ReplyJson(
      res,
      nlohmann::json{{"months", months}, {"villages", list}, {"cells", cells}}
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Dashboard::Alerts(const httplib::Request&, httplib::Response* res) const {
  uint64_t covered = 0;
  std::vector<AlertEntry> entries = src_.alerts->ChangedAfter(0, 0, &covered);
  SortNewestFirst(&entries);
  std::string out = absl::StrCat("{\"last_change\":", covered, ",\"alerts\":[");
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].set_village_name(
        src_.orgs->Name(entries[i].alert().village_id()));
    if (i > 0) out.push_back(',');
    out.append(AlertJson(entries[i]));
  }
  out.append("]}");
  ReplyJson(res, out);
}

void Dashboard::AlertStream(const httplib::Request& req,
                            httplib::Response* res) {
  if (streams_.fetch_add(1) >= kMaxStreams) {
    streams_.fetch_sub(1);
    return ReplyError(res, 503,
                      absl::StrCat("实时推送的连接已满（最多 ", kMaxStreams,
                                   " 个）：请关闭其他打开本页的窗口后刷新"));
  }
  auto state = std::make_shared<StreamState>();
  std::string after = req.get_header_value("Last-Event-ID");
  if (after.empty()) after = req.get_param_value("after");
  if (!after.empty() && !absl::SimpleAtoi(after, &state->cursor)) {
    state->cursor = 0;
  }
  res->set_header("Cache-Control", "no-store");
  res->set_chunked_content_provider(
      // Exactly this type: cpp-httplib compresses any other text/ type,
      // which would hold events back in the compressor.
      "text/event-stream",
      [this, state](size_t, httplib::DataSink& sink) {
        if (shutting_down_) {
          sink.done();
          return true;
        }
        uint64_t covered = state->cursor;
        std::string out;
        for (AlertEntry& e :
             src_.alerts->ChangedAfter(state->cursor, 0, &covered)) {
          e.set_village_name(src_.orgs->Name(e.alert().village_id()));
          out.append(SseAlertEvent(e));
        }
        state->cursor = covered;
        if (!state->caught_up) {
          state->caught_up = true;
          out.append(absl::StrCat(
              "event: caught_up\ndata: {\"last_change\":", covered, "}\n\n"));
        }
        const absl::Time now = absl::Now();
        if (out.empty() && now - state->last_write >= absl::Seconds(15)) {
          out = ": keep-alive\n\n";  // finds clients that went away
        }
        if (!out.empty()) {
          if (!sink.write(out.data(), out.size())) return false;
          state->last_write = now;
        }
        // Wakes on a change; the timeout bounds how long a stream outlives
        // Shutdown() or its client.
        src_.alerts->WaitForChange(state->cursor, absl::Seconds(1));
        return true;
      },
      [this](bool) { streams_.fetch_sub(1); });
}

void Dashboard::Review(const httplib::Request& req, httplib::Response* res) {
  if (!SameOriginPost(req)) {
    return ReplyError(res, 403, "请求被拒绝：缺少 X-Requested-With 请求头");
  }
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("id") ||
      !body["id"].is_number_unsigned()) {
    return ReplyError(res, 400,
                      "请求无效：需要 JSON {\"id\": 预警编号, \"by\": 审核人}");
  }
  // With a login the reviewer is the session's user, never what the page
  // says (a session that ended after the gate is no reviewer at all).
  std::string by = ActingUser(login_, req);
  if (login_ != nullptr && by.empty()) {
    return ReplyError(res, 401, "请先登录");
  }
  if (login_ == nullptr && body.contains("by") && body["by"].is_string()) {
    by = body["by"].get<std::string>();
  }
  if (by.find_first_not_of(" \t") == std::string::npos) {
    return ReplyError(res, 400, "请填写审核人姓名");
  }
  absl::StatusOr<AlertEntry> entry =
      src_.alerts->Review(body["id"].get<uint64_t>(), by);
  if (!entry.ok()) {
    if (absl::IsNotFound(entry.status())) {
      return ReplyError(res, 404, "没有这条传染病个案：请刷新列表");
    }
    return Reply(res, FromStatus(entry.status()));
  }
  entry->set_village_name(src_.orgs->Name(entry->alert().village_id()));
  ReplyJson(res, AlertJson(*entry));
}

void Dashboard::Download(const httplib::Request& req,
                         httplib::Response* res) const {
  const std::string what = req.matches[1], ext = req.matches[2];
  Problem problem;
  std::string period, org;
  OrgLevel org_level;
  if (!PeriodParam(req, &period, &problem).ok() ||
      !OrgParam(req, county_id_, &org, &org_level, &problem)) {
    return Reply(res, problem);
  }
  const std::string base = absl::StrCat(
      "sanji-", org.empty() ? county_id_ : org, "-", FilePart(period));
  absl::StatusOr<std::string> content;
  if (what == "completeness" && ext == "csv") {
    content = src_.completeness->Render(period, org, "csv");
    if (!content.ok()) return Reply(res, FromStatus(content.status()));
    return ReplyAttachment(res, base + "-completeness.csv", *content,
                           "text/csv; charset=utf-8");
  }
  if (what == "summary" && ext == "md") {
    content = src_.summary->Render(period, org);
    if (!content.ok()) return Reply(res, FromStatus(content.status()));
    return ReplyAttachment(res, base + "-summary.md", *content,
                           "text/markdown; charset=utf-8");
  }
  for (const DownloadType& type : kReportTypes) {
    if (what != "report" || ext != type.format) continue;
    ReportQuery query{period, "", org, {}, type.format};
    if (!LevelParam(req, &query.level, &problem)) return Reply(res, problem);
    content = src_.reports->Render(query);
    if (!content.ok()) return Reply(res, FromStatus(content.status()));
    return ReplyAttachment(res,
                           absl::StrCat(base, "-", query.level, type.suffix),
                           *content, type.content_type);
  }
  ReplyError(res, 404,
             absl::StrCat("没有这种下载：", what, ".", ext,
                          "（报表可下载 csv、json、md、xlsx、dhis2、adx、fhir；"
                          "完整性 csv；工作总结 md）"));
}

}  // namespace sanji
