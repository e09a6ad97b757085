// Dashboard: the county's web page (county_hub serve --http) and the JSON API
// under /api/ that it reads. Every number comes from the same calls the gRPC
// handlers make (hub_service.cc): ReportEngine::Rows/Render, Completeness::
// Rows/Render, WorkSummary::Render, CountyAlertBook::ChangedAfter/
// WaitForChange/Review, so no number on the page can differ from
// `county_hub report`. The page itself (county_hub/web/: index.html, app.js,
// style.css, and ECharts) is built into the binary (web_assets.h).
//
// API (GET unless marked; P is a period of spec/indicators.md, e.g. 2025,
// 2025-H1, 2025-Q3, 2025-07; ORG a county, township or village code, default
// the county; Y a year):
//
//   /api/orgs?period=P                 {"county":{"id","name","townships":[
//                                        {"id","name","villages":[{"id",
//                                        "name"}]}]}}: every organisation the
//                                        report of P at village level lists
//   /api/report?period=P&org=ORG&level=county|township|village
//                                      exactly `county_hub report
//                                        --format=json` (ReportEngine::Render)
//   /api/trend?year=Y&org=ORG          {"org_id","year","months":["Y-01"..],
//                                        "indicators":[{"indicator","name_zh",
//                                        "values":[12 x string|null]}]}: the
//                                        ORG's own rows of 12 monthly reports
//   /api/completeness?period=P&org=ORG `county_hub completeness --format=json`
//   /api/completeness/heatmap?year=Y&org=ORG
//                                      {"months":[12],"villages":[{"id",
//                                        "name","township_id"}],"cells":[[v,m,
//                                        s]]}: s 0 not expected, 1 not
//                                        reported, 2 late, 3 on time
//   /api/alerts                        {"last_change":N,"alerts":[AlertJson,
//                                        newest case first]} (alert_format.h)
//   /api/alerts/stream?after=N         text/event-stream: each change after N
//                                        (or Last-Event-ID) as an event "alert"
//                                        with id = its change and data =
//                                        AlertJson, then "caught_up", then each
//                                        new change; a comment every 15 s. At
//                                        most kMaxStreams at once, else 503
//   POST /api/alerts/review            body {"id":N,"by":NAME}: marks alert N
//                                        reviewed, answers its AlertJson. The
//                                        reviewer is the logged-in user when
//                                        there is a login, else NAME (needed).
//                                        Needs X-Requested-With: sanji (403)
//   /api/download/report.FMT?period=P&org=ORG&level=L
//                                      FMT csv|json|md|xlsx|dhis2|adx|fhir:
//                                        ReportEngine::Render as an attachment
//   /api/download/completeness.csv?period=P&org=ORG
//   /api/download/summary.md?period=P&org=ORG
//                                      WorkSummary::Render
//   /api/session                       {"user":""} when there is no login
//                                        (InstallLogin answers it otherwise)
//   /, /app.js, /style.css, /echarts.min.js: the page (gzipped when taken;
//                                        ETag, 304 when unchanged)
//
// Errors: {"error": a message in Chinese for the page}: 400 for a bad
// period, org, level, year or body (a request the engine calls invalid), 403
// for a POST without the header, 404 for an unknown alert or path, 503 when
// the streams are all taken, 500 otherwise.
//
// Thread-safety: thread-safe after Install(); handlers run on the HTTP
// endpoint's pool. Owns nothing: the engines, the book, the directory and the
// login outlive it (and the server it is installed on).
#ifndef SANJI_COUNTY_HUB_DASHBOARD_H_
#define SANJI_COUNTY_HUB_DASHBOARD_H_

#include <atomic>
#include <string>

#include "county_hub/alert_book.h"
#include "county_hub/completeness.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_engine.h"
#include "county_hub/work_summary.h"
#include "httplib.h"

namespace sanji {

class WebLogin;  // county_hub/web_login.h

class Dashboard {
 public:
  // Open alert streams at once (each holds a thread of the endpoint's pool).
  static constexpr int kMaxStreams = 8;

  struct Sources {
    const ReportEngine* reports = nullptr;
    const Completeness* completeness = nullptr;
    const WorkSummary* summary = nullptr;
    CountyAlertBook* alerts = nullptr;
    const OrgDirectory* orgs = nullptr;
  };
  // `login` is null on loopback (no login: reviewers type their name).
  Dashboard(std::string county_id, Sources sources, WebLogin* login);

  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // Adds the routes of the table above to `server` (before it starts).
  void Install(httplib::Server* server);
  // Ends every alert stream within a second (call before stopping the
  // server); later streams end at once.
  void Shutdown();

 private:
  void Orgs(const httplib::Request& req, httplib::Response* res) const;
  void Report(const httplib::Request& req, httplib::Response* res) const;
  void Trend(const httplib::Request& req, httplib::Response* res) const;
  void CompletenessJson(const httplib::Request& req,
                        httplib::Response* res) const;
  void Heatmap(const httplib::Request& req, httplib::Response* res) const;
  void Alerts(const httplib::Request& req, httplib::Response* res) const;
  void AlertStream(const httplib::Request& req, httplib::Response* res);
  void Review(const httplib::Request& req, httplib::Response* res);
  void Download(const httplib::Request& req, httplib::Response* res) const;

  const std::string county_id_;
  const Sources src_;
  WebLogin* const login_;
  std::atomic<int> streams_{0};
  std::atomic<bool> shutting_down_{false};
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_DASHBOARD_H_
