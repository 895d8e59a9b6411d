// Why: the kill test of a three-node cluster SIGKILLs one node through LocalStack::kill and
// counts on it dying for real, on a stale pid file never killing a stranger that got the pid,
// and on status() knowing from node.info alone which nodes want a login. No JVMs here: a shell
// loop that carries a node's marker in its command line stands in for the server.
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "base/subprocess.h"
#include "localstack/stack.h"

namespace sluice::localstack {
namespace {

namespace fs = std::filesystem;

class NodeControl : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = (fs::temp_directory_path() / fmt::format("sluice-node-control-{}", ::getpid())).string();
    fs::remove_all(home_);
    settings_.home = home_;
  }
  void TearDown() override {
    if (pid_ > 0) stop_process(pid_, std::chrono::seconds(1));
    fs::remove_all(home_);
  }

  // A node directory as start_node leaves it, with `info` as node.info and `pid` in the pid file.
  std::string make_node(const std::string& name, const std::string& info, pid_t pid) {
    std::string dir = home_ + "/" + name;
    fs::create_directories(dir + "/logs");
    std::ofstream(dir + "/node.info") << info << "\n";
    if (pid > 0) std::ofstream(dir + "/pid") << pid << "\n";
    return dir;
  }

  // A process whose command line carries the node's marker, as the JVM's does. The loop keeps
  // the shell from exec-ing into sleep and losing the marker.
  pid_t spawn_stand_in(const std::string& dir) {
    auto pid = spawn_detached({.argv = {"sh", "-c", "while :; do sleep 1; done", "-Dsluice.node=" + dir},
                               .log_file = dir + "/logs/stdout.log"});
    EXPECT_TRUE(pid.ok());
    pid_ = pid.ok() ? *pid : 0;
    for (int i = 0; i < 100 && !is_alive(pid_, "-Dsluice.node=" + dir); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pid_;
  }

  std::string home_;
  StackSettings settings_;
  pid_t pid_ = 0;
};

TEST_F(NodeControl, KillEndsTheNodeAndLeavesItsPidFile) {
  std::string dir = home_ + "/cassandra-2";
  fs::create_directories(dir + "/logs");
  pid_t pid = spawn_stand_in(dir);
  ASSERT_TRUE(is_alive(pid, "-Dsluice.node=" + dir));
  make_node("cassandra-2", "cassandra 127.0.9.2 9 " + dir + "/logs/system.log", pid);
  LocalStack stack(settings_);
  std::ostringstream out;
  auto st = stack.kill("cassandra-2", out);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_FALSE(is_alive(pid));
  EXPECT_NE(out.str().find("cassandra-2: killed"), std::string::npos) << out.str();
  EXPECT_TRUE(fs::exists(dir + "/pid"));  // stale now, as after a crash; up() must cope
  auto nodes = stack.status();
  ASSERT_EQ(nodes.size(), 1U);
  EXPECT_FALSE(nodes[0].running);
}

TEST_F(NodeControl, StalePidOfAStrangerIsLeftAlone) {
  // Our own pid stands for a recycled one: alive, but without the node's marker.
  make_node("cassandra-1", "cassandra 127.0.9.1 9 " + home_ + "/cassandra-1/logs/system.log", ::getpid());
  LocalStack stack(settings_);
  std::ostringstream out;
  ASSERT_TRUE(stack.kill("cassandra-1", out).ok());
  EXPECT_NE(out.str().find("cassandra-1: not running"), std::string::npos) << out.str();
}

TEST_F(NodeControl, UnknownNodeIsNotFound) {
  LocalStack stack(settings_);
  std::ostringstream out;
  auto st = stack.kill("cassandra-7", out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Errc::not_found);
  EXPECT_FALSE(stack.kill("../etc", out).ok());
}

TEST_F(NodeControl, StartingAnUnknownNodeIsNotFound) {
  settings_.kafka_brokers = 0;
  LocalStack stack(settings_);
  std::ostringstream out;
  auto st = stack.start("kafka-1", out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Errc::not_found);
}

TEST_F(NodeControl, StatusReadsAuthFromNodeInfo) {
  make_node("cassandra-1", "cassandra 127.0.9.1 9 /x/system.log auth=password", 0);
  // A node.info written before the auth word existed still reads, as an open node.
  make_node("cassandra-2", "cassandra 127.0.9.2 9 /x/system.log", 0);
  LocalStack stack(settings_);
  auto nodes = stack.status();
  ASSERT_EQ(nodes.size(), 2U);
  EXPECT_TRUE(nodes[0].auth);
  EXPECT_FALSE(nodes[1].auth);
  EXPECT_EQ(nodes[1].address, "127.0.9.2");
  EXPECT_FALSE(nodes[0].running);
}

}  // namespace
}  // namespace sluice::localstack
