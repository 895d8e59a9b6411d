// Replication: a keyspace's replication strategy, parsed from the map system_schema.keyspaces keeps.
//
// The `replication` column is a map<text, text> such as
//   {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '3'}
//   {'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'dc1': '3', 'dc2': '2'}
// Classes understood, by full name or by the short name after org.apache.cassandra.locator.:
// - SimpleStrategy: `replication_factor` replicas, the next distinct hosts clockwise on the ring.
//   Other options are ignored (a stored keyspace is valid by definition; newer servers may add some).
// - NetworkTopologyStrategy: every other key names a datacenter and its replica count. A
//   `replication_factor` key is refused: Cassandra expands it into datacenters before storing the map,
//   so seeing it means the map did not come from the schema tables.
// - LocalStrategy (system, system_schema): each node keeps its own copy and owns all of it, so no
//   node is a better coordinator than another: no replicas, the caller routes as it would untokenized.
// - EverywhereStrategy (DataStax Enterprise, ScyllaDB): every host with tokens is a replica.
// Anything else (a custom strategy, Cassandra 5.1's MetaStrategy) is an error; the caller then routes
// that keyspace without token awareness.
// Counts are non-negative decimal integers; the transient-replication form "3/1" (3 replicas of which
// 1 transient) counts all 3, as a transient replica can coordinate as well as any other.
//
// Plain values and pure functions: thread-compatible, no I/O.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::cql {

enum class StrategyKind { simple, network_topology, local, everywhere };

struct DatacenterFactor {
  std::string datacenter;
  int replicas = 0;
  bool operator==(const DatacenterFactor&) const = default;
};

struct Replication {
  StrategyKind kind = StrategyKind::local;
  int replication_factor = 0;                 // simple only
  std::vector<DatacenterFactor> datacenters;  // network_topology only: sorted by name, each named once
  bool operator==(const Replication&) const = default;

  // "SimpleStrategy(3)", "NetworkTopologyStrategy(dc1: 3, dc2: 2)", "LocalStrategy", "EverywhereStrategy".
  std::string to_string() const;
};

// From the replication map's entries. Errors (invalid_argument): no 'class', a class not listed above,
// a count that is not a non-negative integer (or "all/transient" pair), SimpleStrategy without
// replication_factor, NetworkTopologyStrategy with one.
Result<Replication> parse_replication(const std::map<std::string, std::string>& options);

// A CQL map literal of string constants, as cqlsh prints the column: {'k': 'v', 'k2': 'it''s'}.
// Errors (invalid_argument): anything else, including a key given twice.
Result<std::map<std::string, std::string>> parse_cql_string_map(std::string_view literal);

// parse_cql_string_map then parse_replication.
Result<Replication> parse_replication_literal(std::string_view literal);

}  // namespace sluice::cql
