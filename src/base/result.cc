#include "base/result.h"

#include <cstdio>
#include <cstdlib>

namespace sluice {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::io: return "i/o error";
    case Errc::timeout: return "timeout";
    case Errc::protocol: return "protocol error";
    case Errc::server: return "server error";
    case Errc::unavailable: return "unavailable";
    case Errc::not_found: return "not found";
    case Errc::closed: return "closed";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out(errc_name(code_));
  out += ": ";
  out += message_;
  return out;
}

namespace detail {
void check_failed(const char* expr, const char* message, const char* file, int line) {
  std::fprintf(stderr, "sluice: invariant broken at %s:%d: %s (%s)\n", file, line, message, expr);
  std::fflush(stderr);
  std::abort();
}
}  // namespace detail

}  // namespace sluice
