// Why: which hosts a request tries and whether a failed request is tried again decide both
// availability and correctness (a retried non-idempotent write may apply twice). Each rule of
// policies.h has a test here.
#include "cql/client/policies.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace sluice::cql {
namespace {

using Plan = std::vector<std::uint32_t>;

// 0 dc1, 1 dc1, 2 dc2, 3 dc1 (down), 4 dc1, 5 dc2, 6 dc2 (down)
const std::vector<PlanHost> kHosts = {
    {"dc1", true}, {"dc1", true}, {"dc2", true}, {"dc1", false}, {"dc1", true}, {"dc2", true}, {"dc2", false},
};

Plan plan(std::vector<std::uint32_t> replicas, std::string_view local_dc, std::size_t rotation, bool remote) {
  return make_query_plan(kHosts, replicas, local_dc, rotation, remote);
}

TEST(QueryPlanTest, LocalReplicasFirstThenOtherLocalHosts) {
  EXPECT_EQ(plan({1, 4, 2}, "dc1", 0, false), (Plan{1, 4, 0}));
}

TEST(QueryPlanTest, ReplicasAreRotated) {
  EXPECT_EQ(plan({1, 4, 0}, "dc1", 0, false), (Plan{1, 4, 0}));
  EXPECT_EQ(plan({1, 4, 0}, "dc1", 1, false), (Plan{4, 0, 1}));
  EXPECT_EQ(plan({1, 4, 0}, "dc1", 2, false), (Plan{0, 1, 4}));
  EXPECT_EQ(plan({1, 4, 0}, "dc1", 3, false), (Plan{1, 4, 0}));
}

TEST(QueryPlanTest, NonReplicasAreRoundRobin) {
  EXPECT_EQ(plan({}, "dc1", 0, false), (Plan{0, 1, 4}));
  EXPECT_EQ(plan({}, "dc1", 1, false), (Plan{1, 4, 0}));
  EXPECT_EQ(plan({}, "dc1", 4, false), (Plan{4, 0, 1}));
  // Every rotation spreads the first choice over every local up host.
  std::set<std::uint32_t> firsts;
  for (std::size_t r = 0; r < kHosts.size(); ++r) firsts.insert(plan({}, "dc1", r, false).front());
  EXPECT_EQ(firsts, (std::set<std::uint32_t>{0, 1, 4}));
}

TEST(QueryPlanTest, OnlyLocalDatacenterUnlessRemoteAllowed) {
  auto local = plan({2, 5}, "dc1", 0, false);  // replicas all remote
  EXPECT_EQ(local, (Plan{0, 1, 4}));
  auto with_remote = plan({2, 5}, "dc1", 0, true);
  EXPECT_EQ(with_remote, (Plan{0, 1, 4, 2, 5}));
}

TEST(QueryPlanTest, DownHostsAreSkipped) {
  auto p = plan({3, 6, 1}, "dc1", 0, true);
  EXPECT_EQ(std::count(p.begin(), p.end(), 3U), 0);
  EXPECT_EQ(std::count(p.begin(), p.end(), 6U), 0);
  EXPECT_EQ(p.front(), 1U);
  std::vector<PlanHost> all_down = {{"dc1", false}, {"dc2", false}};
  std::vector<std::uint32_t> replicas = {0, 1};
  EXPECT_TRUE(make_query_plan(all_down, replicas, "dc1", 0, true).empty());
}

TEST(QueryPlanTest, NoDuplicatesAndBadReplicaIndexesIgnored) {
  for (std::size_t r = 0; r < 8; ++r) {
    for (bool remote : {false, true}) {
      auto p = plan({1, 1, 4, 99, 4, 2}, "dc1", r, remote);
      std::set<std::uint32_t> unique(p.begin(), p.end());
      EXPECT_EQ(unique.size(), p.size()) << "rotation " << r;
      EXPECT_EQ(unique.count(99), 0U);
      EXPECT_EQ(p.size(), remote ? 5U : 3U);
      EXPECT_TRUE(p[0] == 1 || p[0] == 4) << "a local replica first";
    }
  }
}

TEST(QueryPlanTest, EmptyLocalDcMakesEveryDatacenterLocal) {
  EXPECT_EQ(plan({2, 1}, "", 0, false), (Plan{2, 1, 0, 4, 5}));
  // use_remote_dcs adds nothing more (and no duplicates).
  EXPECT_EQ(plan({2, 1}, "", 0, true), (Plan{2, 1, 0, 4, 5}));
}

TEST(QueryPlanTest, UnknownLocalDcGivesOnlyRemoteWhenAllowed) {
  EXPECT_TRUE(plan({1}, "dc9", 0, false).empty());
  EXPECT_EQ(plan({1}, "dc9", 0, true).size(), 5U);
}

// ---- retries ----

Error server(ServerError e) { return make_server_error(std::move(e), "QUERY"); }

ServerError code(ServerErrorCode c) {
  ServerError e;
  e.code = c;
  e.message = "m";
  return e;
}

RetryContext idem(int retries = 0) { return {.idempotent = true, .retries = retries}; }
RetryContext not_idem(int retries = 0) { return {.idempotent = false, .retries = retries}; }
RetryContext lwt() { return {.idempotent = true, .conditional = true}; }
RetryContext counter() { return {.idempotent = true, .counter = true}; }

TEST(ServerErrorTest, MakeServerErrorCarriesTheFields) {
  ServerError e = code(ServerErrorCode::unavailable);
  e.required = 3;
  e.alive_or_received = 1;
  Error err = make_server_error(e, "ctx");
  EXPECT_EQ(err.code(), Errc::server);
  EXPECT_EQ(err.detail(), 0x1000);
  EXPECT_EQ(err.message().rfind("ctx: ", 0), 0U) << err.message();
  const ServerError* back = server_error_of(err);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->required, 3);
  EXPECT_EQ(server_error_of(Error(Errc::io, "x")), nullptr);
}

