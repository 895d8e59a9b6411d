// TokenRing, ReplicaTable, TokenMap: which hosts own a Murmur3 token, for token-aware routing.
//
// TokenRing: the hosts of a cluster (id, datacenter, rack, tokens) and their tokens in ring order. A
// partition with token t belongs to the first ring token >= t, wrapping from the largest to the
// smallest; that token's host is the primary replica.
//
// ReplicaTable: for one replication (replication.h), the replica list of every ring token, computed
// once, so that finding a partition's replicas is a binary search returning a span: no allocation.
// - SimpleStrategy: the next replication_factor distinct hosts clockwise from the token (all hosts
//   if there are fewer).
// - NetworkTopologyStrategy: per datacenter, its replica count of distinct hosts met walking clockwise,
//   preferring hosts on racks not used yet: a host on a rack already used is skipped until every rack
//   of the datacenter has a replica; then the skipped hosts are taken, in ring order, before any host
//   met later ("skipped endpoints", as the Java driver and Cassandra up to 3.0 compute it). Cassandra
//   3.11 and later compute the same set and list it in ring order instead; only the order after the
//   primary can differ. A datacenter with fewer hosts than its count gets all of them; datacenters the
//   ring does not know, and counts of 0, add nothing. Lists run datacenter-interleaved in walk order,
//   the primary first when its datacenter is replicated.
// - EverywhereStrategy: every host with tokens, in ring order from the token's owner.
// - LocalStrategy: no replicas (see replication.h).
// Computing a table walks the ring from each of its T tokens until every datacenter is satisfied:
// usually a few steps, at worst T, so O(T^2) for a ring whose datacenters own very uneven tokens.
//
// TokenMap: a ring plus the tables of a set of keyspaces, keyspaces of equal replication sharing one.
//
// All three are immutable once built: const access is safe from any number of threads. HostIndex
// values index TokenRing::hosts(); tables keep their ring alive through a shared_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cql/routing/replication.h"

namespace sluice::cql {

using HostIndex = std::uint32_t;

struct RingHost {
  std::string id;  // how the caller names the host (host id, address): unique within a ring
  std::string datacenter;
  std::string rack;
  std::vector<std::int64_t> tokens;  // may be empty (a joining node): the host then owns nothing
};

class TokenRing {
 public:
  // Errors (invalid_argument): two hosts with the same id, a token listed twice (by one host or by
  // two: while a node replaces another both may claim its tokens; the caller drops the stale one).
  static Result<TokenRing> build(std::vector<RingHost> hosts);

  std::span<const RingHost> hosts() const { return hosts_; }
  const RingHost& host(HostIndex index) const { return hosts_[index]; }
  std::optional<HostIndex> find_host(std::string_view id) const;  // binary search on ids

  // Every host's tokens, ascending, and the host owning each.
  std::span<const std::int64_t> tokens() const { return tokens_; }
  HostIndex owner_at(std::size_t position) const { return owners_[position]; }
  bool empty() const { return tokens_.empty(); }

  // The position in tokens() that owns `token`: the first ring token >= token, or 0 past the last.
  // Precondition: !empty().
  std::size_t position_of(std::int64_t token) const;

 private:
  std::vector<RingHost> hosts_;
  std::vector<HostIndex> by_id_;  // host indexes sorted by id
  std::vector<std::int64_t> tokens_;
  std::vector<HostIndex> owners_;
};

class ReplicaTable {
 public:
  ReplicaTable(std::shared_ptr<const TokenRing> ring, Replication replication);

  // The replicas of a partition token, primary first. Empty for an empty ring, LocalStrategy, or a
  // replication no host of the ring matches.
  std::span<const HostIndex> replicas(std::int64_t token) const;
  // The replicas of the ring token at `position` (< ring().tokens().size()).
  std::span<const HostIndex> replicas_at(std::size_t position) const;

  const TokenRing& ring() const { return *ring_; }
  const Replication& replication() const { return replication_; }

 private:
  struct Slice {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };

  void compute_simple(std::size_t replication_factor);
  void compute_network_topology();

  std::shared_ptr<const TokenRing> ring_;
  Replication replication_;
  std::vector<HostIndex> flat_;  // the lists back to back; equal neighbouring lists stored once
  std::vector<Slice> slices_;    // one per ring position, or none when every list is empty
};

class TokenMap {
 public:
  struct Keyspace {
    std::string name;
    Replication replication;
  };

  // Errors (invalid_argument): those of TokenRing::build, a keyspace named twice.
  static Result<TokenMap> build(std::vector<RingHost> hosts, std::vector<Keyspace> keyspaces);

  const TokenRing& ring() const { return *ring_; }
  // The keyspace's table, or null for a keyspace the map was not built with.
  const ReplicaTable* table(std::string_view keyspace) const;
  // The replicas of `token` in `keyspace`, primary first; empty for an unknown keyspace (the caller
  // may then fall back on ring().owner_at(ring().position_of(token)) when the ring is not empty).
  std::span<const HostIndex> replicas(std::string_view keyspace, std::int64_t token) const;

 private:
  std::shared_ptr<const TokenRing> ring_;
  std::vector<ReplicaTable> tables_;                            // one per distinct replication
  std::vector<std::pair<std::string, std::size_t>> keyspaces_;  // sorted by name -> index in tables_
};

}  // namespace sluice::cql
