#include "localstack/stack.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/subprocess.h"
#include "cql/client/connection.h"
#include "kafka/client.h"
#include "localstack/resources.h"
#include "localstack/template.h"
#include "localstack/tls.h"

namespace fs = std::filesystem;

namespace sluice::localstack {

std::string_view kind_name(ServerKind kind) { return kind == ServerKind::cassandra ? "cassandra" : "kafka"; }

namespace {

// A fixed KRaft cluster id (22 characters of base64): every local Kafka is its own cluster.
constexpr std::string_view kKafkaClusterId = "c2x1aWNlLWxvY2FsLWthZg";
constexpr std::uint16_t kCassandraStoragePort = 7000;

std::string jar_dir(const StackSettings& s, ServerKind kind) {
  auto version = kind == ServerKind::cassandra ? cassandra_version() : kafka_version();
  return fmt::format("{}/{}-{}/lib", s.cache, kind_name(kind), version);
}

std::vector<std::string> jvm_option_lines(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] != '-') continue;
    auto end = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(start, end - start + 1));
  }
  return out;
}

// YAML single-quoted scalar.
std::string yaml_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// The client_encryption_options block of cassandra.yaml: empty without TLS (Cassandra's default,
// plaintext only), else TLS on the CQL port, optional so plaintext clients (readiness, tests
// that do not ask for TLS) keep working there. Server certificate only: no client certificates.
// The password is the fixed dev-only one of localstack/tls.h; Cassandra logs its configuration
// with client_encryption_options redacted.
std::string client_encryption(const StackSettings& s, const std::string& node) {
  if (!s.cassandra_tls) return "";
  return fmt::format(
      "client_encryption_options:\n"
      "  enabled: true\n"
      "  optional: true\n"
      "  keystore: {}\n"
      "  keystore_password: {}\n"
      "  store_type: PKCS12\n",
      yaml_quoted(keystore_file(s.home, node)), yaml_quoted(std::string(kDevKeystorePassword)));
}

// Evenly spread single tokens for an N-node ring (Murmur3 range is [-2^63, 2^63)).
std::string initial_token(int index, int nodes) {
  if (nodes <= 1) return "";
  __int128 span = static_cast<__int128>(1) << 64;
  __int128 token = -(static_cast<__int128>(1) << 63) + span / nodes * (index - 1);
  return std::to_string(static_cast<std::int64_t>(token));
}

