// Why: the server faces whatever connects to it: it must answer well-formed requests, refuse
// oversize and malformed ones with the right status instead of buffering or hanging, keep
// connections alive as asked, and stop promptly while clients are connected.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "http/tests/test_client.h"

namespace sluice::http {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::RawConnection;
using testing::to_std;

std::unique_ptr<Server> start(Router router, ServerOptions options = {}) {
  auto server = Server::start(std::move(options), std::move(router));
  if (!server.ok()) {
    ADD_FAILURE() << server.error().to_string();
    return nullptr;
  }
  EXPECT_NE((*server)->port(), 0);
  return std::move(*server);
}

Router echo_router() {
  Router router;
  router.get("/hello", [](const Request&) { return Response::text(200, "hi\n"); });
  router.post("/echo", [](const Request& r) {
    Response response;
    response.content_type = "application/octet-stream";
    response.body = r.method + " " + r.path + " ?" + r.query + " x=" + std::string(r.headers.get_or("x-custom", "-")) +
                    " body=" + r.body;
    response.headers.emplace_back("X-Extra", "yes");
    return response;
  });
  router.get("/entities/*", [](const Request& r) { return Response::text(200, "entity " + r.path_rest); });
  router.get("/peer", [](const Request& r) { return Response::text(200, r.peer); });
  router.get("/empty", [](const Request&) { return Response{.status = 204, .content_type = ""}; });
  return router;
}

TEST(Server, AnswersWithStatusBodyAndHeaders) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  EXPECT_EQ(server->address(), "127.0.0.1");
  Client client(server->port());
  auto reply = client.get("/hello");
  EXPECT_EQ(reply.result_int(), 200);
  EXPECT_EQ(reply.body(), "hi\n");
  EXPECT_EQ(to_std(reply[boost::beast::http::field::content_type]), "text/plain; charset=utf-8");
  EXPECT_EQ(to_std(reply[boost::beast::http::field::content_length]), "3");
  EXPECT_EQ(to_std(reply[boost::beast::http::field::server]), "sluice");

  reply = client.post("/echo?a=1&b=2", "payload");
  EXPECT_EQ(reply.result_int(), 200);
  EXPECT_EQ(reply.body(), "POST /echo ?a=1&b=2 x=- body=payload");
  EXPECT_EQ(to_std(reply["X-Extra"]), "yes");
  EXPECT_EQ(to_std(reply[boost::beast::http::field::content_type]), "application/octet-stream");

  reply = client.get("/entities/sensor-7");
  EXPECT_EQ(reply.body(), "entity sensor-7");

  reply = client.get("/empty");
  EXPECT_EQ(reply.result_int(), 204);
  EXPECT_EQ(reply.body(), "");
}

TEST(Server, HeadersReachTheHandlerCaseInsensitively) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  Client client(server->port());
  boost::beast::http::request<boost::beast::http::string_body> request{boost::beast::http::verb::post, "/echo", 11};
  request.set("x-CUSTOM", "v1");
  request.body() = "b";
  auto reply = client.send(std::move(request));
  EXPECT_EQ(reply.body(), "POST /echo ? x=v1 body=b");
}

TEST(Server, NotFoundAndMethodNotAllowed) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  Client client(server->port());
  auto reply = client.get("/nowhere");
  EXPECT_EQ(reply.result_int(), 404);
  reply = client.post("/hello", "x");
  EXPECT_EQ(reply.result_int(), 405);
  EXPECT_EQ(to_std(reply[boost::beast::http::field::allow]), "GET, HEAD");
  // Both answers kept the connection open.
  EXPECT_EQ(client.get("/hello").body(), "hi\n");
}

TEST(Server, HeadAnswersHeadersWithoutBody) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(raw.read_until_closed());
  const std::string& text = raw.received();
  EXPECT_TRUE(text.starts_with("HTTP/1.1 200 OK\r\n")) << text;
  EXPECT_NE(text.find("Content-Length: 3\r\n"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("\r\n\r\n")) << text;
}

