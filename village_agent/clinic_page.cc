#include "village_agent/clinic_page.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/http_endpoint.h"
#include "common/net.h"
#include "common/record_parse.h"
#include "common/status_text.h"
#include "common/vocabulary.h"
#include "common/web_assets.h"
#include "nlohmann/json.hpp"
#include "village_agent/intake_service.h"
#include "village_agent/record_file.h"
#include "village_agent/web_assets.h"

namespace sanji {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kRequestedWith[] = "sanji";
// Rows per Submit, as `village_agent import` sends them.
constexpr size_t kChunk = 1000;

void Reply(httplib::Response* response, const Json& body, int status) {
  ReplyJson(response, body.dump(-1, ' ', false, Json::error_handler_t::replace),
            status);
}

// {"error": zh, "message": english}: a refusal of the request as a whole.
void ReplyRefusal(httplib::Response* response, int status, absl::string_view zh,
                  absl::string_view english) {
  Reply(response, Json{{"error", zh}, {"message", english}}, status);
}

// One refused row (or record) for the page.
Json RowError(int64_t line, absl::string_view column, absl::string_view code,
              absl::string_view reason) {
  Json error;
  if (line > 0) error["line"] = line;
  error["field"] = column;
  error["field_zh"] = column.empty() ? "整行" : ColumnNameZh(column);
  error["code"] = code;
  error["message_zh"] = ReasonZh(code, column, reason);
  error["message"] = reason;
  return error;
}

// The host part of a Host header value or an Origin ("http://HOST[:PORT]").
absl::string_view OriginHost(absl::string_view origin) {
  if (!absl::ConsumePrefix(&origin, "http://")) {
    absl::ConsumePrefix(&origin, "https://");
  }
  return origin;
}

// Refuses what must not reach the agent (see the header); Handled when it
// has answered.
httplib::Server::HandlerResponse CheckRequest(const httplib::Request& request,
                                              httplib::Response* response) {
  const std::string host = request.get_header_value("Host");
  if (!IsLoopbackHost(host)) {
    ReplyRefusal(response, 403, "只能在本机 (127.0.0.1) 打开卫生室页面",
                 absl::StrCat("Host '", host,
                              "' is not a loopback name or address; open the "
                              "page as http://127.0.0.1:PORT/"));
    return httplib::Server::HandlerResponse::Handled;
  }
  if (request.has_header("Origin") &&
      !IsLoopbackHost(OriginHost(request.get_header_value("Origin")))) {
    ReplyRefusal(response, 403, "拒绝来自其他网站的请求",
                 absl::StrCat("Origin '", request.get_header_value("Origin"),
                              "' is not this machine"));
    return httplib::Server::HandlerResponse::Handled;
  }
  if (request.method != "GET" && request.method != "HEAD" &&
      request.get_header_value("X-Requested-With") != kRequestedWith) {
    ReplyRefusal(response, 403, "拒绝来自其他网站的请求",
                 "a POST must carry the header X-Requested-With: sanji (only "
                 "the clinic page sends it)");
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

Json Vocabulary() {
  Json kinds = Json::array(), diseases = Json::array(), targets = Json::array(),
       columns = Json::array();
  for (const KindInfo& k : Kinds()) {
    kinds.push_back(
        {{"code", k.code}, {"name_zh", k.name_zh}, {"person", k.person}});
  }
  for (const DiseaseInfo& d : Diseases()) {
    diseases.push_back({{"code", d.code},
                        {"name_zh", d.name_zh},
                        {"class", std::string(1, d.disease_class)},
                        {"urgent", d.urgent}});
  }
  for (const ReferralTargetInfo& t : ReferralTargets()) {
    targets.push_back({{"code", t.code}, {"name_zh", t.name_zh}});
  }
  for (absl::string_view c : KnownColumns()) {
    columns.push_back({{"column", c}, {"name_zh", ColumnNameZh(c)}});
  }
  return Json{{"kinds", kinds},
              {"diseases", diseases},
              {"referral_targets", targets},
              {"columns", columns}};
}

// Why the township cannot be reached, in words.
std::string LinkReasonZh(const AgentStatus& status) {
  const std::string& e = status.last_error();
  if (status.link_state() == "refused") {
    return "对方不是本乡镇卫生院的服务器 (证书不符)";
  }
  if (absl::StrContains(e, "disk is full") ||
      absl::StrContains(e, "RESOURCE_EXHAUSTED")) {
    return "乡镇卫生院暂时不收记录 (存储已满)";
  }
  if (absl::StrContains(e, "PERMISSION_DENIED") ||
      absl::StrContains(e, "UNAUTHENTICATED")) {
    return "乡镇卫生院拒绝了本卫生室的证书";
  }
  if (absl::StrContains(e, "DEADLINE_EXCEEDED")) return "连接超时";
  return "乡镇卫生院的服务器没有应答, 请检查网络";
}

// The page's status: the Status RPC's message and its summary in words.
Json StatusJson(const AgentStatus& status) {
  Json body;
  body["status"] = Json::parse(FormatStatusJson(status), nullptr, false);
  const bool unreachable = status.link_state() == "refused" ||
                           status.link_state() == "down" ||
                           !status.last_error().empty();
  body["state"] = unreachable                    ? "unreachable"
                  : status.pending_records() > 0 ? "pending"
                                                 : "synced";
  body["summary_zh"] = StatusSummaryZh(status);
  if (unreachable) body["link_reason_zh"] = LinkReasonZh(status);
  return body;
}

// The outcome of one posted record.
void ReplyOutcome(const RowOutcome& outcome, const std::string& record_id,
                  httplib::Response* response) {
  Json body;
  body["record_id"] = record_id;
  body["errors"] = Json::array();
  int status = 200;
  switch (outcome.result()) {
    case RowOutcome::ACCEPTED:
      body["result"] = "accepted";
      body["message_zh"] = "已保存 (已写入本机磁盘), 将自动同步到乡镇卫生院";
      break;
    case RowOutcome::DUPLICATE:
      body["result"] = "duplicate";
      body["message_zh"] = "这条记录已经录入过, 内容相同, 没有重复保存";
      break;
    default:
      status = 400;
      body["result"] = "rejected";
      body["message_zh"] = "记录有误, 没有保存";
      body["errors"].push_back(RowError(
          0, outcome.column(), outcome.reason_code(), outcome.reason()));
  }
  Reply(response, body, status);
}

// A refusal of Submit as a whole (budget spent, disk full, storage error).
void ReplyIntakeRefusal(const absl::Status& status,
                        httplib::Response* response) {
  const bool full = absl::IsResourceExhausted(status);
  ReplyRefusal(
      response, full ? 503 : 500,
      full ? "暂时无法保存: 待同步的记录太多或磁盘已满, 请联系乡镇卫生院"
           : "保存失败, 请稍后再试或联系乡镇卫生院",
      status.message());
}

// The uploaded file's bytes and name: the body as is (name from ?name=), or
// the multipart field "file" (copied to *part). False (and answered) when
// there is none.
bool UploadedFile(const httplib::Request& request, httplib::Response* response,
                  std::string* name, std::string* part,
                  const std::string** bytes) {
  *name = request.get_param_value("name");
  *bytes = &request.body;
  if (request.is_multipart_form_data()) {
    if (!request.has_file("file")) {
      ReplyRefusal(response, 400, "没有收到文件",
                   "the multipart form has no field \"file\"");
      return false;
    }
    httplib::MultipartFormData file = request.get_file_value("file");
    if (name->empty()) *name = file.filename;
    *part = std::move(file.content);
    *bytes = part;
  }
  // Only the base name: it is shown, and its extension picks the format.
  const size_t slash = name->find_last_of("/\\");
  if (slash != std::string::npos) name->erase(0, slash + 1);
  if (name->empty()) *name = "upload.csv";
  return true;
}

// Adds the rows' outcomes to `result`'s counts and errors, in chunks as
// import sends them; stops at the first refusal of a chunk as a whole (the
// rows before it are stored), saying where in `result`.
absl::Status SubmitRows(RecordIntake* intake, const std::vector<RawRow>& rows,
                        Json* result) {
  int64_t accepted = 0, duplicate = 0, rejected = 0;
  absl::Status status;
  for (size_t start = 0; start < rows.size() && status.ok(); start += kChunk) {
    const std::vector<RawRow> chunk(
        rows.begin() + start,
        rows.begin() + std::min(rows.size(), start + kChunk));
    absl::StatusOr<std::vector<RowOutcome>> outcomes = intake->Submit(chunk);
    if (!outcomes.ok()) {
      status = outcomes.status();
      (*result)["stopped_at_line"] = chunk.front().line();
      break;
    }
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const RowOutcome& o = (*outcomes)[i];
      if (o.result() == RowOutcome::ACCEPTED) {
        ++accepted;
      } else if (o.result() == RowOutcome::DUPLICATE) {
        ++duplicate;
      } else {
        ++rejected;
        (*result)["errors"].push_back(
            RowError(chunk[i].line(), o.column(), o.reason_code(), o.reason()));
      }
    }
  }
  (*result)["accepted"] = accepted;
  (*result)["duplicate"] = duplicate;
  (*result)["rejected"] = (*result)["rejected"].get<int64_t>() + rejected;
  return status;
}

}  // namespace

std::string StatusSummaryZh(const AgentStatus& status) {
  std::vector<std::string> parts;
  if (status.link_state() == "refused" || status.link_state() == "down" ||
      !status.last_error().empty()) {
    parts.push_back(
        absl::StrCat("无法连接乡镇卫生院 (", LinkReasonZh(status), ")"));
  }
  if (status.pending_records() == 0) {
    parts.emplace_back(status.last_sync_unix_ms() > 0 ? "已同步"
                                                      : "没有待同步的记录");
  } else {
    parts.push_back(absl::StrCat("待同步 ", status.pending_records(), " 条"));
  }
  if (status.last_sync_unix_ms() > 0) {
    parts.push_back(absl::StrCat(
        "最近一次同步 ",
        absl::FormatTime("%Y-%m-%d %H:%M",
                         absl::FromUnixMillis(status.last_sync_unix_ms()),
                         absl::FixedTimeZone(8 * 3600))));
  } else {
    parts.emplace_back("尚未与乡镇卫生院同步过");
  }
  std::string out;
  for (const std::string& p : parts) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", p);
  }
  return out;
}