Result<NodePlan> plan_cassandra(const StackSettings& s, int index) {
  NodePlan p;
  p.kind = ServerKind::cassandra;
  p.index = index;
  p.name = fmt::format("cassandra-{}", index);
  p.address = s.node_address(index);
  p.port = s.cql_port;
  p.auth = s.cassandra_auth;
  p.tls = s.cassandra_tls;
  p.dir = s.home + "/" + p.name;
  p.marker = "-Dsluice.node=" + p.dir;
  p.log_file = p.dir + "/logs/system.log";
  p.stdout_file = p.dir + "/logs/stdout.log";
  p.directories = {"conf", "data", "logs", "tmp", "triggers"};
  std::map<std::string, std::string> vars{
      {"CLUSTER_NAME", "sluice-local"},
      {"NUM_TOKENS", s.cassandra_nodes > 1 ? "1" : "16"},
      {"INITIAL_TOKEN", initial_token(index, s.cassandra_nodes)},
      {"LISTEN_ADDRESS", p.address},
      {"RPC_ADDRESS", p.address},
      {"STORAGE_PORT", std::to_string(kCassandraStoragePort)},
      {"NATIVE_PORT", std::to_string(s.cql_port)},
      {"SEEDS", fmt::format("{}:{}", s.node_address(1), kCassandraStoragePort)},
      {"DATA_DIR", p.dir + "/data"},
      {"AUTHENTICATOR", s.cassandra_auth ? "PasswordAuthenticator" : "AllowAllAuthenticator"},
      // With logins, permissions too: a role without grants is refused as on a real cluster, so
      // tests can see what sluice says then. The superuser is never checked, so it costs nothing.
      {"AUTHORIZER", s.cassandra_auth ? "CassandraAuthorizer" : "AllowAllAuthorizer"},
      {"CLIENT_ENCRYPTION", client_encryption(s, p.name)},
  };
  auto yaml = render_template(resource("cassandra/cassandra.yaml.in"), vars);
  if (!yaml.ok()) return yaml.error();
  p.files["conf/cassandra.yaml"] = *yaml;
  p.files["conf/logback.xml"] = std::string(resource("cassandra/logback.xml"));

  std::string tmp = p.dir + "/tmp";
  p.argv = {s.java, "-Xms" + s.cassandra_heap, "-Xmx" + s.cassandra_heap};
  for (auto& opt : jvm_option_lines(resource("cassandra/jvm17.options"))) p.argv.push_back(opt);
  for (const std::string& opt : {
           "-Dcassandra.config=file://" + p.dir + "/conf/cassandra.yaml",
           "-Dcassandra.storagedir=" + p.dir + "/data",
           "-Dcassandra.logdir=" + p.dir + "/logs",
           "-Dlogback.configurationFile=file://" + p.dir + "/conf/logback.xml",
           std::string("-Dcassandra-foreground=yes"),
           std::string("-Dcassandra.skip_wait_for_gossip_to_settle=0"),
           // With PasswordAuthenticator the superuser is created this long after start (default
           // 10 s, AuthKeyspace.SUPERUSER_SETUP_DELAY in 5.0.9); logins fail until then.
           std::string("-Dcassandra.superuser_setup_delay_ms=0"),
           fmt::format("-Dcassandra.jmx.local.port={}", s.cassandra_jmx_port + index - 1),
           // Pins JMX's RMI listener to the same port instead of a random one.
           fmt::format("-Dcom.sun.management.jmxremote.rmi.port={}", s.cassandra_jmx_port + index - 1),
           "-Dcassandra.triggers_dir=" + p.dir + "/triggers",
           // No 2 s wait announcing shutdown to peers: halves SIGTERM time on one node.
           std::string("-Dcassandra.shutdown_announce_in_ms=0"),
           "-Djava.io.tmpdir=" + tmp,
           "-Djna.tmpdir=" + tmp,
           "-Dorg.xerial.snappy.tempdir=" + tmp,
           "-DZstdTempFolder=" + tmp,
           p.marker,
       }) {
    p.argv.push_back(opt);
  }
  p.argv.push_back("-cp");
  p.argv.push_back(p.dir + "/conf:" + jar_dir(s, ServerKind::cassandra) + "/*");
  p.argv.push_back("org.apache.cassandra.service.CassandraDaemon");
  p.env["MALLOC_ARENA_MAX"] = "4";
  return p;
}

Result<NodePlan> plan_kafka(const StackSettings& s, int index) {
  NodePlan p;
  p.kind = ServerKind::kafka;
  p.index = index;
  p.name = fmt::format("kafka-{}", index);
  p.address = s.node_address(index);
  p.port = s.kafka_port;
  p.dir = s.home + "/" + p.name;
  p.marker = "-Dsluice.node=" + p.dir;
  p.log_file = p.dir + "/logs/server.log";
  p.stdout_file = p.dir + "/logs/stdout.log";
  p.directories = {"data", "logs", "tmp"};
  std::string voters;
  for (int i = 1; i <= s.kafka_brokers; ++i) {
    if (i > 1) voters += ",";
    voters += fmt::format("{}@{}:{}", i, s.node_address(i), s.kafka_controller_port);
  }
  int rf = s.kafka_brokers >= 3 ? 3 : 1;
  std::map<std::string, std::string> vars{
      {"NODE_ID", std::to_string(index)},
      {"LISTENERS", fmt::format("PLAINTEXT://{0}:{1},CONTROLLER://{0}:{2}", p.address, s.kafka_port,
                                s.kafka_controller_port)},
      {"ADVERTISED_LISTENERS", fmt::format("PLAINTEXT://{}:{}", p.address, s.kafka_port)},
      {"CONTROLLER_QUORUM_VOTERS", voters},
      {"LOG_DIRS", p.dir + "/data"},
      {"INTERNAL_RF", std::to_string(rf)},
      {"INTERNAL_MIN_ISR", rf >= 3 ? "2" : "1"},
  };
  auto props = render_template(resource("kafka/server.properties.in"), vars);
  if (!props.ok()) return props.error();
  p.files["server.properties"] = *props;
  p.files["log4j.properties"] = std::string(resource("kafka/log4j.properties"));

  std::string cp = jar_dir(s, ServerKind::kafka) + "/*";
  std::vector<std::string> jvm{s.java, "-Xms" + s.kafka_heap, "-Xmx" + s.kafka_heap, "-XX:+UseG1GC",
                               "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
                               "-Dlog4j.configuration=file:" + p.dir + "/log4j.properties",
                               "-Dkafka.logs.dir=" + p.dir + "/logs", "-Djava.io.tmpdir=" + p.dir + "/tmp",
                               p.marker, "-cp", cp};
  p.prepare_argv = jvm;
  for (const std::string& a : {std::string("kafka.tools.StorageTool"), std::string("format"), std::string("-t"),
                               std::string(kKafkaClusterId), std::string("-c"), p.dir + "/server.properties",
                               std::string("--ignore-formatted")}) {
    p.prepare_argv.push_back(a);
  }
  p.env["MALLOC_ARENA_MAX"] = "4";
  p.argv = jvm;
  p.argv.push_back("kafka.Kafka");
  p.argv.push_back(p.dir + "/server.properties");
  return p;
}

