// StackSettings: where and how the local Kafka and Cassandra run. Plain data.
//
// Defaults give one Cassandra node on 127.0.0.1:9042 (1G heap) and one Kafka broker on
// 127.0.0.1:9092 (512M heap). With N nodes, node i (1-based) listens on 127.0.0.i with the same
// ports, so three Cassandra nodes are 127.0.0.1-127.0.0.3 and three brokers likewise.
// kafka_brokers = 0 gives a Cassandra-only stack.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::localstack {

struct StackSettings {
  std::string home;   // state directory: data, logs, pids; default ./.sluice or $SLUICE_HOME
  std::string cache;  // where fetch-servers put the jars; default $SLUICE_CACHE or ~/.cache/sluice
  int cassandra_nodes = 1;
  int kafka_brokers = 1;
  // PasswordAuthenticator + CassandraAuthorizer instead of allow-all; the superuser below is
  // created at first start. Recorded in each node's node.info, so status and down need no flag.
  bool cassandra_auth = false;
  // Cassandra also speaks TLS on its CQL port (client_encryption_options enabled and optional:
  // plaintext clients keep working there). The stack makes its own CA and a certificate per node
  // under <home>/tls/ (localstack/tls.h); clients trust <home>/tls/ca.pem. Dev-only keys.
  bool cassandra_tls = false;
  std::string address_prefix = "127.0.0.";  // node i listens on address_prefix + i
  std::uint16_t cql_port = 9042;
  std::uint16_t kafka_port = 9092;
  std::uint16_t kafka_controller_port = 9093;
  std::uint16_t cassandra_jmx_port = 7199;  // node i uses cassandra_jmx_port + i - 1 (JMX binds loopback)
  std::string cassandra_heap = "1G";
  std::string kafka_heap = "512M";
  int start_timeout_seconds = 180;
  int stop_grace_seconds = 30;
  std::string java = "java";  // the JVM binary; $JAVA_HOME/bin/java when JAVA_HOME is set

  // Fills home, cache and java from the environment where they are empty.
  static StackSettings from_environment();
  // The default superuser Cassandra creates when it starts with PasswordAuthenticator.
  static constexpr const char* kSuperuser = "cassandra";
  static constexpr const char* kSuperuserPassword = "cassandra";
  std::string node_address(int index) const { return address_prefix + std::to_string(index); }
};

}  // namespace sluice::localstack
