// LocalStack: the local Kafka and Cassandra JVMs that `sluice local` manages.
//
// State lives under settings.home: one directory per node (cassandra-1, kafka-1, ...) holding its
// rendered configuration, data, logs, a pid file and a node.info file (kind, address, port, log,
// whether Cassandra wants a login). up() is idempotent (running, ready nodes are left alone; a
// node whose pid file names a dead process is started again on its existing data); down() stops
// every node found under home, whatever settings started it. Not thread-safe; one CLI invocation
// at a time per home.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <sys/types.h>
#include <vector>

#include "base/result.h"
#include "localstack/settings.h"

namespace sluice::localstack {

enum class ServerKind { cassandra, kafka };

// Everything needed to start one node: rendered files and the command line. Pure data, built
// without touching the disk, so tests can check it.
struct NodePlan {
  ServerKind kind = ServerKind::cassandra;
  int index = 1;
  std::string name;       // "cassandra-1"
  std::string address;    // "127.0.0.1"
  std::uint16_t port = 0; // the client port (CQL or Kafka)
  bool auth = false;      // Cassandra with PasswordAuthenticator: readiness logs in
  bool tls = false;       // Cassandra with client TLS (optional): its keystore is made before start
  std::string dir;        // home/name
  std::map<std::string, std::string> files;   // path relative to dir -> content
  std::vector<std::string> directories;       // relative to dir, created before start
  std::vector<std::string> prepare_argv;      // run once to completion before start (may be empty)
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string log_file;   // the server's own log (what `logs` shows)
  std::string stdout_file;
  std::string marker;     // appears in the command line: "-Dsluice.node=<home>/<name>"
};

Result<std::vector<NodePlan>> plan_stack(const StackSettings& settings);

struct NodeStatus {
  std::string name;
  ServerKind kind = ServerKind::cassandra;
  std::string address;
  std::uint16_t port = 0;
  pid_t pid = 0;
  bool auth = false;
  bool running = false;
  bool ready = false;
  std::string log_file;
};

class LocalStack {
 public:
  explicit LocalStack(StackSettings settings) : settings_(std::move(settings)) {}

  // Starts what is not running and waits until every node is ready. Progress lines go to `out`.
  // Errors: jars missing (run scripts/bootstrap), a node that exits or is not ready in time
  // (the tail of its log is in the message).
  Status up(std::ostream& out);
  // Stops every node under home: SIGTERM, then SIGKILL after the grace period.
  Status down(std::ostream& out);
  // What runs where, for nodes found under home.
  std::vector<NodeStatus> status();
  // The log file of a node by name ("cassandra-1"), or of the first node of a kind ("kafka").
  Result<std::string> log_file(const std::string& node);
  // Starts one node by name ("cassandra-2") if it is not running (on its existing data, whatever
  // its pid file says) and waits until it is ready and, for a Cassandra cluster, until every
  // node sees every other as up. The settings must be those the stack was started with.
  Status start(const std::string& node, std::ostream& out);
  // SIGKILLs one node by name ("cassandra-2"), with no shutdown, and waits until it is gone: a
  // crash, for tests of a node dying. Its pid file stays (stale, as after a real crash); up()
  // starts it again. A node that is not running is not an error (said on `out`).
  Status kill(const std::string& node, std::ostream& out);

  const StackSettings& settings() const { return settings_; }

 private:
  Status start_node(const NodePlan& plan, std::ostream& out);
  Status wait_ready(const std::vector<NodePlan>& plans, std::ostream& out);
  Status wait_ring(const std::vector<NodePlan>& cassandra, std::ostream& out);

  StackSettings settings_;
};

std::string_view kind_name(ServerKind kind);

// Success if the node answers as a ready one would (Cassandra: a query answered, after logging in
// as the superuser when `auth`; Kafka: metadata listing at least `expected_brokers`);
// otherwise the reason, for the message when start-up times out.
Status probe_node(ServerKind kind, const std::string& address, std::uint16_t port, bool auth, int expected_brokers);

}  // namespace sluice::localstack
