// Why: the router decides every answer's status before a handler runs; exact beats prefix, the
// longest prefix wins, and the wrong method must say which ones are allowed.
#include "http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace sluice::http {
namespace {

Request make(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  return r;
}

Handler says(const std::string& what) {
  return [what](const Request& r) { return Response::text(200, what + ":" + r.path_rest); };
}

TEST(Router, ExactPrefixAndLongestPrefix) {
  Router router;
  router.get("/entities/*", says("entities"))
      .get("/entities/special", says("special"))
      .get("/entities/deep/*", says("deep"))
      .get("/*", says("root"));
  auto body = [&](std::string path) {
    Request r = make("GET", std::move(path));
    return router.dispatch(r).body;
  };
  EXPECT_EQ(body("/entities/42"), "entities:42");
  EXPECT_EQ(body("/entities/"), "entities:");
  EXPECT_EQ(body("/entities/special"), "special:");
  EXPECT_EQ(body("/entities/specialist"), "entities:specialist");
  EXPECT_EQ(body("/entities/deep/a/b"), "deep:a/b");
  EXPECT_EQ(body("/entities"), "root:entities");
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  Router router;
  router.get("/metrics", says("m")).post("/ingest", says("i")).get("/ingest", says("g")).put("/things/*", says("t"));
  Request unknown = make("GET", "/nope");
  Response r = router.dispatch(unknown);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "not found\n");

  Request wrong = make("POST", "/metrics");
  r = router.dispatch(wrong);
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1U);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET, HEAD");

  Request del = make("DELETE", "/ingest");
  r = router.dispatch(del);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at(0).second, "GET, HEAD, POST");

  Request get_thing = make("GET", "/things/1");
  r = router.dispatch(get_thing);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at(0).second, "PUT");
}

TEST(Router, HeadUsesGet) {
  Router router;
  router.get("/metrics", says("m"));
  Request head = make("HEAD", "/metrics");
  Response r = router.dispatch(head);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "m:");  // the server drops it
}

TEST(Router, HandlerThatThrowsAnswers500) {
  Router router;
  router.get("/boom", [](const Request&) -> Response { throw std::runtime_error("boom"); });
  Request r = make("GET", "/boom");
  Response response = router.dispatch(r);
  EXPECT_EQ(response.status, 500);
}

TEST(Headers, CaseInsensitiveLookupFirstWins) {
  Headers h;
  h.add("Content-Type", "text/plain");
  h.add("X-Thing", "one");
  h.add("x-thing", "two");
  EXPECT_EQ(h.get("content-type"), "text/plain");
  EXPECT_EQ(h.get("X-THING"), "one");
  EXPECT_FALSE(h.get("missing").has_value());
  EXPECT_EQ(h.get_or("missing", "dflt"), "dflt");
  EXPECT_TRUE(h.contains("CONTENT-TYPE"));
  EXPECT_EQ(h.size(), 3U);
  EXPECT_TRUE(iequals("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(iequals("Keep-Alive", "keep-alive "));
}

TEST(RouterDeathTest, ProgrammingErrorsAreChecks) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Router().get("/a", says("1")).get("/a", says("2")), "routed twice");
  EXPECT_DEATH(Router().get("a", says("1")), "starts with '/'");
  EXPECT_DEATH(Router().get("/a*/b", says("1")), "may only end");
  EXPECT_DEATH(Router().route("get", "/a", says("1")), "upper-case");
}

}  // namespace
}  // namespace sluice::http
