#include "cql/routing/token_ring.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <utility>

#include <fmt/format.h>

namespace sluice::cql {

// ---- TokenRing ----

Result<TokenRing> TokenRing::build(std::vector<RingHost> hosts) {
  if (hosts.size() >= std::numeric_limits<HostIndex>::max()) {
    return Error(Errc::invalid_argument, fmt::format("{} hosts are more than a ring can index", hosts.size()));
  }
  TokenRing ring;
  ring.hosts_ = std::move(hosts);
  const auto& hs = ring.hosts_;

  ring.by_id_.resize(hs.size());
  std::iota(ring.by_id_.begin(), ring.by_id_.end(), HostIndex{0});
  std::sort(ring.by_id_.begin(), ring.by_id_.end(), [&](HostIndex a, HostIndex b) { return hs[a].id < hs[b].id; });
  for (std::size_t i = 1; i < ring.by_id_.size(); ++i) {
    if (hs[ring.by_id_[i - 1]].id == hs[ring.by_id_[i]].id) {
      return Error(Errc::invalid_argument, fmt::format("host '{}' is listed twice", hs[ring.by_id_[i]].id));
    }
  }

  std::vector<std::pair<std::int64_t, HostIndex>> entries;
  for (HostIndex h = 0; h < hs.size(); ++h) {
    for (std::int64_t t : hs[h].tokens) entries.emplace_back(t, h);
  }
  std::sort(entries.begin(), entries.end());
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (entries[i - 1].first == entries[i].first) {
      return Error(Errc::invalid_argument, fmt::format("token {} is claimed by '{}' and by '{}'", entries[i].first,
                                                       hs[entries[i - 1].second].id, hs[entries[i].second].id));
    }
  }
  ring.tokens_.reserve(entries.size());
  ring.owners_.reserve(entries.size());
  for (const auto& [token, host] : entries) {
    ring.tokens_.push_back(token);
    ring.owners_.push_back(host);
  }
  return ring;
}

std::optional<HostIndex> TokenRing::find_host(std::string_view id) const {
  auto it = std::lower_bound(by_id_.begin(), by_id_.end(), id,
                             [&](HostIndex h, std::string_view wanted) { return hosts_[h].id < wanted; });
  if (it == by_id_.end() || hosts_[*it].id != id) return std::nullopt;
  return *it;
}

std::size_t TokenRing::position_of(std::int64_t token) const {
  SLUICE_CHECK(!tokens_.empty(), "position_of on an empty ring");
  auto it = std::lower_bound(tokens_.begin(), tokens_.end(), token);
  return it == tokens_.end() ? 0 : static_cast<std::size_t>(it - tokens_.begin());
}

// ---- ReplicaTable ----

namespace {

// Appends `list` as the next position's replicas, sharing the previous position's storage if equal.
template <class Slice>
void push_list(const std::vector<HostIndex>& list, std::vector<HostIndex>& flat, std::vector<Slice>& slices) {
  if (!slices.empty()) {
    const Slice& prev = slices.back();
    if (prev.size == list.size() && std::equal(list.begin(), list.end(), flat.begin() + prev.offset)) {
      slices.push_back(prev);
      return;
    }
  }
  slices.push_back({static_cast<std::uint32_t>(flat.size()), static_cast<std::uint32_t>(list.size())});
  flat.insert(flat.end(), list.begin(), list.end());
}

// Hosts that own at least one token.
std::vector<char> owning_hosts(const TokenRing& ring) {
  std::vector<char> owns(ring.hosts().size(), 0);
  for (std::size_t p = 0; p < ring.tokens().size(); ++p) owns[ring.owner_at(p)] = 1;
  return owns;
}

}  // namespace

ReplicaTable::ReplicaTable(std::shared_ptr<const TokenRing> ring, Replication replication)
    : ring_(std::move(ring)), replication_(std::move(replication)) {
  SLUICE_CHECK(ring_ != nullptr, "ReplicaTable needs a ring");
  if (ring_->empty()) return;
  switch (replication_.kind) {
    case StrategyKind::simple:
      compute_simple(static_cast<std::size_t>(std::max(0, replication_.replication_factor)));
      break;
    case StrategyKind::everywhere: compute_simple(ring_->hosts().size()); break;
    case StrategyKind::network_topology: compute_network_topology(); break;
    case StrategyKind::local: break;
  }
  if (flat_.empty()) slices_.clear();  // every list is empty: answer without a lookup
}

