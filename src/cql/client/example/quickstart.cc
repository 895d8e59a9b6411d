// The CQL driver on its own: connect, create a table, write with a prepared statement and a
// batch, read back across pages, all with bound values. Run against a local Cassandra:
//
//   build/release/src/cql/client/example/cql_quickstart [host] [port]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cql/client/session.h"

using namespace sluice;  // NOLINT(google-build-using-namespace): an example

int fail(const Error& e) {
  std::fprintf(stderr, "quickstart: %s\n", e.to_string().c_str());
  return 1;
}

int main(int argc, char** argv) try {
  cql::SessionOptions options;
  options.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};
  options.port = static_cast<std::uint16_t>(argc > 2 ? std::stoi(argv[2]) : 9042);
  options.consistency = cql::Consistency::local_quorum;
  auto connected = cql::Session::connect(options);
  if (!connected.ok()) return fail(connected.error());
  cql::Session& session = **connected;
  std::printf("connected with protocol v%d to %zu host(s)\n", static_cast<int>(session.protocol_version()),
              session.hosts().size());

  // DDL returns once every node agrees on the schema.
  for (const char* ddl : {"CREATE KEYSPACE IF NOT EXISTS quickstart WITH replication = "
                          "{'class': 'SimpleStrategy', 'replication_factor': 1}",
                          "CREATE TABLE IF NOT EXISTS quickstart.readings "
                          "(sensor text, ts timestamp, value double, PRIMARY KEY (sensor, ts))"}) {
    if (auto r = session.execute(cql::Statement(ddl)); !r.ok()) return fail(r.error());
  }

  // Prepared once, executed many times; values are bound, never spliced into the text. An
  // idempotent statement may be retried on another replica after a timeout.
  auto insert = session.prepare("INSERT INTO quickstart.readings (sensor, ts, value) VALUES (?, ?, ?)");
  if (!insert.ok()) return fail(insert.error());
  std::vector<cql::Future<cql::ResultSet>> pending;
  for (int i = 0; i < 1000; ++i) {
    pending.push_back(session.execute_async(
        cql::Statement(*insert, {std::string("s-1"), cql::Timestamp{1700000000000 + i}, 20.0 + i % 7})
            .set_idempotent()));
  }
  for (auto& f : pending) {
    if (auto r = f.get(); !r.ok()) return fail(r.error());
  }

  // A logged batch mixing the prepared statement and plain CQL text.
  cql::Batch batch(cql::BatchType::logged);
  batch.add(*insert, {std::string("s-2"), cql::Timestamp{1700000000000}, 1.5})
      .add("INSERT INTO quickstart.readings (sensor, ts, value) VALUES (?, ?, ?)",
           {std::string("s-2"), cql::Timestamp{1700000000001}, 2.5});
  if (auto r = session.execute(batch); !r.ok()) return fail(r.error());

  // Every row of a partition, 100 per page.
  double sum = 0;
  std::size_t rows = 0;
  auto pages = session.pages(
      cql::Statement("SELECT ts, value FROM quickstart.readings WHERE sensor = ?", {std::string("s-1")}).set_page_size(100));
  auto st = pages.for_each([&](cql::Row row) {
    sum += row.get<double>("value").value();
    ++rows;
  });
  if (!st.ok()) return fail(st.error());
  std::printf("s-1: %zu rows, mean %.3f\n", rows, sum / static_cast<double>(rows));
  for (const auto& h : session.hosts()) {
    std::printf("host %s (%s) %s, %llu requests\n", h.address.c_str(), h.datacenter.c_str(), h.up ? "up" : "down",
                static_cast<unsigned long long>(h.requests));
  }
  return rows == 1000 ? 0 : 1;
} catch (const std::exception& e) {  // a malformed port, or out of memory
  std::fprintf(stderr, "quickstart: %s\n", e.what());
  return 2;
}
