// SessionReactor: serves one bidirectional stream on gRPC's callback API with
// a session (township_node's VillageSession), as ServeSession (net.h) does on
// the synchronous API, but without a thread per stream. Each message read is
// handed to session->OnMessage on a WorkerPool thread (it may block for
// milliseconds: a synced RocksDB write, and gRPC's few callback threads must
// not), its reply is written back, and only then is the next message read:
// one message per stream is in flight and the replies go out in order, as
// the request/ack protocols want.
//
// The stream is served raw (grpc::ByteBuffer both ways: the service's
// WithRawCallbackMethod_): the pool's thread parses the message and
// serializes the reply, so a big batch's parse does not hold one of gRPC's
// callback threads, and the message object is only ever touched by the
// session's own steps, ordered by mu_ (a typed reactor has gRPC parse it on
// one callback thread and hand it to a reaction on another, through atomics
// of the uninstrumented libgrpc that ThreadSanitizer cannot see).
//
// The call ends as ServeSession's: with OnMessage's error (its code kept:
// the peer's backoff depends on it), INVALID_ARGUMENT for a message that
// does not parse, or OK when the peer has no more messages or a write
// fails. The first message must come within kHelloTimeout, or the call is
// cancelled (the peer sees CANCELLED).
//
// Thread-safety: gRPC runs the reactions one at a time, the pool runs the
// session, and the read -> session -> write cycle never overlaps itself, so
// the buffers, the message and the session have one user at a time; what
// the hello alarm's callback shares with the reactions is guarded by mu_,
// which every step also passes through (Order()).
// Ownership: the reactor owns the session and deletes itself (on the pool)
// once gRPC has called OnDone, the hello alarm's callback has run and no
// pool task holds it. `pool` and `streams` are not owned; LiveStreams::WaitNone
// says when no reactor uses them any more.
#ifndef SANJI_COMMON_SESSION_REACTOR_H_
#define SANJI_COMMON_SESSION_REACTOR_H_

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/live_streams.h"
#include "common/net.h"
#include "common/worker_pool.h"
#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"

namespace sanji {

template <typename Session, typename Message, typename Reply>
class SessionReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // Starts serving the call of `context` at once.
  SessionReactor(grpc::CallbackServerContext* context,
                 std::unique_ptr<Session> session, WorkerPool* pool,
                 LiveStreams* streams)
      : context_(context),
        session_(std::move(session)),
        pool_(pool),
        streams_(streams) {
    streams_->Add();
    hello_alarm_.Set(absl::ToChronoTime(absl::Now() + kHelloTimeout),
                     [this](bool fired) { OnHelloDeadline(fired); });
    this->StartRead(&read_);
  }

  void OnReadDone(bool ok) override {
    bool first = false;
    {
      absl::MutexLock lock(&mu_);  // see Order()
      first = ok && !hello_seen_;
      hello_seen_ = hello_seen_ || ok;
      if (ok) ++refs_;  // the pool's task's, dropped at the end of Handle()
    }
    if (!ok) {  // the peer ended its side, or the call was cancelled
      this->Finish(grpc::Status::OK);
      Order();
      return;
    }
    // Not under mu_: the alarm's callback takes it.
    if (first) hello_alarm_.Cancel();
    pool_->Schedule([this] { Handle(); });
    Order();
  }

  void OnWriteDone(bool ok) override {
    Order();
    if (!ok) {
      this->Finish(grpc::Status::OK);
    } else {
      this->StartRead(&read_);
    }
    Order();
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    // A stream that ended before its hello: the alarm's callback runs now
    // (not fired) instead of at the deadline, so the reactor goes at once.
    hello_alarm_.Cancel();
    // The call's reference is dropped on the pool: the reactor's delete is
    // then never inside gRPC's CallOnDone, whose teardown of the call right
    // after this returns tests/tsan.supp suppresses as gRPC's own, and what
    // the delete does stays checked.
    pool_->Schedule([this] { Unref(); });
  }

 private:
  // Every reaction and the pool's task pass through mu_ first and last.
  // gRPC orders them with atomics of its own (uninstrumented) library, which
  // ThreadSanitizer cannot see; mu_ shows it that each comes after the one
  // before, up to the delete. "Last" matters: Finish, StartRead and
  // StartWrite read the base class's stream_ (an atomic of the grpcpp
  // templates, in the reactor), and the delete that follows the call's end
  // must be seen to come after that read (a TSan report in many_villages:
  // OnReadDone's Finish against OnDone's delete on another thread). A
  // reaction may pass through mu_ after Finish/StartRead/StartWrite: gRPC
  // calls OnDone only once every reaction has returned. The pool's task is
  // no reaction (OnDone may run as soon as it has called Finish or
  // StartWrite), so it holds a reference (taken by OnReadDone) and drops it
  // last, through mu_. gRPC's own objects of the call, in the grpcpp
  // templates compiled into us, are the suppressions' business
  // (tests/tsan.supp).
  void Order() { absl::MutexLock lock(&mu_); }

  // On the pool. The write or the finish is started under mu_: the next
  // reaction (OnWriteDone, on a callback thread) then comes after the reads
  // of write_ that StartWrite makes, and so does the next Handle's reuse of
  // it, even if this thread is descheduled before it returns here.
  void Handle() {
    Order();
    grpc::Status status = Respond();
    {
      absl::MutexLock lock(&mu_);
      if (status.ok()) {
        this->StartWrite(&write_);
      } else {
        this->Finish(status);
      }
    }
    Unref();  // may delete this
  }

  // Parses read_ into message_, has the session answer it and serializes
  // the answer into write_.
  grpc::Status Respond() {
    if (!grpc::SerializationTraits<Message>::Deserialize(&read_, &message_)
             .ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("a message that does not parse as ",
                                       Message::descriptor()->full_name()));
    }
    absl::StatusOr<Reply> reply = session_->OnMessage(message_);
    if (!reply.ok()) return ToGrpc(reply.status());
    write_.Clear();
    bool own_buffer = false;
    return grpc::SerializationTraits<Reply>::Serialize(*reply, &write_,
                                                       &own_buffer);
  }

  void OnHelloDeadline(bool fired) {
    {
      absl::MutexLock lock(&mu_);
      // The context lives until OnDone, which waits for mu_.
      if (fired && !hello_seen_ && !done_) context_->TryCancel();
    }
    Unref();
  }

  // Drops one reference: the call's (OnDone), the alarm's (its callback) or
  // the pool task's (Handle) while one is scheduled or running.
  void Unref() {
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      last = --refs_ == 0;
    }
    if (!last) return;
    LiveStreams* streams = streams_;
    delete this;
    streams->Remove();
  }

  grpc::CallbackServerContext* const context_;
  const std::unique_ptr<Session> session_;
  WorkerPool* const pool_;
  LiveStreams* const streams_;
  grpc::Alarm hello_alarm_;
  grpc::ByteBuffer read_;   // what the read in flight fills
  grpc::ByteBuffer write_;  // what the write in flight sends
  Message message_;         // read_, parsed (kept: its memory is reused)

  absl::Mutex mu_;
  bool hello_seen_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;  // OnDone: context_ is gone
  int refs_ ABSL_GUARDED_BY(mu_) = 2;  // the call's, the alarm's (+1: Handle)
};

}  // namespace sanji

#endif  // SANJI_COMMON_SESSION_REACTOR_H_