// Errc::unavailable from the client means the request never left it: any statement may go on.
TEST(RetryTest, ClientUnavailableMeansNotSent) {
  for (auto c : {not_idem(), lwt(), counter(), idem(5)}) {
    EXPECT_EQ(decide_retry(Error(Errc::unavailable, "full"), c), RetryAction::retry_next);
  }
}

TEST(RetryTest, TimeoutIoAndProtocolOnlyWhenIdempotent) {
  for (auto errc : {Errc::timeout, Errc::io, Errc::protocol}) {
    Error e(errc, "x");
    EXPECT_EQ(decide_retry(e, idem()), RetryAction::retry_next);
    EXPECT_EQ(decide_retry(e, not_idem()), RetryAction::rethrow);
    EXPECT_EQ(decide_retry(e, lwt()), RetryAction::rethrow);
    EXPECT_EQ(decide_retry(e, counter()), RetryAction::rethrow);
  }
}

TEST(RetryTest, ServerUnavailableNextHostOnce) {
  auto e = server(code(ServerErrorCode::unavailable));
  EXPECT_EQ(decide_retry(e, not_idem(0)), RetryAction::retry_next);
  EXPECT_EQ(decide_retry(e, idem(0)), RetryAction::retry_next);
  EXPECT_EQ(decide_retry(e, lwt()), RetryAction::retry_next);  // nothing was applied
  EXPECT_EQ(decide_retry(e, idem(1)), RetryAction::rethrow);
  EXPECT_EQ(decide_retry(e, not_idem(1)), RetryAction::rethrow);
}

