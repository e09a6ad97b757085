#include "village_agent/record_intake.h"

#include <random>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/alert_rules.h"
#include "common/key_codec.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "common/status_macros.h"
#include "common/stored_record.h"
#include "village_agent/intake_layout.h"

namespace sanji {
namespace {

using intake_layout::SeqKey;

uint64_t DecodeU64(const std::optional<std::string>& value) {
  uint64_t v = 0;
  if (value.has_value()) DecodeFixed64BE(*value, &v);
  return v;
}

RowOutcome Rejected(std::string column, std::string code, std::string reason) {
  RowOutcome o;
  o.set_result(RowOutcome::REJECTED);
  o.set_column(std::move(column));
  o.set_reason_code(std::move(code));
  o.set_reason(std::move(reason));
  return o;
}

RowOutcome WithResult(RowOutcome::Result result) {
  RowOutcome o;
  o.set_result(result);
  return o;
}

}  // namespace

RecordIntake::RecordIntake(std::unique_ptr<Store> store,
                           const IntakeOptions& options)
    : store_(std::move(store)),
      options_(options),
      records_(store_->Family(intake_layout::kRecords)),
      outbox_(store_->Family(intake_layout::kOutbox)),
      urgent_(store_->Family(intake_layout::kUrgent)) {}

absl::StatusOr<std::unique_ptr<RecordIntake>> RecordIntake::Open(
    const std::string& dir, const IntakeOptions& options) {
  StoreOptions store_options = intake_layout::Options(options.village_id);
  store_options.env = options.env;
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                   Store::Open(dir, store_options));
  std::unique_ptr<RecordIntake> intake(
      new RecordIntake(std::move(store), options));
  RETURN_IF_ERROR(intake->Load());
  return intake;
}

absl::Status RecordIntake::Load() {
  rocksdb::ColumnFamilyHandle* meta = store_->Family("default");
  ASSIGN_OR_RETURN(std::optional<std::string> epoch,
                   store_->Get(meta, intake_layout::kEpochKey));
  if (!epoch.has_value()) {
    // A fresh data directory: a new epoch, so that seqs restart without
    // colliding.
    std::random_device rd;
    uint64_t e = 0;
    while (e == 0) e = (uint64_t{rd()} << 32) ^ rd();
    rocksdb::WriteBatch batch;
    batch.Put(meta, intake_layout::kEpochKey, EncodeFixed64BE(e));
    RETURN_IF_ERROR(store_->Write(&batch));
    epoch_ = e;
  } else {
    epoch_ = DecodeU64(epoch);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> last,
                   store_->Get(meta, intake_layout::kLastSeqKey));
  ASSIGN_OR_RETURN(std::optional<std::string> acked,
                   store_->Get(meta, intake_layout::kAckedSeqKey));
  absl::MutexLock lock(&mu_);
  last_seq_ = DecodeU64(last);
  acked_seq_ = DecodeU64(acked);
  pending_bytes_ = 0;
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(outbox_);
  for (it->Seek(SeqKey(acked_seq_ + 1)); it->Valid(); it->Next()) {
    pending_bytes_ += it->value().size();
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scanning outbox"));
  urgent_seqs_.clear();
  std::unique_ptr<rocksdb::Iterator> urgent = store_->NewIterator(urgent_);
  for (urgent->SeekToFirst(); urgent->Valid(); urgent->Next()) {
    absl::string_view key(urgent->key().data(), urgent->key().size());
    uint64_t seq = 0;
    if (intake_layout::DecodeSeqKey(key, &seq) && seq > acked_seq_)
      urgent_seqs_.insert(seq);
  }
  return FromRocks(urgent->status(), "scanning urgent queue");
}

absl::Status RecordIntake::CheckBudget() const {
  if (pending_bytes_ >= options_.max_buffer_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("village buffer is full: ", pending_bytes_ >> 20,
                     " MB of records wait to sync, the "
                     "limit is --max_buffer_mb=",
                     options_.max_buffer_bytes >> 20,
                     "; nothing already accepted is lost: new records are "
                     "taken again once the township "
                     "is reachable and the backlog drains"));
  }
  absl::StatusOr<uint64_t> free_bytes = store_->FreeDiskBytes();
  if (free_bytes.ok() && *free_bytes < options_.min_free_disk_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("disk nearly full: ", *free_bytes >> 20, " MB free under ",
                     store_->dir(), ", below the reserve of ",
                     options_.min_free_disk_bytes >> 20,
                     " MB; free disk space, then import again"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RowOutcome>> RecordIntake::Submit(
    const std::vector<RawRow>& rows) {
  return Judge(rows.size(), [&rows](size_t i, RowCellList* cells) {
    for (const auto& [name, value] : rows[i].fields()) {
      cells->emplace_back(name, value);
    }
  });
}

absl::StatusOr<std::vector<RowOutcome>> RecordIntake::Submit(
    const google::protobuf::RepeatedPtrField<RawRow>& rows) {
  return Judge(rows.size(), [&rows](size_t i, RowCellList* cells) {
    for (const auto& [name, value] : rows[static_cast<int>(i)].fields()) {
      cells->emplace_back(name, value);
    }
  });
}

absl::StatusOr<std::vector<RowOutcome>> RecordIntake::Submit(
    const RowTable& table) {
  absl::flat_hash_set<absl::string_view> names;
  for (const std::string& c : table.columns()) {
    if (!names.insert(c).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("the table names column '", c, "' twice"));
    }
  }
  for (const TableRow& row : table.rows()) {
    if (row.cells_size() > table.columns_size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the table's row of line ", row.line(), " has ", row.cells_size(),
          " cells for ", table.columns_size(), " columns"));
    }
  }
  return Judge(table.rows_size(), [&table](size_t i, RowCellList* cells) {
    const TableRow& row = table.rows(static_cast<int>(i));
    for (int c = 0; c < row.cells_size(); ++c) {
      if (!row.cells(c).empty()) {
        cells->emplace_back(table.columns(c), row.cells(c));
      }
    }
  });
}

