#include "cql/client/connection.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::cql {

namespace {

int millis_until(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

Result<ResultMessage> interpret_response(const FrameHeader& header, std::string_view body) {
  switch (header.opcode) {
    case Opcode::result:
      return decode_result(ProtocolVersion::v4, as_bytes(body));
    case Opcode::ready:
      return ResultMessage(VoidResult{});
    case Opcode::error: {
      auto err = decode_error(ProtocolVersion::v4, as_bytes(body));
      if (!err.ok()) return err.error();
      return Error(Errc::server, err->to_string(), static_cast<int>(err->code));
    }
    case Opcode::authenticate:  // Connection::open answers it; anywhere else it is out of place
      return Error(Errc::protocol, "unexpected AUTHENTICATE");
    default:
      return Error(Errc::protocol,
                   fmt::format("unexpected response opcode 0x{:02x}", static_cast<int>(header.opcode)));
  }
}

Result<int> Connection::connect_socket(const ConnectOptions& options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(options.port);
  if (int rc = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Error(Errc::unavailable, fmt::format("cannot resolve {}: {}", options.host, ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, &::freeaddrinfo);
  std::string last_error = "no addresses";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(options.connect_timeout.count()));
      if (rc == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
      } else {
        rc = -1;
        errno = rc == 0 ? ETIMEDOUT : errno;
      }
    }
    if (rc == 0) return fd;
    last_error = std::strerror(errno);
    ::close(fd);
  }
  return Error(Errc::unavailable, fmt::format("cannot connect to {}:{}: {}", options.host, options.port, last_error));
}

Result<std::unique_ptr<Connection>> Connection::open(const ConnectOptions& options) {
  auto fd = connect_socket(options);
  if (!fd.ok()) return fd.error();
  std::unique_ptr<Connection> conn(new Connection(*fd, options));
  std::string request;
  encode_startup(ProtocolVersion::v4, 0, {}, request);
  auto response = conn->round_trip(request, conn->deadline());
  if (!response.ok()) return response.error();
  if (response->header.opcode == Opcode::authenticate) {
    SLUICE_TRY(conn->authenticate(response->body));
    return conn;
  }
  auto result = interpret_response(response->header, response->body);
  if (!result.ok()) return result.error();
  return conn;
}

Status Connection::authenticate(std::string_view authenticate_body) {
  auto authenticator = decode_authenticate(as_bytes(authenticate_body));
  if (!authenticator.ok()) return fail(authenticator.error());
  if (options_.username.empty()) {
    return fail(Error(Errc::unavailable, fmt::format("server requires authentication ({}); set username/password",
                                                     *authenticator)));
  }
  // SASL PLAIN: the token answers the AUTHENTICATE. Cassandra's PasswordAuthenticator is done after
  // it; authenticators that first negotiate a mechanism (DSE's) challenge once more and expect the
  // same token, so every challenge gets it too, for a bounded number of rounds.
  const std::string token = password_auth_token(options_.username, options_.password);
  constexpr int kMaxRounds = 8;
  for (int round = 0; round < kMaxRounds; ++round) {
    std::string request;
    encode_auth_response(ProtocolVersion::v4, 0, token, request);
    auto response = round_trip(request, deadline());
    if (!response.ok()) return response.error();
    switch (response->header.opcode) {
      case Opcode::auth_success: {
        auto final_token = decode_auth_token(as_bytes(response->body));
        if (!final_token.ok()) return fail(final_token.error());
        return {};
      }
      case Opcode::auth_challenge: {
        auto challenge = decode_auth_token(as_bytes(response->body));
        if (!challenge.ok()) return fail(challenge.error());
        continue;
      }
      case Opcode::error: {
        auto result = interpret_response(response->header, response->body);
        return fail(result.error());
      }
      default:
        return fail(Error(Errc::protocol, fmt::format("unexpected response opcode 0x{:02x} during authentication",
                                                      static_cast<int>(response->header.opcode))));
    }
  }
  return fail(Error(Errc::protocol, fmt::format("authentication with {} did not finish within {} rounds",
                                                *authenticator, kMaxRounds)));
}

Result<std::map<std::string, std::vector<std::string>>> Connection::probe(const ConnectOptions& options) {
  auto fd = connect_socket(options);
  if (!fd.ok()) return fd.error();
  Connection conn(*fd, options);
  std::string request;
  encode_options(ProtocolVersion::v4, 0, request);
  auto response = conn.round_trip(request, conn.deadline());
  if (!response.ok()) return response.error();
  if (response->header.opcode != Opcode::supported) {
    return Error(Errc::protocol, "OPTIONS was not answered with SUPPORTED");
  }
  return decode_supported(as_bytes(response->body));
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

Error Connection::fail(Error error) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  return error;
}

Status Connection::send_all(std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    if (fd_ < 0) return Error(Errc::closed, "connection is closed");
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      int rc = ::poll(&p, 1, millis_until(deadline));
      if (rc == 0) return fail(Error(Errc::timeout, "send timed out"));
      continue;
    }
    return fail(Error(Errc::io, fmt::format("send to {}:{}: {}", options_.host, options_.port, std::strerror(errno))));
  }
  return {};
}

