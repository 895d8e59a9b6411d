#include "http/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/check.h"

namespace sluice::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace detail {
class Session;
}

struct Server::Impl {
  Impl(ServerOptions opts, Router r) : options(std::move(opts)), router(std::move(r)) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();

  bool register_session(const std::shared_ptr<detail::Session>& session);
  void unregister_session(const detail::Session* session);
  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void run_thread();
  void stop();

  // Declared before the io_context: handlers destroyed with it unregister their sessions here.
  const ServerOptions options;
  const Router router;
  std::string address;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};

  std::mutex mu;  // guards sessions and the transition to stopping
  std::unordered_map<const detail::Session*, std::weak_ptr<detail::Session>> sessions;

  std::mutex stop_mu;  // serialises stop()
  bool stopped = false;

  std::mutex done_mu;
  std::condition_variable done_cv;
  std::size_t threads_done = 0;

  std::unique_ptr<asio::io_context> ioc;
  std::unique_ptr<tcp::acceptor> acceptor;  // on its own strand, with accept_retry
  std::unique_ptr<asio::steady_timer> accept_retry;
  std::vector<std::thread> threads;
};

namespace detail {
namespace {

std::string to_std(beast::string_view s) { return {s.data(), s.size()}; }

const beast::error_category& http_category() {
  static const beast::error_category& category = bhttp::make_error_code(bhttp::error::bad_method).category();
  return category;
}

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

constexpr std::size_t kMaxDrainBytes = 1024 * 1024;
constexpr std::chrono::milliseconds kMaxLinger{2000};

}  // namespace

// One connection. Every member is touched only on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = fmt::format("{}:{}", remote.address().to_string(), remote.port());
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { server_.unregister_session(this); }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // From any thread: cancel a read in progress; an answer being made or written goes out first.
  void stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->on_stop(); });
  }

 private:
  enum class Phase { idle, reading, handling, writing, lingering, closed };

  const Limits& limits() const { return server_.options.limits; }

  void read_header() {
    if (server_.stopping.load()) return close();
    phase_ = Phase::reading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(std::uint64_t{limits().max_body_bytes});
    stream_.expires_after(limits().read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    const auto& message = parser_->get();
    if (!parser_->is_done() && message.version() >= 11 &&
        iequals(to_std(message[bhttp::field::expect]), "100-continue")) {
      continue_ = {bhttp::status::continue_, message.version()};
      phase_ = Phase::writing;
      stream_.expires_after(limits().write_timeout);
      bhttp::async_write(stream_, continue_, [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
        if (write_ec || self->server_.stopping.load()) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return handle();
    phase_ = Phase::reading;
    stream_.expires_after(limits().read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->handle();
    });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) return answer_error(431, "request header fields too large\n");
    if (ec == bhttp::error::body_limit) return answer_error(413, "payload too large\n");
    if (ec.category() == http_category() && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      spdlog::debug("http: bad request from {}: {}", peer_, ec.message());
      return answer_error(400, "bad request\n");
    }
    // The peer closed, the read timed out, or stop() cancelled it: nothing to answer.
    close();
  }

  void handle() {
    phase_ = Phase::handling;
    auto& message = parser_->get();
    Request request;
    request.method = to_std(message.method_string());
    request.target = to_std(message.target());
    std::size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) request.headers.add(to_std(field.name_string()), to_std(field.value()));
    request.body = std::move(message.body());
    request.peer = peer_;
    bool keep_alive = message.keep_alive();
    unsigned version = message.version();
    bool head = request.method == "HEAD";
    parser_.reset();

    Response response = server_.router.dispatch(request);
    send(std::move(response), version, keep_alive && !server_.stopping.load(), head, false);
  }

  void answer_error(int status, std::string body) {
    unsigned version = 11;
    if (parser_ && parser_->is_header_done() && parser_->get().version() == 10) version = 10;
    parser_.reset();
    send(Response::text(status, std::move(body)), version, false, false, true);
  }

  void send(Response response, unsigned version, bool keep_alive, bool head, bool linger) {
    if (response.status < 100 || response.status > 599) {
      spdlog::error("http: a handler answered with status {}; sent 500", response.status);
      response = Response::text(500, "internal error\n");
    }
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(bhttp::field::server, "sluice");
    if (!response.content_type.empty()) response_.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) {
      if (name.empty() || has_crlf(name) || has_crlf(value)) {
        spdlog::error("http: dropped a response header with a line break or no name");
        continue;
      }
      response_.insert(name, value);
    }
    response_.keep_alive(keep_alive);
    bool no_body = response.status < 200 || response.status == 204 || response.status == 304;
    if (!no_body) {
      response_.content_length(response.body.size());
      if (!head) response_.body() = std::move(response.body);
    }
    keep_alive_ = keep_alive;
    linger_ = linger;
    phase_ = Phase::writing;
    stream_.expires_after(limits().write_timeout);
    bhttp::async_write(stream_, response_,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    response_ = {};
    if (ec) return close();
    if (linger_ && !server_.stopping.load()) return linger();
    if (!keep_alive_) return close();
    read_header();
  }

  // After an error answer the client may still be sending the request: closing with unread bytes
  // would reset the connection and could lose the answer. Stop sending, read and drop what comes
  // (bounded in time and bytes), then close.
  void linger() {
    phase_ = Phase::lingering;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min<std::chrono::milliseconds>(limits().read_timeout, kMaxLinger));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kMaxDrainBytes) return self->close();
      self->drain();
    });
  }

  void on_stop() {
    if (phase_ == Phase::reading || phase_ == Phase::lingering) stream_.cancel();
  }

  void close() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  std::string peer_;
  Phase phase_ = Phase::idle;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::empty_body> continue_;
  bhttp::response<bhttp::string_body> response_;
  bool keep_alive_ = false;
  bool linger_ = false;
  std::array<char, 4096> drain_{};
  std::size_t drained_ = 0;
};

}  // namespace detail

