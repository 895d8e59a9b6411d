"""Sink benchmark: Kafka -> sluice run -> Cassandra, beside latte writing the same rows.

1. Loads --records JSON records (~300 bytes, 8 fields) into a fresh 6-partition topic.
2. Catch-up: `sluice run` (release build) from the earliest offset with a fresh group; the clock
   runs from process start until the group has committed every record. Reports rows/s, the
   sluice process's CPU-seconds per million records (user+sys, /usr/bin/time), its peak RSS, and
   Cassandra's CPU per million rows (from /proc).
3. Ceiling: the table is truncated and latte inserts the same rows (bench/sink/events.rn, one
   prepared INSERT per row, the same concurrency as sluice's write window) for --latte-seconds.
4. Latency: a fresh topic (LogAppendTime) is produced to at half the catch-up rate for
   --latency-seconds while sluice runs; sluice's own histogram sluice_end_to_end_latency_seconds
   (record timestamp = the broker's append -> Cassandra's acknowledgement) gives p50/p99,
   interpolated within buckets as Prometheus does.

Writes bench/results/sink-<time>.json and .md and prints the markdown.
"""

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
KS = "bench_sink"
NOTE = ("note for the benchmark, about a hundred and fifty characters long so that a record is about three "
        "hundred bytes of JSON in all.....")
BASE_MS = 1_767_225_600_000
TIME_FMT = "%e %U %S %M"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def record(i, ts_ms=None):
    return json.dumps({"device": f"dev-{i % 10000}", "ts": BASE_MS + i if ts_ms is None else ts_ms, "seq": i,
                       "temperature": 15.0 + (i % 2000) / 100.0, "humidity": 30.0 + (i % 500) / 10.0,
                       "status": "alarm" if i % 100 == 0 else "ok", "site": f"site-{i % 50}", "note": NOTE},
                      separators=(",", ":"))


def cassandra_pids():
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    if b"CassandraDaemon" in f.read():
                        pids.append(int(d))
            except OSError:
                pass
    return pids


def proc_cpu_s(pids):
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def create_topic(admin, name, partitions=6, config=None):
    admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])[name].result(30)
    time.sleep(1)


def produce(bootstrap, topic, n, rate=None, seconds=None, live_timestamps=False):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5 if rate else 50, "batch.num.messages": 10000,
                  "compression.type": "lz4", "enable.idempotence": True, "queue.buffering.max.messages": 1000000})
    started = time.time()
    i = 0
    while (seconds is None and i < n) or (seconds is not None and time.time() - started < seconds):
        if rate:
            due = started + i / rate
            now = time.time()
            if due > now:
                time.sleep(min(due - now, 0.01))
                p.poll(0)
                continue
        v = record(i, int(time.time() * 1000) if live_timestamps else None)
        while True:
            try:
                p.produce(topic, value=v, key=f"dev-{i % 10000}")
                break
            except BufferError:
                p.poll(0.05)
        i += 1
        if i % 10000 == 0:
            p.poll(0)
    p.flush(300)
    return i, time.time() - started


def committed_total(bootstrap, group, topic, partitions=6):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return sum(max(0, tp.offset) for tp in tps)
    finally:
        c.close()


def pipeline_file(topic, group, admin_port):
    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="bench-sink-")
    with os.fdopen(fd, "w") as f:
        f.write(f"""name: bench_sink
kafka:
  bootstrap_servers: "127.0.0.1:9092"
  group_id: {group}
cassandra:
  keyspace: {KS}
sources:
  - name: events
    topics: [{topic}]
sinks:
  - from: events
    table: events
    mapping: {{device: value.device, ts: value.ts, seq: value.seq, temperature: value.temperature,
              humidity: value.humidity, status: value.status, site: value.site, note: value.note}}
error_policy: none
admin: {{listen: "127.0.0.1:{admin_port}"}}
""")
    return path


