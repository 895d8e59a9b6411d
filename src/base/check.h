// SLUICE_CHECK: an always-on invariant check. It guards the program's own logic, never input:
// no user data, configuration or peer bytes may be able to fire it. On failure it prints where
// and why, then aborts.
#pragma once

namespace sluice::detail {
[[noreturn]] void check_failed(const char* expr, const char* message, const char* file, int line);
}

#define SLUICE_CHECK(cond, message)                                          \
  do {                                                                      \
    if (!(cond)) [[unlikely]] {                                             \
      ::sluice::detail::check_failed(#cond, (message), __FILE__, __LINE__); \
    }                                                                       \
  } while (false)
