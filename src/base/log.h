// Logging: spdlog, configured once per process. Modules log through spdlog directly; this header
// only sets the level and the pattern. Messages never contain secrets (see docs/ARCHITECTURE.md).
#pragma once

#include <string_view>

namespace sluice {

// level: trace, debug, info, warn, error, off. Unknown names mean info.
void init_logging(std::string_view level);

}  // namespace sluice
