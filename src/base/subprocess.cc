#include "base/subprocess.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace sluice {

namespace {

std::string read_proc_file(pid_t pid, const char* name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Reaps the child if it is ours (the CLI that spawned it may still be its parent).
void reap_if_child(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, WNOHANG);
}

}  // namespace

Result<pid_t> spawn_detached(const SpawnSpec& spec) {
  if (spec.argv.empty()) {
    return Error(Errc::invalid_argument, "spawn: empty argv");
  }
  int log_fd = ::open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return Error(Errc::io, "cannot open log file " + spec.log_file + ": " + std::strerror(errno));
  }
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    ::close(log_fd);
    return Error(Errc::io, std::string("pipe: ") + std::strerror(errno));
  }

  // Everything the child needs is prepared before fork: after fork only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (spec.env.find(key) == spec.env.end()) {
      env_strings.push_back(std::move(entry));
    }
  }
  for (const auto& [k, v] : spec.env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = spec.argv;
  std::vector<char*> argv;
  for (auto& s : argv_copy) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    return Error(Errc::io, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setsid();
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (!spec.working_dir.empty() && ::chdir(spec.working_dir.c_str()) != 0) {
      int err = errno;
      (void)!::write(exec_pipe[1], &err, sizeof(err));
      ::_exit(127);
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    int err = errno;
    (void)!::write(exec_pipe[1], &err, sizeof(err));
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(exec_pipe[1]);
  int child_errno = 0;
  ssize_t n = ::read(exec_pipe[0], &child_errno, sizeof(child_errno));
  ::close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    ::waitpid(pid, nullptr, 0);
    return Error(Errc::io, "cannot start " + spec.argv[0] + ": " + std::strerror(child_errno));
  }
  return pid;
}

bool is_alive(pid_t pid, const std::string& must_contain) {
  if (pid <= 0) return false;
  reap_if_child(pid);
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::string stat = read_proc_file(pid, "stat");
  if (stat.empty()) return false;
  // The state is the field after the ")" that closes the command name.
  auto close = stat.rfind(')');
  if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') return false;
  if (!must_contain.empty()) {
    std::string cmdline = read_proc_file(pid, "cmdline");
    if (cmdline.find(must_contain) == std::string::npos) return false;
  }
  return true;
}

bool stop_process(pid_t pid, std::chrono::milliseconds grace) { return stop_processes({pid}, grace).empty(); }

std::vector<pid_t> stop_processes(const std::vector<pid_t>& pids, std::chrono::milliseconds grace) {
  using clock = std::chrono::steady_clock;
  auto survivors = [&pids] {
    std::vector<pid_t> alive;
    for (pid_t p : pids) {
      if (is_alive(p)) alive.push_back(p);
    }
    return alive;
  };
  auto wait_all_gone = [&](std::chrono::milliseconds limit) {
    auto deadline = clock::now() + limit;
    while (clock::now() < deadline) {
      if (survivors().empty()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  for (pid_t p : survivors()) ::kill(p, SIGTERM);
  wait_all_gone(grace);
  auto left = survivors();
  if (left.empty()) return left;
  for (pid_t p : left) ::kill(p, SIGKILL);
  wait_all_gone(std::chrono::seconds(10));
  return survivors();
}

}  // namespace sluice
