#include "bench/village_load.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"

namespace sanji {

VillageLoad::VillageLoad(std::string village, uint64_t epoch,
                         const std::vector<Record>* records, int batch,
                         int window)
    : village_(std::move(village)),
      epoch_(epoch),
      records_(records),
      batch_(static_cast<size_t>(std::max(1, batch))),
      window_(static_cast<size_t>(std::max(batch, window))) {}

void VillageLoad::Start(TownshipSync::Stub* stub) {
  stub->async()->Sync(&context_, this);
  out_.mutable_hello()->set_village_id(village_);
  out_.mutable_hello()->set_epoch(epoch_);
  out_.mutable_hello()->set_last_seq(records_->size());
  {
    absl::MutexLock lock(&mu_);
    writing_ = true;
  }
  StartWrite(&out_);
  StartRead(&reply_);
  StartCall();
}

grpc::Status VillageLoad::Wait() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&done_));
  return status_;
}

absl::Time VillageLoad::drained_at() const {
  absl::MutexLock lock(&mu_);
  return drained_at_;
}

void VillageLoad::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
  }
  if (ok) MaybeWrite();
}

void VillageLoad::OnReadDone(bool ok) {
  if (!ok) return;  // the call ends; OnDone says how
  bool all_acked = false;
  {
    absl::MutexLock lock(&mu_);
    acked_ = reply_.watermark();
    if (!welcomed_) {
      welcomed_ = true;
      sent_ = acked_;  // resend from the township's watermark
    }
    all_acked = acked_ >= records_->size();
    if (all_acked && drained_at_ == absl::InfinitePast()) {
      drained_at_ = absl::Now();
    }
  }
  if (!all_acked) StartRead(&reply_);
  MaybeWrite();
}

void VillageLoad::MaybeWrite() {
  bool done_writing = false;
  {
    absl::MutexLock lock(&mu_);
    if (writing_ || !welcomed_ || writes_done_) return;
    if (acked_ >= records_->size()) {
      writes_done_ = done_writing = true;
    } else if (sent_ < records_->size() && sent_ - acked_ < window_) {
      out_.Clear();
      RecordBatch* batch = out_.mutable_batch();
      const size_t end = std::min(records_->size(), sent_ + batch_);
      for (size_t i = sent_; i < end; ++i) {
        SeqRecord* s = batch->add_records();
        s->set_seq(i + 1);
        *s->mutable_record() = (*records_)[i];
      }
      sent_ = end;
      writing_ = true;
    } else {
      return;
    }
  }
  if (done_writing) {
    StartWritesDone();
  } else {
    StartWrite(&out_);
  }
}

void VillageLoad::OnDone(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  status_ = status;
  done_ = true;
}

}  // namespace sanji
