// RETURN_IF_ERROR / ASSIGN_OR_RETURN: Abseil 20220623 (Debian 12) ships no
// status_macros.h.
#ifndef SANJI_COMMON_STATUS_MACROS_H_
#define SANJI_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SANJI_CONCAT_INNER_(a, b) a##b
#define SANJI_CONCAT_(a, b) SANJI_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status sanji_status_ = (expr);         \
    if (!sanji_status_.ok()) return sanji_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(SANJI_CONCAT_(sanji_statusor_, __LINE__), lhs, expr)

// `lhs` may be a declaration, so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // SANJI_COMMON_STATUS_MACROS_H_
