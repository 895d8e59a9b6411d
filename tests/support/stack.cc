#include "support/stack.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <random>
#include <unistd.h>

namespace sluice::testing {

namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}
}  // namespace

bool in_ci() { return env_or("CI", "") == "true"; }

std::string kafka_bootstrap() { return env_or("SLUICE_TEST_KAFKA", "127.0.0.1:9092"); }

cql::ConnectOptions cassandra_options() {
  std::string hp = env_or("SLUICE_TEST_CASSANDRA", "127.0.0.1:9042");
  cql::ConnectOptions o;
  auto colon = hp.rfind(':');
  o.host = hp.substr(0, colon);
  if (colon != std::string::npos) o.port = static_cast<std::uint16_t>(std::stoi(hp.substr(colon + 1)));
  o.request_timeout = std::chrono::seconds(30);  // DDL on a busy 2-core machine can be slow
  return o;
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