// ---- Server::Impl ----

Server::Impl::~Impl() {
  stop();
  // Handlers abandoned by a stop that timed out die with the io_context, and with them their
  // sessions; the acceptor and timer go first, as they belong to it.
  accept_retry.reset();
  acceptor.reset();
  ioc.reset();
}

bool Server::Impl::register_session(const std::shared_ptr<detail::Session>& session) {
  std::lock_guard lock(mu);
  if (stopping.load()) return false;
  sessions.emplace(session.get(), session);
  return true;
}

void Server::Impl::unregister_session(const detail::Session* session) {
  std::lock_guard lock(mu);
  sessions.erase(session);
}

void Server::Impl::accept() {
  acceptor->async_accept(asio::make_strand(*ioc),
                         [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || stopping.load()) return;
  if (ec) {
    // Out of descriptors, say: try again shortly rather than spin.
    spdlog::warn("http: accepting on {}:{} failed: {}", address, port, ec.message());
    accept_retry->expires_after(std::chrono::milliseconds(100));
    accept_retry->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !stopping.load()) accept();
    });
    return;
  }
  auto session = std::make_shared<detail::Session>(std::move(socket), *this);
  if (register_session(session)) session->start();
  accept();
}

void Server::Impl::run_thread() {
  for (;;) {
    try {
      ioc->run();
      break;
    } catch (const std::exception& e) {
      spdlog::error("http: the event loop of {}:{} caught: {}", address, port, e.what());
    }
  }
  {
    std::lock_guard lock(done_mu);
    ++threads_done;
  }
  done_cv.notify_all();
}

void Server::Impl::stop() {
  std::lock_guard stop_lock(stop_mu);
  if (stopped) return;
  stopped = true;
  for (const std::thread& t : threads) {
    SLUICE_CHECK(t.get_id() != std::this_thread::get_id(), "http::Server::stop() called on a server thread");
  }

  std::vector<std::shared_ptr<detail::Session>> live;
  {
    std::lock_guard lock(mu);
    stopping.store(true);
    for (const auto& [ptr, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  asio::post(acceptor->get_executor(), [this] {
    beast::error_code ignored;
    acceptor->close(ignored);
    if (accept_retry) accept_retry->cancel();
  });
  for (const auto& session : live) session->stop();
  live.clear();

  {
    std::unique_lock lock(done_mu);
    if (!done_cv.wait_for(lock, options.stop_timeout, [this] { return threads_done == threads.size(); })) {
      spdlog::warn("http: stopping {}:{}: answers still in flight after {} ms are abandoned", address, port,
                   options.stop_timeout.count());
      ioc->stop();
    }
  }
  for (std::thread& t : threads) t.join();
}

// ---- Server ----

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Router router) {
  if (options.threads < 1 || options.threads > 256) {
    return Error(Errc::invalid_argument, fmt::format("http server threads must be 1..256, not {}", options.threads));
  }
  const Limits& limits = options.limits;
  if (limits.max_header_bytes == 0 || limits.read_timeout.count() <= 0 || limits.write_timeout.count() <= 0) {
    return Error(Errc::invalid_argument, "http server limits: max_header_bytes and the timeouts must be positive");
  }
  beast::error_code ec;
  asio::ip::address ip = asio::ip::make_address(options.address, ec);
  if (ec) return Error(Errc::invalid_argument, fmt::format("not an IP address: '{}'", options.address));
  tcp::endpoint endpoint(ip, options.port);
  std::string where = fmt::format("{}:{}", options.address, options.port);

  auto impl = std::make_unique<Impl>(std::move(options), std::move(router));
  impl->ioc = std::make_unique<asio::io_context>(impl->options.threads);
  impl->acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(*impl->ioc));
  tcp::acceptor& acceptor = *impl->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return Error(Errc::io, fmt::format("cannot open a socket for {}: {}", where, ec.message()));
  }
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return Error(Errc::io, fmt::format("cannot set SO_REUSEADDR for {}: {}", where, ec.message()));
  }
  if (acceptor.bind(endpoint, ec); ec) {
    return Error(Errc::io, fmt::format("cannot bind {}: {}", where, ec.message()));
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Error(Errc::io, fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return Error(Errc::io, fmt::format("cannot read the address bound for {}: {}", where, ec.message()));
  impl->address = bound.address().to_string();
  impl->port = bound.port();
  impl->accept_retry = std::make_unique<asio::steady_timer>(acceptor.get_executor());

  impl->accept();
  for (int i = 0; i < impl->options.threads; ++i) {
    impl->threads.emplace_back([p = impl.get()] { p->run_thread(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() = default;  // ~Impl stops

std::uint16_t Server::port() const { return impl_->port; }

const std::string& Server::address() const { return impl_->address; }

void Server::stop() { impl_->stop(); }

}  // namespace sluice::http
