#include "cql/routing/replication.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace sluice::cql {

namespace {

constexpr std::string_view kLocatorPackage = "org.apache.cassandra.locator.";

// "SimpleStrategy" from either "SimpleStrategy" or "org.apache.cassandra.locator.SimpleStrategy".
std::string_view short_class_name(std::string_view name) {
  if (name.starts_with(kLocatorPackage)) name.remove_prefix(kLocatorPackage.size());
  return name;
}

Result<int> parse_count(std::string_view key, std::string_view text) {
  auto bad = [&] {
    return Error(Errc::invalid_argument,
                 fmt::format("replication option '{}' is '{}', not a replica count", key, text));
  };
  // "3" or, with transient replication, "3/1": all replicas, then how many of them are transient.
  std::string_view all = text.substr(0, text.find('/'));
  int value = 0;
  auto [end, ec] = std::from_chars(all.data(), all.data() + all.size(), value);
  if (all.empty() || ec != std::errc() || end != all.data() + all.size() || value < 0) return bad();
  if (all.size() < text.size()) {
    std::string_view transient = text.substr(all.size() + 1);
    int t = 0;
    auto [tend, tec] = std::from_chars(transient.data(), transient.data() + transient.size(), t);
    if (transient.empty() || tec != std::errc() || tend != transient.data() + transient.size() || t < 0 || t > value) {
      return bad();
    }
  }
  return value;
}

void skip_space(std::string_view text, std::size_t& at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
}

// A single-quoted CQL string constant at `at` ('' is an escaped quote); advances past it.
Result<std::string> read_string(std::string_view text, std::size_t& at) {
  if (at >= text.size() || text[at] != '\'') {
    return Error(Errc::invalid_argument, fmt::format("expected a quoted string at offset {} of the map", at));
  }
  std::string out;
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] != '\'') {
      out.push_back(text[i]);
    } else if (i + 1 < text.size() && text[i + 1] == '\'') {
      out.push_back('\'');
      ++i;
    } else {
      at = i + 1;
      return out;
    }
  }
  return Error(Errc::invalid_argument, fmt::format("unterminated string at offset {} of the map", at));
}

Status expect(std::string_view text, std::size_t& at, char c) {
  skip_space(text, at);
  if (at >= text.size() || text[at] != c) {
    return Error(Errc::invalid_argument, fmt::format("expected '{}' at offset {} of the map", c, at));
  }
  ++at;
  return ok_status();
}

}  // namespace

std::string Replication::to_string() const {
  switch (kind) {
    case StrategyKind::simple: return fmt::format("SimpleStrategy({})", replication_factor);
    case StrategyKind::local: return "LocalStrategy";
    case StrategyKind::everywhere: return "EverywhereStrategy";
    case StrategyKind::network_topology: {
      std::string out = "NetworkTopologyStrategy(";
      for (std::size_t i = 0; i < datacenters.size(); ++i) {
        if (i > 0) out += ", ";
        out += fmt::format("{}: {}", datacenters[i].datacenter, datacenters[i].replicas);
      }
      return out + ")";
    }
  }
  return "?";
}

Result<Replication> parse_replication(const std::map<std::string, std::string>& options) {
  auto cls = options.find("class");
  if (cls == options.end()) return Error(Errc::invalid_argument, "the replication map has no 'class'");
  std::string_view name = short_class_name(cls->second);
  Replication out;
  if (name == "SimpleStrategy") {
    out.kind = StrategyKind::simple;
    auto rf = options.find("replication_factor");
    if (rf == options.end()) return Error(Errc::invalid_argument, "SimpleStrategy without a replication_factor");
    auto count = parse_count(rf->first, rf->second);
    if (!count.ok()) return count.error();
    out.replication_factor = *count;
  } else if (name == "NetworkTopologyStrategy") {
    out.kind = StrategyKind::network_topology;
    for (const auto& [key, value] : options) {  // std::map: already sorted by datacenter name
      if (key == "class") continue;
      if (key == "replication_factor") {
        return Error(Errc::invalid_argument,
                     "NetworkTopologyStrategy with a 'replication_factor': the schema tables store it expanded "
                     "into datacenters, so this map did not come from them");
      }
      auto count = parse_count(key, value);
      if (!count.ok()) return count.error();
      out.datacenters.push_back({key, *count});
    }
  } else if (name == "LocalStrategy") {
    out.kind = StrategyKind::local;
  } else if (name == "EverywhereStrategy") {
    out.kind = StrategyKind::everywhere;
  } else {
    return Error(Errc::invalid_argument,
                 fmt::format("replication class '{}' is not one sluice can route by", cls->second));
  }
  return out;
}

Result<std::map<std::string, std::string>> parse_cql_string_map(std::string_view literal) {
  std::map<std::string, std::string> out;
  std::size_t at = 0;
  SLUICE_TRY(expect(literal, at, '{'));
  skip_space(literal, at);
  if (at < literal.size() && literal[at] == '}') {
    ++at;
  } else {
    while (true) {
      skip_space(literal, at);
      auto key = read_string(literal, at);
      if (!key.ok()) return key.error();
      SLUICE_TRY(expect(literal, at, ':'));
      skip_space(literal, at);
      auto value = read_string(literal, at);
      if (!value.ok()) return value.error();
      if (!out.emplace(std::move(*key), std::move(*value)).second) {
        return Error(Errc::invalid_argument, fmt::format("the map names a key twice (before offset {})", at));
      }
      skip_space(literal, at);
      if (at < literal.size() && literal[at] == ',') {
        ++at;
        continue;
      }
      SLUICE_TRY(expect(literal, at, '}'));
      break;
    }
  }
  skip_space(literal, at);
  if (at != literal.size()) {
    return Error(Errc::invalid_argument, fmt::format("unexpected text after the map at offset {}", at));
  }
  return out;
}

Result<Replication> parse_replication_literal(std::string_view literal) {
  auto map = parse_cql_string_map(literal);
  if (!map.ok()) return map.error();
  return parse_replication(*map);
}

}  // namespace sluice::cql