std::span<const HostIndex> ReplicaTable::replicas(std::int64_t token) const {
  if (slices_.empty()) return {};
  return replicas_at(ring_->position_of(token));
}

std::span<const HostIndex> ReplicaTable::replicas_at(std::size_t position) const {
  if (slices_.empty()) return {};
  const Slice& s = slices_[position];
  return {flat_.data() + s.offset, s.size};
}

void ReplicaTable::compute_simple(std::size_t replication_factor) {
  const TokenRing& ring = *ring_;
  const std::size_t positions = ring.tokens().size();
  const std::vector<char> owns = owning_hosts(ring);
  const auto owners = static_cast<std::size_t>(std::count(owns.begin(), owns.end(), 1));
  const std::size_t wanted = std::min(replication_factor, owners);

  std::vector<char> added(ring.hosts().size(), 0);
  std::vector<HostIndex> list;
  slices_.reserve(positions);
  for (std::size_t i = 0; i < positions; ++i) {
    list.clear();
    // Terminates: `wanted` distinct hosts own tokens, so one lap of the ring meets them all.
    for (std::size_t j = i; list.size() < wanted; j = (j + 1 == positions) ? 0 : j + 1) {
      HostIndex h = ring.owner_at(j);
      if (added[h] == 0) {
        added[h] = 1;
        list.push_back(h);
      }
    }
    for (HostIndex h : list) added[h] = 0;
    push_list(list, flat_, slices_);
  }
}

void ReplicaTable::compute_network_topology() {
  const TokenRing& ring = *ring_;
  const auto hosts = ring.hosts();
  const std::size_t positions = ring.tokens().size();
  const std::vector<char> owns = owning_hosts(ring);

  // The datacenters to fill ("slots"): those the replication names with a count > 0 that own tokens.
  struct Dc {
    std::size_t replicas = 0;  // as configured
    std::size_t nodes = 0;     // token-owning hosts
    std::size_t racks = 0;     // distinct racks among them
    std::size_t target = 0;    // min(replicas, nodes): when the walk is done with this datacenter
  };
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::vector<Dc> dcs;
  std::vector<std::size_t> slot_of_host(hosts.size(), kNone);
  std::vector<std::size_t> rack_of_host(hosts.size(), 0);  // dense ids over (slot, rack)
  std::map<std::string_view, std::size_t> slot_by_name;
  std::map<std::pair<std::size_t, std::string_view>, std::size_t> rack_ids;
  for (const DatacenterFactor& f : replication_.datacenters) {
    if (f.replicas > 0 && !slot_by_name.contains(f.datacenter)) {
      slot_by_name.emplace(f.datacenter, dcs.size());
      dcs.push_back({.replicas = static_cast<std::size_t>(f.replicas)});
    }
  }
  for (HostIndex h = 0; h < hosts.size(); ++h) {
    if (owns[h] == 0) continue;
    auto slot = slot_by_name.find(hosts[h].datacenter);
    if (slot == slot_by_name.end()) continue;
    slot_of_host[h] = slot->second;
    Dc& dc = dcs[slot->second];
    ++dc.nodes;
    auto [rack, fresh] = rack_ids.emplace(std::pair{slot->second, std::string_view(hosts[h].rack)}, rack_ids.size());
    if (fresh) ++dc.racks;
    rack_of_host[h] = rack->second;
  }
  std::size_t dcs_to_fill = 0;
  for (Dc& dc : dcs) {
    dc.target = std::min(dc.replicas, dc.nodes);
    if (dc.target > 0) ++dcs_to_fill;
  }
  if (dcs_to_fill == 0) return;

  // Walk state, reset after each position through `touched`.
  std::vector<char> added(hosts.size(), 0);
  std::vector<char> skipped_flag(hosts.size(), 0);
  std::vector<char> rack_seen(rack_ids.size(), 0);
  std::vector<std::size_t> dc_added(dcs.size(), 0);
  std::vector<std::size_t> dc_racks_seen(dcs.size(), 0);
  std::vector<std::vector<HostIndex>> skipped(dcs.size());
  std::vector<HostIndex> touched;
  std::vector<HostIndex> list;

  slices_.reserve(positions);
  for (std::size_t i = 0; i < positions; ++i) {
    list.clear();
    std::size_t remaining = dcs_to_fill;
    auto add = [&](HostIndex h, std::size_t slot) {
      if (added[h] != 0) return;
      added[h] = 1;
      touched.push_back(h);
      list.push_back(h);
      if (++dc_added[slot] == dcs[slot].target) --remaining;
    };
    for (std::size_t step = 0, j = i; step < positions && remaining > 0; ++step, j = (j + 1 == positions) ? 0 : j + 1) {
      const HostIndex h = ring.owner_at(j);
      const std::size_t slot = slot_of_host[h];
      if (slot == kNone || dc_added[slot] >= dcs[slot].target) continue;
      const Dc& dc = dcs[slot];
      if (dc_racks_seen[slot] == dc.racks) {
        add(h, slot);  // every rack has a replica: any new host will do
      } else if (rack_seen[rack_of_host[h]] != 0) {
        if (added[h] == 0 && skipped_flag[h] == 0) {  // a used rack: keep for later, in ring order
          skipped_flag[h] = 1;
          touched.push_back(h);
          skipped[slot].push_back(h);
        }
      } else {
        add(h, slot);
        rack_seen[rack_of_host[h]] = 1;
        if (++dc_racks_seen[slot] == dc.racks) {
          // Out of new racks: the hosts skipped so far come first, up to the datacenter's count.
          for (HostIndex s : skipped[slot]) {
            if (dc_added[slot] >= dc.target) break;
            add(s, slot);
          }
        }
      }
    }
    for (HostIndex h : touched) {
      added[h] = 0;
      skipped_flag[h] = 0;
      rack_seen[rack_of_host[h]] = 0;
    }
    touched.clear();
    std::fill(dc_added.begin(), dc_added.end(), 0);
    std::fill(dc_racks_seen.begin(), dc_racks_seen.end(), 0);
    for (auto& s : skipped) s.clear();
    push_list(list, flat_, slices_);
  }
}

