#!/usr/bin/env python3
"""The Python-driver side of the sluice CQL client benchmark (the floor).

Same schema, statements, keys and value as bench/cql/latte/kv.rn and `sluice bench cql`:
  table   <keyspace>.kv (id bigint PRIMARY KEY, v blob), keyspace RF 1 (SimpleStrategy)
  insert  INSERT INTO kv (id, v) VALUES (?, ?)  id = 0, 1, 2, ... in issue order,
          v = the 100 ASCII bytes "0123456789" x 10
  read    SELECT id, v FROM kv WHERE id = ?      id = hash(n) mod --keys (all preloaded)
Prepared statements, consistency LOCAL_ONE, no compression, one connection (the driver's
default for protocol v3+), closed loop: exactly --concurrency requests in flight until
--duration has passed, then the in-flight ones drain.

Prints one JSON object on the last stdout line, the shape every client of bench/cql/run uses:
  {"ops": int, "errors": int, "seconds": float, "p50_ms": float, "p99_ms": float, ...}
ops = requests completed without error (a read must return exactly one row); seconds = first send to last completion;
extra keys (cpu_s = process CPU inside the window, protocol, ...) are informational.

  python_bench.py setup --keys 100000          # create keyspace + table, load ids [0, keys)
  python_bench.py insert --concurrency 64 --duration 15
  python_bench.py read --concurrency 64 --duration 15 --keys 100000
"""

import argparse
import itertools
import json
import logging
import sys
import threading
import time

VALUE = b"0123456789" * 10
HASH_MUL = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1


def percentile(sorted_ns, p):
    """Nearest-rank percentile of a sorted list of nanoseconds, in milliseconds."""
    if not sorted_ns:
        return 0.0
    rank = max(1, -(-len(sorted_ns) * p // 100))  # ceil(n * p / 100)
    return sorted_ns[int(rank) - 1] / 1e6


def connect(args):
    from cassandra import ConsistencyLevel
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        consistency_level=ConsistencyLevel.LOCAL_ONE,
        request_timeout=30,
    )
    extra = {"protocol_version": args.protocol_version} if args.protocol_version else {}
    cluster = Cluster(
        contact_points=[args.host],
        port=args.port,
        compression=False,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        **extra,
    )
    return cluster, cluster.connect()


def run_window(session, stmt, make_params, concurrency, duration, expect_one_row):
    """Closed loop: `concurrency` lanes, each sends its next request when the previous one
    completes, until `duration` seconds have passed. Returns (ops, errors, seconds, latencies)."""
    latencies = []
    record = latencies.append
    errors = itertools.count()
    seq = itertools.count()
    done = threading.Event()
    lanes_left = [concurrency]
    lanes_lock = threading.Lock()
    clock = time.perf_counter_ns
    deadline = clock() + int(duration * 1e9)
    last = [0]

    def lane_finished():
        last[0] = clock()
        with lanes_lock:
            lanes_left[0] -= 1
            if lanes_left[0] == 0:
                done.set()

    def send():
        start = clock()
        future = session.execute_async(stmt, make_params(next(seq)))
        future.add_callbacks(on_ok, on_error, callback_args=(start,), errback_args=(start,))

    def on_ok(rows, start):
        now = clock()
        if expect_one_row and len(rows) != 1:
            next(errors)
        else:
            record(now - start)
        if now < deadline:
            send()
        else:
            lane_finished()

    def on_error(exc, start):
        if next(errors) < 5:
            print(f"python_bench: request failed: {exc!r}", file=sys.stderr)
        if clock() < deadline:
            send()
        else:
            lane_finished()

    t0 = clock()
    for _ in range(concurrency):
        send()
    done.wait()
    seconds = (last[0] - t0) / 1e9
    return len(latencies), next(errors), seconds, latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=["insert", "read", "setup"])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9042)
    parser.add_argument("--keyspace", default="bench")
    parser.add_argument("--keys", type=int, default=100000, help="read: key range [0, keys); setup: rows to load")
    parser.add_argument("--protocol-version", type=int, default=None,
                        help="force a native protocol version (default: negotiate, v5 on Cassandra 5.0)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    cluster, session = connect(args)
    ks = args.keyspace
    try:
        if args.workload == "setup":
            from cassandra.concurrent import execute_concurrent_with_args

            session.execute(
                f"CREATE KEYSPACE IF NOT EXISTS {ks} WITH REPLICATION = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}"
            )
            session.execute(f"CREATE TABLE IF NOT EXISTS {ks}.kv (id bigint PRIMARY KEY, v blob)")
            cluster.control_connection.wait_for_schema_agreement()
            stmt = session.prepare(f"INSERT INTO {ks}.kv (id, v) VALUES (?, ?)")
            t0 = time.perf_counter()
            results = execute_concurrent_with_args(
                session, stmt, ((i, VALUE) for i in range(args.keys)), concurrency=256,
                raise_on_first_error=False, results_generator=True)
            failed = sum(1 for ok, _ in results if not ok)
            seconds = time.perf_counter() - t0
            version = session.execute("SELECT release_version FROM system.local").one()[0]
            print(json.dumps({"ops": args.keys - failed, "errors": failed, "seconds": round(seconds, 3),
                              "p50_ms": 0.0, "p99_ms": 0.0, "cassandra_version": version}))
            return 1 if failed else 0

        if args.workload == "insert":
            stmt = session.prepare(f"INSERT INTO {ks}.kv (id, v) VALUES (?, ?)")
            make_params = lambda n: (n, VALUE)  # noqa: E731
        else:
            keys = args.keys
            stmt = session.prepare(f"SELECT id, v FROM {ks}.kv WHERE id = ?")
            make_params = lambda n: (((n * HASH_MUL) & MASK64) % keys,)  # noqa: E731

        cpu0 = time.process_time()
        ops, errors, seconds, lat = run_window(session, stmt, make_params, args.concurrency, args.duration,
                                                  args.workload == "read")
        cpu_s = time.process_time() - cpu0
        lat.sort()
        print(json.dumps({
            "ops": ops, "errors": errors, "seconds": round(seconds, 4),
            "p50_ms": round(percentile(lat, 50), 4), "p99_ms": round(percentile(lat, 99), 4),
            "cpu_s": round(cpu_s, 3), "client": "python-driver", "driver": __import__("cassandra").__version__,
            "protocol": cluster.protocol_version,
        }))
        return 0
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main())
