#include "village_agent/import_client.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"

namespace sanji {

// One chunk of a file: its rows as sent, the rows the client could not split,
// and the agent's answer.
struct ImportClient::Call {
  std::string file;
  std::vector<MalformedRow> malformed;
  SubmitRequest request;
  SubmitResponse response;
  std::unique_ptr<grpc::ClientContext> context;  // one per attempt
  grpc::Status status;
  absl::Notification done;
};

namespace {

int Rows(const SubmitRequest& request) {
  return std::max(request.rows_size(), request.table().rows_size());
}

int64_t Line(const SubmitRequest& request, int i) {
  return request.rows_size() > 0 ? request.rows(i).line()
                                 : request.table().rows(i).line();
}

void PrintRejected(const std::string& file, int64_t line,
                   const std::string& column, const std::string& reason) {
  std::printf("%s:%lld: %s: %s\n", file.c_str(), static_cast<long long>(line),
              column.empty() ? "(row)" : column.c_str(), reason.c_str());
}

// `rows` as a table whose columns are KnownColumns() (every cell a RawRow can
// hold); the rows' strings are moved into it.
void FillTable(const std::string& file, std::vector<RawRow>* rows,
               RowTable* table) {
  const std::vector<absl::string_view>& columns = KnownColumns();
  // Each column's index, looked up once per field (a scan of every column
  // per field was a loop over ~30 names for each cell of the file).
  static const auto* const kIndex = [] {
    auto* index = new absl::flat_hash_map<absl::string_view, int>();
    for (absl::string_view c : KnownColumns()) {
      index->emplace(c, static_cast<int>(index->size()));
    }
    return index;
  }();
  table->set_source(file);
  for (absl::string_view c : columns) table->add_columns(std::string(c));
  table->mutable_rows()->Reserve(static_cast<int>(rows->size()));
  for (RawRow& row : *rows) {
    TableRow* out = table->add_rows();
    out->set_line(row.line());
    for (auto& [name, value] : *row.mutable_fields()) {
      const auto it = kIndex->find(name);
      if (it == kIndex->end()) continue;  // the reader keeps no other
      const int c = it->second;
      while (out->cells_size() <= c) out->add_cells();
      *out->mutable_cells(c) = std::move(value);
    }
  }
}

// The rows of `table` as RawRows, for an agent from before tables.
void FillRows(const RowTable& table, SubmitRequest* request) {
  for (const TableRow& row : table.rows()) {
    RawRow* out = request->add_rows();
    out->set_source(table.source());
    out->set_line(row.line());
    for (int c = 0; c < row.cells_size(); ++c) {
      if (!row.cells(c).empty()) {
        (*out->mutable_fields())[table.columns(c)] = row.cells(c);
      }
    }
  }
}

}  // namespace

ImportClient::ImportClient(VillageIntake::Stub* stub, FileEncoding encoding)
    : stub_(stub), encoding_(encoding) {}

ImportClient::~ImportClient() { Drain(); }

absl::Status ImportClient::Run(const std::vector<std::string>& files) {
  absl::Status status;
  for (const std::string& file : files) {
    status = ImportFile(file);
    if (!status.ok()) break;
  }
  while (status.ok() && !in_flight_.empty()) status = FinishOldest();
  if (!status.ok()) Drain();
  PrintSummary();
  return status;
}

absl::Status ImportClient::ImportFile(const std::string& file) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(file));
  ASSIGN_OR_RETURN(std::unique_ptr<RecordFileReader> reader,
                   RecordFileReader::Open(file, std::move(source), encoding_));
  std::vector<std::string> unknown;
  RecordFileChunk chunk;
  bool more = true;
  while (more) {
    ASSIGN_OR_RETURN(more, reader->Next(kChunkRows, &chunk));
    unknown.insert(unknown.end(), chunk.unknown_columns.begin(),
                   chunk.unknown_columns.end());
    auto call = std::make_unique<Call>();
    call->file = file;
    call->malformed = std::move(chunk.malformed);
    if (legacy_agent_) {
      for (RawRow& row : chunk.rows) *call->request.add_rows() = std::move(row);
    } else {
      FillTable(file, &chunk.rows, call->request.mutable_table());
    }
    RETURN_IF_ERROR(Send(std::move(call)));
  }
  if (!unknown.empty()) {
    std::fprintf(stderr, "%s: warning: ignoring unknown columns: %s\n",
                 file.c_str(), absl::StrJoin(unknown, ", ").c_str());
  }
  return absl::OkStatus();
}

