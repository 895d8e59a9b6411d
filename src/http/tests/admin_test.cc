// Why: Prometheus scrapes /metrics and orchestrators poll /health and /ready; the content type,
// status codes and bodies are what they read.
#include "http/admin.h"

#include <gtest/gtest.h>

#include <atomic>

#include "http/server.h"
#include "http/tests/test_client.h"

namespace sluice::http {
namespace {

using testing::Client;
using testing::to_std;

TEST(AdminEndpoints, MetricsHealthAndReady) {
  metrics::Registry registry;
  metrics::Counter& rows = registry.counter("sluice_rows_written_total", "Rows", {{"table", "t"}});
  std::atomic<bool> ready{false};
  Router router;
  AdminEndpoints{registry,
                 [] {
                   return Probe{true, "pid 1"};
                 },
                 [&ready] {
                   return ready ? Probe{true, ""} : Probe{false, "kafka: no partitions assigned"};
                 }}
      .add_to(router);
  auto server = Server::start({}, std::move(router));
  ASSERT_TRUE(server.ok()) << server.error().to_string();
  Client client((*server)->port());

  rows.inc(3);
  auto reply = client.get("/metrics");
  EXPECT_EQ(reply.result_int(), 200);
  EXPECT_EQ(to_std(reply[boost::beast::http::field::content_type]), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reply.body(),
            "# HELP sluice_rows_written_total Rows\n# TYPE sluice_rows_written_total counter\n"
            "sluice_rows_written_total{table=\"t\"} 3\n");
  rows.inc();
  EXPECT_NE(client.get("/metrics").body().find("} 4\n"), std::string::npos);

  reply = client.get("/health");
  EXPECT_EQ(reply.result_int(), 200);
  EXPECT_EQ(reply.body(), "ok\npid 1\n");

  reply = client.get("/ready");
  EXPECT_EQ(reply.result_int(), 503);
  EXPECT_EQ(reply.body(), "kafka: no partitions assigned\n");
  ready = true;
  reply = client.get("/ready");
  EXPECT_EQ(reply.result_int(), 200);
  EXPECT_EQ(reply.body(), "ok\n");
  EXPECT_EQ(to_std(reply[boost::beast::http::field::cache_control]), "no-store");

  EXPECT_EQ(client.post("/metrics", "").result_int(), 405);
}

TEST(AdminEndpoints, EmptyProbesAreOk) {
  metrics::Registry registry;
  Router router;
  AdminEndpoints{registry, nullptr, nullptr}.add_to(router);
  Request request;
  request.method = "GET";
  request.path = "/ready";
  Response response = router.dispatch(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
  request.path = "/metrics";
  response = router.dispatch(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");
}

}  // namespace
}  // namespace sluice::http