absl::StatusOr<std::vector<RowOutcome>> RecordIntake::Judge(
    size_t count, absl::FunctionRef<void(size_t, RowCellList*)> row_cells) {
  // Parse outside any lock: it is the CPU-heavy part, and another Submit's
  // synced write goes on meanwhile.
  absl::CivilSecond now = NowLocal();
  std::vector<RowOutcome> outcomes(count);
  std::vector<std::optional<Record>> parsed(count);
  RowCellList cells;
  for (size_t i = 0; i < count; ++i) {
    cells.clear();
    row_cells(i, &cells);
    std::string column;
    absl::StatusOr<Record> record = ParseCells(cells, now, &column);
    if (record.ok()) {
      parsed[i] = std::move(*record);
    } else {
      outcomes[i] = Rejected(column, ReasonCode(record.status()),
                             std::string(record.status().message()));
    }
  }

  absl::MutexLock submit_lock(&submit_mu_);
  uint64_t first_seq;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckBudget());
    first_seq = last_seq_ + 1;
  }
  PendingSubmit pending;
  pending.next_seq = first_seq;
  RETURN_IF_ERROR(StageAll(parsed, &pending, &outcomes));
  if (pending.next_seq == first_seq) {  // nothing new
    Count(outcomes);
    return outcomes;
  }
  const uint64_t last_seq = pending.next_seq - 1;
  pending.batch.Put(store_->Family("default"), intake_layout::kLastSeqKey,
                    EncodeFixed64BE(last_seq));
  RETURN_IF_ERROR(store_->Write(&pending.batch, /*sync=*/true));
  {
    absl::MutexLock lock(&mu_);
    last_seq_ = last_seq;
    pending_bytes_ += pending.added_bytes;
    urgent_seqs_.insert(pending.urgent.begin(), pending.urgent.end());
  }
  if (on_accepted_) on_accepted_();
  Count(outcomes);
  return outcomes;
}