absl::Status ImportClient::Send(std::unique_ptr<Call> call) {
  if (Rows(call->request) == 0 && call->malformed.empty()) {
    return absl::OkStatus();
  }
  while (in_flight_.size() >= kWindow) RETURN_IF_ERROR(FinishOldest());
  Call* c = call.get();
  if (Rows(c->request) == 0) {
    c->done.Notify();
  } else {
    Start(c);
  }
  in_flight_.push_back(std::move(call));
  return absl::OkStatus();
}

void ImportClient::Start(Call* c) {
  c->context = std::make_unique<grpc::ClientContext>();
  c->context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(2)));
  stub_->async()->Submit(c->context.get(), &c->request, &c->response,
                         [c](grpc::Status status) {
                           c->status = std::move(status);
                           c->done.Notify();
                         });
}

void ImportClient::Resend(Call* c) {
  SubmitRequest rows;
  FillRows(c->request.table(), &rows);
  c->request = std::move(rows);
  c->response.Clear();
  c->context = std::make_unique<grpc::ClientContext>();
  c->context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(2)));
  c->status = stub_->Submit(c->context.get(), c->request, &c->response);
}

absl::Status ImportClient::FinishOldest() {
  std::unique_ptr<Call> call = std::move(in_flight_.front());
  in_flight_.pop_front();
  call->done.WaitForNotification();
  if (call->status.ok() && call->response.outcomes_size() == 0 &&
      call->request.table().rows_size() > 0) {
    // An agent from before tables saw no rows and stored nothing: the same
    // rows again, as RawRows, and so from now on.
    legacy_agent_ = true;
    Resend(call.get());
  }
  const SubmitRequest& request = call->request;
  const int rows = Rows(request);
  const bool answered =
      call->status.ok() && call->response.outcomes_size() == rows;
  // The rows the client could not split and the agent's rejections, by line.
  size_t m = 0;
  const auto malformed_before = [&](int64_t line) {
    for (; m < call->malformed.size() && call->malformed[m].line < line; ++m) {
      PrintRejected(call->file, call->malformed[m].line, "",
                    call->malformed[m].reason);
      ++rejected_;
    }
  };
  for (int i = 0; answered && i < rows; ++i) {
    malformed_before(Line(request, i));
    const RowOutcome& o = call->response.outcomes(i);
    switch (o.result()) {
      case RowOutcome::ACCEPTED:
        ++accepted_;
        break;
      case RowOutcome::DUPLICATE:
        ++duplicate_;
        break;
      default:
        ++rejected_;
        PrintRejected(call->file, Line(request, i), o.column(), o.reason());
    }
  }
  malformed_before(INT64_MAX);
  if (answered) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat(call->file, ": the agent refused rows from line ",
                   Line(request, 0), " on: ", call->status.error_message(),
                   call->status.ok() ? "(wrong number of outcomes)" : "",
                   "; rows before that line are stored"));
}

void ImportClient::Drain() {
  while (!in_flight_.empty()) FinishOldest().IgnoreError();
}

void ImportClient::PrintSummary() const {
  std::printf("accepted=%llu duplicate=%llu rejected=%llu\n",
              static_cast<unsigned long long>(accepted_),
              static_cast<unsigned long long>(duplicate_),
              static_cast<unsigned long long>(rejected_));
  std::fflush(stdout);
}

}  // namespace sanji
