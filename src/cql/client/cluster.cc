// The cluster side of a session: event loops, host pools, and the control thread that keeps the
// control connection, the topology, the schema metadata and the pools up to date.
#include <algorithm>
#include <fmt/format.h>
#include <random>
#include <set>

#include <spdlog/spdlog.h>
#include "cql/client/session_impl.h"
#include "cql/routing/replication.h"

namespace sluice::cql {

namespace {

constexpr auto kControlTick = std::chrono::milliseconds(100);

// Text of a cell, or "" when null or not text.
std::string text_cell(const Rows& rows, std::size_t row, std::size_t col) {
  auto v = rows.cell(row, col);
  if (!v.ok()) return {};
  if (auto* s = std::get_if<std::string>(&*v)) return *s;
  if (auto* u = std::get_if<Uuid>(&*v)) return u->to_string();
  if (auto* i = std::get_if<Inet>(&*v)) return i->to_string();
  return {};
}

std::optional<std::int32_t> int_cell(const Rows& rows, std::size_t row, std::size_t col) {
  auto v = rows.cell(row, col);
  if (!v.ok()) return std::nullopt;
  if (auto* i = std::get_if<std::int32_t>(&*v)) return *i;
  return std::nullopt;
}

std::vector<std::int64_t> token_cell(const Rows& rows, std::size_t row, std::size_t col) {
  std::vector<std::int64_t> tokens;
  auto v = rows.cell(row, col);
  if (!v.ok()) return tokens;
  const auto* set = std::get_if<Set>(&*v);
  if (set == nullptr) return tokens;
  for (const auto& item : set->items) {
    if (const auto* s = std::get_if<std::string>(&item)) {
      try {
        tokens.push_back(std::stoll(*s));
      } catch (const std::exception&) {  // a non-Murmur3 partitioner: no token-aware routing
        return {};
      }
    }
  }
  return tokens;
}

std::map<std::string, std::string> map_cell(const Rows& rows, std::size_t row, std::size_t col) {
  std::map<std::string, std::string> out;
  auto v = rows.cell(row, col);
  if (!v.ok()) return out;
  if (const auto* m = std::get_if<Map>(&*v)) {
    for (const auto& [k, val] : m->entries) {
      const auto* ks = std::get_if<std::string>(&k);
      const auto* vs = std::get_if<std::string>(&val);
      if (ks != nullptr && vs != nullptr) out[*ks] = *vs;
    }
  }
  return out;
}

std::vector<std::string> list_cell(const Rows& rows, std::size_t row, std::size_t col) {
  std::vector<std::string> out;
  auto v = rows.cell(row, col);
  if (!v.ok()) return out;
  if (const auto* l = std::get_if<List>(&*v)) {
    for (const auto& item : l->items) {
      if (const auto* s = std::get_if<std::string>(&item)) out.push_back(*s);
    }
  }
  return out;
}

}  // namespace

// ---- IoLoop ----

IoLoop::IoLoop() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

IoLoop::~IoLoop() { stop(); }

void IoLoop::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

// ---- Host, Topology ----

std::shared_ptr<AsyncConnection> Host::pick() const {
  std::lock_guard lock(mu);
  std::shared_ptr<AsyncConnection> best;
  for (const auto& c : connections) {
    if (!c->is_open()) continue;
    if (!best || c->in_flight() < best->in_flight()) best = c;
  }
  return best;
}

std::size_t Host::open_connections() const {
  std::lock_guard lock(mu);
  return static_cast<std::size_t>(
      std::count_if(connections.begin(), connections.end(), [](const auto& c) { return c->is_open(); }));
}

std::shared_ptr<Host> Topology::find(std::string_view endpoint) const {
  auto it = std::lower_bound(hosts.begin(), hosts.end(), endpoint,
                             [](const auto& h, std::string_view e) { return h->endpoint < e; });
  if (it != hosts.end() && (*it)->endpoint == endpoint) return *it;
  return nullptr;
}

// ---- the control thread ----

ConnectionSettings SessionImpl::connection_settings(const std::string& address, std::uint16_t port) const {
  ConnectionSettings s;
  s.host = address;
  s.port = port;
  s.version = version_;
  s.compression = options_.compression;
  s.credentials = options_.credentials;
  s.tls = options_.tls;
  s.connect_timeout = options_.connect_timeout;
  s.heartbeat_interval = options_.heartbeat_interval;
  s.max_in_flight = options_.max_requests_per_connection;
  s.keyspace = options_.keyspace;
  return s;
}

Future<Response> SessionImpl::send_query(AsyncConnection& conn, const std::string& cql) const {
  std::string frame;
  QueryParams params;
  params.consistency = Consistency::one;
  params.page_size = 0;
  encode_query(conn.version(), 0, cql, params, frame);
  Promise<Response> promise;
  auto handler = std::make_shared<CallbackHandler>([promise](Result<Response> r) { promise.set(std::move(r)); });
  if (!conn.send(std::move(frame), Clock::now() + options_.request_timeout, handler)) {
    return Future<Response>::ready(Error(Errc::unavailable, fmt::format("{} busy or closed", conn.endpoint())));
  }
  return promise.future();
}

Result<Rows> SessionImpl::rows_of(const Result<Response>& response, std::string_view cql) const {
  if (!response.ok()) return response.error();
  auto message = read_response(version_, *response, cql);
  if (!message.ok()) return message.error();
  if (auto* rows = std::get_if<Rows>(&*message)) return std::move(*rows);
  return Error(Errc::protocol, fmt::format("'{}' did not answer with rows", cql));
}

Result<Rows> SessionImpl::control_query(const std::string& cql) {
  auto conn = control_;
  if (!conn || !conn->is_open()) return Error(Errc::unavailable, "no control connection");
  return rows_of(send_query(*conn, cql).get(), cql);
}

Status SessionImpl::control_connect() {
  // Contact points first, then every host we know of.
  std::vector<std::pair<std::string, std::uint16_t>> candidates;
  for (const auto& c : options_.contact_points) candidates.emplace_back(c, options_.port);
  if (auto topo = topology()) {
    for (const auto& h : topo->hosts) candidates.emplace_back(h->address, h->port);
  }
  std::string why;
  for (const auto& [address, port] : candidates) {
    ConnectionSettings s = connection_settings(address, port);
    s.version = topology_ ? version_ : options_.max_protocol_version;
    s.keyspace.clear();
    s.register_events = {"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"};
    Promise<std::shared_ptr<AsyncConnection>> promise;
    AsyncConnection::connect(loop(0).io(), s, [promise](Result<std::shared_ptr<AsyncConnection>> r) {
      promise.set(std::move(r));
    });
    auto conn = promise.future().get();
    if (!conn.ok()) {
      why += fmt::format("\n  {}:{}: {}", address, port, conn.error().message());
      // Bad credentials or TLS trouble will not get better on another node: stop here.
      if (conn.error().code() == Errc::invalid_argument || conn.error().detail() == 0x0100) return conn.error();
      continue;
    }
    auto weak = weak_from_this();
    (*conn)->set_event_handler([weak](const Event& e) {
      if (auto self = weak.lock()) self->on_event(e);
    });
    (*conn)->set_close_handler([weak](const Error&) {
      if (auto self = weak.lock()) self->pool_changed();
    });
    // The first control connection settles the session's protocol version; later ones are
    // opened at that version (requests read version_ without a lock).
    if (!topology_) version_ = (*conn)->version();
    control_ = *conn;
    return ok_status();
  }
  return Error(Errc::unavailable, fmt::format("no contact point answered:{}", why));
}

Status SessionImpl::refresh_topology() {
  auto local = control_query(
      "SELECT data_center, rack, tokens, host_id, release_version FROM system.local WHERE key='local'");
  if (!local.ok()) return local.error();
  if (local->row_count != 1) return Error(Errc::protocol, "system.local has no row");

  struct Found {
    std::string address;
    std::uint16_t port;
    std::string dc, rack, host_id, release;
    std::vector<std::int64_t> tokens;
  };
  std::vector<Found> found;
  found.push_back({control_->settings().host, control_->settings().port, text_cell(*local, 0, 0),
                   text_cell(*local, 0, 1), text_cell(*local, 0, 3), text_cell(*local, 0, 4), token_cell(*local, 0, 2)});

  auto peers = control_query(
      "SELECT native_address, native_port, data_center, rack, tokens, host_id, release_version FROM system.peers_v2");
  if (peers.ok()) {
    for (std::size_t r = 0; r < peers->row_count; ++r) {
      auto port = int_cell(*peers, r, 1);
      found.push_back({text_cell(*peers, r, 0), static_cast<std::uint16_t>(port.value_or(options_.port)),
                       text_cell(*peers, r, 2), text_cell(*peers, r, 3), text_cell(*peers, r, 5),
                       text_cell(*peers, r, 6), token_cell(*peers, r, 4)});
    }
  } else {
    // Before 4.0: system.peers, where every node uses our port.
    auto old = control_query("SELECT rpc_address, data_center, rack, tokens, host_id, release_version FROM system.peers");
    if (!old.ok()) return old.error();
    for (std::size_t r = 0; r < old->row_count; ++r) {
      found.push_back({text_cell(*old, r, 0), options_.port, text_cell(*old, r, 1), text_cell(*old, r, 2),
                       text_cell(*old, r, 4), text_cell(*old, r, 5), token_cell(*old, r, 3)});
    }
  }

  auto keyspaces = control_query("SELECT keyspace_name, replication FROM system_schema.keyspaces");
  if (!keyspaces.ok()) return keyspaces.error();

  auto previous = topology();
  auto next = std::make_shared<Topology>();
  if (previous) next->schema = previous->schema;
  std::size_t loop_index = previous ? previous->hosts.size() : 0;
  for (auto& f : found) {
    if (f.address.empty()) continue;
    std::string endpoint = fmt::format("{}:{}", f.address, f.port);
    std::shared_ptr<Host> host = previous ? previous->find(endpoint) : nullptr;
    if (!host) {
      // Identity and placement are set once, before the host is published: requests read them
      // without a lock. A node that moves datacenter is a new node to a driver.
      host = std::make_shared<Host>();
      host->address = f.address;
      host->port = f.port;
      host->endpoint = endpoint;
      host->loop = loop_index++ % loops_.size();
      host->datacenter = f.dc;
      host->rack = f.rack;
    }
    {
      std::lock_guard lock(host->mu);
      host->host_id = f.host_id;
      host->release_version = f.release;
    }
    host->tokens = f.tokens;  // read by this thread only
    next->hosts.push_back(host);
  }
  std::sort(next->hosts.begin(), next->hosts.end(), [](const auto& a, const auto& b) { return a->endpoint < b->endpoint; });
  // Hosts that left: close their pools.
  if (previous) {
    for (const auto& h : previous->hosts) {
      if (next->find(h->endpoint)) continue;
      std::lock_guard lock(h->mu);
      for (auto& c : h->connections) c->close();
      h->connections.clear();
      h->up = false;
    }
  }
  if (options_.local_datacenter.empty()) {
    for (const auto& h : next->hosts) {
      if (h->endpoint == fmt::format("{}:{}", control_->settings().host, control_->settings().port)) {
        options_.local_datacenter = h->datacenter;
      }
    }
  }

  std::vector<RingHost> ring;
  for (const auto& h : next->hosts) ring.push_back({h->endpoint, h->datacenter, h->rack, h->tokens});
  std::vector<TokenMap::Keyspace> spaces;
  for (std::size_t r = 0; r < keyspaces->row_count; ++r) {
    auto replication = parse_replication(map_cell(*keyspaces, r, 1));
    if (replication.ok()) spaces.push_back({text_cell(*keyspaces, r, 0), *replication});
  }
  auto tokens = TokenMap::build(ring, spaces);
  if (tokens.ok()) {
    next->tokens = std::move(*tokens);
    const auto& ring_hosts = next->tokens->ring().hosts();
    next->ring_to_host.resize(ring_hosts.size());
    for (std::size_t i = 0; i < ring_hosts.size(); ++i) {
      auto it = std::find_if(next->hosts.begin(), next->hosts.end(),
                             [&](const auto& h) { return h->endpoint == ring_hosts[i].id; });
      next->ring_to_host[i] = static_cast<std::uint32_t>(it - next->hosts.begin());
    }
  } else {
    spdlog::warn("cql: no token-aware routing: {}", tokens.error().message());
  }
  publish(next);
  return ok_status();
}

Status SessionImpl::refresh_schema() {
  auto keyspaces = control_query("SELECT keyspace_name, replication FROM system_schema.keyspaces");
  if (!keyspaces.ok()) return keyspaces.error();
  auto types = control_query("SELECT keyspace_name, type_name, field_names, field_types FROM system_schema.types");
  if (!types.ok()) return types.error();
  auto tables = control_query("SELECT keyspace_name, table_name FROM system_schema.tables");
  if (!tables.ok()) return tables.error();
  auto columns = control_query(
      "SELECT keyspace_name, table_name, column_name, kind, position, type FROM system_schema.columns");
  if (!columns.ok()) return columns.error();

  std::map<std::string, KeyspaceMetadata> out;
  for (std::size_t r = 0; r < keyspaces->row_count; ++r) {
    auto name = text_cell(*keyspaces, r, 0);
    auto replication = parse_replication(map_cell(*keyspaces, r, 1));
    out[name] = {name, replication.ok() ? replication->to_string() : "unknown", {}, {}};
  }
  // User types first: column types may name them.
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<std::string>, std::vector<std::string>>> raw_types;
  for (std::size_t r = 0; r < types->row_count; ++r) {
    raw_types[{text_cell(*types, r, 0), text_cell(*types, r, 1)}] = {list_cell(*types, r, 2), list_cell(*types, r, 3)};
  }
  std::function<Result<DataType>(std::string_view, std::string_view)> resolve;
  resolve = [&](std::string_view ks, std::string_view name) -> Result<DataType> {
    auto it = raw_types.find({std::string(ks), std::string(name)});
    if (it == raw_types.end()) return Error(Errc::not_found, fmt::format("no user type {}.{}", ks, name));
    DataType t;
    t.id = TypeId::udt;
    t.udt_keyspace = std::string(ks);
    t.udt_name = std::string(name);
    for (std::size_t i = 0; i < it->second.first.size() && i < it->second.second.size(); ++i) {
      auto field = parse_cql_type(it->second.second[i], {.keyspace = std::string(ks), .resolve_udt = resolve});
      if (!field.ok()) return field.error();
      t.udt_fields.push_back(it->second.first[i]);
      t.params.push_back(*field);
    }
    return t;
  };
  for (const auto& [key, fields] : raw_types) {
    auto t = resolve(key.first, key.second);
    if (!t.ok()) continue;
    UserTypeMetadata u{key.second, {}};
    for (std::size_t i = 0; i < t->params.size(); ++i) u.fields.emplace_back(t->udt_fields[i], t->params[i]);
    out[key.first].user_types.push_back(std::move(u));
  }
  std::map<std::pair<std::string, std::string>, TableMetadata> by_table;
  for (std::size_t r = 0; r < tables->row_count; ++r) {
    by_table[{text_cell(*tables, r, 0), text_cell(*tables, r, 1)}].name = text_cell(*tables, r, 1);
  }
  for (std::size_t r = 0; r < columns->row_count; ++r) {
    auto ks = text_cell(*columns, r, 0);
    auto it = by_table.find({ks, text_cell(*columns, r, 1)});
    if (it == by_table.end()) continue;  // a view's column
    auto type = parse_cql_type(text_cell(*columns, r, 5), {.keyspace = ks, .resolve_udt = resolve});
    it->second.columns.push_back({text_cell(*columns, r, 2), text_cell(*columns, r, 3),
                                  int_cell(*columns, r, 4).value_or(-1), type.ok() ? *type : DataType{}});
  }
  auto rank = [](const std::string& kind) {
    if (kind == "partition_key") return 0;
    if (kind == "clustering") return 1;
    if (kind == "static") return 2;
    return 3;
  };
  for (auto& [key, table] : by_table) {
    std::sort(table.columns.begin(), table.columns.end(), [&](const auto& a, const auto& b) {
      if (rank(a.kind) != rank(b.kind)) return rank(a.kind) < rank(b.kind);
      if (rank(a.kind) < 2 && a.position != b.position) return a.position < b.position;
      return a.name < b.name;
    });
    out[key.first].tables.push_back(std::move(table));
  }
  auto next = std::make_shared<Topology>(*topology());
  next->schema.clear();
  for (auto& [name, ks] : out) next->schema.push_back(std::move(ks));
  publish(next);
  return ok_status();
}

Result<bool> SessionImpl::schema_agreed() {
  // Every up node is asked for its own schema version, on one of its pool's connections. The
  // peers table alone is not enough: it learns versions by gossip, and right after DDL it can
  // still show the old version everywhere, the coordinator's included.
  auto topo = topology();
  static const std::string kQuery = "SELECT schema_version FROM system.local WHERE key='local'";
  std::vector<Future<Response>> answers;
  for (const auto& host : topo->hosts) {
    if (!host->up) continue;  // a down node catches up when it returns
    if (auto conn = host->pick()) answers.push_back(send_query(*conn, kQuery));
  }
  std::set<std::string> versions;
  for (auto& f : answers) {
    auto response = f.get();
    if (!response.ok()) continue;  // that node is going down: not a disagreement
    auto rows = rows_of(response, kQuery);
    if (!rows.ok()) return rows.error();
    if (rows->row_count != 1) return Error(Errc::protocol, "system.local without its row");
    versions.insert(text_cell(*rows, 0, 0));
  }
  return versions.size() <= 1;
}

void SessionImpl::on_event(const Event& e) {
  std::lock_guard lock(control_mu_);
  switch (e.kind) {
    case Event::Kind::topology_change:
      topology_dirty_ = true;
      break;
    case Event::Kind::status_change:
      // DOWN is left to the connections (they notice); UP means: reconnect now.
      if (e.change == "UP") {
        if (auto topo = topology()) {
          if (auto host = topo->find(fmt::format("{}:{}", e.address, options_.port))) {
            std::lock_guard hl(host->mu);
            host->next_attempt = Clock::now();
            host->failures = 0;
          }
        }
        pools_dirty_ = true;
      }
      break;
    case Event::Kind::schema_change:
      schema_dirty_ = true;
      if (e.schema.target == "KEYSPACE") topology_dirty_ = true;  // replication may have changed
      break;
  }
  control_cv_.notify_all();
}

void SessionImpl::pool_changed() {
  {
    std::lock_guard lock(control_mu_);
    pools_dirty_ = true;
  }
  control_cv_.notify_all();
}

void SessionImpl::post_control(std::function<void()> job) {
  {
    std::lock_guard lock(control_mu_);
    control_jobs_.push_back(std::move(job));
  }
  control_cv_.notify_all();
}

void SessionImpl::open_connection(const std::shared_ptr<Host>& host) {
  {
    std::lock_guard lock(host->mu);
    ++host->connecting;
  }
  auto self = shared_from_this();
  AsyncConnection::connect(loop(host->loop).io(), connection_settings(host->address, host->port),
                           [self, host](Result<std::shared_ptr<AsyncConnection>> r) {
    if (!r.ok()) {
      std::lock_guard lock(host->mu);
      --host->connecting;
      ++host->failures;
      // Exponential backoff with jitter, capped.
      auto base = self->options_.reconnect_base_delay * (1LL << std::min(host->failures, 16));
      auto delay = std::min<std::chrono::milliseconds>(base, self->options_.reconnect_max_delay);
      thread_local std::minstd_rand rng{std::random_device{}()};
      delay = delay / 2 + std::chrono::milliseconds(rng() % (delay.count() / 2 + 1));
      host->next_attempt = Clock::now() + delay;
      if (host->connections.empty() || std::none_of(host->connections.begin(), host->connections.end(),
                                                    [](const auto& c) { return c->is_open(); })) {
        if (host->up.exchange(false)) spdlog::warn("cql: host {} is down: {}", host->endpoint, r.error().message());
      }
      return;
    }
    auto conn = *r;
    std::weak_ptr<SessionImpl> weak = self;
    conn->set_close_handler([weak, host](const Error& why) {
      auto session = weak.lock();
      if (!session || session->closed_) return;
      bool none_left = false;
      {
        std::lock_guard lock(host->mu);
        none_left = std::none_of(host->connections.begin(), host->connections.end(),
                                 [](const auto& c) { return c->is_open(); });
        if (none_left) host->up = false;
      }
      if (none_left) spdlog::warn("cql: host {} is down: {}", host->endpoint, why.message());
      session->pool_changed();
    });
    auto add = [self, host, conn] {
      std::lock_guard lock(host->mu);
      --host->connecting;
      host->failures = 0;
      std::erase_if(host->connections, [](const auto& c) { return !c->is_open(); });
      host->connections.push_back(conn);
      if (!host->up.exchange(true) && host->ever_up) spdlog::info("cql: host {} is up again", host->endpoint);
      host->ever_up = true;
    };
    // A host that comes back forgot our prepared statements (or may have): prepare them on the
    // new connection before it takes requests.
    auto statements = self->prepared_statements();
    if (!host->ever_up || statements.empty()) return add();
    auto remaining = std::make_shared<std::atomic<std::size_t>>(statements.size());
    for (const auto& p : statements) {
      std::string frame;
      encode_prepare(conn->version(), 0, p->cql, "", frame);
      auto handler = std::make_shared<CallbackHandler>([remaining, add](const Result<Response>&) {
        if (remaining->fetch_sub(1) == 1) add();
      });
      if (!conn->send(std::move(frame), Clock::now() + self->options_.request_timeout, handler)) {
        if (remaining->fetch_sub(1) == 1) add();
      }
    }
  });
}

void SessionImpl::maintain_pools() {
  auto topo = topology();
  if (!topo) return;
  auto now = Clock::now();
  for (const auto& host : topo->hosts) {
    if (!options_.use_remote_datacenters && !options_.local_datacenter.empty() &&
        host->datacenter != options_.local_datacenter) {
      continue;
    }
    std::size_t missing = 0;
    {
      std::lock_guard lock(host->mu);
      std::erase_if(host->connections, [](const auto& c) { return !c->is_open(); });
      if (host->connecting > 0 || host->next_attempt > now) continue;
      missing = options_.connections_per_host - std::min(options_.connections_per_host, host->connections.size());
    }
    for (std::size_t i = 0; i < missing; ++i) open_connection(host);
  }
}

void SessionImpl::publish(std::shared_ptr<const Topology> topology) {
  std::lock_guard lock(topology_mu_);
  topology_ = std::move(topology);
}

void SessionImpl::control_main() {
  while (true) {
    std::deque<std::function<void()>> jobs;
    bool topology_dirty = false, schema_dirty = false;
    {
      std::unique_lock lock(control_mu_);
      control_cv_.wait_for(lock, kControlTick, [&] {
        return stopping_ || !control_jobs_.empty() || topology_dirty_ || schema_dirty_ || pools_dirty_;
      });
      if (stopping_) break;
      jobs.swap(control_jobs_);
      topology_dirty = std::exchange(topology_dirty_, false);
      schema_dirty = std::exchange(schema_dirty_, false);
      pools_dirty_ = false;
    }
    if (!control_ || !control_->is_open()) {
      if (Clock::now() >= control_next_attempt_) {
        if (auto st = control_connect(); !st.ok()) {
          ++control_failures_;
          auto delay = std::min<std::chrono::milliseconds>(
              options_.reconnect_base_delay * (1LL << std::min(control_failures_, 16)), options_.reconnect_max_delay);
          control_next_attempt_ = Clock::now() + delay;
          spdlog::warn("cql: control connection: {}", st.error().message());
        } else {
          control_failures_ = 0;
          topology_dirty = schema_dirty = true;  // events were missed while it was down
        }
      }
    }
    if (topology_dirty) {
      if (auto st = refresh_topology(); !st.ok()) spdlog::warn("cql: topology refresh: {}", st.error().message());
    }
    if (schema_dirty) {
      if (auto st = refresh_schema(); !st.ok()) spdlog::warn("cql: schema refresh: {}", st.error().message());
    }
    maintain_pools();
    for (auto& job : jobs) job();
  }
}

}  // namespace sluice::cql