void ClinicPage::Install(httplib::Server* server) {
  server->set_pre_routing_handler(
      [](const httplib::Request& request, httplib::Response& response) {
        return CheckRequest(request, &response);
      });
  InstallWebAssets(server, clinic_web::WebAssets(),
                   "default-src 'self'; frame-ancestors 'none'");
  server->Get("/api/vocabulary",
              [](const httplib::Request&, httplib::Response& response) {
                Reply(&response, Vocabulary(), 200);
              });
  server->Get("/api/status",
              [this](const httplib::Request&, httplib::Response& response) {
                GetStatus(&response);
              });
  server->Post("/api/records", [this](const httplib::Request& request,
                                      httplib::Response& response) {
    PostRecord(request, &response);
  });
  server->Post("/api/files", [this](const httplib::Request& request,
                                    httplib::Response& response) {
    PostFile(request, &response);
  });
}

void ClinicPage::GetStatus(httplib::Response* response) const {
  AgentStatus status;
  FillAgentStatus(*intake_, *uploader_, &status);
  Reply(response, StatusJson(status), 200);
}

void ClinicPage::PostRecord(const httplib::Request& request,
                            httplib::Response* response) {
  const Json object = Json::parse(request.body, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    ReplyRefusal(response, 400, "提交的内容不是一条记录",
                 "the body must be one JSON object of the columns of "
                 "spec/records.md");
    return;
  }
  // The record as one line of a JSON Lines file: the RawRow import builds.
  const std::string line =
      object.dump(-1, ' ', false, Json::error_handler_t::replace);
  absl::StatusOr<RecordFileContents> contents =
      ParseRecordFile("clinic-page.jsonl", line, FileEncoding::kUtf8);
  if (!contents.ok() || contents->rows.size() != 1) {
    const std::string why =
        !contents.ok()                ? std::string(contents.status().message())
        : contents->malformed.empty() ? "the record is empty"
                                      : contents->malformed[0].reason;
    Json body{{"result", "rejected"},
              {"record_id", ""},
              {"message_zh", "记录有误, 没有保存"},
              {"errors", Json::array({RowError(0, "", "", why)})}};
    Reply(response, body, 400);
    return;
  }
  const RawRow& row = contents->rows[0];
  absl::StatusOr<std::vector<RowOutcome>> outcomes = intake_->Submit({row});
  if (!outcomes.ok()) {
    ReplyIntakeRefusal(outcomes.status(), response);
    return;
  }
  auto id = row.fields().find("record_id");
  ReplyOutcome(outcomes->at(0),
               id == row.fields().end() ? std::string() : id->second, response);
}