absl::Status RecordIntake::StageAll(
    const std::vector<std::optional<Record>>& parsed, PendingSubmit* pending,
    std::vector<RowOutcome>* outcomes) {
  // Every record_id's stored value in one MultiGet: the lookups of a
  // duplicate check were the larger part of a Submit's time, one Get each.
  std::vector<absl::string_view> ids;
  ids.reserve(parsed.size());
  for (const std::optional<Record>& r : parsed) {
    if (r.has_value()) ids.push_back(r->record_id());
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> stored,
                   store_->MultiGet(records_, ids));
  pending->states.reserve(ids.size());
  size_t k = 0;
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (!parsed[i].has_value()) continue;
    ASSIGN_OR_RETURN((*outcomes)[i], Stage(*parsed[i], stored[k++], pending));
  }
  return absl::OkStatus();
}

void RecordIntake::Count(const std::vector<RowOutcome>& outcomes) {
  Tally add;
  for (const RowOutcome& o : outcomes) {
    switch (o.result()) {
      case RowOutcome::ACCEPTED:
        ++add.accepted;
        break;
      case RowOutcome::DUPLICATE:
        ++add.duplicate;
        break;
      default:
        ++add.rejected;
        break;
    }
  }
  absl::MutexLock lock(&mu_);
  tally_.accepted += add.accepted;
  tally_.duplicate += add.duplicate;
  tally_.rejected += add.rejected;
}

RecordIntake::Tally RecordIntake::tally() const {
  absl::MutexLock lock(&mu_);
  return tally_;
}

absl::StatusOr<RowOutcome> RecordIntake::Stage(
    const Record& record, const std::optional<std::string>& stored_before,
    PendingSubmit* pending) {
  // A record_id staged earlier in this Submit is judged against that.
  const std::optional<std::string>* stored_value = &stored_before;
  std::optional<std::string> staged;
  if (auto it = pending->states.find(record.record_id());
      it != pending->states.end()) {
    staged = it->second;
    stored_value = &staged;
  }
  const std::optional<std::string>& stored = *stored_value;
  StoredRecordView previous;
  Record previous_record;
  if (stored.has_value() &&
      !ParseStoredRecord(*stored, &previous, &previous_record)) {
    return absl::DataLossError(
        absl::StrCat("stored record ", record.record_id(), " is unreadable"));
  }
  std::string new_state;
  std::string content;  // the record's serialization
  if (record.is_void()) {
    if (!stored.has_value()) {
      return Rejected("record_id", "nothing_to_void",
                      absl::StrCat("record_id '", record.record_id(),
                                   "' was never accepted here, so there "
                                   "is nothing to void"));
    }
    if (previous_record.kind() != record.kind()) {
      return Rejected(
          "kind", "void_kind_mismatch",
          absl::StrCat("record '", record.record_id(), "' is a ",
                       previous_record.kind(), ", not a ", record.kind()));
    }
    if (previous.voided) return WithResult(RowOutcome::DUPLICATE);
    new_state = EncodeStoredRecord(/*voided=*/true, previous.record_bytes);
    content = record.SerializeAsString();
  } else {
    content = record.SerializeAsString();
    if (stored.has_value()) {
      if (previous.record_bytes == content) {
        return WithResult(RowOutcome::DUPLICATE);
      }
      return Rejected(
          "record_id", "record_id_conflict",
          absl::StrCat(
              "record_id '", record.record_id(),
              "' was already accepted with different content; to correct a "
              "record, void it (action=void) and add a new row with a new "
              "record_id"));
    }
    new_state = EncodeStoredRecord(/*voided=*/false, content);
  }
  const uint64_t seq = pending->next_seq++;
  std::string value = intake_layout::OutboxValue(seq, content);
  pending->added_bytes += value.size();
  pending->batch.Put(outbox_, SeqKey(seq), value);
  if (IsUrgentReport(record)) {
    pending->batch.Put(urgent_, SeqKey(seq), value);
    pending->urgent.push_back(seq);
  }
  pending->batch.Put(records_, record.record_id(), new_state);
  pending->states[record.record_id()] = std::move(new_state);
  return WithResult(RowOutcome::ACCEPTED);
}

