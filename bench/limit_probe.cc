// What this machine allows for Sanji's shape of work, measured in the run that
// uses it (issue 13: every benchmark prints its figure as a ratio to a limit
// of the same run, since a shared 2-core machine wanders):
//
//   rocksdb_synced_batches  records/s written as WriteBatches of --batch
//                           records, each batch one synced write, into a
//                           fresh RocksDB: the durable floor of import.
//   grpc_bidi_synced        records/s through one gRPC bidi stream on
//                           loopback (TownshipSync.Sync's own messages: a
//                           hello, then RecordBatches of --batch records),
//                           each batch written as one synced WriteBatch by
//                           the server before it acks, with --window records
//                           in flight as the uploader keeps: the durable
//                           floor of a sync hop.
//
// Records are the protocol's Record messages with the fields an outpatient
// visit carries (~70 bytes serialized). Output: one line per limit,
//   limit NAME records_per_s=N seconds=S records=R
// for bench/run.sh to read.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "proto/village_sync.grpc.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

ABSL_FLAG(int64_t, records, 200000, "Records per probe.");
ABSL_FLAG(int, batch, 1000, "Records per synced WriteBatch.");
ABSL_FLAG(int, window, 4000, "Records in flight on the bidi stream.");
ABSL_FLAG(std::string, dir, "",
          "Directory for the probes' stores (default: a new one in /tmp, "
          "removed at the end).");

namespace sanji {
namespace {

Record SampleRecord(int64_t i) {
  Record r;
  r.set_record_id(absl::StrCat("r", i));
  r.set_kind("outpatient_visit");
  r.set_occurred_at(1767225600 + i * 37 % 31536000);
  r.set_patient_id(absl::StrCat("P", 100000 + i % 2000));
  r.set_sex(i % 2 ? "M" : "F");
  r.set_birth_date(static_cast<int32_t>(i % 30000));
  r.set_cost_fen(1250 + i % 977);
  r.set_icd10("J06.9");
  return r;
}

std::string SeqKey(uint64_t seq) {
  std::string key(8, '\0');
  for (int b = 7; b >= 0; --b, seq >>= 8) key[b] = static_cast<char>(seq);
  return key;
}

std::unique_ptr<rocksdb::DB> OpenDb(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "limit_probe: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  return std::unique_ptr<rocksdb::DB>(db);
}

void WriteSynced(rocksdb::DB* db, rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::Status s = db->Write(sync, batch);
  if (!s.ok()) {
    std::fprintf(stderr, "limit_probe: %s\n", s.ToString().c_str());
    std::exit(1);
  }
}

void Report(const char* name, int64_t records, absl::Duration took) {
  const double seconds = absl::ToDoubleSeconds(took);
  std::printf("limit %s records_per_s=%.0f seconds=%.3f records=%lld\n", name,
              records / seconds, seconds, static_cast<long long>(records));
  std::fflush(stdout);
}

void ProbeRocksDb(const std::string& dir, int64_t n, int batch_size) {
  std::unique_ptr<rocksdb::DB> db = OpenDb(dir + "/rocksdb");
  const absl::Time start = absl::Now();
  for (int64_t i = 0; i < n;) {
    rocksdb::WriteBatch batch;
    for (int j = 0; j < batch_size && i < n; ++j, ++i) {
      batch.Put(SeqKey(i + 1), SampleRecord(i).SerializeAsString());
    }
    WriteSynced(db.get(), &batch);
  }
  Report("rocksdb_synced_batches", n, absl::Now() - start);
}

// The receiving end of the bidi probe: each batch one synced write, then its
// watermark.
class SyncedSink final : public TownshipSync::Service {
 public:
  explicit SyncedSink(rocksdb::DB* db) : db_(db) {}
  grpc::Status Sync(grpc::ServerContext*,
                    grpc::ServerReaderWriter<TownshipMessage, VillageMessage>*
                        stream) override {
    VillageMessage in;
    TownshipMessage out;
    if (!stream->Read(&in) || !in.has_hello()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no hello");
    }
    stream->Write(out);
    while (stream->Read(&in)) {
      rocksdb::WriteBatch batch;
      uint64_t last = 0;
      for (const SeqRecord& r : in.batch().records()) {
        batch.Put(SeqKey(r.seq()), r.record().SerializeAsString());
        last = r.seq();
      }
      WriteSynced(db_, &batch);
      out.set_watermark(last);
      if (!stream->Write(out)) break;
    }
    return grpc::Status::OK;
  }

 private:
  rocksdb::DB* const db_;
};

void ProbeGrpc(const std::string& dir, int64_t n, int batch_size, int window) {
  std::unique_ptr<rocksdb::DB> db = OpenDb(dir + "/grpc");
  SyncedSink sink(db.get());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.RegisterService(&sink);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto stub = TownshipSync::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  // The batches are built before the clock starts: the probe times the
  // link and the disk, not our record generator.
  std::vector<VillageMessage> batches;
  for (int64_t i = 0; i < n;) {
    VillageMessage m;
    for (int j = 0; j < batch_size && i < n; ++j, ++i) {
      SeqRecord* r = m.mutable_batch()->add_records();
      r->set_seq(static_cast<uint64_t>(i + 1));
      *r->mutable_record() = SampleRecord(i);
    }
    batches.push_back(std::move(m));
  }
  grpc::ClientContext context;
  auto stream = stub->Sync(&context);
  const absl::Time start = absl::Now();
  VillageMessage hello;
  hello.mutable_hello()->set_village_id("640522100201");
  hello.mutable_hello()->set_epoch(1);
  TownshipMessage ack;
  if (!stream->Write(hello) || !stream->Read(&ack)) std::exit(1);
  int64_t sent = 0, acked = 0;
  size_t next = 0;
  while (acked < n) {
    while (next < batches.size() && sent - acked < window) {
      sent += batches[next].batch().records_size();
      if (!stream->Write(batches[next++])) std::exit(1);
    }
    if (!stream->Read(&ack)) std::exit(1);
    acked = static_cast<int64_t>(ack.watermark());
  }
  Report("grpc_bidi_synced", n, absl::Now() - start);
  stream->WritesDone();
  stream->Finish().IgnoreError();
  server->Shutdown();
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string dir = absl::GetFlag(FLAGS_dir);
  const bool scratch = dir.empty();
  if (scratch) {
    char pattern[] = "/tmp/sanji-limit.XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  }
  const int64_t n = absl::GetFlag(FLAGS_records);
  const int batch = absl::GetFlag(FLAGS_batch);
  sanji::ProbeRocksDb(dir, n, batch);
  sanji::ProbeGrpc(dir, n, batch, absl::GetFlag(FLAGS_window));
  std::error_code ignored;
  if (scratch) std::filesystem::remove_all(dir, ignored);
  return 0;
}