Status write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) return Error(Errc::io, "cannot write " + path);
  return {};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail_lines(const std::string& path, std::size_t n) {
  std::string text = read_file(path);
  std::size_t pos = text.size();
  for (std::size_t count = 0; pos > 0 && count <= n;) {
    --pos;
    if (text[pos] == '\n') ++count;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

pid_t read_pid(const std::string& dir) {
  std::ifstream in(dir + "/pid");
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

// node.info: "kind address port log [auth=password]", written at start so status/down need no
// settings. The auth word is absent for open nodes, so files written before it existed still read.
struct NodeInfo {
  ServerKind kind = ServerKind::cassandra;
  std::string address;
  std::uint16_t port = 0;
  std::string log_file;
  bool auth = false;
};

constexpr std::string_view kAuthWord = "auth=password";

std::optional<NodeInfo> read_info(const std::string& dir) {
  std::ifstream in(dir + "/node.info");
  std::string kind;
  NodeInfo info;
  in >> kind >> info.address >> info.port >> info.log_file;
  if (!in) return std::nullopt;
  info.kind = kind == "kafka" ? ServerKind::kafka : ServerKind::cassandra;
  std::string word;
  while (in >> word) info.auth = info.auth || word == kAuthWord;
  return info;
}

// A running node keeps the auth it was started with, whatever this invocation asks for (--auth
// applies at its next fresh start): readiness must log in, or not, as that node expects.
void use_recorded_auth(NodePlan& p) {
  pid_t pid = read_pid(p.dir);
  if (pid <= 0 || !is_alive(pid, p.marker)) return;
  if (auto info = read_info(p.dir)) p.auth = info->auth;
}

std::vector<std::string> node_dirs(const std::string& home) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(home, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "node.info")) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<std::vector<NodePlan>> plan_stack(const StackSettings& s) {
  if (s.cassandra_nodes < 1 || s.cassandra_nodes > 9 || s.kafka_brokers < 0 || s.kafka_brokers > 9) {
    return Error(Errc::invalid_argument, "Cassandra nodes must be between 1 and 9, Kafka brokers between 0 and 9");
  }
  if (s.home.empty()) return Error(Errc::invalid_argument, "no state directory (SLUICE_HOME)");
  std::vector<NodePlan> plans;
  for (int i = 1; i <= s.cassandra_nodes; ++i) {
    auto p = plan_cassandra(s, i);
    if (!p.ok()) return p.error();
    plans.push_back(std::move(p).value());
  }
  for (int i = 1; i <= s.kafka_brokers; ++i) {
    auto p = plan_kafka(s, i);
    if (!p.ok()) return p.error();
    plans.push_back(std::move(p).value());
  }
  return plans;
}

Status probe_node(ServerKind kind, const std::string& address, std::uint16_t port, bool auth, int expected_brokers) {
  if (kind == ServerKind::cassandra) {
    cql::ConnectOptions options{.host = address, .port = port, .connect_timeout = std::chrono::milliseconds(1000),
                                .request_timeout = std::chrono::milliseconds(3000)};
    // An auth node listens before its superuser exists; only a login that works means ready.
    if (auth) {
      options.username = StackSettings::kSuperuser;
      options.password = StackSettings::kSuperuserPassword;
    }
    auto conn = cql::Connection::open(options);
    if (!conn.ok()) return conn.error();
    auto rows = (*conn)->query("SELECT release_version FROM system.local", {.consistency = cql::Consistency::one});
    if (!rows.ok()) return rows.error();
    return {};
  }
  auto admin = kafka::Admin::create(
      {.bootstrap_servers = fmt::format("{}:{}", address, port), .properties = {{"log_level", "0"}}});
  if (!admin.ok()) return admin.error();
  auto md = (*admin)->metadata(std::chrono::milliseconds(2000));
  if (!md.ok()) return md.error();
  if (static_cast<int>(md->brokers.size()) < expected_brokers) {
    return Error(Errc::unavailable,
                 fmt::format("{} of {} brokers in the metadata", md->brokers.size(), expected_brokers));
  }
  return {};
}

Status LocalStack::start_node(const NodePlan& plan, std::ostream& out) {
  pid_t old = read_pid(plan.dir);
  if (old > 0 && is_alive(old, plan.marker)) {
    out << fmt::format("{}: already running (pid {})\n", plan.name, old);
    return {};
  }
  std::string jars = jar_dir(settings_, plan.kind);
  if (!fs::exists(jars)) {
    return Error(Errc::not_found, fmt::format("{} jars not found in {}: run scripts/bootstrap (or scripts/fetch-servers)",
                                              kind_name(plan.kind), jars));
  }
  if (plan.tls) {
    auto made = ensure_node_tls(settings_.home, plan.name, plan.address);
    if (!made.ok()) return made.error();
    if (made->new_ca) out << fmt::format("tls: new CA {}\n", ca_cert_file(settings_.home));
    if (made->new_keystore) {
      out << fmt::format("{}: new TLS certificate for {} and localhost in {}\n", plan.name, plan.address,
                         keystore_file(settings_.home, plan.name));
    }
  }
  std::error_code ec;
  for (const auto& d : plan.directories) fs::create_directories(plan.dir + "/" + d, ec);
  fs::create_directories(fs::path(plan.stdout_file).parent_path(), ec);
  for (const auto& [rel, content] : plan.files) {
    fs::create_directories(fs::path(plan.dir + "/" + rel).parent_path(), ec);
    SLUICE_TRY(write_file(plan.dir + "/" + rel, content));
  }
  if (!plan.prepare_argv.empty()) {
    auto prep = spawn_detached({.argv = plan.prepare_argv, .env = plan.env, .working_dir = plan.dir,
                                .log_file = plan.dir + "/logs/prepare.log"});
    if (!prep.ok()) return prep.error();
    for (int i = 0; i < 1200 && is_alive(*prep); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (is_alive(*prep)) {
      stop_process(*prep, std::chrono::seconds(1));
      return Error(Errc::timeout, fmt::format("{}: storage format did not finish", plan.name));
    }
  }
  auto pid = spawn_detached({.argv = plan.argv, .env = plan.env, .working_dir = plan.dir, .log_file = plan.stdout_file});
  if (!pid.ok()) return pid.error();
  SLUICE_TRY(write_file(plan.dir + "/pid", std::to_string(*pid) + "\n"));
  SLUICE_TRY(
      write_file(plan.dir + "/node.info", fmt::format("{} {} {} {}{}\n", kind_name(plan.kind), plan.address, plan.port,
                                                      plan.log_file, plan.auth ? " " + std::string(kAuthWord) : "")));
  out << fmt::format("{}: started (pid {}) on {}:{}\n", plan.name, *pid, plan.address, plan.port);
  return {};
}

Status LocalStack::wait_ready(const std::vector<NodePlan>& plans, std::ostream& out) {
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::seconds(settings_.start_timeout_seconds);
  std::vector<bool> ready(plans.size(), false);
  std::vector<std::string> why(plans.size());
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < plans.size(); ++i) {
      if (ready[i]) continue;
      const NodePlan& p = plans[i];
      pid_t pid = read_pid(p.dir);
      if (!is_alive(pid, p.marker)) {
        return Error(Errc::unavailable, fmt::format("{} exited during start-up. Last lines of {}:\n{}\n{}", p.name,
                                                    p.stdout_file, tail_lines(p.stdout_file, 15),
                                                    tail_lines(p.log_file, 15)));
      }
      auto probe =
          probe_node(p.kind, p.address, p.port, p.auth, p.kind == ServerKind::kafka ? settings_.kafka_brokers : 0);
      if (probe.ok()) {
        ready[i] = true;
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        out << fmt::format("{}: ready on {}:{} after {:.1f} s\n", p.name, p.address, p.port, secs);
      } else {
        why[i] = probe.error().to_string();
        all = false;
      }
    }
    if (all) return {};
    if (std::chrono::steady_clock::now() > deadline) {
      std::string waiting;
      for (std::size_t i = 0; i < plans.size(); ++i) {
        if (!ready[i]) waiting += fmt::format("\n  {}: {}", plans[i].name, why[i]);
      }
      return Error(Errc::timeout, fmt::format("not ready after {} s (see `sluice local logs`):{}",
                                              settings_.start_timeout_seconds, waiting));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// CQL answering on every node does not mean the nodes see each other: a node that just came
// back is still down to its peers for a moment, and writes at QUORUM or ALL fail. So from each
// node, read at ALL (TWO for two nodes) from system_distributed, whose RF is 3: Unavailable
// until that coordinator counts every replica alive. A range read, so with more than three nodes
// it still touches every node's ranges.
Status LocalStack::wait_ring(const std::vector<NodePlan>& cassandra, std::ostream& out) {
  if (cassandra.size() < 2) return {};
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::seconds(settings_.start_timeout_seconds);
  auto consistency = cassandra.size() == 2 ? cql::Consistency::two : cql::Consistency::all;
  for (const auto& p : cassandra) {
    for (;;) {
      cql::ConnectOptions options{.host = p.address,
                                  .port = p.port,
                                  .connect_timeout = std::chrono::milliseconds(1000),
                                  .request_timeout = std::chrono::milliseconds(5000)};
      if (p.auth) {
        options.username = StackSettings::kSuperuser;
        options.password = StackSettings::kSuperuserPassword;
      }
      auto conn = cql::Connection::open(options);
      Status st = conn.ok() ? Status() : Status(conn.error());
      if (st.ok()) {
        auto rows = (*conn)->query("SELECT keyspace_name FROM system_distributed.repair_history LIMIT 1",
                                   {.consistency = consistency});
        if (!rows.ok()) st = rows.error();
      }
      if (st.ok()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return Error(Errc::timeout,
                     fmt::format("{} does not see all {} nodes up after {} s: {}", p.name, cassandra.size(),
                                 settings_.start_timeout_seconds, st.error().to_string()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << fmt::format("ring: each of the {} Cassandra nodes sees all up ({:.1f} s)\n", cassandra.size(), secs);
  return {};
}

Status LocalStack::start(const std::string& node, std::ostream& out) {
  auto plans = plan_stack(settings_);
  if (!plans.ok()) return plans.error();
  std::vector<NodePlan> cassandra;
  for (auto& p : *plans) {
    use_recorded_auth(p);
    if (p.kind == ServerKind::cassandra) cassandra.push_back(p);
  }
  for (const auto& p : *plans) {
    if (p.name != node) continue;
    SLUICE_TRY(start_node(p, out));
    SLUICE_TRY(wait_ready({p}, out));
    return p.kind == ServerKind::cassandra ? wait_ring(cassandra, out) : Status();
  }
  return Error(Errc::not_found, fmt::format("no node named {} in a stack of {} Cassandra nodes and {} Kafka brokers",
                                            node, settings_.cassandra_nodes, settings_.kafka_brokers));
}

Status LocalStack::up(std::ostream& out) {
  auto plans = plan_stack(settings_);
  if (!plans.ok()) return plans.error();
  std::error_code ec;
  fs::create_directories(settings_.home, ec);
  if (ec) return Error(Errc::io, fmt::format("cannot create {}: {}", settings_.home, ec.message()));
  // Cassandra nodes join one at a time (concurrent bootstrap is refused); Kafka starts beside
  // the first Cassandra node, since the two JVMs do not depend on each other.
  std::vector<NodePlan> kafka, cassandra;
  for (auto& p : *plans) {
    use_recorded_auth(p);
    (p.kind == ServerKind::kafka ? kafka : cassandra).push_back(p);
  }
  for (const auto& p : kafka) SLUICE_TRY(start_node(p, out));
  SLUICE_TRY(start_node(cassandra.front(), out));
  SLUICE_TRY(wait_ready({cassandra.front()}, out));
  for (std::size_t i = 1; i < cassandra.size(); ++i) {
    SLUICE_TRY(start_node(cassandra[i], out));
    SLUICE_TRY(wait_ready({cassandra[i]}, out));
  }
  SLUICE_TRY(wait_ring(cassandra, out));
  if (settings_.cassandra_tls) {
    out << fmt::format("cassandra: TLS (optional) on the CQL port; clients trust {}\n", ca_cert_file(settings_.home));
  }
  return wait_ready(kafka, out);
}

Status LocalStack::down(std::ostream& out) {
  // Every node gets SIGTERM at once: a KRaft quorum stopped one broker at a time leaves the last
  // one waiting minutes for controllers that are gone.
  struct Running {
    std::string name, dir;
    pid_t pid;
  };
  std::vector<Running> running;
  for (const auto& dir : node_dirs(settings_.home)) {
    std::string name = fs::path(dir).filename().string();
    pid_t pid = read_pid(dir);
    if (pid <= 0 || !is_alive(pid, "-Dsluice.node=" + dir)) {
      out << fmt::format("{}: not running\n", name);
      continue;
    }
    running.push_back({name, dir, pid});
  }
  if (running.empty()) return {};
  std::vector<pid_t> pids;
  for (const auto& r : running) pids.push_back(r.pid);
  auto start = std::chrono::steady_clock::now();
  auto left = stop_processes(pids, std::chrono::seconds(settings_.stop_grace_seconds));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& r : running) {
    if (std::find(left.begin(), left.end(), r.pid) != left.end()) {
      out << fmt::format("{}: could not be stopped (pid {})\n", r.name, r.pid);
    } else {
      fs::remove(r.dir + "/pid");
      out << fmt::format("{}: stopped (pid {})\n", r.name, r.pid);
    }
  }
  out << fmt::format("stopped in {:.1f} s\n", secs);
  if (!left.empty()) return Error(Errc::io, "some nodes could not be stopped");
  return {};
}

std::vector<NodeStatus> LocalStack::status() {
  std::vector<NodeStatus> out;
  int brokers = 0;
  auto dirs = node_dirs(settings_.home);
  for (const auto& dir : dirs) {
    auto info = read_info(dir);
    if (info && info->kind == ServerKind::kafka) ++brokers;
  }
  for (const auto& dir : dirs) {
    auto info = read_info(dir);
    if (!info) continue;
    NodeStatus st;
    st.name = fs::path(dir).filename().string();
    st.kind = info->kind;
    st.address = info->address;
    st.port = info->port;
    st.log_file = info->log_file;
    st.auth = info->auth;
    st.pid = read_pid(dir);
    st.running = st.pid > 0 && is_alive(st.pid, "-Dsluice.node=" + dir);
    st.ready =
        st.running && probe_node(st.kind, st.address, st.port, st.auth, st.kind == ServerKind::kafka ? 1 : 0).ok();
    out.push_back(std::move(st));
  }
  return out;
}

Result<std::string> LocalStack::log_file(const std::string& node) {
  for (const auto& dir : node_dirs(settings_.home)) {
    std::string name = fs::path(dir).filename().string();
    auto info = read_info(dir);
    if (!info) continue;
    if (name == node || (node == kind_name(info->kind) && name == std::string(kind_name(info->kind)) + "-1")) {
      return info->log_file;
    }
  }
  return Error(Errc::not_found, fmt::format("no node named {} under {}", node, settings_.home));
}

Status LocalStack::kill(const std::string& node, std::ostream& out) {
  std::string dir = settings_.home + "/" + node;
  if (node.empty() || node.find('/') != std::string::npos || !read_info(dir)) {
    return Error(Errc::not_found, fmt::format("no node named {} under {}", node, settings_.home));
  }
  pid_t pid = read_pid(dir);
  // The marker check keeps a recycled pid (a stale pid file) from killing somebody else's process.
  if (pid <= 0 || !is_alive(pid, "-Dsluice.node=" + dir)) {
    out << fmt::format("{}: not running\n", node);
    return {};
  }
  if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
    return Error(Errc::io, fmt::format("{}: kill({}): {}", node, pid, std::strerror(errno)));
  }
  for (int i = 0; i < 200 && is_alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (is_alive(pid)) return Error(Errc::io, fmt::format("{}: pid {} still alive 10 s after SIGKILL", node, pid));
  out << fmt::format("{}: killed (pid {})\n", node, pid);
  return {};
}

}  // namespace sluice::localstack