absl::Status RecordIntake::ReadPending(uint64_t after_seq, size_t max_records,
                                       std::vector<SeqRecord>* out) const {
  return ReadEntries(outbox_, after_seq, max_records, out);
}

absl::Status RecordIntake::ReadEntries(rocksdb::ColumnFamilyHandle* family,
                                       uint64_t after_seq, size_t max_records,
                                       std::vector<SeqRecord>* out) const {
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(family);
  for (it->Seek(SeqKey(after_seq + 1));
       it->Valid() && out->size() < max_records; it->Next()) {
    SeqRecord entry;
    if (!entry.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      return absl::DataLossError("unreadable outbox entry");
    }
    out->push_back(std::move(entry));
  }
  return FromRocks(it->status(), "reading outbox");
}

absl::Status RecordIntake::Acknowledge(uint64_t watermark) {
  uint64_t from;
  {
    absl::MutexLock lock(&mu_);
    if (watermark <= acked_seq_) return absl::OkStatus();
    if (watermark > last_seq_) {
      return absl::DataLossError(absl::StrCat(
          "township acknowledges seq ", watermark,
          " but this agent only accepted ", last_seq_, " in epoch ", epoch_));
    }
    from = acked_seq_ + 1;
  }
  uint64_t freed = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(outbox_);
    std::string end = SeqKey(watermark + 1);
    for (it->Seek(SeqKey(from)); it->Valid() && it->key().compare(end) < 0;
         it->Next()) {
      freed += it->value().size();
    }
  }
  rocksdb::WriteBatch batch;
  batch.DeleteRange(outbox_, SeqKey(from), SeqKey(watermark + 1));
  batch.DeleteRange(urgent_, SeqKey(from), SeqKey(watermark + 1));
  batch.Put(store_->Family("default"), intake_layout::kAckedSeqKey,
            EncodeFixed64BE(watermark));
  // Not synced: if the acknowledgement is lost in a crash, the township sees
  // the resend below its watermark and ignores it.
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
  absl::MutexLock lock(&mu_);
  acked_seq_ = watermark;
  pending_bytes_ = pending_bytes_ > freed ? pending_bytes_ - freed : 0;
  urgent_seqs_.erase(urgent_seqs_.begin(), urgent_seqs_.upper_bound(watermark));
  return absl::OkStatus();
}

absl::Status RecordIntake::ReadUrgent(uint64_t after_seq, size_t max_records,
                                      std::vector<SeqRecord>* out) const {
  {
    absl::MutexLock lock(&mu_);
    if (urgent_seqs_.upper_bound(after_seq) == urgent_seqs_.end()) {
      return absl::OkStatus();  // the common case: no RocksDB read at all
    }
  }
  return ReadEntries(urgent_, after_seq, max_records, out);
}

absl::Status RecordIntake::AcknowledgeUrgent(
    const std::vector<uint64_t>& seqs) {
  rocksdb::WriteBatch batch;
  for (uint64_t seq : seqs) batch.Delete(urgent_, SeqKey(seq));
  // Not synced: a lost delete only means the report is alerted again, which
  // the township recognises by its record_id.
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
  absl::MutexLock lock(&mu_);
  for (uint64_t seq : seqs) urgent_seqs_.erase(seq);
  return absl::OkStatus();
}

void RecordIntake::SetOnAccepted(std::function<void()> on_accepted) {
  on_accepted_ = std::move(on_accepted);
}

uint64_t RecordIntake::urgent_pending() const {
  absl::MutexLock lock(&mu_);
  return urgent_seqs_.size();
}

bool RecordIntake::WaitForRecordsAfter(uint64_t after_seq,
                                       absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto ready = [this, after_seq]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return last_seq_ > after_seq;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
}

uint64_t RecordIntake::last_seq() const {
  absl::MutexLock lock(&mu_);
  return last_seq_;
}

uint64_t RecordIntake::acked_seq() const {
  absl::MutexLock lock(&mu_);
  return acked_seq_;
}

uint64_t RecordIntake::pending_bytes() const {
  absl::MutexLock lock(&mu_);
  return pending_bytes_;
}

}  // namespace sanji
