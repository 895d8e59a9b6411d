#!/usr/bin/env python3
"""Turn a latte 0.29 JSON report (`latte run ... -o report.json`) into the one-line JSON every
client of bench/cql/run prints:  {"ops", "errors", "seconds", "p50_ms", "p99_ms", ...}.

  latte_json.py report.json [insert|read]

ops = result.cycle_count (one request per cycle in bench/cql/latte/kv.rn), seconds =
result.elapsed_time_s, p50/p99 = result.cycle_latency percentiles (latte stores them in ms,
located through the report's own "percentiles" list, else index 6 = P50 and 11 = P99 of latte's
Percentile enum: Min,1,2,5,10,25,50,75,90,95,98,99,99.9,99.99,Max),
cpu_s = result.cpu_time_s (latte's own process CPU over the measured phase).
"""

import json
import sys

P50, P99 = 6, 11


def convert(report, workload=None):
    """workload="read": a cycle whose SELECT returned no row counts as an error, not an op."""
    r = report["result"]
    pct = r["cycle_latency"]["percentiles"]
    levels = [float(x) for x in report.get("percentiles", [])]
    p50 = levels.index(50.0) if 50.0 in levels else P50
    p99 = levels.index(99.0) if 99.0 in levels else P99
    ops, errors = int(r["cycle_count"]), int(r.get("error_count", 0))
    rows = int(r.get("row_count", 0))
    if workload == "read" and rows < ops:
        errors += ops - rows
        ops = rows
    return {
        "ops": ops,
        "errors": errors,
        "rows": rows,
        "seconds": round(float(r["elapsed_time_s"]), 4),
        "p50_ms": round(float(pct[p50]["value"]), 4),
        "p99_ms": round(float(pct[p99]["value"]), 4),
        "cpu_s": round(float(r.get("cpu_time_s", 0.0)), 3),
        "client": "latte",
        "requests": int(r.get("request_count", 0)),
        "cassandra_version": report.get("conf", {}).get("cass_version"),
    }


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        print(json.dumps(convert(json.load(f), sys.argv[2] if len(sys.argv) == 3 else None)))


if __name__ == "__main__":
    main()
