// ClinicPage: the village doctor's own page on the clinic PC
// (`village_agent serve --http=127.0.0.1:PORT`, issue 12 part 3), in zh-CN:
// enter one record with a form per kind, upload the month's file, and see in
// words whether the records have reached the township.
//
// It is a front door to the same intake as `village_agent import`, not a
// second one: a record or a file becomes the RawRows the import client builds
// (village_agent/record_file.h: a posted record is read as one JSON Lines
// line, a file by its name's extension and encoding), they go through
// RecordIntake::Submit, so the same parsing, validation and duplicate rules
// apply and a record is reported accepted only once it is durable; the status
// is the Status RPC's (FillAgentStatus), so the page and `village_agent status`
// show the same numbers. Refusals come with their English reason (what import
// prints) and a zh-CN sentence (common/record_parse.h ReasonZh).
//
// HTTP API (JSON bodies, UTF-8; every answer has Cache-Control: no-store):
//
//   GET  /, /app.js, /style.css   the page (web/, embedded in the binary)
//   GET  /api/vocabulary          200 {"kinds": [{"code", "name_zh",
//                                 "person"}], "diseases": [{"code", "name_zh",
//                                 "class", "urgent"}], "referral_targets":
//                                 [{"code", "name_zh"}], "columns":
//                                 [{"column", "name_zh"}]}
//   GET  /api/status              200 {"status": AgentStatus as `status
//                                 --format=json` prints it, "state": "synced"
//                                 | "pending" | "unreachable", "summary_zh",
//                                 "last_sync_zh"}
//   POST /api/records             body: one record, a JSON object of the
//                                 columns of spec/records.md; 200 outcome
//                                 (accepted or duplicate), 400 outcome
//                                 (rejected), 503 {"error", "message"}
//                                 (intake full)
//   POST /api/files?name=F[&encoding=E]
//                                 body: a CSV or JSON Lines file as is, or
//                                 multipart/form-data field "file" (its
//                                 filename is F); 200 file_result, 400
//                                 {"error", "message"} (unreadable file), 503
//                                 (intake full; the rows before
//                                 `stopped_at_line` are stored)
//
//   outcome     := {"result": "accepted" | "duplicate" | "rejected",
//                   "record_id": S, "message_zh": S, "errors": [error]}
//   file_result := {"file": F, "encoding": "utf-8" | "gb18030",
//                   "accepted": N, "duplicate": N, "rejected": N,
//                   "unknown_columns": [S], "errors": [error]}
//   error       := {"line": N (files only), "field": COLUMN or "" (the row),
//                   "field_zh": S, "code": REASON_CODE or "",
//                   "message_zh": S, "message": ENGLISH_REASON}
//   E           := auto (default) | utf-8 | gb18030 (as import's --encoding)
//
// Who may call: the endpoint is loopback only (common/program.h
// HttpAudience::kLoopbackOnly), and every request is refused with 403 unless
// its Host header is a loopback name or address (localhost, 127.x.x.x, ::1;
// with any port), so a web page of another site cannot reach the agent through
// a DNS name re-bound to 127.0.0.1, and unless an Origin header, when present,
// is one too. Every POST must carry "X-Requested-With: sanji" (403 otherwise):
// a form or a simple request of another site cannot add that header, and
// cross-origin requests that do are preflighted, which this server never
// grants, so a page elsewhere cannot post records through the doctor's browser.
//
// Thread-safety: Install() before the server starts; the handlers are then
// called from the server's threads and share only the thread-safe intake and
// uploader, which it does not own and which must outlive the server.
#ifndef SANJI_VILLAGE_AGENT_CLINIC_PAGE_H_
#define SANJI_VILLAGE_AGENT_CLINIC_PAGE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "httplib.h"
#include "proto/village_sync.pb.h"
#include "village_agent/record_intake.h"
#include "village_agent/uploader.h"

namespace sanji {

class ClinicPage {
 public:
  ClinicPage(RecordIntake* intake, const Uploader* uploader)
      : intake_(intake), uploader_(uploader) {}

  // Adds the routes above and the request checks (as the server's pre-routing
  // handler) to `server`.
  void Install(httplib::Server* server);

 private:
  void PostRecord(const httplib::Request& request, httplib::Response* response);
  void PostFile(const httplib::Request& request, httplib::Response* response);
  void GetStatus(httplib::Response* response) const;

  RecordIntake* intake_;
  const Uploader* uploader_;
};

// The status in words for the page: 已同步 / 待同步 N 条, 最近一次同步
// YYYY-MM-DD HH:MM (Asia/Shanghai), 无法连接乡镇卫生院 (why).
std::string StatusSummaryZh(const AgentStatus& status);

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_CLINIC_PAGE_H_
