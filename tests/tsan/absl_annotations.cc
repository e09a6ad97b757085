// sanji_tsan_absl: ThreadSanitizer annotations for Debian's (uninstrumented)
// Abseil.
//
// Built only with -DSANJI_TSAN=ON (see the SANJI_TSAN block of the root
// CMakeLists.txt), as a shared library that every executable loads before
// libabsl_synchronization. It interposes the exported entry points of
// absl::Mutex, absl::CondVar and absl::Notification, calls the real ones (dlsym
// RTLD_NEXT) and tells TSan about them with the __tsan_mutex_* annotations
// Abseil itself makes when it is built with -fsanitize=thread, so that TSan
// sees the happens-before edges of every lock in our code and in gRPC.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

#define SANJI_TSAN_STR2(x) #x
#define SANJI_TSAN_STR(x) SANJI_TSAN_STR2(x)

namespace {

// The real absl function "_ZN[K]4absl<ns>" + `rest` (K: a const member
// function): the next definition after this library.
template <typename F>
F Real(const char* rest, bool const_member = false) {
  std::string ns = SANJI_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  std::string name = std::string(const_member ? "_ZNK4absl" : "_ZN4absl") +
                     std::to_string(ns.size()) + ns + rest;
  void* f = dlsym(RTLD_NEXT, name.c_str());
  if (f == nullptr) {
    std::fprintf(stderr, "sanji_tsan_absl: %s not found\n", name.c_str());
    std::abort();
  }
  return reinterpret_cast<F>(f);
}

// The wrappers only work if the dynamic linker finds them before
// libabsl_synchronization's definitions (the executable must list this library
// first): check that at load time.
__attribute__((constructor)) void CheckInterposed() {
  std::string ns = SANJI_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  std::string name =
      "_ZN4absl" + std::to_string(ns.size()) + ns + "5Mutex4LockEv";
  Dl_info info;
  void* f = dlsym(RTLD_DEFAULT, name.c_str());
  if (f == nullptr || dladdr(f, &info) == 0 || info.dli_fname == nullptr ||
      std::strstr(info.dli_fname, "sanji_tsan_absl") == nullptr) {
    std::fprintf(
        stderr,
        "sanji_tsan_absl: absl::Mutex::Lock resolves to %s, not to this "
        "library\n",
        f != nullptr && info.dli_fname != nullptr ? info.dli_fname : "nothing");
    std::abort();
  }
}

// Real absl calls call each other through these wrappers too (AwaitWithTimeout
// calls AwaitWithDeadline): only the outermost call is annotated.
thread_local int t_in_real = 0;
struct InReal {
  InReal() { ++t_in_real; }
  ~InReal() { --t_in_real; }
};

// absl::Mutex is one word; kMuWriter (0x8) is set while it is held exclusively.
__attribute__((no_sanitize_thread, noinline)) unsigned HeldAs(const void* mu) {
  intptr_t word = *static_cast<const volatile intptr_t*>(mu);
  return (word & 0x8) != 0 ? 0u : unsigned{__tsan_mutex_read_lock};
}

// Calls the real function inside InReal; its result, or false for a void one.
template <typename R, typename F, typename... Args>
std::conditional_t<std::is_void_v<R>, bool, R> CallReal(F real, Args... args) {
  InReal in;
  if constexpr (std::is_void_v<R>) {
    real(args...);
    return false;
  } else {
    return real(args...);
  }
}

// A lock: TryLock (`try_lock`) reports whether it succeeded, the LockWhen*
// forms hold the mutex on return whatever they return.
template <typename R, typename F, typename... Args>
R LockAnnotated(void* mu, unsigned flags, bool try_lock, F real, Args... args) {
  if (t_in_real > 0) return real(args...);
  __tsan_mutex_pre_lock(mu, flags);
  auto r = CallReal<R>(real, args...);
  unsigned failed = 0;
  if constexpr (!std::is_void_v<R>) {
    if (try_lock && !r) failed = __tsan_mutex_try_lock_failed;
  }
  __tsan_mutex_post_lock(mu, flags | failed, 0);
  if constexpr (!std::is_void_v<R>) return r;
}

template <typename F, typename... Args>
void UnlockAnnotated(void* mu, unsigned flags, F real, Args... args) {
  if (t_in_real > 0) return real(args...);
  __tsan_mutex_pre_unlock(mu, flags);
  CallReal<void>(real, args...);
  __tsan_mutex_post_unlock(mu, flags);
}

// Await* and CondVar::Wait*: the mutex is released while waiting and held again
// on return. Accesses inside the real call (condition callbacks) are ignored,
// as they are between __tsan_mutex_pre_unlock and __tsan_mutex_post_unlock.
template <typename R, typename F, typename... Args>
R WaitAnnotated(const void* mu, F real, Args... args) {
  if (t_in_real > 0) return real(args...);
  void* m = const_cast<void*>(mu);
  unsigned flags = HeldAs(mu);
  __tsan_mutex_pre_unlock(m, flags);
  auto r = CallReal<R>(real, args...);
  __tsan_mutex_post_unlock(m, flags);
  __tsan_mutex_pre_lock(m, flags);
  __tsan_mutex_post_lock(m, flags, 0);
  if constexpr (!std::is_void_v<R>) return r;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

static_assert(sizeof(Mutex) == sizeof(intptr_t), "absl::Mutex layout changed");
static_assert(sizeof(Notification) == 2 * sizeof(Mutex),
              "absl::Notification layout changed");

#define SANJI_REAL(type, ...) static const auto real = Real<type>(__VA_ARGS__)
constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;

Mutex::~Mutex() {
  SANJI_REAL(void (*)(Mutex*), "5MutexD1Ev");
  if (t_in_real == 0) __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

void Mutex::Lock() {
  SANJI_REAL(void (*)(Mutex*), "5Mutex4LockEv");
  LockAnnotated<void>(this, 0, false, real, this);
}

void Mutex::ReaderLock() {
  SANJI_REAL(void (*)(Mutex*), "5Mutex10ReaderLockEv");
  LockAnnotated<void>(this, kRead, false, real, this);
}

bool Mutex::TryLock() {
  SANJI_REAL(bool (*)(Mutex*), "5Mutex7TryLockEv");
  return LockAnnotated<bool>(this, kTry, true, real, this);
}

bool Mutex::ReaderTryLock() {
  SANJI_REAL(bool (*)(Mutex*), "5Mutex13ReaderTryLockEv");
  return LockAnnotated<bool>(this, kRead | kTry, true, real, this);
}

void Mutex::Unlock() {
  SANJI_REAL(void (*)(Mutex*), "5Mutex6UnlockEv");
  UnlockAnnotated(this, 0, real, this);
}

void Mutex::ReaderUnlock() {
  SANJI_REAL(void (*)(Mutex*), "5Mutex12ReaderUnlockEv");
  UnlockAnnotated(this, kRead, real, this);
}

void Mutex::LockWhen(const Condition& cond) {
  SANJI_REAL(void (*)(Mutex*, const Condition&),
             "5Mutex8LockWhenERKNS0_9ConditionE");
  LockAnnotated<void>(this, 0, false, real, this, std::cref(cond));
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  SANJI_REAL(void (*)(Mutex*, const Condition&),
             "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  LockAnnotated<void>(this, kRead, false, real, this, std::cref(cond));
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  SANJI_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return LockAnnotated<bool>(this, 0, false, real, this, std::cref(cond),
                             timeout);
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  SANJI_REAL(bool (*)(Mutex*, const Condition&, Time),
             "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return LockAnnotated<bool>(this, 0, false, real, this, std::cref(cond),
                             deadline);
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  SANJI_REAL(
      bool (*)(Mutex*, const Condition&, Duration),
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return LockAnnotated<bool>(this, kRead, false, real, this, std::cref(cond),
                             timeout);
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  SANJI_REAL(bool (*)(Mutex*, const Condition&, Time),
             "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return LockAnnotated<bool>(this, kRead, false, real, this, std::cref(cond),
                             deadline);
}

void Mutex::Await(const Condition& cond) {
  SANJI_REAL(void (*)(Mutex*, const Condition&),
             "5Mutex5AwaitERKNS0_9ConditionE");
  WaitAnnotated<void>(this, real, this, std::cref(cond));
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  SANJI_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return WaitAnnotated<bool>(this, real, this, std::cref(cond), timeout);
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  SANJI_REAL(bool (*)(Mutex*, const Condition&, Time),
             "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return WaitAnnotated<bool>(this, real, this, std::cref(cond), deadline);
}

void CondVar::Wait(Mutex* mu) {
  SANJI_REAL(void (*)(CondVar*, Mutex*), "7CondVar4WaitEPNS0_5MutexE");
  WaitAnnotated<void>(mu, real, this, mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  SANJI_REAL(bool (*)(CondVar*, Mutex*, Duration),
             "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return WaitAnnotated<bool>(mu, real, this, mu, timeout);
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  SANJI_REAL(bool (*)(CondVar*, Mutex*, Time),
             "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return WaitAnnotated<bool>(mu, real, this, mu, deadline);
}

// Notification: Notify() releases, a wait that saw the notification acquires.
// The inline HasBeenNotified() acquire-loads notified_yet_ (right after
// mutex_), so release there too.
void Notification::Notify() {
  SANJI_REAL(void (*)(Notification*), "12Notification6NotifyEv");
  __tsan_release(this);
  __tsan_release(reinterpret_cast<char*>(this) + sizeof(Mutex));
  real(this);
}

void Notification::WaitForNotification() const {
  SANJI_REAL(void (*)(const Notification*),
             "12Notification19WaitForNotificationEv", true);
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  SANJI_REAL(bool (*)(const Notification*, Duration),
             "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE",
             true);
  bool r = real(this, timeout);
  if (r) __tsan_acquire(const_cast<Notification*>(this));
  return r;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  SANJI_REAL(bool (*)(const Notification*, Time),
             "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE",
             true);
  bool r = real(this, deadline);
  if (r) __tsan_acquire(const_cast<Notification*>(this));
  return r;
}

ABSL_NAMESPACE_END
}  // namespace absl
