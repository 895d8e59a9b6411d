// Child processes that outlive the command that started them (the local Kafka and Cassandra).
//
// spawn_detached() forks, starts a new session (so a terminal's Ctrl-C does not reach the child),
// sends stdout and stderr to a log file and execs. The caller records the pid (a pid file) and
// later asks is_alive() / stop(). None of this is thread-safe; it is meant for the CLI.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include "base/result.h"

namespace sluice {

struct SpawnSpec {
  std::vector<std::string> argv;           // argv[0] is resolved through PATH
  std::map<std::string, std::string> env;  // added to (and overriding) the current environment
  std::string working_dir;                 // empty: inherit
  std::string log_file;                    // stdout and stderr, appended
};

// Starts the process; returns its pid. Fails if the log file cannot be opened or exec fails
// (exec failure is reported through a pipe, so a bad binary path is an error here, not later).
Result<pid_t> spawn_detached(const SpawnSpec& spec);

// True if a process with this pid exists and is not a zombie. When `must_contain` is not empty,
// the process's command line must contain it too (so a recycled pid is not mistaken for ours).
bool is_alive(pid_t pid, const std::string& must_contain = {});

// Sends SIGTERM, waits up to `grace` for the process to exit, then sends SIGKILL and waits up to
// 10 s more. Returns true if it is gone. A pid that is already gone is success.
bool stop_process(pid_t pid, std::chrono::milliseconds grace);

// The same for several processes at once: SIGTERM to all first, then one shared grace period,
// then SIGKILL to those left. For clusters whose members wait on each other while stopping
// (a KRaft quorum stopped one broker at a time hangs its last member). Returns the pids that
// could not be stopped.
std::vector<pid_t> stop_processes(const std::vector<pid_t>& pids, std::chrono::milliseconds grace);

}  // namespace sluice
