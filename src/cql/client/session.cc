// Requests: how a statement becomes frames, finds a host, and survives failures.
#include "cql/client/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cql/client/session_impl.h"
#include "cql/routing/partition_key.h"

namespace sluice::cql {

namespace {

constexpr int kMaxReprepares = 2;

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Checks every bound value against its column type, so a wrong value is a clear error here and
// not an opaque server error (or worse, a value of the wrong size accepted as another type).
Status check_values(const PreparedData& p, const std::vector<Value>& values) {
  if (values.size() != p.bind_columns.size()) {
    return Error(Errc::invalid_argument, fmt::format("'{}' takes {} values, {} given", p.cql, p.bind_columns.size(),
                                                     values.size()));
  }
  thread_local std::string scratch;
  for (std::size_t i = 0; i < values.size(); ++i) {
    scratch.clear();
    ByteWriter w(scratch);
    if (auto st = write_typed(p.bind_columns[i].type, values[i], w); !st.ok()) {
      return Error(Errc::invalid_argument, fmt::format("value {} ({}) of '{}': {}", i, p.bind_columns[i].name, p.cql,
                                                       st.error().message()));
    }
  }
  return ok_status();
}

// The partition token of a bound statement, when its partition key values are all bound.
std::optional<std::int64_t> routing_token(const PreparedData& p, const std::vector<Value>& values) {
  if (p.partition_key_indexes.empty()) return std::nullopt;
  std::vector<std::string> parts;
  parts.reserve(p.partition_key_indexes.size());
  for (auto index : p.partition_key_indexes) {
    if (index >= values.size()) return std::nullopt;
    auto cell = encode_cell(p.bind_columns[index].type, values[index]);
    if (!cell.ok()) return std::nullopt;
    parts.push_back(std::move(*cell));
  }
  std::vector<Bytes> spans;
  spans.reserve(parts.size());
  for (const auto& s : parts) spans.push_back(as_bytes(s));
  auto token = partition_token(spans);
  if (!token.ok()) return std::nullopt;
  return *token;
}

}  // namespace

Result<ResultMessage> read_response(ProtocolVersion version, const Response& response, std::string_view context) {
  switch (response.opcode) {
    case Opcode::result:
      return decode_result(version, as_bytes(response.body));
    case Opcode::error: {
      auto error = decode_error(version, as_bytes(response.body));
      if (!error.ok()) return error.error();
      return make_server_error(std::move(*error), context);
    }
    default:
      return Error(Errc::protocol, fmt::format("{}: unexpected answer opcode 0x{:02x}", context,
                                               static_cast<int>(response.opcode)));
  }
}

// ---- one request, from its first attempt to its answer ----

class RequestExecution : public ResponseHandler, public std::enable_shared_from_this<RequestExecution> {
 public:
  RequestExecution(std::shared_ptr<SessionImpl> session, std::string frame, std::string context,
                   std::chrono::milliseconds timeout, RetryContext retry)
      : session_(std::move(session)), frame_(std::move(frame)), context_(std::move(context)),
        deadline_(Clock::now() + timeout), retry_(retry) {}

  // Plans the hosts and sends the first attempt. `token` routes to the partition's replicas.
  void start(std::optional<std::int64_t> token, const std::string& keyspace) {
    topology_ = session_->topology();
    std::vector<PlanHost> hosts;
    hosts.reserve(topology_->hosts.size());
    for (const auto& h : topology_->hosts) hosts.push_back({h->datacenter, h->up.load(std::memory_order_relaxed)});
    std::vector<std::uint32_t> replicas;
    if (token && session_->options().token_aware && topology_->tokens && !keyspace.empty()) {
      for (auto ring_index : topology_->tokens->replicas(keyspace, *token)) {
        replicas.push_back(topology_->ring_to_host[ring_index]);
      }
    }
    plan_ = make_query_plan(hosts, replicas, session_->options().local_datacenter, session_->next_rotation(),
                            session_->options().use_remote_datacenters);
    next_host();
  }

  Future<ResultSet> future() const { return promise_.future(); }
  void set_prepared(std::vector<std::shared_ptr<const PreparedData>> prepared) { prepared_ = std::move(prepared); }