// ---- TokenMap ----

Result<TokenMap> TokenMap::build(std::vector<RingHost> hosts, std::vector<Keyspace> keyspaces) {
  auto ring = TokenRing::build(std::move(hosts));
  if (!ring.ok()) return ring.error();
  TokenMap map;
  map.ring_ = std::make_shared<const TokenRing>(std::move(*ring));
  std::sort(keyspaces.begin(), keyspaces.end(), [](const Keyspace& a, const Keyspace& b) { return a.name < b.name; });
  for (std::size_t i = 0; i < keyspaces.size(); ++i) {
    if (!map.keyspaces_.empty() && map.keyspaces_.back().first == keyspaces[i].name) {
      return Error(Errc::invalid_argument, fmt::format("keyspace '{}' is listed twice", keyspaces[i].name));
    }
    auto same = std::find_if(map.tables_.begin(), map.tables_.end(),
                             [&](const ReplicaTable& t) { return t.replication() == keyspaces[i].replication; });
    if (same == map.tables_.end()) {
      map.tables_.emplace_back(map.ring_, std::move(keyspaces[i].replication));
      same = map.tables_.end() - 1;
    }
    map.keyspaces_.emplace_back(std::move(keyspaces[i].name), static_cast<std::size_t>(same - map.tables_.begin()));
  }
  return map;
}

const ReplicaTable* TokenMap::table(std::string_view keyspace) const {
  auto it = std::lower_bound(keyspaces_.begin(), keyspaces_.end(), keyspace,
                             [](const auto& entry, std::string_view wanted) { return entry.first < wanted; });
  if (it == keyspaces_.end() || it->first != keyspace) return nullptr;
  return &tables_[it->second];
}

std::span<const HostIndex> TokenMap::replicas(std::string_view keyspace, std::int64_t token) const {
  const ReplicaTable* t = table(keyspace);
  return t == nullptr ? std::span<const HostIndex>{} : t->replicas(token);
}

}  // namespace sluice::cql
