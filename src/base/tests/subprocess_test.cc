// Why: the local stack starts and stops real servers by pid; a stop that leaves a process behind,
// or a bad binary reported as success, would make every later test lie.
#include "base/subprocess.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <thread>

namespace sluice {
namespace {

std::filesystem::path temp_log(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("sluice-subprocess-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

TEST(Subprocess, StartsWritesLogAndStopsWithSigterm) {
  auto log = temp_log("sleep.log");
  auto pid = spawn_detached({.argv = {"sh", "-c", "echo hello-$MARK; exec sleep 60"},
                             .env = {{"MARK", "xyz"}},
                             .working_dir = {},
                             .log_file = log.string()});
  ASSERT_TRUE(pid.ok()) << pid.error().to_string();
  auto read_log = [&] {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  for (int i = 0; i < 100 && read_log().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(is_alive(*pid));
  EXPECT_TRUE(is_alive(*pid, "sleep"));
  EXPECT_FALSE(is_alive(*pid, "no-such-marker"));
  EXPECT_TRUE(stop_process(*pid, std::chrono::seconds(5)));
  EXPECT_FALSE(is_alive(*pid));
  EXPECT_EQ(read_log(), "hello-xyz\n");
}

TEST(Subprocess, EscalatesToSigkillWhenSigtermIgnored) {
  auto log = temp_log("stubborn.log");
  auto pid = spawn_detached({.argv = {"sh", "-c", "trap '' TERM; while true; do sleep 0.05; done"},
                             .env = {},
                             .working_dir = {},
                             .log_file = log.string()});
  ASSERT_TRUE(pid.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the trap be installed
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(stop_process(*pid, std::chrono::milliseconds(300)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_FALSE(is_alive(*pid));
}

TEST(Subprocess, MissingBinaryIsAnError) {
  auto log = temp_log("missing.log");
  auto pid = spawn_detached({.argv = {"/nonexistent/binary"}, .env = {}, .working_dir = {},
                             .log_file = log.string()});
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.error().code(), Errc::io);
  EXPECT_NE(pid.error().message().find("/nonexistent/binary"), std::string::npos);
}

TEST(Subprocess, UnwritableLogIsAnError) {
  auto pid = spawn_detached({.argv = {"true"}, .env = {}, .working_dir = {},
                             .log_file = "/nonexistent-dir/x.log"});
  ASSERT_FALSE(pid.ok());
}

}  // namespace
}  // namespace sluice
