#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <unistd.h>

#include "app/commands.h"
#include "localstack/stack.h"

namespace sluice::app {

namespace {

struct LocalOptions {
  std::string home;  // empty: $SLUICE_HOME or ./.sluice
  int cassandra_nodes = 1;
  int kafka_brokers = 1;
  std::string cassandra_heap = "1G";
  std::string kafka_heap = "512M";
  int timeout = 180;
  std::string address_prefix = "127.0.0.";
  std::uint16_t cql_port = 9042;
  std::uint16_t kafka_port = 9092;
  std::uint16_t kafka_controller_port = 9093;
  std::uint16_t jmx_port = 7199;
  bool auth = false;
  bool tls = false;
  std::string node = "cassandra";
  int lines = 50;
  bool follow = false;
};

localstack::StackSettings settings_from(const LocalOptions& o) {
  auto s = localstack::StackSettings::from_environment();
  if (!o.home.empty()) s.home = std::filesystem::absolute(o.home).lexically_normal().string();
  s.cassandra_nodes = o.cassandra_nodes;
  s.kafka_brokers = o.kafka_brokers;
  s.cassandra_heap = o.cassandra_heap;
  s.kafka_heap = o.kafka_heap;
  s.start_timeout_seconds = o.timeout;
  s.address_prefix = o.address_prefix;
  s.cql_port = o.cql_port;
  s.kafka_port = o.kafka_port;
  s.kafka_controller_port = o.kafka_controller_port;
  s.cassandra_jmx_port = o.jmx_port;
  s.cassandra_auth = o.auth;
  s.cassandra_tls = o.tls;
  return s;
}

int report(const Status& st) {
  if (st.ok()) return 0;
  std::cerr << "sluice local: " << st.error().to_string() << "\n";
  return 1;
}

}  // namespace

void add_local_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<LocalOptions>();
  auto* local = app.add_subcommand("local", "Run a local Kafka and Cassandra (state in $SLUICE_HOME, default ./.sluice)");
  local->require_subcommand(1);

  auto* up = local->add_subcommand("up", "Start the local servers and wait until they answer");
  up->add_option("--cassandra-nodes", opts->cassandra_nodes, "Cassandra nodes on 127.0.0.1..N")->capture_default_str();
  up->add_option("--kafka-brokers", opts->kafka_brokers, "Kafka brokers on 127.0.0.1..N (0: Cassandra only)")
      ->capture_default_str();
  up->add_option("--cassandra-heap", opts->cassandra_heap, "Cassandra JVM heap")->capture_default_str();
  up->add_option("--kafka-heap", opts->kafka_heap, "Kafka JVM heap")->capture_default_str();
  up->add_option("--timeout", opts->timeout, "Seconds to wait for readiness")->capture_default_str();
  up->add_option("--address-prefix", opts->address_prefix, "Node i listens on <prefix>i")->capture_default_str();
  up->add_option("--cql-port", opts->cql_port, "Cassandra native protocol port")->capture_default_str();
  up->add_option("--kafka-port", opts->kafka_port, "Kafka client port")->capture_default_str();
  up->add_option("--kafka-controller-port", opts->kafka_controller_port, "KRaft controller port")->capture_default_str();
  up->add_option("--jmx-port", opts->jmx_port, "First Cassandra JMX port (loopback)")->capture_default_str();
  up->add_flag("--auth", opts->auth,
               "Cassandra with PasswordAuthenticator and CassandraAuthorizer (superuser cassandra/cassandra)");
  up->add_flag("--tls", opts->tls,
               "Cassandra also accepts TLS on its CQL port (plaintext still works there); the stack's own CA "
               "is <home>/tls/ca.pem (dev-only keys)");
  up->callback([opts, &exit_code] {
    localstack::LocalStack stack(settings_from(*opts));
    std::cout << "state directory: " << stack.settings().home << "\n";
    exit_code = report(stack.up(std::cout));
  });

