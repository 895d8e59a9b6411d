// The standard process metrics, read from /proc/self at each call (Linux). Internal to
// metrics/: Registry::with_process_metrics() registers them. Each returns nothing when the value
// cannot be read (another OS, a /proc without the file), and the sample is then left out.
#pragma once

#include <optional>

namespace sluice::metrics::process {

std::optional<double> cpu_seconds();            // utime + stime
std::optional<double> resident_memory_bytes();  // rss pages * page size
std::optional<double> virtual_memory_bytes();   // vsize
std::optional<double> open_fds();               // entries of /proc/self/fd
std::optional<double> max_fds();                // RLIMIT_NOFILE soft limit
std::optional<double> start_time_seconds();     // since the epoch: boot time + starttime ticks

}  // namespace sluice::metrics::process
