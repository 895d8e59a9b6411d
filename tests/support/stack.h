// Test fixtures for the real local stack. See README.md.
#pragma once

#include <gtest/gtest.h>
#include <memory>
#include <string>

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

#define SLUICE_REQUIRE_SERVER_(reason_expr, what)                                              \
  do {                                                                                        \
    std::string sluice_reason_ = (reason_expr);                                               \
    if (!sluice_reason_.empty()) {                                                            \
      if (::sluice::testing::in_ci()) {                                                       \
        FAIL() << what << " is not reachable and CI=true: " << sluice_reason_;                \
      } else {                                                                                \
        GTEST_SKIP() << what << " is not reachable (run `sluice local up`): " << sluice_reason_; \
      }                                                                                       \
    }                                                                                         \
  } while (false)

#define SLUICE_REQUIRE_KAFKA() SLUICE_REQUIRE_SERVER_(::sluice::testing::kafka_unreachable_reason(), "Kafka")
#define SLUICE_REQUIRE_CASSANDRA() \
  SLUICE_REQUIRE_SERVER_(::sluice::testing::cassandra_unreachable_reason(), "Cassandra")