def start_sluice(sluice, path, log_path):
    timing = log_path + ".time"
    proc = subprocess.Popen(["/usr/bin/time", "-f", TIME_FMT, "-o", timing, sluice, "run", path],
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    return proc, timing


def stop_sluice(proc, timing):
    # /usr/bin/time forwards nothing: signal its child.
    child = int(subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()[0])
    os.kill(child, signal.SIGTERM)
    proc.wait(120)
    elapsed, user, sys_s, rss_kb = open(timing).read().split()[-4:]
    return {"elapsed_s": float(elapsed), "cpu_s": float(user) + float(sys_s), "peak_rss_mib": int(rss_kb) / 1024}


def histogram_quantiles(text, name, qs):
    buckets = []
    for line in text.splitlines():
        if line.startswith(name + "_bucket"):
            le = line.split(',le="' if ',le="' in line else '{le="')[1].split('"')[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0
    out = {}
    for q in qs:
        rank = q * total
        prev_le, prev_c = 0.0, 0.0
        for le, c in buckets:
            if c >= rank:
                out[q] = prev_le + (le - prev_le) * ((rank - prev_c) / (c - prev_c) if c > prev_c else 0)
                break
            prev_le, prev_c = le, c
    return out, total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=5_000_000)
    ap.add_argument("--sluice", default=os.path.join(REPO, "build/release/src/app/sluice"))
    ap.add_argument("--latte-seconds", type=int, default=30)
    ap.add_argument("--latency-seconds", type=int, default=30)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--latency-rate", type=float, default=0, help="records/s for the latency run (default: half the catch-up rate)")
    ap.add_argument("--skip-ceiling", action="store_true")
    ap.add_argument("--out", default=os.path.join(REPO, "bench/results", "sink-" + time.strftime("%Y%m%d-%H%M%S")))
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    bootstrap = "127.0.0.1:9092"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    session = Cluster(["127.0.0.1"]).connect()
    session.execute(f"CREATE KEYSPACE IF NOT EXISTS {KS} WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute(f"DROP TABLE IF EXISTS {KS}.events")
    session.execute(f"CREATE TABLE {KS}.events (device text, ts timestamp, seq bigint, temperature double, "
                    "humidity double, status text, site text, note text, PRIMARY KEY ((device), ts, seq))")
    run = time.strftime("%Y%m%d%H%M%S")
    result = {"date": datetime.datetime.utcnow().isoformat() + "Z", "records": args.records,
              "machine": f"{platform.node()} {os.cpu_count()} cores", "sluice": args.sluice}

    # 1. load
    topic = f"bench-sink-{run}"
    create_topic(admin, topic)
    log(f"producing {args.records} records to {topic}")
    n, secs = produce(bootstrap, topic, args.records)
    result["record_bytes"] = len(record(123456))
    log(f"produced {n} in {secs:.1f}s")

    # 2. catch-up
    group = f"bench-sink-{run}"
    path = pipeline_file(topic, group, 0)
    cass = cassandra_pids()
    cass_cpu0 = proc_cpu_s(cass)
    started = time.time()
    proc, timing = start_sluice(args.sluice, path, args.out + ".catchup.log")
    while committed_total(bootstrap, group, topic) < n:
        if proc.poll() is not None:
            raise SystemExit(open(args.out + ".catchup.log").read()[-3000:])
        time.sleep(0.5)
    wall = time.time() - started
    cass_cpu = proc_cpu_s(cass) - cass_cpu0
    usage = stop_sluice(proc, timing)
    log(f"catch-up took {wall:.1f}s; counting the rows, one device partition at a time")
    count = session.prepare(f"SELECT count(*) FROM {KS}.events WHERE device = ?")
    rows = sum(ok and r.one()[0] for ok, r in execute_concurrent_with_args(
        session, count, [(f"dev-{d}",) for d in range(10000)], concurrency=64))
    catchup = {"seconds": wall, "rows_per_s": n / wall, "cpu_s_per_million": usage["cpu_s"] / n * 1e6,
               "peak_rss_mib": usage["peak_rss_mib"], "cassandra_cpu_s_per_million": cass_cpu / n * 1e6,
               "distinct_rows": rows}
    result["catchup"] = catchup
    log(f"catch-up: {catchup}")

    # 3. ceiling
    session.execute(f"TRUNCATE {KS}.events")
    if args.skip_ceiling:
        result["latte"] = {"ops_per_s": float("nan"), "cpu_s_per_million": float("nan"), "peak_rss_mib": 0,
                           "cassandra_cpu_s_per_million": float("nan")}
    else:
        report = args.out + ".latte.json"
        cass_cpu0 = proc_cpu_s(cass)
        out = subprocess.run(["/usr/bin/time", "-f", TIME_FMT, "latte", "run", os.path.join(HERE, "events.rn"),
                              "-f", "insert", "-t", "1", "-p", str(args.concurrency), "-d", f"{args.latte_seconds}s",
                              "-w", "0", "-P", f'keyspace="{KS}"', "--consistency", "LOCAL_QUORUM", "-o", report,
                              "127.0.0.1:9042"], capture_output=True, text=True)
        cass_cpu = proc_cpu_s(cass) - cass_cpu0
        _, user, sys_s, rss_kb = out.stderr.strip().splitlines()[-1].split()
        r = json.load(open(report))["result"]
        ops = int(r["cycle_count"])
        result["latte"] = {"ops_per_s": ops / float(r["elapsed_time_s"]),
                           "cpu_s_per_million": (float(user) + float(sys_s)) / ops * 1e6,
                           "peak_rss_mib": int(rss_kb) / 1024, "cassandra_cpu_s_per_million": cass_cpu / ops * 1e6}
    log(f"latte: {result['latte']}")

    # 4. latency at half load
    session.execute(f"TRUNCATE {KS}.events")
    topic2 = f"bench-sink-live-{run}"
    # The broker stamps each record when it appends it (LogAppendTime): the latency measured is
    # the broker's append to Cassandra's acknowledgement, without the load generator's own queueing.
    create_topic(admin, topic2, config={"message.timestamp.type": "LogAppendTime"})
    group2 = group + "-live"
    port = 19187
    path = pipeline_file(topic2, group2, port)
    proc, timing = start_sluice(args.sluice, path, args.out + ".latency.log")
    time.sleep(3)
    before = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    rate = args.latency_rate or catchup["rows_per_s"] / 2
    log(f"producing at {rate:.0f}/s for {args.latency_seconds}s")
    sent, secs = produce(bootstrap, topic2, None, rate=rate, seconds=args.latency_seconds, live_timestamps=True)
    while committed_total(bootstrap, group2, topic2) < sent:
        time.sleep(0.5)
    after = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    stop_sluice(proc, timing)
    q, count = histogram_quantiles(after, "sluice_end_to_end_latency_seconds", [0.5, 0.99])
    q0, count0 = histogram_quantiles(before, "sluice_end_to_end_latency_seconds", [0.5, 0.99])
    w, _ = histogram_quantiles(after, "sluice_write_latency_seconds", [0.5, 0.99])
    with open(args.out + ".latency.metrics", "w") as f:
        f.write(after)
    result["latency"] = {"rate": sent / secs, "records": sent, "observed": count - count0,
                         "p50_ms": q[0.5] * 1000, "p99_ms": q[0.99] * 1000,
                         "write_p50_ms": w[0.5] * 1000, "write_p99_ms": w[0.99] * 1000}
    log(f"latency: {result['latency']}")

    c, l = result["catchup"], result["latte"]
    md = f"""## Sink benchmark — {result['date']} — {result['machine']}

{n:,} JSON records of {result['record_bytes']} bytes, 8 columns, 6 partitions, RF 1, LOCAL_QUORUM.

| | rows/s | client CPU-s per 1M | peak RSS MiB | Cassandra CPU-s per 1M |
|---|---|---|---|---|
| sluice run (catch-up) | {c['rows_per_s']:,.0f} | {c['cpu_s_per_million']:.1f} | {c['peak_rss_mib']:.0f} | {c['cassandra_cpu_s_per_million']:.1f} |
| latte insert (ceiling, {args.concurrency} in flight) | {l['ops_per_s']:,.0f} | {l['cpu_s_per_million']:.1f} | {l['peak_rss_mib']:.0f} | {l['cassandra_cpu_s_per_million']:.1f} |
| ratio sluice / latte | {c['rows_per_s'] / l['ops_per_s']:.2f} | {c['cpu_s_per_million'] / l['cpu_s_per_million']:.2f} | | |

Rows in the table after catch-up: {c['distinct_rows']:,} (every record is its own row).
End to end at {result['latency']['rate']:,.0f} records/s (half the catch-up rate), {result['latency']['observed']:,} rows:
p50 {result['latency']['p50_ms']:.1f} ms, p99 {result['latency']['p99_ms']:.1f} ms (the broker's append time to Cassandra's acknowledgement);
of which the write request alone: p50 {result['latency']['write_p50_ms']:.1f} ms, p99 {result['latency']['write_p99_ms']:.1f} ms.
"""
    with open(args.out + ".json", "w") as f:
        json.dump(result, f, indent=2)
    with open(args.out + ".md", "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
