// Requests, responses and the router that maps a method and a path to a handler.
//
//   http::Router router;
//   router.get("/metrics", [&](const http::Request&) { return http::Response::text(200, registry.render()); });
//   router.post("/ingest", ingest);
//   router.get("/entities/*", [](const http::Request& r) { return lookup(r.path_rest); });  // prefix
//
// Paths are matched as sent (not percent-decoded). An exact path wins over a prefix; among
// prefixes the longest wins. A path with no route answers 404; a path whose route lacks the
// method answers 405 with Allow. HEAD is answered by the GET handler, without the body.
// Pure: no I/O here, so routing is tested without a socket.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::http {

// Header fields in the order received. Lookup by name is ASCII case-insensitive.
class Headers {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // The first field named `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const;
  std::string_view get_or(std::string_view name, std::string_view fallback) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  std::size_t size() const { return fields_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool iequals(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // as sent: "GET"
  std::string target;  // as sent: "/entities/42?full=1"
  std::string path;    // the target before '?': "/entities/42"
  std::string query;   // after '?', raw: "full=1" ("" without one)
  Headers headers;
  std::string body;
  std::string path_rest;  // for a prefix route, the path after the prefix: "42"
  std::string peer;       // the client's "address:port"
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";  // empty: no Content-Type
  std::string body;
  // Extra header fields (Cache-Control, Location, ...). Content-Length, Connection and Server
  // are the server's.
  std::vector<std::pair<std::string, std::string>> headers;

  static Response text(int status, std::string body);
};

// A handler runs on a server thread and must be quick: it holds up every other request on that
// thread (see server.h). With more than one server thread, handlers run concurrently.
using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  // `pattern` is an exact path ("/metrics") or a prefix ending in '*' ("/entities/*": every path
  // starting with "/entities/"; Request::path_rest holds the rest). It starts with '/'. A method
  // and pattern are routed once: twice is a programming error (SLUICE_CHECK).
  Router& route(std::string_view method, std::string_view pattern, Handler handler);
  Router& get(std::string_view pattern, Handler handler) { return route("GET", pattern, std::move(handler)); }
  Router& post(std::string_view pattern, Handler handler) { return route("POST", pattern, std::move(handler)); }
  Router& put(std::string_view pattern, Handler handler) { return route("PUT", pattern, std::move(handler)); }
  Router& del(std::string_view pattern, Handler handler) { return route("DELETE", pattern, std::move(handler)); }

  // The handler's response, or 404 / 405 (with Allow). Sets request.path_rest. A handler that
  // throws answers 500 (logged). The body of a HEAD answer is left for the server to drop.
  Response dispatch(Request& request) const;

 private:
  struct Resource {
    std::map<std::string, Handler, std::less<>> by_method;
    std::string allow;  // "GET, HEAD, POST"
  };
  const Resource* find(std::string_view path, std::string_view* rest) const;

  std::map<std::string, Resource, std::less<>> exact_;
  std::vector<std::pair<std::string, Resource>> prefixes_;  // longest prefix first
};

}  // namespace sluice::http