TEST(RetryTest, ReadTimeoutSameHostOnceWhenOnlyDataMissing) {
  ServerError rt = code(ServerErrorCode::read_timeout);
  rt.required = 2;
  rt.alive_or_received = 2;
  rt.data_present = false;
  EXPECT_EQ(decide_retry(server(rt), idem(0)), RetryAction::retry_same);
  EXPECT_EQ(decide_retry(server(rt), idem(1)), RetryAction::rethrow);
  EXPECT_EQ(decide_retry(server(rt), not_idem(0)), RetryAction::rethrow);
  EXPECT_EQ(decide_retry(server(rt), lwt()), RetryAction::rethrow);
  ServerError with_data = rt;
  with_data.data_present = true;
  EXPECT_EQ(decide_retry(server(with_data), idem(0)), RetryAction::rethrow);
  ServerError too_few = rt;
  too_few.alive_or_received = 1;
  EXPECT_EQ(decide_retry(server(too_few), idem(0)), RetryAction::rethrow);
}

TEST(RetryTest, WriteTimeoutSameHostOnceOnlyForIdempotentBatchLog) {
  ServerError wt = code(ServerErrorCode::write_timeout);
  wt.write_type = "BATCH_LOG";
  EXPECT_EQ(decide_retry(server(wt), idem(0)), RetryAction::retry_same);
  EXPECT_EQ(decide_retry(server(wt), idem(1)), RetryAction::rethrow);
  EXPECT_EQ(decide_retry(server(wt), not_idem(0)), RetryAction::rethrow);
  EXPECT_EQ(decide_retry(server(wt), counter()), RetryAction::rethrow);
  for (const char* type : {"SIMPLE", "BATCH", "UNLOGGED_BATCH", "COUNTER", "CAS", "VIEW", "CDC"}) {
    ServerError other = wt;
    other.write_type = type;
    EXPECT_EQ(decide_retry(server(other), idem(0)), RetryAction::rethrow) << type;
  }
}

TEST(RetryTest, OverloadedServerErrorTruncateNextHostIfIdempotent) {
  for (auto c : {ServerErrorCode::overloaded, ServerErrorCode::server_error, ServerErrorCode::truncate_error}) {
    auto e = server(code(c));
    EXPECT_EQ(decide_retry(e, idem()), RetryAction::retry_next) << static_cast<int>(c);
    EXPECT_EQ(decide_retry(e, not_idem()), RetryAction::rethrow);
    EXPECT_EQ(decide_retry(e, lwt()), RetryAction::rethrow);
    EXPECT_EQ(decide_retry(e, counter()), RetryAction::rethrow);
  }
}

TEST(RetryTest, BootstrappingNextHost) {
  auto e = server(code(ServerErrorCode::is_bootstrapping));
  EXPECT_EQ(decide_retry(e, not_idem()), RetryAction::retry_next);
  EXPECT_EQ(decide_retry(e, idem(3)), RetryAction::retry_next);
}

TEST(RetryTest, EverythingElseGoesToTheCaller) {
  for (auto c : {ServerErrorCode::syntax_error, ServerErrorCode::invalid, ServerErrorCode::unauthorized,
                 ServerErrorCode::read_failure, ServerErrorCode::write_failure, ServerErrorCode::function_failure,
                 ServerErrorCode::cdc_write_failure, ServerErrorCode::cas_write_unknown,
                 ServerErrorCode::config_error, ServerErrorCode::already_exists, ServerErrorCode::protocol_error,
                 ServerErrorCode::bad_credentials, ServerErrorCode::unprepared}) {
    EXPECT_EQ(decide_retry(server(code(c)), idem()), RetryAction::rethrow) << static_cast<int>(c);
  }
  // Errc::server without its payload, and client-side errors that are not transport failures.
  EXPECT_EQ(decide_retry(Error(Errc::server, "x", 0x1001), idem()), RetryAction::rethrow);
  for (auto errc : {Errc::invalid_argument, Errc::not_found, Errc::closed}) {
    EXPECT_EQ(decide_retry(Error(errc, "x"), idem()), RetryAction::rethrow);
  }
}

}  // namespace
}  // namespace sluice::cql
