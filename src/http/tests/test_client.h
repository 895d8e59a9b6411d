// Clients for the server tests: a Beast client for well-formed requests and a raw socket for
// malformed ones, partial ones and timing (reads with a deadline).
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Reply = bhttp::response<bhttp::string_body>;

inline std::string to_std(beast::string_view s) { return {s.data(), s.size()}; }

// One connection; requests go out one after another on it (keep-alive).
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  Reply send(bhttp::request<bhttp::string_body> request) {
    request.set(bhttp::field::host, "127.0.0.1");
    request.prepare_payload();
    bhttp::write(socket_, request);
    Reply reply;
    bhttp::read(socket_, buffer_, reply);
    return reply;
  }

  Reply get(const std::string& target, bool keep_alive = true) {
    bhttp::request<bhttp::string_body> request{bhttp::verb::get, target, 11};
    request.keep_alive(keep_alive);
    return send(std::move(request));
  }

  Reply post(const std::string& target, std::string body) {
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, target, 11};
    request.body() = std::move(body);
    return send(std::move(request));
  }

  // True when the server has closed the connection (a read ends without data).
  bool closed_by_server() {
    beast::error_code ec;
    char byte = 0;
    std::size_t n = socket_.read_some(asio::buffer(&byte, 1), ec);
    return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

// A plain POSIX socket with deadlines on reads.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `marker` has arrived (true) or the peer closed / the deadline passed (false).
  bool read_until(std::string_view marker, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(marker) == std::string::npos) {
      if (!read_once(deadline)) return false;
    }
    return true;
  }

  // Reads until the peer closes (true) or the deadline passes (false).
  bool read_until_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
      if (!read_once(deadline) && !closed_) return false;
    }
    return true;
  }

  const std::string& received() const { return received_; }
  void clear() { received_.clear(); }

 private:
  bool read_once(std::chrono::steady_clock::time_point deadline) {
    if (closed_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

}  // namespace sluice::http::testing