  void on_response(Result<Response> response) override {
    if (!response.ok()) return failed(response.error());
    auto message = read_response(session_->version(), *response, context_);
    if (!message.ok()) {
      const ServerError* server = server_error_of(message.error());
      if (server != nullptr && server->code == ServerErrorCode::unprepared) return reprepare(*server);
      return failed(message.error());
    }
    if (auto* rows = std::get_if<Rows>(&*message); rows != nullptr && rows->columns.empty() && !prepared_.empty()) {
      const auto& columns = prepared_.front()->result_columns;  // skip_metadata: a single EXECUTE
      if (columns.size() == rows->column_count) rows->columns = columns;
    }
    ResultSet result(std::move(*message), host_->endpoint, std::move(response->warnings));
    if (result.schema_change()) {
      // DDL: answer once every node has the new schema, so the next statement can use it.
      auto self = shared_from_this();
      session_->post_control([self, result = std::move(result)]() mutable {
        auto agreed = self->session_->wait_for_schema_agreement_blocking();
        if (!agreed.ok()) spdlog::warn("cql: after '{}': {}", self->context_, agreed.error().message());
        self->promise_.set(std::move(result));
      });
      return;
    }
    promise_.set(std::move(result));
  }

 private:
  // Tries the plan's hosts in order until one takes the request.
  void next_host() {
    while (plan_pos_ < plan_.size()) {
      auto host = topology_->hosts[plan_[plan_pos_++]];
      if (send_to(host)) return;
    }
    if (!last_error_) {
      last_error_ = Error(Errc::unavailable, plan_.empty() ? "no host is up" : "every host of the plan is busy or down");
    }
    promise_.set(with_context(*last_error_));
  }

  // Server errors already name the request (read_response); the others get its text here.
  Error with_context(const Error& e) const {
    if (e.code() == Errc::server) return e;
    return Error(e.code(), fmt::format("{}: {}", context_, e.message()), e.detail(), e.payload());
  }

