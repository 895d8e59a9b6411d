#include "support/stack.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <random>
#include <sstream>
#include <unistd.h>

#include "localstack/stack.h"
#include "localstack/tls.h"

// Compiled in from tests/support/CMakeLists.txt, where the fixtures that start these stacks are.
#if !defined(SLUICE_FIXTURE_STACKS_DIR) || !defined(SLUICE_FIXTURE_AUTH_CQL) ||            \
    !defined(SLUICE_FIXTURE_CLUSTER3_PREFIX) || !defined(SLUICE_FIXTURE_CLUSTER3_NODES) || \
    !defined(SLUICE_FIXTURE_CLUSTER3_JMX) || !defined(SLUICE_FIXTURE_HEAP)
#error "tests/support/CMakeLists.txt defines the fixture stacks' settings"
#endif

namespace sluice::testing {

namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

cql::ConnectOptions options_for(const std::string& host_port) {
  cql::ConnectOptions o;
  auto colon = host_port.rfind(':');
  o.host = host_port.substr(0, colon);
  if (colon != std::string::npos) o.port = static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1)));
  o.request_timeout = std::chrono::seconds(30);  // DDL on a busy 2-core machine can be slow
  return o;
}

// What the cluster3 fixture passes to `sluice local up`, so a node started again here gets the
// same configuration.
localstack::StackSettings cluster3_settings() {
  auto s = localstack::StackSettings::from_environment();
  s.home = cluster3_home();
  s.cassandra_nodes = SLUICE_FIXTURE_CLUSTER3_NODES;
  s.kafka_brokers = 0;
  s.address_prefix = SLUICE_FIXTURE_CLUSTER3_PREFIX;
  s.cassandra_heap = SLUICE_FIXTURE_HEAP;
  s.cassandra_jmx_port = SLUICE_FIXTURE_CLUSTER3_JMX;
  return s;
}

Status check_index(int index) {
  if (index < 1 || index > SLUICE_FIXTURE_CLUSTER3_NODES) {
    return Error(Errc::invalid_argument,
                 fmt::format("cluster3 has nodes 1..{}, not {}", SLUICE_FIXTURE_CLUSTER3_NODES, index));
  }
  return {};
}
}  // namespace

bool in_ci() {
  auto ci = env_or("CI", "");
  return ci == "true" || ci == "1";
}

std::string kafka_bootstrap() { return env_or("SLUICE_TEST_KAFKA", "127.0.0.1:9092"); }

cql::ConnectOptions cassandra_options() { return options_for(env_or("SLUICE_TEST_CASSANDRA", "127.0.0.1:9042")); }

cql::ConnectOptions auth_cassandra_options() {
  auto o = options_for(env_or("SLUICE_TEST_AUTH_CQL", SLUICE_FIXTURE_AUTH_CQL));
  o.username = localstack::StackSettings::kSuperuser;
  o.password = localstack::StackSettings::kSuperuserPassword;
  return o;
}

std::string auth_cassandra_unreachable_reason() {
  auto probe = cql::Connection::probe(auth_cassandra_options());
  return probe.ok() ? std::string() : probe.error().to_string();
}

std::string auth_cassandra_ca_file() {
  return env_or("SLUICE_TEST_AUTH_CA",
                localstack::ca_cert_file(std::string(SLUICE_FIXTURE_STACKS_DIR) + "/auth_cassandra"));
}

Result<std::string> unrelated_ca_pem() { return localstack::unrelated_ca_pem(); }

std::vector<std::string> cluster3_addresses() {
  std::vector<std::string> out;
  if (const char* list = std::getenv("SLUICE_TEST_CLUSTER3"); list != nullptr && *list != '\0') {
    std::istringstream in(list);
    for (std::string a; std::getline(in, a, ',');) {
      if (!a.empty()) out.push_back(a);
    }
    return out;
  }
  for (int i = 1; i <= SLUICE_FIXTURE_CLUSTER3_NODES; ++i) {
    out.push_back(SLUICE_FIXTURE_CLUSTER3_PREFIX + std::to_string(i));
  }
  return out;
}