Status Connection::read_frames(Deadline deadline) {
  std::size_t before = ready_.size();
  while (ready_.size() == before) {
    if (fd_ < 0) return Error(Errc::closed, "connection is closed");
    // Parse whatever whole frames are buffered.
    while (inbuf_.size() - inbuf_pos_ >= kFrameHeaderSize) {
      auto header = read_frame_header(as_bytes(std::string_view(inbuf_).substr(inbuf_pos_, kFrameHeaderSize)));
      if (!header.ok()) return fail(header.error());
      std::size_t whole = kFrameHeaderSize + header->length;
      if (inbuf_.size() - inbuf_pos_ < whole) break;
      ready_.push_back({*header, inbuf_.substr(inbuf_pos_ + kFrameHeaderSize, header->length)});
      inbuf_pos_ += whole;
    }
    if (inbuf_pos_ == inbuf_.size()) {
      inbuf_.clear();
      inbuf_pos_ = 0;
    } else if (inbuf_pos_ > 64 * 1024) {
      inbuf_.erase(0, inbuf_pos_);
      inbuf_pos_ = 0;
    }
    if (ready_.size() != before) break;
    char buf[64 * 1024];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      inbuf_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return fail(Error(Errc::io, fmt::format("{}:{} closed the connection", options_.host, options_.port)));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, millis_until(deadline));
      if (rc == 0) {
        return fail(Error(Errc::timeout, fmt::format("no answer from {}:{} within {} ms", options_.host,
                                                     options_.port, options_.request_timeout.count())));
      }
      continue;
    }
    return fail(Error(Errc::io, fmt::format("recv from {}:{}: {}", options_.host, options_.port, std::strerror(errno))));
  }
  return {};
}

Result<Connection::Response> Connection::round_trip(std::string& request, Deadline deadline) {
  SLUICE_TRY(send_all(request, deadline));
  SLUICE_TRY(read_frames(deadline));
  Response r = std::move(ready_.front());
  ready_.erase(ready_.begin());
  return r;
}

Result<ResultMessage> Connection::query(std::string_view cql, const QueryParams& params) {
  std::string request;
  encode_query(ProtocolVersion::v4, 0, cql, params, request);
  auto response = round_trip(request, deadline());
  if (!response.ok()) return response.error();
  return interpret_response(response->header, response->body);
}

Result<Prepared> Connection::prepare(std::string_view cql) {
  std::string request;
  encode_prepare(ProtocolVersion::v4, 0, cql, {}, request);
  auto response = round_trip(request, deadline());
  if (!response.ok()) return response.error();
  auto result = interpret_response(response->header, response->body);
  if (!result.ok()) return result.error();
  if (auto* p = std::get_if<Prepared>(&*result)) return std::move(*p);
  return Error(Errc::protocol, "PREPARE was not answered with a prepared result");
}

Result<ResultMessage> Connection::execute(const Prepared& prepared, const QueryParams& params) {
  std::string request;
  encode_execute(ProtocolVersion::v4, 0, prepared.id, {}, params, request);
  auto response = round_trip(request, deadline());
  if (!response.ok()) return response.error();
  return interpret_response(response->header, response->body);
}

std::vector<Result<ResultMessage>> Connection::execute_pipelined(const Prepared& prepared,
                                                                 const std::vector<QueryParams>& params,
                                                                 std::size_t max_in_flight) {
  max_in_flight = std::clamp<std::size_t>(max_in_flight, 1, 32768);
  std::vector<Result<ResultMessage>> results(params.size(), Error(Errc::closed, "not sent"));
  std::vector<bool> done(params.size(), false);
  // stream id -> index into params; free ids are handed out again as answers arrive.
  std::vector<std::size_t> owner(max_in_flight, 0);
  std::vector<std::int16_t> free_ids;
  for (std::size_t i = max_in_flight; i > 0; --i) free_ids.push_back(static_cast<std::int16_t>(i - 1));
  std::size_t next = 0, answered = 0;
  std::string out;
  while (answered < params.size()) {
    out.clear();
    while (next < params.size() && !free_ids.empty()) {
      auto id = free_ids.back();
      free_ids.pop_back();
      owner[static_cast<std::size_t>(id)] = next;
      encode_execute(ProtocolVersion::v4, id, prepared.id, {}, params[next], out);
      ++next;
    }
    auto d = deadline();
    Status st = out.empty() ? Status{} : send_all(out, d);
    if (st.ok()) st = read_frames(d);
    if (!st.ok()) {
      // Sent but unanswered is "outcome unknown", never sent is "not done": both get the error.
      for (std::size_t i = 0; i < params.size(); ++i) {
        if (!done[i]) results[i] = st.error();
      }
      return results;
    }
    for (auto& r : ready_) {
      auto id = r.header.stream;
      if (id < 0 || static_cast<std::size_t>(id) >= max_in_flight) continue;  // server events
      auto index = owner[static_cast<std::size_t>(id)];
      results[index] = interpret_response(r.header, r.body);
      done[index] = true;
      free_ids.push_back(id);
      ++answered;
    }
    ready_.clear();
  }
  return results;
}

}  // namespace sluice::cql