void ClinicPage::PostFile(const httplib::Request& request,
                          httplib::Response* response) {
  std::string name, part;
  const std::string* bytes = nullptr;
  if (!UploadedFile(request, response, &name, &part, &bytes)) return;
  const std::string encoding_name = request.has_param("encoding")
                                        ? request.get_param_value("encoding")
                                        : "auto";
  absl::StatusOr<FileEncoding> encoding = ParseFileEncoding(encoding_name);
  if (!encoding.ok()) {
    ReplyRefusal(response, 400, "不支持的文件编码 (可选 auto、utf-8、gb18030)",
                 encoding.status().message());
    return;
  }
  absl::StatusOr<RecordFileContents> contents =
      ParseRecordFile(name, *bytes, *encoding);
  if (!contents.ok()) {
    ReplyRefusal(response, 400,
                 "文件无法读取: 请确认是带表头的 CSV (UTF-8 或 GB18030) 或 "
                 "JSON Lines 文件",
                 contents.status().message());
    return;
  }
  Json result{
      {"file", name},
      {"encoding",
       contents->detected == FileEncoding::kGb18030 ? "gb18030" : "utf-8"},
      {"accepted", 0},
      {"duplicate", 0},
      {"rejected", contents->malformed.size()},
      {"unknown_columns", contents->unknown_columns},
      {"errors", Json::array()}};
  for (const MalformedRow& bad : contents->malformed) {
    result["errors"].push_back(RowError(bad.line, "", "", bad.reason));
  }
  absl::Status submitted = SubmitRows(intake_, contents->rows, &result);
  if (!submitted.ok()) {
    result["error"] =
        "暂时无法保存: 待同步的记录太多或磁盘已满; 此行之前的记录已保存";
    result["message"] = submitted.message();
    Reply(response, result, absl::IsResourceExhausted(submitted) ? 503 : 500);
    return;
  }
  Reply(response, result, 200);
}

}  // namespace sanji
