#include "sink/writer.h"

#include <algorithm>

#include "cql/protocol/messages.h"

namespace sluice::sink {

namespace {
constexpr std::size_t kMinWindow = 4;
}

WriteFailure classify(const Error& e) {
  switch (e.code()) {
    case Errc::timeout:
    case Errc::unavailable:
    case Errc::io:
    case Errc::closed:
    case Errc::protocol: return WriteFailure::passing;
    case Errc::invalid_argument: return WriteFailure::record;  // the client refused a value for its column
    case Errc::not_found: return WriteFailure::fatal;
    case Errc::server: break;
  }
  using C = cql::ServerErrorCode;
  switch (static_cast<C>(e.detail())) {
    case C::invalid: return WriteFailure::record;
    case C::syntax_error:
    case C::unauthorized:
    case C::config_error:
    case C::already_exists:
    case C::bad_credentials: return WriteFailure::fatal;
    default: return WriteFailure::passing;  // unavailable, overloaded, timeouts, failures, server errors
  }
}

Writer::Writer(std::shared_ptr<cql::Session> session, const config::WriteConfig& config)
    : session_(std::move(session)),
      config_(config),
      inbox_(std::make_shared<Inbox>()),
      window_(static_cast<double>(config.max_in_flight)) {
  stats_.window = config.max_in_flight;
}

Writer::~Writer() {
  // Requests still in flight complete into the inbox, which the callbacks keep alive.
}

void Writer::add(const TableSink& sink, RowWrite row, RowRef ref) {
  ++rows_pending_;
  auto key = std::make_pair(&sink, row.partition_key);
  auto it = open_.find(key);
  if (it != open_.end() && (it->second.rows.size() >= config_.max_batch_rows ||
                            it->second.bytes + row.bytes > config_.max_batch_bytes)) {
    queue_.push_back(std::move(it->second));
    open_.erase(it);
    it = open_.end();
  }
  if (it == open_.end()) it = open_.emplace(std::move(key), Request{.sink = &sink}).first;
  it->second.bytes += row.bytes;
  it->second.rows.push_back(Row{std::move(row), ref});
}

void Writer::flush() {
  for (auto& [key, request] : open_) queue_.push_back(std::move(request));
  open_.clear();
}

void Writer::send(std::uint64_t id, Request& r) {
  const auto& cfg = r.sink->config();
  auto timeout = std::chrono::milliseconds(config_.request_timeout_ms);
  auto statement_of = [&](const Row& row) -> const cql::PreparedStatement& {
    return row.write.kind == RowWrite::Kind::remove ? r.sink->delete_statement() : r.sink->upsert_statement();
  };
  cql::Future<cql::ResultSet> future = [&] {
    if (r.rows.size() == 1) {
      cql::Statement s(statement_of(r.rows[0]), r.rows[0].write.values);
      s.set_consistency(cfg.consistency).set_idempotent(!cfg.counters_at_least_once).set_timeout(timeout);
      return session_->execute_async(std::move(s));
    }
    cql::Batch b(cql::BatchType::unlogged);
    for (const auto& row : r.rows) b.add(statement_of(row), row.write.values);
    b.consistency = cfg.consistency;
    b.idempotent = !cfg.counters_at_least_once;
    b.timeout = timeout;
    ++stats_.batches;
    return session_->execute_async(std::move(b));
  }();
  ++stats_.requests;
  ++in_flight_;
  r.sent = Clock::now();
  ++r.attempts;
  sent_.emplace(id, std::move(r));
  std::weak_ptr<Inbox> inbox = inbox_;
  future.then([inbox, id](const Result<cql::ResultSet>& result) {
    auto box = inbox.lock();
    if (!box) return;
    std::lock_guard lock(box->mu);
    box->items.push_back(Completion{id, result.ok() ? std::nullopt : std::optional<Error>(result.error())});
    box->cv.notify_one();
  });
}

void Writer::on_overload(Clock::time_point now) {
  if (now - last_cut_ < std::chrono::milliseconds(100)) return;
  last_cut_ = now;
  window_ = std::max(static_cast<double>(kMinWindow), window_ / 2);
  successes_since_growth_ = 0;
}

void Writer::finish(std::uint64_t id, std::optional<Error> error, std::vector<Outcome>& out) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return;
  Request r = std::move(it->second);
  sent_.erase(it);
  --in_flight_;
  auto now = Clock::now();
  if (!error) {
    if (++successes_since_growth_ >= static_cast<std::size_t>(window_)) {
      successes_since_growth_ = 0;
      window_ = std::min(static_cast<double>(config_.max_in_flight), window_ + 1);
    }
    Outcome o{.sink = r.sink,
              .latency = std::chrono::duration_cast<std::chrono::microseconds>(now - r.sent),
              .batch_rows = r.rows.size()};
    for (const auto& row : r.rows) o.rows.push_back(row.ref);
    rows_pending_ -= r.rows.size();
    stats_.rows += r.rows.size();
    out.push_back(std::move(o));
    return;
  }
  switch (classify(*error)) {
    case WriteFailure::passing: {
      if (error->code() == Errc::timeout ||
          (error->code() == Errc::server &&
           (error->detail() == static_cast<int>(cql::ServerErrorCode::overloaded) ||
            error->detail() == static_cast<int>(cql::ServerErrorCode::write_timeout)))) {
        on_overload(now);
      }
      ++stats_.retries;
      auto base = std::chrono::milliseconds(100) * (1 << std::min(r.attempts, 6));
      auto delay = std::min<std::chrono::milliseconds>(base, std::chrono::milliseconds(5000));
      std::uniform_int_distribution<std::int64_t> jitter(0, delay.count() / 2);
      auto when = now + delay + std::chrono::milliseconds(jitter(rng_));
      retry_.emplace(when, std::move(r));
      return;
    }
    case WriteFailure::record:
      if (r.rows.size() > 1) {  // find the row at fault: send each on its own
        ++stats_.splits;
        for (auto& row : r.rows) {
          Request single{.sink = r.sink};
          single.bytes = row.write.bytes;
          single.rows.push_back(std::move(row));
          queue_.push_front(std::move(single));
        }
        return;
      }
      [[fallthrough]];
    case WriteFailure::fatal: {
      bool fatal = classify(*error) == WriteFailure::fatal;
      const auto& row = r.rows.front();
      Outcome o{.sink = r.sink,
                .error = std::move(error),
                .fatal = fatal,
                .statement = row.write.kind == RowWrite::Kind::remove ? r.sink->delete_cql() : r.sink->upsert_cql()};
      for (const auto& x : r.rows) o.rows.push_back(x.ref);
      rows_pending_ -= r.rows.size();
      out.push_back(std::move(o));
      return;
    }
  }
}

void Writer::pump(std::vector<Outcome>& out) {
  {
    std::lock_guard lock(inbox_->mu);
    drained_.swap(inbox_->items);
  }
  for (auto& c : drained_) finish(c.id, std::move(c.error), out);
  drained_.clear();
  auto now = Clock::now();
  while (!retry_.empty() && retry_.begin()->first <= now) {
    queue_.push_front(std::move(retry_.begin()->second));
    retry_.erase(retry_.begin());
  }
  stats_.window = static_cast<std::size_t>(window_);
  while (!queue_.empty() && in_flight_ < static_cast<std::size_t>(window_)) {
    Request r = std::move(queue_.front());
    queue_.pop_front();
    send(next_id_++, r);
  }
}

void Writer::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(inbox_->mu);
  if (!retry_.empty()) {
    auto until_retry = std::chrono::duration_cast<std::chrono::milliseconds>(retry_.begin()->first - Clock::now());
    timeout = std::max(std::chrono::milliseconds(0), std::min(timeout, until_retry));
  }
  inbox_->cv.wait_for(lock, timeout, [&] { return !inbox_->items.empty(); });
}

}  // namespace sluice::sink