TEST(Server, KeepAliveServesThreeRequestsOnOneConnection) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  Client client(server->port());
  std::set<std::string> peers;
  for (int i = 0; i < 3; ++i) {
    auto reply = client.get("/peer");
    ASSERT_EQ(reply.result_int(), 200);
    EXPECT_TRUE(reply.keep_alive());
    peers.insert(reply.body());
  }
  EXPECT_EQ(peers.size(), 1U);  // the same client address and port: one connection
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  RawConnection raw(server->port());
  ASSERT_TRUE(
      raw.send("GET /entities/1 HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /entities/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(raw.read_until_closed());
  std::size_t first = raw.received().find("entity 1");
  std::size_t second = raw.received().find("entity 2");
  ASSERT_NE(first, std::string::npos) << raw.received();
  ASSERT_NE(second, std::string::npos) << raw.received();
  EXPECT_LT(first, second);
}

TEST(Server, ConnectionCloseIsHonoured) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  Client client(server->port());
  auto reply = client.get("/hello", /*keep_alive=*/false);
  EXPECT_EQ(reply.result_int(), 200);
  EXPECT_FALSE(reply.keep_alive());
  EXPECT_EQ(to_std(reply[boost::beast::http::field::connection]), "close");
  EXPECT_TRUE(client.closed_by_server());

  // HTTP/1.0 closes by default, and keeps alive when asked.
  RawConnection old(server->port());
  ASSERT_TRUE(old.send("GET /hello HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(old.read_until_closed());
  EXPECT_TRUE(old.received().starts_with("HTTP/1.0 200 OK\r\n")) << old.received();
  RawConnection old_alive(server->port());
  ASSERT_TRUE(old_alive.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  ASSERT_TRUE(old_alive.read_until("hi\n"));
  EXPECT_NE(old_alive.received().find("Connection: keep-alive\r\n"), std::string::npos) << old_alive.received();
  EXPECT_FALSE(old_alive.read_until_closed(300ms));  // still open
}

ServerOptions small_limits() {
  ServerOptions options;
  options.limits.max_body_bytes = 1024;
  options.limits.max_header_bytes = 1024;
  return options;
}

TEST(Server, OversizeBodyAnswers413) {
  auto server = start(echo_router(), small_limits());
  ASSERT_TRUE(server);
  {
    Client client(server->port());
    EXPECT_EQ(client.post("/echo", std::string(1024, 'a')).result_int(), 200);  // at the limit
    auto reply = client.post("/echo", std::string(1025, 'a'));
    EXPECT_EQ(reply.result_int(), 413);
    EXPECT_FALSE(reply.keep_alive());
    EXPECT_TRUE(client.closed_by_server());
  }
  {
    // Announced far over the limit: refused from the header alone, before any body is sent.
    RawConnection raw(server->port());
    ASSERT_TRUE(raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
    ASSERT_TRUE(raw.read_until_closed());
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << raw.received();
  }
  {
    // A chunked body is counted as it arrives.
    RawConnection raw(server->port());
    std::string chunk(800, 'c');
    ASSERT_TRUE(raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk +
                         "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
    ASSERT_TRUE(raw.read_until_closed());
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 413 ")) << raw.received();
  }
}

TEST(Server, OversizeHeadersAnswer431) {
  auto server = start(echo_router(), small_limits());
  ASSERT_TRUE(server);
  Client client(server->port());
  boost::beast::http::request<boost::beast::http::string_body> request{boost::beast::http::verb::get, "/hello", 11};
  request.set("X-Big", std::string(2000, 'x'));
  auto reply = client.send(std::move(request));
  EXPECT_EQ(reply.result_int(), 431);
  EXPECT_TRUE(client.closed_by_server());
}

TEST(Server, GarbageAnswers400) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  for (const std::string& garbage :
       {std::string("this is not http\r\n\r\n"), std::string("GET /hello HTTP/2.0\r\n\r\n"),
        std::string("\x01\x02\x03\xff\r\n\r\n", 8), std::string("GET /hello HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string("POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n")}) {
    RawConnection raw(server->port());
    ASSERT_TRUE(raw.send(garbage));
    ASSERT_TRUE(raw.read_until_closed()) << garbage;
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 400 Bad Request\r\n")) << garbage << " -> " << raw.received();
  }
}

TEST(Server, IdleConnectionIsClosedAfterTheReadTimeout) {
  ServerOptions options;
  options.limits.read_timeout = 200ms;
  auto server = start(echo_router(), options);
  ASSERT_TRUE(server);
  RawConnection idle(server->port());
  RawConnection partial(server->port());
  ASSERT_TRUE(partial.send("GET /hel"));
  auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.read_until_closed(3s));
  EXPECT_TRUE(partial.read_until_closed(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  EXPECT_EQ(idle.received(), "");
}

TEST(Server, ExpectContinueIsAnsweredBeforeTheBody) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_TRUE(raw.read_until("\r\n\r\n"));
  EXPECT_EQ(raw.received(), "HTTP/1.1 100 Continue\r\n\r\n");
  raw.clear();
  ASSERT_TRUE(raw.send("data"));
  ASSERT_TRUE(raw.read_until("body=data"));
  EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 200 OK\r\n")) << raw.received();
}

TEST(Server, StopWithConnectedClientsReturnsPromptly) {
  auto server = start(echo_router());
  ASSERT_TRUE(server);
  Client client(server->port());
  EXPECT_EQ(client.get("/hello").result_int(), 200);  // now idle, kept alive
  RawConnection partial(server->port());
  ASSERT_TRUE(partial.send("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"));
  RawConnection silent(server->port());
  std::this_thread::sleep_for(50ms);  // let the server take the connections

  auto began = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1s);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(partial.read_until_closed(1s));
  EXPECT_TRUE(silent.read_until_closed(1s));
  server->stop();  // idempotent
  RawConnection refused(server->port());
  EXPECT_FALSE(refused.connected());
}

TEST(Server, StopLetsTheAnswerInFlightFinish) {
  std::promise<void> entered;
  Router router;
  router.get("/slow", [&entered](const Request&) {
    entered.set_value();
    std::this_thread::sleep_for(300ms);
    return Response::text(200, "done\n");
  });
  auto server = start(std::move(router));
  ASSERT_TRUE(server);
  auto reply = std::async(std::launch::async, [port = server->port()] { return Client(port).get("/slow"); });
  entered.get_future().wait();
  auto began = std::chrono::steady_clock::now();
  server->stop();
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_LT(took, 2s);
  auto answer = reply.get();
  EXPECT_EQ(answer.result_int(), 200);
  EXPECT_EQ(answer.body(), "done\n");
  EXPECT_FALSE(answer.keep_alive());  // the server is stopping
}

TEST(Server, StopAbandonsAnswersAfterStopTimeout) {
  std::promise<void> entered;
  std::atomic<bool> release{false};
  Router router;
  router.get("/stuck", [&](const Request&) {
    entered.set_value();
    while (!release.load()) std::this_thread::sleep_for(5ms);
    return Response::text(200, "late\n");
  });
  ServerOptions options;
  options.stop_timeout = 200ms;
  auto server = start(std::move(router), options);
  ASSERT_TRUE(server);
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n"));
  entered.get_future().wait();
  std::thread releaser([&] {
    std::this_thread::sleep_for(500ms);
    release = true;
  });
  auto began = std::chrono::steady_clock::now();
  server->stop();  // waits 200 ms, stops the loop, then joins once the handler returns
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  releaser.join();
  server.reset();
  EXPECT_TRUE(raw.read_until_closed(1s));
}

TEST(Server, ConcurrentClients) {
  std::atomic<int> served{0};
  Router router;
  router.get("/count", [&served](const Request& r) {
    served.fetch_add(1);
    return Response::text(200, r.query);
  });
  ServerOptions options;
  options.threads = 4;
  auto server = start(std::move(router), options);
  ASSERT_TRUE(server);
  constexpr int kClients = 8;
  constexpr int kRequests = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c, port = server->port()] {
      Client client(port);
      for (int i = 0; i < kRequests; ++i) {
        std::string query = std::to_string(c) + "-" + std::to_string(i);
        auto reply = client.get("/count?" + query, i + 1 < kRequests);
        if (reply.result_int() == 200 && reply.body() == query) good.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), kClients * kRequests);
  EXPECT_EQ(served.load(), kClients * kRequests);
}

TEST(Server, StartErrors) {
  auto bad_address = Server::start({.address = "not-an-address"}, Router());
  ASSERT_FALSE(bad_address.ok());
  EXPECT_EQ(bad_address.error().code(), Errc::invalid_argument);

  auto bad_threads = Server::start({.threads = 0}, Router());
  ASSERT_FALSE(bad_threads.ok());
  EXPECT_EQ(bad_threads.error().code(), Errc::invalid_argument);

  auto first = start(Router());
  ASSERT_TRUE(first);
  auto second = Server::start({.port = first->port()}, Router());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), Errc::io);
  EXPECT_NE(second.error().message().find(std::to_string(first->port())), std::string::npos)
      << second.error().message();
}

TEST(Server, HandlerExceptionAnswers500AndKeepsServing) {
  Router router;
  router.get("/boom", [](const Request&) -> Response { throw std::runtime_error("boom"); });
  router.get("/ok", [](const Request&) { return Response::text(200, "ok"); });
  auto server = start(std::move(router));
  ASSERT_TRUE(server);
  Client client(server->port());
  EXPECT_EQ(client.get("/boom").result_int(), 500);
  EXPECT_EQ(client.get("/ok").result_int(), 200);
}

}  // namespace
}  // namespace sluice::http