  bool send_to(const std::shared_ptr<Host>& host) {
    auto conn = host->pick();
    if (!conn) {
      last_error_ = Error(Errc::unavailable, fmt::format("{} has no open connection", host->endpoint));
      return false;
    }
    if (Clock::now() >= deadline_) {
      last_error_ = Error(Errc::timeout, "request timed out before it could be sent");
      plan_pos_ = plan_.size();
      return false;
    }
    host_ = host;
    if (!conn->send(frame_, deadline_, shared_from_this())) {
      last_error_ = Error(Errc::unavailable, fmt::format("{} is busy", host->endpoint));
      return false;
    }
    host->requests.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  void failed(const Error& error) {
    auto action = decide_retry(error, retry_);
    if (action != RetryAction::rethrow) ++retry_.retries;
    last_error_ = error;
    switch (action) {
      case RetryAction::retry_same:
        if (send_to(host_)) return;
        return next_host();
      case RetryAction::retry_next:
        return next_host();
      case RetryAction::rethrow:
        return promise_.set(with_context(error));
    }
  }

  // The host forgot a prepared statement (restarted, or evicted it): prepare it there, then send
  // the request again.
  void reprepare(const ServerError& error) {
    const PreparedData* p = nullptr;
    for (const auto& candidate : prepared_) {
      if (candidate->id == error.unprepared_id) p = candidate.get();
    }
    if (p == nullptr || ++reprepares_ > kMaxReprepares) {
      return promise_.set(Error(Errc::server, fmt::format("{}: {}", context_, error.to_string()),
                                static_cast<int>(error.code)));
    }
    auto conn = host_->pick();
    if (!conn) return failed(Error(Errc::unavailable, "connection lost while re-preparing"));
    std::string frame;
    encode_prepare(conn->version(), 0, p->cql, "", frame);
    auto self = shared_from_this();
    auto handler = std::make_shared<CallbackHandler>([self](Result<Response> r) {
      if (!r.ok()) return self->failed(r.error());
      if (r->opcode != Opcode::result) {
        return self->failed(Error(Errc::server, fmt::format("{}: re-prepare failed", self->context_)));
      }
      if (!self->send_to(self->host_)) self->next_host();
    });
    if (!conn->send(std::move(frame), deadline_, handler)) failed(Error(Errc::unavailable, "busy while re-preparing"));
  }

  std::shared_ptr<SessionImpl> session_;
  std::string frame_;
  std::string context_;  // what the request is, for error messages
  Clock::time_point deadline_;
  RetryContext retry_;
  Promise<ResultSet> promise_;
  std::shared_ptr<const Topology> topology_;
  std::vector<std::uint32_t> plan_;
  std::size_t plan_pos_ = 0;
  std::shared_ptr<Host> host_;
  std::optional<Error> last_error_;
  std::vector<std::shared_ptr<const PreparedData>> prepared_;
  int reprepares_ = 0;
};

// ---- SessionImpl ----

SessionImpl::SessionImpl(SessionOptions options) : options_(std::move(options)) {
  options_.io_threads = std::max<std::size_t>(1, options_.io_threads);
  options_.connections_per_host = std::max<std::size_t>(1, options_.connections_per_host);
  for (std::size_t i = 0; i < options_.io_threads; ++i) loops_.push_back(std::make_unique<IoLoop>());
}

SessionImpl::~SessionImpl() { close(); }

Status SessionImpl::start() {
  if (options_.contact_points.empty()) return Error(Errc::invalid_argument, "no contact points");
  SLUICE_TRY(control_connect());
  SLUICE_TRY(refresh_topology());
  if (auto st = refresh_schema(); !st.ok()) spdlog::warn("cql: schema metadata: {}", st.error().message());
  maintain_pools();
  // Wait until some host can take requests.
  auto deadline = Clock::now() + options_.connect_timeout;
  while (Clock::now() < deadline) {
    for (const auto& h : topology()->hosts) {
      if (h->up) {
        control_thread_ = std::thread([this] { control_main(); });
        return ok_status();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Error(Errc::unavailable, "no host accepted a connection in time");
}

void SessionImpl::close() {
  if (closed_.exchange(true)) return;
  {
    std::lock_guard lock(control_mu_);
    stopping_ = true;
  }
  control_cv_.notify_all();
  if (control_thread_.joinable()) control_thread_.join();
  if (control_) control_->close();
  if (auto topo = topology()) {
    for (const auto& h : topo->hosts) {
      std::lock_guard lock(h->mu);
      for (auto& c : h->connections) c->close();
      h->connections.clear();
    }
  }
  // Let the loops run the closes (which fail what is outstanding), then stop them.
  for (auto& loop : loops_) {
    Promise<bool> flushed;
    boost::asio::post(loop->io(), [flushed] { flushed.set(true); });
    (void)flushed.future().get();
  }
  for (auto& loop : loops_) loop->stop();
}

std::int64_t SessionImpl::next_timestamp() {
  std::int64_t now = now_micros();
  std::int64_t last = last_timestamp_.load(std::memory_order_relaxed);
  while (true) {
    std::int64_t next = std::max(now, last + 1);
    if (last_timestamp_.compare_exchange_weak(last, next, std::memory_order_relaxed)) return next;
  }
}

std::vector<std::shared_ptr<const PreparedData>> SessionImpl::prepared_statements() const {
  std::lock_guard lock(prepared_mu_);
  std::vector<std::shared_ptr<const PreparedData>> out;
  out.reserve(prepared_.size());
  for (const auto& [key, p] : prepared_) out.push_back(p);
  return out;
}

void SessionImpl::remember(const std::shared_ptr<const PreparedData>& prepared) {
  std::lock_guard lock(prepared_mu_);
  prepared_[prepared->keyspace + "\n" + prepared->cql] = prepared;
}

Status SessionImpl::wait_for_schema_agreement_blocking() {
  auto deadline = Clock::now() + options_.schema_agreement_timeout;
  while (true) {
    auto agreed = schema_agreed();
    if (agreed.ok() && *agreed) return ok_status();
    if (Clock::now() >= deadline) {
      return Error(Errc::timeout, fmt::format("no schema agreement within {} ms",
                                              options_.schema_agreement_timeout.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Future<ResultSet> SessionImpl::execute(Statement s) {
  if (closed_) return Future<ResultSet>::ready(Error(Errc::closed, "the session is closed"));
  QueryParams params;
  params.consistency = s.consistency.value_or(options_.consistency);
  params.serial_consistency = s.serial_consistency;
  params.page_size = s.page_size.value_or(options_.page_size);
  params.paging_state = std::move(s.paging_state);
  params.default_timestamp = s.timestamp;
  if (!params.default_timestamp && options_.client_timestamps) params.default_timestamp = next_timestamp();
  if (s.keyspace && version_ == ProtocolVersion::v4) {
    return Future<ResultSet>::ready(Error(Errc::invalid_argument, "a per-statement keyspace needs protocol v5"));
  }
  params.keyspace = s.keyspace;
  RetryContext retry{.idempotent = s.idempotent, .conditional = s.serial_consistency.has_value(),
                     .counter = s.counter, .retries = 0};
  std::string frame;
  std::optional<std::int64_t> token;
  std::string keyspace = s.keyspace.value_or(options_.keyspace);
  std::string context;
  std::vector<std::shared_ptr<const PreparedData>> prepared;
  if (s.prepared.valid()) {
    const auto& p = *s.prepared.data();
    if (auto st = check_values(p, s.values); !st.ok()) return Future<ResultSet>::ready(st.error());
    token = routing_token(p, s.values);
    if (!p.keyspace.empty()) keyspace = p.keyspace;
    // v5: the rows come without their column specs (the prepared statement has them), which
    // saves the server and us the work per response; if the table changed, the server sends the
    // new metadata with a new id. Not on v4, which has no such id (CASSANDRA-10786).
    params.skip_metadata = version_ == ProtocolVersion::v5 && !p.result_columns.empty();
    params.values = std::move(s.values);
    encode_execute(version_, 0, p.id, p.result_metadata_id, params, frame);
    context = p.cql;
    prepared.push_back(s.prepared.data());
  } else {
    params.values = std::move(s.values);
    encode_query(version_, 0, s.cql, params, frame);
    context = std::move(s.cql);
  }
  if (context.size() > 120) context = context.substr(0, 117) + "...";
  auto exec = std::make_shared<RequestExecution>(shared_from_this(), std::move(frame), std::move(context),
                                                 s.timeout.value_or(options_.request_timeout), retry);
  exec->set_prepared(std::move(prepared));
  auto future = exec->future();
  exec->start(token, keyspace);
  return future;
}

Future<ResultSet> SessionImpl::execute(Batch b) {
  if (closed_) return Future<ResultSet>::ready(Error(Errc::closed, "the session is closed"));
  if (b.statements.empty()) return Future<ResultSet>::ready(Error(Errc::invalid_argument, "an empty batch"));
  BatchParams params;
  params.type = b.type;
  params.consistency = b.consistency.value_or(options_.consistency);
  params.serial_consistency = b.serial_consistency;
  params.default_timestamp = b.timestamp;
  if (!params.default_timestamp && options_.client_timestamps) params.default_timestamp = next_timestamp();
  if (b.keyspace && version_ == ProtocolVersion::v4) {
    return Future<ResultSet>::ready(Error(Errc::invalid_argument, "a per-batch keyspace needs protocol v5"));
  }
  params.keyspace = b.keyspace;
  std::vector<BatchChild> children;
  std::vector<std::shared_ptr<const PreparedData>> prepared;
  std::optional<std::int64_t> token;
  std::string keyspace = b.keyspace.value_or(options_.keyspace);
  for (auto& s : b.statements) {
    if (s.prepared.valid()) {
      const auto& p = *s.prepared.data();
      if (auto st = check_values(p, s.values); !st.ok()) return Future<ResultSet>::ready(st.error());
      if (!token) {
        token = routing_token(p, s.values);
        if (!p.keyspace.empty()) keyspace = p.keyspace;
      }
      children.push_back({.prepared = true, .query = p.id, .values = std::move(s.values)});
      prepared.push_back(s.prepared.data());
    } else {
      children.push_back({.prepared = false, .query = std::move(s.cql), .values = std::move(s.values)});
    }
  }
  std::string frame;
  encode_batch(version_, 0, children, params, frame);
  RetryContext retry{.idempotent = b.idempotent, .conditional = b.serial_consistency.has_value(),
                     .counter = b.type == BatchType::counter, .retries = 0};
  auto exec = std::make_shared<RequestExecution>(shared_from_this(), std::move(frame),
                                                 fmt::format("BATCH of {}", children.size()),
                                                 b.timeout.value_or(options_.request_timeout), retry);
  exec->set_prepared(std::move(prepared));
  auto future = exec->future();
  exec->start(token, keyspace);
  return future;
}

Future<PreparedStatement> SessionImpl::prepare(const std::string& cql) {
  if (closed_) return Future<PreparedStatement>::ready(Error(Errc::closed, "the session is closed"));
  std::string frame;
  encode_prepare(version_, 0, cql, "", frame);
  RetryContext retry{.idempotent = true, .conditional = false, .counter = false, .retries = 0};
  auto exec = std::make_shared<RequestExecution>(shared_from_this(), std::move(frame), cql, options_.request_timeout,
                                                 retry);
  Promise<PreparedStatement> promise;
  auto self = shared_from_this();
  exec->future().then([self, promise, cql](const Result<ResultSet>& r) {
    if (!r.ok()) return promise.set(r.error());
    const auto* p = r->prepared();
    if (p == nullptr) return promise.set(Error(Errc::protocol, fmt::format("PREPARE '{}' did not answer PREPARED", cql)));
    auto data = std::make_shared<PreparedData>();
    data->cql = cql;
    data->id = p->id;
    data->result_metadata_id = p->result_metadata_id;
    data->bind_columns = p->bind_columns;
    data->result_columns = p->result_columns;
    data->partition_key_indexes = p->partition_key_indexes;
    data->keyspace = p->bind_columns.empty() ? self->options_.keyspace : p->bind_columns.front().keyspace;
    self->remember(data);
    // Prepare it on every other up host too, before handing it out, as the reference drivers do:
    // otherwise each host's first EXECUTE costs an UNPREPARED round trip. Failures here are fine
    // (re-prepare on UNPREPARED covers them).
    auto topo = self->topology();
    auto remaining = std::make_shared<std::atomic<std::size_t>>(1);
    auto finish = [promise, data, remaining] {
      if (remaining->fetch_sub(1) == 1) promise.set(PreparedStatement(data));
    };
    for (const auto& host : topo->hosts) {
      if (host->endpoint == r->coordinator() || !host->up) continue;
      auto conn = host->pick();
      if (!conn) continue;
      std::string prepare_frame;
      encode_prepare(conn->version(), 0, cql, "", prepare_frame);
      remaining->fetch_add(1);
      auto handler = std::make_shared<CallbackHandler>([finish](const Result<Response>&) { finish(); });
      if (!conn->send(std::move(prepare_frame), Clock::now() + self->options_.request_timeout, handler)) finish();
    }
    finish();
  });
  exec->start(std::nullopt, {});
  return promise.future();
}

Status SessionImpl::wait_for_schema_agreement() {
  Promise<bool> promise;
  post_control([this, promise] {
    auto st = wait_for_schema_agreement_blocking();
    promise.set(st.ok() ? Result<bool>(true) : Result<bool>(st.error()));
  });
  auto r = promise.future().get();
  if (!r.ok()) return r.error();
  return ok_status();
}

// ---- Session ----

Result<std::shared_ptr<Session>> Session::connect(SessionOptions options) {
  auto impl = std::make_shared<SessionImpl>(std::move(options));
  if (auto st = impl->start(); !st.ok()) {
    impl->close();
    return st.error();
  }
  return std::shared_ptr<Session>(new Session(std::move(impl)));
}

Session::~Session() { close(); }

Future<ResultSet> Session::execute_async(Statement statement) { return impl_->execute(std::move(statement)); }
Future<ResultSet> Session::execute_async(Batch batch) { return impl_->execute(std::move(batch)); }
Future<PreparedStatement> Session::prepare_async(const std::string& cql) { return impl_->prepare(cql); }
PageStream Session::pages(Statement statement) { return PageStream(impl_, std::move(statement)); }
Status Session::wait_for_schema_agreement() { return impl_->wait_for_schema_agreement(); }
ProtocolVersion Session::protocol_version() const { return impl_->version(); }
void Session::close() { impl_->close(); }

std::vector<HostInfo> Session::hosts() const {
  std::vector<HostInfo> out;
  auto topo = impl_->topology();
  if (!topo) return out;
  for (const auto& h : topo->hosts) {
    std::size_t open = h->open_connections();
    std::lock_guard lock(h->mu);
    out.push_back({h->endpoint, h->datacenter, h->rack, h->host_id, h->release_version, h->up.load(), open,
                   h->requests.load()});
  }
  return out;
}

std::vector<KeyspaceMetadata> Session::schema() const {
  auto topo = impl_->topology();
  return topo ? topo->schema : std::vector<KeyspaceMetadata>{};
}

std::optional<KeyspaceMetadata> Session::keyspace(std::string_view name) const {
  for (auto& ks : schema()) {
    if (ks.name == name) return ks;
  }
  return std::nullopt;
}

Result<ResultSet> PageStream::next() {
  if (done_) return Error(Errc::not_found, "no more pages");
  auto page = session_->execute(statement_).get();
  if (!page.ok()) return page.error();
  if (page->has_more_pages()) {
    statement_.paging_state = *page->paging_state();
  } else {
    done_ = true;
  }
  return page;
}

}  // namespace sluice::cql
