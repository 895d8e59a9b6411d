// Test fixtures for the real local stack. See README.md.
#pragma once

#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "cql/client/connection.h"
#include "kafka/client.h"

namespace sluice::testing {

std::string kafka_bootstrap();
cql::ConnectOptions cassandra_options();
bool in_ci();

// Lowercase, starts with a letter, [a-z0-9_], at most 48 characters: valid as a CQL keyspace or
// table name and as a Kafka topic. Unique per call across processes.
std::string unique_name(std::string_view prefix);

// Empty if reachable, else why not.
std::string kafka_unreachable_reason();
std::string cassandra_unreachable_reason();

// The second stacks that ctest fixtures start and stop around the tests that need them
// (tests/support/CMakeLists.txt: FIXTURE auth_cassandra or cluster3 in sluice_stack_test). The
// defaults are compiled in from there; the environment variables point a test binary elsewhere.

// auth_cassandra: one Cassandra node with PasswordAuthenticator, SLUICE_TEST_AUTH_CQL (default
// 127.0.3.1:9042). The options carry the superuser's credentials (cassandra/cassandra); clear or
// change them to test refusals.
cql::ConnectOptions auth_cassandra_options();
std::string auth_cassandra_unreachable_reason();
// The same node also speaks TLS on that port (`--tls`: optional, so the plaintext options above
// keep working). Its certificate names IP:<its address> and DNS:localhost and is signed by the
// stack's own CA, whose certificate (PEM) is here: SLUICE_TEST_AUTH_CA, default
// <build>/test-stacks/auth_cassandra/tls/ca.pem.
std::string auth_cassandra_ca_file();
// A freshly made CA certificate (PEM) with the same subject as the stacks' CAs that signed nothing:
// for a client that must refuse the stack's servers.
Result<std::string> unrelated_ca_pem();

// cluster3: three Cassandra nodes in one ring, SLUICE_TEST_CLUSTER3 (comma-separated addresses,
// default 127.0.4.1,127.0.4.2,127.0.4.3), all on port 9042, no auth. Node `index` counts from
// 1, as the node names do (cassandra-1 is cluster3_addresses()[0]).
std::vector<std::string> cluster3_addresses();
cql::ConnectOptions cluster3_options(int index);
std::string cluster3_unreachable_reason();
// The fixture's state directory: SLUICE_TEST_CLUSTER3_HOME, default <build>/test-stacks/cluster3.
std::string cluster3_home();
// SIGKILL the Cassandra JVM of node `index`, no shutdown, and wait until it is gone.
Status kill_cluster_node(int index);
// Start node `index` again on its data if it is not running (a stale pid file is fine) and wait
// until it answers CQL and every node of the ring sees every other up. About 10 s on 2 cores.
Status restart_cluster_node(int index);

// A keyspace made for one test (SimpleStrategy, RF 1 by default) and dropped after it.
class TestKeyspace {
 public:
  explicit TestKeyspace(std::string_view prefix = "t", int replication_factor = 1);
  ~TestKeyspace();
  TestKeyspace(const TestKeyspace&) = delete;
  TestKeyspace& operator=(const TestKeyspace&) = delete;
  const std::string& name() const { return name_; }
  cql::Connection& connection() { return *conn_; }

 private:
  std::string name_;
  std::unique_ptr<cql::Connection> conn_;
};

// A topic made for one test and deleted after it.
class TestTopic {
 public:
  explicit TestTopic(std::string_view prefix = "t", int partitions = 3);
  ~TestTopic();
  TestTopic(const TestTopic&) = delete;
  TestTopic& operator=(const TestTopic&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

}  // namespace sluice::testing

#define SLUICE_REQUIRE_SERVER_(reason_expr, what, hint)                                   \
  do {                                                                                    \
    std::string sluice_reason_ = (reason_expr);                                           \
    if (!sluice_reason_.empty()) {                                                        \
      if (::sluice::testing::in_ci()) {                                                   \
        FAIL() << what << " is not reachable and CI=true: " << sluice_reason_;            \
      } else {                                                                            \
        GTEST_SKIP() << what << " is not reachable (" << hint << "): " << sluice_reason_; \
      }                                                                                   \
    }                                                                                     \
  } while (false)

#define SLUICE_REQUIRE_KAFKA() \
  SLUICE_REQUIRE_SERVER_(::sluice::testing::kafka_unreachable_reason(), "Kafka", "run `sluice local up`")
#define SLUICE_REQUIRE_CASSANDRA() \
  SLUICE_REQUIRE_SERVER_(::sluice::testing::cassandra_unreachable_reason(), "Cassandra", "run `sluice local up`")
// The fixture stacks: ctest starts them; a binary run by hand needs `ctest -R fixture.<name>.up`.
#define SLUICE_REQUIRE_AUTH_CASSANDRA()                                                            \
  SLUICE_REQUIRE_SERVER_(::sluice::testing::auth_cassandra_unreachable_reason(), "auth Cassandra", \
                         "run it through ctest, or `ctest -R fixture.auth_cassandra.up` first")
#define SLUICE_REQUIRE_CLUSTER3()                                                                  \
  SLUICE_REQUIRE_SERVER_(::sluice::testing::cluster3_unreachable_reason(), "three-node Cassandra", \
                         "run it through ctest, or `ctest -R fixture.cluster3.up` first")