  auto* down = local->add_subcommand("down", "Stop every local server (SIGTERM, then SIGKILL)");
  down->callback([opts, &exit_code] {
    localstack::LocalStack stack(settings_from(*opts));
    exit_code = report(stack.down(std::cout));
  });

  auto* status = local->add_subcommand("status", "Say what runs where; exit 0 only if every node is ready");
  status->callback([opts, &exit_code] {
    localstack::LocalStack stack(settings_from(*opts));
    auto nodes = stack.status();
    if (nodes.empty()) {
      std::cout << "no local servers under " << stack.settings().home << "\n";
      exit_code = 3;
      return;
    }
    std::cout << fmt::format("{:<13} {:<22} {:>8}  {:<8} {}\n", "NODE", "ADDRESS", "PID", "STATE", "LOG");
    bool all_ready = true;
    for (const auto& n : nodes) {
      std::string state = n.ready ? "ready" : (n.running ? "starting" : "stopped");
      all_ready = all_ready && n.ready;
      std::cout << fmt::format("{:<13} {:<22} {:>8}  {:<8} {}\n", n.name, fmt::format("{}:{}", n.address, n.port),
                               n.running ? std::to_string(n.pid) : "-", state, n.log_file);
    }
    exit_code = all_ready ? 0 : 3;
  });

  auto* logs = local->add_subcommand("logs", "Show the end of a server's log");
  logs->add_option("node", opts->node, "cassandra, kafka, or a node name such as cassandra-2")->capture_default_str();
  logs->add_option("-n,--lines", opts->lines, "Lines to show")->capture_default_str();
  logs->add_flag("-f,--follow", opts->follow, "Keep following the log");
  logs->callback([opts, &exit_code] {
    localstack::LocalStack stack(settings_from(*opts));
    auto file = stack.log_file(opts->node);
    if (!file.ok()) {
      exit_code = report(file.error());
      return;
    }
    std::string lines = std::to_string(opts->lines);
    std::vector<const char*> argv{"tail", "-n", lines.c_str()};
    if (opts->follow) argv.push_back("-F");
    argv.push_back(file->c_str());
    argv.push_back(nullptr);
    std::cout.flush();
    ::execvp("tail", const_cast<char* const*>(argv.data()));
    exit_code = report(Error(Errc::io, "cannot run tail"));
  });

  // One node, for tests of a node dying: the stack's options must be those it was started with.
  auto* kill = local->add_subcommand("kill", "SIGKILL one node (a crash): cassandra-1, kafka-1, ...");
  kill->add_option("node", opts->node, "The node's name")->required();
  kill->callback([opts, &exit_code] {
    localstack::LocalStack stack(settings_from(*opts));
    exit_code = report(stack.kill(opts->node, std::cout));
  });
  auto* start = local->add_subcommand("start", "Start one node again on its data and wait until it is ready");
  start->add_option("node", opts->node, "The node's name")->required();
  start->callback([opts, &exit_code] {
    localstack::LocalStack stack(settings_from(*opts));
    exit_code = report(stack.start(opts->node, std::cout));
  });

  // Each subcommand takes these (not `local` itself), so they may come anywhere after it; kill and
  // start take the layout options too, since they must describe the stack as it was started.
  for (auto* sub : {kill, start}) {
    sub->add_option("--cassandra-nodes", opts->cassandra_nodes, "Cassandra nodes the stack has");
    sub->add_option("--kafka-brokers", opts->kafka_brokers, "Kafka brokers the stack has");
    sub->add_option("--address-prefix", opts->address_prefix, "Node i listens on <prefix>i");
    sub->add_option("--cql-port", opts->cql_port, "Cassandra native protocol port");
    sub->add_option("--kafka-port", opts->kafka_port, "Kafka client port");
    sub->add_option("--jmx-port", opts->jmx_port, "First Cassandra JMX port");
    sub->add_option("--timeout", opts->timeout, "Seconds to wait for readiness");
  }
  for (auto* sub : {up, down, status, logs, kill, start}) {
    sub->add_option("--home", opts->home, "State directory (overrides $SLUICE_HOME)");
  }
}

}  // namespace sluice::app
