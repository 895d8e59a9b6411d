#include "http/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "base/check.h"

namespace sluice::http {

namespace {
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool valid_method(std::string_view method) {
  if (method.empty()) return false;
  return std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string allow_of(const std::map<std::string, Handler, std::less<>>& by_method) {
  std::vector<std::string> methods;
  for (const auto& [method, handler] : by_method) methods.push_back(method);
  if (by_method.contains("GET") && !by_method.contains("HEAD")) methods.emplace_back("HEAD");
  std::sort(methods.begin(), methods.end());
  std::string out;
  for (const std::string& method : methods) {
    if (!out.empty()) out += ", ";
    out += method;
  }
  return out;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [field, value] : fields_) {
    if (iequals(field, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view Headers::get_or(std::string_view name, std::string_view fallback) const {
  return get(name).value_or(fallback);
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Router& Router::route(std::string_view method, std::string_view pattern, Handler handler) {
  SLUICE_CHECK(valid_method(method), "an HTTP method is upper-case letters (\"GET\")");
  SLUICE_CHECK(pattern.starts_with('/'), "a route's path starts with '/'");
  SLUICE_CHECK(handler != nullptr, "a route needs a handler");
  std::size_t star = pattern.find('*');
  SLUICE_CHECK(star == std::string_view::npos || star == pattern.size() - 1, "'*' may only end a route's path");

  Resource* resource = nullptr;
  if (star == std::string_view::npos) {
    resource = &exact_[std::string(pattern)];
  } else {
    std::string_view prefix = pattern.substr(0, star);
    auto it = std::find_if(prefixes_.begin(), prefixes_.end(), [&](const auto& p) { return p.first == prefix; });
    if (it == prefixes_.end()) {
      // Keep the longest prefix first, so the first match is the best.
      auto at = std::find_if(prefixes_.begin(), prefixes_.end(),
                             [&](const auto& p) { return p.first.size() < prefix.size(); });
      it = prefixes_.emplace(at, std::string(prefix), Resource{});
    }
    resource = &it->second;
  }
  bool inserted = resource->by_method.emplace(std::string(method), std::move(handler)).second;
  SLUICE_CHECK(inserted, "a method and path routed twice");
  resource->allow = allow_of(resource->by_method);
  return *this;
}

const Router::Resource* Router::find(std::string_view path, std::string_view* rest) const {
  if (auto it = exact_.find(path); it != exact_.end()) {
    *rest = {};
    return &it->second;
  }
  for (const auto& [prefix, resource] : prefixes_) {
    if (path.starts_with(prefix)) {
      *rest = path.substr(prefix.size());
      return &resource;
    }
  }
  return nullptr;
}

Response Router::dispatch(Request& request) const {
  std::string_view rest;
  const Resource* resource = find(request.path, &rest);
  if (resource == nullptr) return Response::text(404, "not found\n");
  request.path_rest = std::string(rest);

  auto it = resource->by_method.find(request.method);
  if (it == resource->by_method.end() && request.method == "HEAD") it = resource->by_method.find("GET");
  if (it == resource->by_method.end()) {
    Response r = Response::text(405, "method not allowed\n");
    r.headers.emplace_back("Allow", resource->allow);
    return r;
  }
  try {
    return it->second(request);
  } catch (const std::exception& e) {
    spdlog::error("http: the handler of {} {} threw: {}", request.method, request.path, e.what());
  } catch (...) {
    spdlog::error("http: the handler of {} {} threw", request.method, request.path);
  }
  return Response::text(500, "internal error\n");
}

}  // namespace sluice::http