cql::ConnectOptions cluster3_options(int index) {
  // A bad index is a bug in the test: at() throws and gtest reports it.
  return options_for(cluster3_addresses().at(static_cast<std::size_t>(index - 1)) + ":9042");
}

std::string cluster3_unreachable_reason() {
  auto addresses = cluster3_addresses();
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    auto probe = cql::Connection::probe(cluster3_options(static_cast<int>(i) + 1));
    if (!probe.ok()) return probe.error().to_string();
  }
  return {};
}

std::string cluster3_home() {
  return env_or("SLUICE_TEST_CLUSTER3_HOME", std::string(SLUICE_FIXTURE_STACKS_DIR) + "/cluster3");
}

Status kill_cluster_node(int index) {
  SLUICE_TRY(check_index(index));
  localstack::LocalStack stack(cluster3_settings());
  std::ostringstream out;
  auto st = stack.kill(fmt::format("cassandra-{}", index), out);
  if (!st.ok()) return Error(st.error().code(), st.error().message() + "\n" + out.str());
  return {};
}

Status restart_cluster_node(int index) {
  SLUICE_TRY(check_index(index));
  localstack::LocalStack stack(cluster3_settings());
  std::ostringstream out;
  auto st = stack.start(fmt::format("cassandra-{}", index), out);
  if (!st.ok()) return Error(st.error().code(), st.error().message() + "\n" + out.str());
  return {};
}

std::string unique_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  auto name = fmt::format("{}_{}_{}_{:06x}", prefix, ::getpid(), counter++, rd() & 0xffffffU);
  for (auto& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
  }
  if (name.size() > 48) name = name.substr(name.size() - 48);
  if (name[0] < 'a' || name[0] > 'z') name[0] = 't';
  return name;
}

std::string kafka_unreachable_reason() {
  auto admin = kafka::Admin::create({.bootstrap_servers = kafka_bootstrap(), .properties = {{"log_level", "0"}}});
  if (!admin.ok()) return admin.error().to_string();
  auto md = (*admin)->metadata(std::chrono::seconds(5));
  return md.ok() ? std::string() : md.error().to_string();
}

std::string cassandra_unreachable_reason() {
  auto probe = cql::Connection::probe(cassandra_options());
  return probe.ok() ? std::string() : probe.error().to_string();
}

TestKeyspace::TestKeyspace(std::string_view prefix, int replication_factor) : name_(unique_name(prefix)) {
  auto conn = cql::Connection::open(cassandra_options());
  if (!conn.ok()) throw std::runtime_error("TestKeyspace: " + conn.error().to_string());
  conn_ = std::move(conn).value();
  auto r = conn_->query(fmt::format("CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', "
                                    "'replication_factor': {}}}",
                                    name_, replication_factor));
  if (!r.ok()) throw std::runtime_error("TestKeyspace: " + r.error().to_string());
}

TestKeyspace::~TestKeyspace() {
  if (conn_ && conn_->is_open()) (void)conn_->query("DROP KEYSPACE IF EXISTS " + name_);
}

TestTopic::TestTopic(std::string_view prefix, int partitions) : name_(unique_name(prefix)) {
  auto admin = kafka::Admin::create({.bootstrap_servers = kafka_bootstrap(), .properties = {}});
  if (!admin.ok()) throw std::runtime_error("TestTopic: " + admin.error().to_string());
  auto st = (*admin)->create_topic(name_, partitions, 1, std::chrono::seconds(30));
  if (!st.ok()) throw std::runtime_error("TestTopic: " + st.error().to_string());
}

TestTopic::~TestTopic() {
  auto admin = kafka::Admin::create({.bootstrap_servers = kafka_bootstrap(), .properties = {}});
  if (admin.ok()) (void)(*admin)->delete_topic(name_, std::chrono::seconds(30));
}

}  // namespace sluice::testing
